#include "dataplane/packet/types.h"

#include <arpa/inet.h>

namespace portvakt::packet {

std::string IpAddress::toString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text) == nullptr) return "?";
  return text;
}

std::string_view layerName(Layer layer) {
  switch (layer) {
    case Layer::kEthernet: return "eth";
    case Layer::kVlan: return "vlan";
    case Layer::kLlc: return "llc";
    case Layer::kSnap: return "snap";
    case Layer::kArp: return "arp";
    case Layer::kIpv4: return "ipv4";
    case Layer::kIpv6: return "ipv6";
    case Layer::kIcmp: return "icmp";
    case Layer::kIcmpv6: return "icmpv6";
    case Layer::kNeighborDiscovery: return "nd";
    case Layer::kTcp: return "tcp";
    case Layer::kUdp: return "udp";
    case Layer::kDhcp: return "dhcp";
    case Layer::kDhcpv6: return "dhcpv6";
    case Layer::kLldp: return "lldp";
    case Layer::kCdp: return "cdp";
    case Layer::kEapol: return "eapol";
    case Layer::kSip: return "sip";
    case Layer::kMdns: return "mdns";
    case Layer::kSsdp: return "ssdp";
  }
  return "?";
}

}  // namespace portvakt::packet
