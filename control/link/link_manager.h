#pragma once
// Port management over rtnetlink (libnl-route-3): find the interfaces the
// policy names, check that they exist, bring them up, put them in
// promiscuous mode, and read their kernel counters. LinkWatcher
// (link_watcher.h) follows link up/down events.
//
// The appliance's kernel has no bridge, no 802.1Q sub-interfaces and no tc
// flower: portvakt never asks for them. Ports are plain interfaces (physical,
// veth, macvlan) and the VLAN switching is done in userspace
// (dataplane/forward). resolve() says so when an interface name looks like a
// VLAN sub-interface ("eth0.10") that does not exist.
//
// Everything here works on the network namespace the LinkManager was opened
// in (the socket is bound to it when it is created). Changing links needs
// CAP_NET_ADMIN; reading them does not. Calls are synchronous netlink
// round-trips (sub-millisecond); one thread per object. Nothing throws.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "control/link/link_result.h"

struct nl_sock;

namespace portvakt::link {

struct LinkInfo {
  std::string name;
  int ifindex = 0;
  bool adminUp = false;      // IFF_UP: configured up
  bool lowerUp = false;      // IFF_LOWER_UP: carrier (for veth: the peer is up)
  bool promiscuous = false;  // IFF_PROMISC
  uint32_t mtu = 0;
  std::array<uint8_t, 6> mac{};
  std::string kind;  // "veth", "macvlan", ... (empty for physical NICs)
  bool up() const { return adminUp && lowerUp; }
};

struct LinkCounters {
  uint64_t rxPackets = 0, txPackets = 0;
  uint64_t rxBytes = 0, txBytes = 0;
  uint64_t rxErrors = 0, txErrors = 0;
  uint64_t rxDropped = 0, txDropped = 0;
};

struct PortRequest {
  std::string name;
  bool optional = false;  // missing: a warning and the port stays down, not an error
};

struct ResolvedPorts {
  std::vector<LinkInfo> found;  // in request order
  std::vector<std::string> missingOptional;
};

class LinkManager {
 public:
  static Result<std::unique_ptr<LinkManager>> open();
  ~LinkManager();
  LinkManager(const LinkManager&) = delete;
  LinkManager& operator=(const LinkManager&) = delete;

  Result<LinkInfo> find(const std::string& name);
  // Every required port must exist; the error names all that do not
  // ("interfaces not found: eth3, eth5").
  Result<ResolvedPorts> resolve(const std::vector<PortRequest>& ports);
  Result<std::vector<LinkInfo>> list();

  Status bringUp(const std::string& name);
  Status setPromiscuous(const std::string& name, bool on);
  // bringUp + setPromiscuous(true): what a switch port needs.
  Status preparePort(const std::string& name);
  Result<LinkCounters> counters(const std::string& name);

 private:
  explicit LinkManager(nl_sock* sock) : sock_(sock) {}
  Status changeFlags(const std::string& name, unsigned set, unsigned clear, const char* what);
  nl_sock* sock_ = nullptr;
};

}  // namespace portvakt::link
