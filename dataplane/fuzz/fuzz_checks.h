#pragma once
// Invariants every fuzz target checks beyond "no crash": a field that is a
// view must point inside the input, and counts must respect their caps. A
// violation aborts, so libFuzzer saves the input as a crash.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "dataplane/packet/frame.h"

namespace portvakt::fuzz {

class Bounds {
 public:
  Bounds(const uint8_t* data, size_t size) : begin_(data), end_(data + size) {}

  void check(std::string_view v, const char* what) const {
    check(reinterpret_cast<const uint8_t*>(v.data()), v.size(), what);
  }
  void check(std::span<const uint8_t> v, const char* what) const { check(v.data(), v.size(), what); }

 private:
  void check(const uint8_t* p, size_t n, const char* what) const {
    if (n == 0) return;
    if (p < begin_ || p + n > end_) {
      std::fprintf(stderr, "fuzz invariant: %s points outside the input\n", what);
      std::abort();
    }
  }
  const uint8_t* begin_;
  const uint8_t* end_;
};

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
    std::abort();
  }
}

inline void checkDns(const packet::DnsInfo& d) {
  for (const packet::DnsNameList* list : {&d.queries, &d.services, &d.instances, &d.hosts, &d.ptrTargets}) {
    require(list->count <= packet::kMaxDnsNamesPerList, "dns list count within cap");
    for (size_t i = 0; i < list->count; ++i) {
      require(list->items[i].offset + list->items[i].length <= packet::kDnsNamePoolSize, "dns name inside pool");
      require(d.at(*list, i).size() <= packet::kMaxDnsNameLength, "dns name length");
    }
  }
}

// Every view of a parsed frame.
inline void checkFrame(const packet::ParsedFrame& f, const Bounds& in) {
  require(f.eth.tagCount <= packet::kMaxVlanTags, "vlan tag count");
  require(f.ip.extHeaderCount <= packet::kMaxIpv6ExtHeaders, "ipv6 ext count");
  in.check(f.payload, "payload");
  in.check(f.dhcp.parameterList, "dhcp.parameterList");
  in.check(f.dhcp.vendorClass, "dhcp.vendorClass");
  in.check(f.dhcp.hostname, "dhcp.hostname");
  in.check(f.dhcp.clientId, "dhcp.clientId");
  in.check(f.dhcp.relayAgent, "dhcp.relayAgent");
  in.check(f.dhcp.circuitId, "dhcp.circuitId");
  in.check(f.dhcp.remoteId, "dhcp.remoteId");
  in.check(f.dhcp.domainName, "dhcp.domainName");
  require(f.dhcp.optionCount <= packet::kMaxDhcpOptionOrder, "dhcp option order count");
  in.check(f.dhcpv6.clientId, "dhcpv6.clientId");
  in.check(f.dhcpv6.serverId, "dhcpv6.serverId");
  in.check(f.dhcpv6.vendorClass, "dhcpv6.vendorClass");
  in.check(f.dhcpv6.userClass, "dhcpv6.userClass");
  require(f.dhcpv6.fqdn.size() <= 256, "dhcpv6 fqdn length");
  require(f.dhcpv6.requestedOptionCount <= packet::kMaxDhcpv6RequestedOptions, "dhcpv6 ORO count");
  const packet::LldpInfo& l = f.lldp;
  in.check(l.chassisId, "lldp.chassisId");
  in.check(l.portId, "lldp.portId");
  for (std::string_view s : {l.portDescription, l.systemName, l.systemDescription, l.hardwareRevision, l.firmwareRevision,
                             l.softwareRevision, l.serialNumber, l.manufacturer, l.modelName, l.assetId}) {
    in.check(s, "lldp string");
  }
  require(l.tlvCount <= packet::kMaxLldpTlvs, "lldp tlv count");
  require(l.policyCount <= packet::kMaxLldpNetworkPolicies, "lldp policy count");
  const packet::CdpInfo& c = f.cdp;
  for (std::string_view s : {c.deviceId, c.portId, c.softwareVersion, c.platform, c.vtpDomain}) in.check(s, "cdp string");
  require(c.tlvCount <= packet::kMaxCdpTlvs, "cdp tlv count");
  in.check(f.eapol.identity, "eapol.identity");
  const packet::SipInfo& s = f.sip;
  for (std::string_view v :
       {s.method, s.requestUri, s.reason, s.userAgent, s.server, s.from, s.to, s.contact, s.callId, s.cseq}) {
    in.check(v, "sip header");
  }
  const packet::SsdpInfo& d = f.ssdp;
  for (std::string_view v : {d.method, d.server, d.userAgent, d.nt, d.nts, d.st, d.usn, d.location}) {
    in.check(v, "ssdp header");
  }
  checkDns(f.mdns);
}

}  // namespace portvakt::fuzz
