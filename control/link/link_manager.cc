#include "control/link/link_manager.h"

#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include <cstring>

#include "control/link/link_internal.h"

namespace portvakt::link {
namespace {
// <linux/if.h> has IFF_LOWER_UP but clashes with <net/if.h>; the value is ABI.
constexpr unsigned kIffLowerUp = 0x10000;
}  // namespace

namespace internal {

LinkInfo toLinkInfo(rtnl_link* link) {
  LinkInfo info;
  if (const char* name = rtnl_link_get_name(link)) info.name = name;
  info.ifindex = rtnl_link_get_ifindex(link);
  const unsigned flags = rtnl_link_get_flags(link);
  info.adminUp = (flags & IFF_UP) != 0;
  info.lowerUp = (flags & kIffLowerUp) != 0;
  info.promiscuous = (flags & IFF_PROMISC) != 0;
  info.mtu = rtnl_link_get_mtu(link);
  if (nl_addr* addr = rtnl_link_get_addr(link); addr != nullptr && nl_addr_get_len(addr) == 6)
    std::memcpy(info.mac.data(), nl_addr_get_binary_addr(addr), 6);
  if (const char* kind = rtnl_link_get_type(link)) info.kind = kind;
  return info;
}

Error nlError(const std::string& name, const std::string& what, int nlErr) {
  if (nlErr < 0) nlErr = -nlErr;
  ErrorCode code = ErrorCode::kNetlink;
  if (nlErr == NLE_OBJ_NOTFOUND || nlErr == NLE_NODEV) code = ErrorCode::kNotFound;
  if (nlErr == NLE_PERM) code = ErrorCode::kPermission;
  std::string message = "link " + name + ": " + what + ": " + nl_geterror(nlErr);
  if (code == ErrorCode::kPermission) message += " (needs CAP_NET_ADMIN)";
  return Error{code, message};
}

}  // namespace internal

namespace {

Error notFound(const std::string& name) {
  std::string message = "link " + name + ": no such interface";
  // A VLAN sub-interface name: say why it cannot exist here rather than
  // letting the operator look for a typo.
  if (auto dot = name.find('.'); dot != std::string::npos && dot + 1 < name.size())
    message += " (802.1Q sub-interfaces are not used: this kernel has none; put the VLAN on a trunk port in the policy)";
  return Error{ErrorCode::kNotFound, message};
}

// rtnl_link_get_kernel gives a reference we must put back.
struct LinkRef {
  rtnl_link* link = nullptr;
  ~LinkRef() {
    if (link) rtnl_link_put(link);
  }
};

}  // namespace

Result<std::unique_ptr<LinkManager>> LinkManager::open() {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) return Error{ErrorCode::kNetlink, "link: cannot allocate a netlink socket"};
  if (int err = nl_connect(sock, NETLINK_ROUTE); err < 0) {
    nl_socket_free(sock);
    return internal::nlError("*", "connect to rtnetlink", err);
  }
  return std::unique_ptr<LinkManager>(new LinkManager(sock));
}

LinkManager::~LinkManager() {
  if (sock_) nl_socket_free(sock_);
}

Result<LinkInfo> LinkManager::find(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return Error{ErrorCode::kNotFound, "link '" + name + "': invalid interface name"};
  LinkRef ref;
  int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &ref.link);
  if (err < 0) {
    Error e = internal::nlError(name, "lookup", err);
    if (e.code == ErrorCode::kNotFound) return notFound(name);
    return e;
  }
  return internal::toLinkInfo(ref.link);
}

Result<ResolvedPorts> LinkManager::resolve(const std::vector<PortRequest>& ports) {
  ResolvedPorts out;
  std::vector<std::string> missing;
  for (const PortRequest& p : ports) {
    Result<LinkInfo> info = find(p.name);
    if (info.ok()) {
      out.found.push_back(std::move(*info));
    } else if (info.error().code != ErrorCode::kNotFound) {
      return info.error();
    } else if (p.optional) {
      out.missingOptional.push_back(p.name);
    } else {
      missing.push_back(p.name);
    }
  }
  if (missing.size() == 1) return notFound(missing[0]);
  if (!missing.empty()) {
    std::string names;
    for (const std::string& n : missing) names += (names.empty() ? "" : ", ") + n;
    return Error{ErrorCode::kNotFound, "interfaces not found: " + names};
  }
  return out;
}

Result<std::vector<LinkInfo>> LinkManager::list() {
  nl_cache* cache = nullptr;
  if (int err = rtnl_link_alloc_cache(sock_, AF_UNSPEC, &cache); err < 0) return internal::nlError("*", "dump", err);
  std::vector<LinkInfo> links;
  for (nl_object* obj = nl_cache_get_first(cache); obj != nullptr; obj = nl_cache_get_next(obj))
    links.push_back(internal::toLinkInfo(reinterpret_cast<rtnl_link*>(obj)));
  nl_cache_free(cache);
  return links;
}

Status LinkManager::changeFlags(const std::string& name, unsigned set, unsigned clear, const char* what) {
  LinkRef orig;
  if (int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &orig.link); err < 0) {
    Error e = internal::nlError(name, what, err);
    if (e.code == ErrorCode::kNotFound) return notFound(name);
    return e;
  }
  LinkRef change;
  change.link = rtnl_link_alloc();
  if (change.link == nullptr) return Error{ErrorCode::kNetlink, "link " + name + ": out of memory"};
  if (set) rtnl_link_set_flags(change.link, set);
  if (clear) rtnl_link_unset_flags(change.link, clear);
  if (int err = rtnl_link_change(sock_, orig.link, change.link, 0); err < 0) return internal::nlError(name, what, err);
  return {};
}

Status LinkManager::bringUp(const std::string& name) { return changeFlags(name, IFF_UP, 0, "bring up"); }

Status LinkManager::setPromiscuous(const std::string& name, bool on) {
  return on ? changeFlags(name, IFF_PROMISC, 0, "set promiscuous")
            : changeFlags(name, 0, IFF_PROMISC, "clear promiscuous");
}

Status LinkManager::preparePort(const std::string& name) {
  if (Status s = bringUp(name); !s) return s;
  return setPromiscuous(name, true);
}

Result<LinkCounters> LinkManager::counters(const std::string& name) {
  LinkRef ref;
  if (int err = rtnl_link_get_kernel(sock_, 0, name.c_str(), &ref.link); err < 0) {
    Error e = internal::nlError(name, "read counters", err);
    if (e.code == ErrorCode::kNotFound) return notFound(name);
    return e;
  }
  LinkCounters c;
  c.rxPackets = rtnl_link_get_stat(ref.link, RTNL_LINK_RX_PACKETS);
  c.txPackets = rtnl_link_get_stat(ref.link, RTNL_LINK_TX_PACKETS);
  c.rxBytes = rtnl_link_get_stat(ref.link, RTNL_LINK_RX_BYTES);
  c.txBytes = rtnl_link_get_stat(ref.link, RTNL_LINK_TX_BYTES);
  c.rxErrors = rtnl_link_get_stat(ref.link, RTNL_LINK_RX_ERRORS);
  c.txErrors = rtnl_link_get_stat(ref.link, RTNL_LINK_TX_ERRORS);
  c.rxDropped = rtnl_link_get_stat(ref.link, RTNL_LINK_RX_DROPPED);
  c.txDropped = rtnl_link_get_stat(ref.link, RTNL_LINK_TX_DROPPED);
  return c;
}

}  // namespace portvakt::link
