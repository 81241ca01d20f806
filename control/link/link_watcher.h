#pragma once
// LinkWatcher: link up/down events from the kernel (rtnetlink group
// RTNLGRP_LINK), for the daemon's loop. Put fd() in poll/epoll; when it is
// readable, call poll(): it reads every pending notification without
// blocking and reports state transitions only (the kernel sends a
// notification for any attribute change; the watcher compares with the last
// state it saw of that interface, so a flags-only change that leaves the
// port up is not reported).
//
// If the kernel dropped notifications (the socket overran: ENOBUFS), the
// watcher re-reads every link and reports the differences, so a transition
// is never lost, only possibly late.
//
// A port is "up" when it is configured up and has carrier (IFF_UP and
// IFF_LOWER_UP); for a veth, the carrier follows the peer. Events are for the
// namespace the watcher was opened in. One thread; nothing throws.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "control/link/link_manager.h"
#include "control/link/link_result.h"

struct nl_sock;
struct nl_msg;

namespace portvakt::link {

struct LinkEvent {
  enum class Kind : uint8_t { kUp, kDown, kRemoved };
  Kind kind = Kind::kDown;
  std::string name;
  int ifindex = 0;
  bool adminUp = false;
  bool lowerUp = false;
};
const char* toString(LinkEvent::Kind kind);

class LinkWatcher {
 public:
  // `names`: report only these interfaces (empty: all). The current state of
  // each is read at open, so the first event is a real transition.
  static Result<std::unique_ptr<LinkWatcher>> open(std::vector<std::string> names = {});
  ~LinkWatcher();
  LinkWatcher(const LinkWatcher&) = delete;
  LinkWatcher& operator=(const LinkWatcher&) = delete;

  int fd() const;
  // Appends the transitions seen since the last call; never blocks.
  Status poll(std::vector<LinkEvent>& events);

 private:
  struct Known {
    std::string name;
    bool up = false;
  };
  LinkWatcher(nl_sock* sock, std::unique_ptr<LinkManager> manager, std::vector<std::string> names)
      : sock_(sock), manager_(std::move(manager)), names_(std::move(names)) {}
  static int onMessage(nl_msg* msg, void* arg);
  void observe(const LinkInfo& info, bool removed);
  bool wanted(const std::string& name) const;
  Status resync();

  nl_sock* sock_ = nullptr;
  std::unique_ptr<LinkManager> manager_;  // for the re-read after an overrun
  std::vector<std::string> names_;
  std::unordered_map<int, Known> known_;  // by ifindex
  std::vector<LinkEvent>* sink_ = nullptr;
};

}  // namespace portvakt::link
