#include "control/link/link_watcher.h"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include <algorithm>

#include "control/link/link_internal.h"

namespace portvakt::link {

const char* toString(LinkEvent::Kind kind) {
  switch (kind) {
    case LinkEvent::Kind::kUp: return "up";
    case LinkEvent::Kind::kDown: return "down";
    case LinkEvent::Kind::kRemoved: return "removed";
  }
  return "?";
}

Result<std::unique_ptr<LinkWatcher>> LinkWatcher::open(std::vector<std::string> names) {
  Result<std::unique_ptr<LinkManager>> manager = LinkManager::open();
  if (!manager) return manager.error();
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return Error{ErrorCode::kNetlink, "link watcher: cannot allocate a netlink socket"};
  // Notifications carry no sequence numbers we asked for.
  nl_socket_disable_seq_check(sock);
  std::unique_ptr<LinkWatcher> w(new LinkWatcher(sock, std::move(*manager), std::move(names)));
  nl_socket_modify_cb(sock, NL_CB_VALID, NL_CB_CUSTOM, &LinkWatcher::onMessage, w.get());
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) return internal::nlError("*", "watch: connect", err);
  if (int err = nl_socket_add_membership(sock, RTNLGRP_LINK); err < 0)
    return internal::nlError("*", "watch: join RTNLGRP_LINK", err);
  if (int err = nl_socket_set_nonblocking(sock); err < 0) return internal::nlError("*", "watch: non-blocking", err);
  // Subscribed first, then read the current state: a change between the two
  // is seen as a notification, never missed.
  std::vector<LinkEvent> ignored;
  w->sink_ = &ignored;
  if (Status s = w->resync(); !s) return s.error();
  w->sink_ = nullptr;
  return w;
}

LinkWatcher::~LinkWatcher() {
  if (sock_) nl_socket_free(sock_);
}

int LinkWatcher::fd() const { return nl_socket_get_fd(sock_); }

bool LinkWatcher::wanted(const std::string& name) const {
  return names_.empty() || std::find(names_.begin(), names_.end(), name) != names_.end();
}

void LinkWatcher::observe(const LinkInfo& info, bool removed) {
  auto it = known_.find(info.ifindex);
  if (removed) {
    if (it == known_.end()) return;
    if (sink_) sink_->push_back(LinkEvent{LinkEvent::Kind::kRemoved, it->second.name, info.ifindex, false, false});
    known_.erase(it);
    return;
  }
  if (!wanted(info.name)) return;
  const bool up = info.up();
  if (it != known_.end() && it->second.up == up) {
    it->second.name = info.name;
    return;
  }
  // A new interface is reported only when it is up (its "down" is the
  // initial state the daemon already assumes).
  const bool report = it != known_.end() || up;
  known_[info.ifindex] = Known{info.name, up};
  if (report && sink_)
    sink_->push_back(LinkEvent{up ? LinkEvent::Kind::kUp : LinkEvent::Kind::kDown, info.name, info.ifindex, info.adminUp,
                               info.lowerUp});
}

int LinkWatcher::onMessage(nl_msg* msg, void* arg) {
  auto* self = static_cast<LinkWatcher*>(arg);
  const int type = nlmsg_hdr(msg)->nlmsg_type;
  if (type != RTM_NEWLINK && type != RTM_DELLINK) return NL_OK;
  struct Ctx {
    LinkWatcher* self;
    bool removed;
  } ctx{self, type == RTM_DELLINK};
  nl_msg_parse(
      msg,
      [](nl_object* obj, void* a) {
        auto* c = static_cast<Ctx*>(a);
        c->self->observe(internal::toLinkInfo(reinterpret_cast<rtnl_link*>(obj)), c->removed);
      },
      &ctx);
  return NL_OK;
}

Status LinkWatcher::resync() {
  Result<std::vector<LinkInfo>> links = manager_->list();
  if (!links) return links.error();
  std::vector<int> present;
  for (const LinkInfo& l : *links) {
    observe(l, false);
    present.push_back(l.ifindex);
  }
  std::vector<int> gone;
  for (const auto& [index, known] : known_)
    if (std::find(present.begin(), present.end(), index) == present.end()) gone.push_back(index);
  for (int index : gone) {
    LinkInfo info;
    info.ifindex = index;
    observe(info, true);
  }
  return {};
}

Status LinkWatcher::poll(std::vector<LinkEvent>& events) {
  sink_ = &events;
  Status status;
  for (;;) {
    int err = nl_recvmsgs_default(sock_);
    if (err >= 0) continue;
    if (err == -NLE_AGAIN) break;
    if (err == -NLE_NOMEM || err == -NLE_MSG_OVERFLOW) {
      // The kernel dropped notifications (ENOBUFS): read the truth instead.
      status = resync();
      if (!status) break;
      continue;
    }
    status = internal::nlError("*", "watch: receive", err);
    break;
  }
  sink_ = nullptr;
  return status;
}

}  // namespace portvakt::link
