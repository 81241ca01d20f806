// Oracle test: our decoded fields against tshark's, frame by frame, for every
// capture in ../shared/pcaps (MANIFEST.tsv).
//
// tshark runs once per capture with `-T fields` (numbers normalised, lists
// joined with ','); we parse the same frames from the same file through
// io::CaptureFileSource. A field is compared when either side has a value.
// Known differences that are not our bugs are listed in kAllowed below, each
// with the reason; anything else fails the test with capture, frame, field
// and both values.
//
// Scope rules (not hidden: counted and printed in the summary):
//  - captures whose link type is not Ethernet are not compared;
//  - frames whose protocol stack (tshark frame.protocols) contains an
//    encapsulation we do not parse (MPLS, GRE/ERSPAN, PPPoE, VN-tag, ...)
//    are compared on the outer Ethernet fields only;
//  - at most kMaxFramesPerCapture frames of each capture are compared, to
//    keep the test under a minute (tshark starts in ~0.25 s; captures run
//    four at a time).
//
// tshark is started with -n (no name resolution), and without TCP stream
// and IP fragment reassembly, because the dataplane decodes single frames.
//
// When tshark is missing the test is skipped, unless CI=true: then it fails.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/io/capture_file.h"
#include "dataplane/packet/frame.h"
#include "tests/support/ci.h"

namespace portvakt::packet {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPcapDir = "../shared/pcaps";
constexpr size_t kMaxFramesPerCapture = 400;
constexpr int kParallelTshark = 4;

using ::portvakt::testing::inCi;

// ---- formatting our values the way tshark prints them ----------------------

std::string escapeText(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string num(uint64_t v) { return std::to_string(v); }

template <typename T, typename F>
std::string joinList(size_t count, const T& items, F&& format) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) out += ',';
    out += format(items[i]);
  }
  return out;
}

// tshark prints numbers in the field's base (0x0014); compare values.
std::string normaliseNumbers(const std::string& list) {
  std::string out;
  std::stringstream in(list);
  std::string item;
  bool first = true;
  while (std::getline(in, item, ',')) {
    if (!first) out += ',';
    first = false;
    char* end = nullptr;
    unsigned long long v = std::strtoull(item.c_str(), &end, 0);
    out += (end != nullptr && *end == '\0' && !item.empty()) ? std::to_string(v) : item;
  }
  return out;
}

std::string firstItem(const std::string& list) { return list.substr(0, list.find(',')); }
std::string lastItem(const std::string& list) {
  size_t comma = list.rfind(',');
  return comma == std::string::npos ? list : list.substr(comma + 1);
}

// ---- the fields --------------------------------------------------------------

enum class Shape { kText, kNumber, kFirst, kFirstNumber, kLastNumber, kNumberList };

// How deep in the frame a field sits; see scopeOf().
enum Level { kLink = 0, kNetwork = 1, kTransport = 2, kPorts = 3, kApplication = 4 };

struct Field {
  const char* name;  // tshark field(s); "a|b" means the concatenated lists of a then b
  Shape shape;
  Level level;
  std::function<std::string(const ParsedFrame&)> ours;
  // The field is compared only when tshark's frame.protocols contains this
  // (e.g. DNS names only in mDNS frames: we decode mDNS, not unicast DNS), or,
  // written "field=value", when tshark's first value of that field is value.
  const char* gate = nullptr;
};

std::vector<Field> fields() {
  using F = const ParsedFrame&;
  return {
      {"eth.src", Shape::kFirst, kLink, [](F f) { return f.has(Layer::kEthernet) ? f.eth.src.toString() : ""; }},
      {"eth.dst", Shape::kFirst, kLink, [](F f) { return f.has(Layer::kEthernet) ? f.eth.dst.toString() : ""; }},
      {"ieee8021ad.id|vlan.id", Shape::kNumberList, kNetwork,
       [](F f) { return joinList(f.eth.tagCount, f.eth.tags, [](const VlanTag& t) { return num(t.vid); }); }},
      {"arp.opcode", Shape::kFirstNumber, kNetwork, [](F f) { return f.has(Layer::kArp) ? num(f.arp.operation) : ""; }},
      {"arp.src.hw_mac", Shape::kFirst, kNetwork, [](F f) { return f.arp.hasMacs ? f.arp.senderMac.toString() : ""; }},
      {"arp.src.proto_ipv4", Shape::kFirst, kNetwork, [](F f) { return f.arp.hasIps ? f.arp.senderIp.toString() : ""; }},
      {"arp.dst.proto_ipv4", Shape::kFirst, kNetwork, [](F f) { return f.arp.hasIps ? f.arp.targetIp.toString() : ""; }},
      {"ip.src", Shape::kFirst, kNetwork, [](F f) { return f.has(Layer::kIpv4) ? f.ip.src.toString() : ""; }},
      {"ip.dst", Shape::kFirst, kNetwork, [](F f) { return f.has(Layer::kIpv4) ? f.ip.dst.toString() : ""; }},
      {"ip.proto", Shape::kFirstNumber, kNetwork, [](F f) { return f.has(Layer::kIpv4) ? num(f.ip.protocol) : ""; }},
      {"ipv6.src", Shape::kFirst, kNetwork, [](F f) { return f.has(Layer::kIpv6) ? f.ip.src.toString() : ""; }},
      {"ipv6.dst", Shape::kFirst, kNetwork, [](F f) { return f.has(Layer::kIpv6) ? f.ip.dst.toString() : ""; }},
      {"tcp.srcport", Shape::kFirstNumber, kPorts, [](F f) { return f.has(Layer::kTcp) ? num(f.l4.srcPort) : ""; }},
      {"tcp.dstport", Shape::kFirstNumber, kPorts, [](F f) { return f.has(Layer::kTcp) ? num(f.l4.dstPort) : ""; }},
      {"udp.srcport", Shape::kFirstNumber, kPorts, [](F f) { return f.has(Layer::kUdp) ? num(f.l4.srcPort) : ""; }},
      {"udp.dstport", Shape::kFirstNumber, kPorts, [](F f) { return f.has(Layer::kUdp) ? num(f.l4.dstPort) : ""; }},
      {"icmp.type", Shape::kFirstNumber, kTransport, [](F f) { return f.has(Layer::kIcmp) ? num(f.l4.icmpType) : ""; }},
      {"icmpv6.type", Shape::kFirstNumber, kTransport,
       [](F f) { return f.has(Layer::kIcmpv6) ? num(f.l4.icmpType) : ""; }},
      {"icmpv6.nd.ns.target_address", Shape::kFirst, kTransport,
       [](F f) { return f.has(Layer::kNeighborDiscovery) && f.l4.icmpType == 135 ? f.nd.target.toString() : ""; }},
      {"icmpv6.nd.na.target_address", Shape::kFirst, kTransport,
       [](F f) { return f.has(Layer::kNeighborDiscovery) && f.l4.icmpType == 136 ? f.nd.target.toString() : ""; }},
      {"icmpv6.nd.ra.router_lifetime", Shape::kFirstNumber, kTransport,
       [](F f) { return f.has(Layer::kNeighborDiscovery) && f.l4.icmpType == 134 ? num(f.nd.routerLifetime) : ""; }},
      {"dhcp.option.dhcp", Shape::kFirstNumber, kApplication,
       [](F f) { return f.has(Layer::kDhcp) && f.dhcp.messageType != 0 ? num(f.dhcp.messageType) : ""; }},
      {"dhcp.hw.mac_addr", Shape::kFirst, kApplication,
       [](F f) {
         return f.has(Layer::kDhcp) && f.dhcp.hardwareType == 1 && f.dhcp.hardwareLength == 6 ? f.dhcp.chaddr.toString()
                                                                                              : "";
       }},
      {"dhcp.option.vendor_class_id", Shape::kText, kApplication, [](F f) { return escapeText(f.dhcp.vendorClass); }},
      {"dhcp.option.hostname", Shape::kText, kApplication, [](F f) { return escapeText(f.dhcp.hostname); }},
      {"dhcp.option.request_list_item", Shape::kNumberList, kApplication,
       [](F f) { return joinList(f.dhcp.parameterList.size(), f.dhcp.parameterList, [](uint8_t v) { return num(v); }); }},
      {"dhcp.option.requested_ip_address", Shape::kFirst, kApplication,
       [](F f) { return f.dhcp.hasRequestedIp ? f.dhcp.requestedIp.toString() : ""; }},
      {"dhcp.option.dhcp_server_id", Shape::kFirst, kApplication,
       [](F f) { return f.dhcp.hasServerId ? f.dhcp.serverId.toString() : ""; }},
      {"dhcpv6.msgtype", Shape::kLastNumber, kApplication,
       [](F f) { return f.has(Layer::kDhcpv6) ? num(f.dhcpv6.messageType) : ""; }},
      {"dhcpv6.vendorclass.enterprise", Shape::kFirstNumber, kApplication,
       [](F f) { return f.dhcpv6.hasVendorClass ? num(f.dhcpv6.vendorClassEnterprise) : ""; }},
      {"dhcpv6.vendorclass.data", Shape::kText, kApplication,
       [](F f) { return f.dhcpv6.hasVendorClass ? escapeText(f.dhcpv6.vendorClass) : ""; }},
      {"dhcpv6.requested_option_code", Shape::kNumberList, kApplication,
       [](F f) {
         return joinList(f.dhcpv6.requestedOptionCount, f.dhcpv6.requestedOptions, [](uint16_t v) { return num(v); });
       }},
      {"dhcpv6.client_domain", Shape::kFirst, kApplication,
       [](F f) { return f.dhcpv6.hasFqdn ? escapeText(f.dhcpv6.fqdn.view()) : ""; }},
      {"lldp.chassis.id.mac", Shape::kFirst, kApplication,
       [](F f) {
         if (!f.has(Layer::kLldp) || f.lldp.chassisIdSubtype != 4 || f.lldp.chassisId.size() != 6) return std::string();
         MacAddress m;
         std::copy(f.lldp.chassisId.begin(), f.lldp.chassisId.end(), m.bytes.begin());
         return m.toString();
       }},
      {"lldp.time_to_live", Shape::kFirstNumber, kApplication, [](F f) { return f.lldp.hasTtl ? num(f.lldp.ttl) : ""; }},
      {"lldp.tlv.system.name", Shape::kText, kApplication, [](F f) { return escapeText(f.lldp.systemName); }},
      {"lldp.tlv.system_cap", Shape::kFirstNumber, kApplication,
       [](F f) { return f.lldp.hasCapabilities ? num(f.lldp.capabilities) : ""; }},
      {"lldp.ieee.802_1.port_vlan.id", Shape::kFirstNumber, kApplication,
       [](F f) { return f.lldp.hasPortVlanId ? num(f.lldp.portVlanId) : ""; }},
      {"lldp.media.subtype.caps", Shape::kFirstNumber, kApplication,
       [](F f) { return f.lldp.hasMed && f.lldp.medDeviceType != 0 ? num(f.lldp.medCapabilities) : ""; }},
      {"lldp.media.subtype.class", Shape::kFirstNumber, kApplication,
       [](F f) { return f.lldp.hasMed && f.lldp.medDeviceType != 0 ? num(f.lldp.medDeviceType) : ""; }},
      {"lldp.media.app_type", Shape::kNumberList, kApplication,
       [](F f) {
         return joinList(f.lldp.policyCount, f.lldp.policies,
                         [](const LldpNetworkPolicy& p) { return num(p.applicationType); });
       }},
      {"lldp.media.vlan_id", Shape::kNumberList, kApplication,
       [](F f) {
         return joinList(f.lldp.policyCount, f.lldp.policies, [](const LldpNetworkPolicy& p) { return num(p.vlanId); });
       }},
      {"lldp.media.l2_prio", Shape::kNumberList, kApplication,
       [](F f) {
         return joinList(f.lldp.policyCount, f.lldp.policies, [](const LldpNetworkPolicy& p) { return num(p.priority); });
       }},
      {"lldp.media.dscp", Shape::kNumberList, kApplication,
       [](F f) {
         return joinList(f.lldp.policyCount, f.lldp.policies, [](const LldpNetworkPolicy& p) { return num(p.dscp); });
       }},
      {"lldp.media.model", Shape::kText, kApplication, [](F f) { return escapeText(f.lldp.modelName); }},
      {"lldp.media.manufacturer", Shape::kText, kApplication, [](F f) { return escapeText(f.lldp.manufacturer); }},
      {"lldp.media.software", Shape::kText, kApplication, [](F f) { return escapeText(f.lldp.softwareRevision); }},
      {"cdp.deviceid", Shape::kText, kApplication, [](F f) { return escapeText(f.cdp.deviceId); }},
      {"cdp.platform", Shape::kText, kApplication, [](F f) { return escapeText(f.cdp.platform); }},
      {"cdp.portid", Shape::kText, kApplication, [](F f) { return escapeText(f.cdp.portId); }},
      {"cdp.capabilities", Shape::kFirstNumber, kApplication,
       [](F f) { return f.cdp.hasCapabilities ? num(f.cdp.capabilities) : ""; }},
      {"cdp.native_vlan", Shape::kFirstNumber, kApplication,
       [](F f) { return f.cdp.hasNativeVlan ? num(f.cdp.nativeVlan) : ""; }},
      {"cdp.voice_vlan", Shape::kFirstNumber, kApplication,
       [](F f) {
         return f.cdp.hasVoiceVlan ? num(f.cdp.voiceVlan) : f.cdp.hasVoiceVlanQuery ? num(f.cdp.voiceVlanQuery) : "";
       }},
      {"eapol.type", Shape::kFirstNumber, kApplication,
       [](F f) { return f.has(Layer::kEapol) ? num(f.eapol.type) : ""; }},
      {"eap.code", Shape::kFirstNumber, kApplication, [](F f) { return f.eapol.hasEap ? num(f.eapol.eapCode) : ""; }},
      // tshark also reads identities out of EAP-SIM/AKA attributes; we take the
      // EAP-Response/Identity (type 1) only, so compare identity frames only.
      {"eap.identity", Shape::kText, kApplication, [](F f) { return escapeText(f.eapol.identity); }, "eap.type=1"},
      {"sip.Method", Shape::kFirst, kApplication, [](F f) { return escapeText(f.sip.method); }},
      {"sip.Status-Code", Shape::kFirstNumber, kApplication,
       [](F f) { return f.has(Layer::kSip) && !f.sip.isRequest ? num(f.sip.statusCode) : ""; }},
      {"sip.User-Agent", Shape::kFirst, kApplication, [](F f) { return escapeText(f.sip.userAgent); }},
      {"sip.Server", Shape::kFirst, kApplication, [](F f) { return escapeText(f.sip.server); }},
      {"dns.qry.name", Shape::kText, kApplication,
       [](F f) {
         if (!f.has(Layer::kMdns)) return std::string();
         return joinList(f.mdns.queries.count, f.mdns.queries.items, [&f](DnsNameRef r) {
           return r.length == 0 ? std::string("<Root>") : escapeText(f.mdns.name(r));
         });
       },
       "mdns"},
      {"dns.ptr.domain_name", Shape::kText, kApplication,
       [](F f) {
         if (!f.has(Layer::kMdns)) return std::string();
         return joinList(f.mdns.ptrTargets.count, f.mdns.ptrTargets.items, [&f](DnsNameRef r) {
           return r.length == 0 ? std::string("<Root>") : escapeText(f.mdns.name(r));
         });
       },
       "mdns"},
      // SSDP is HTTP over UDP to tshark; only SSDP frames are ours.
      {"http.server", Shape::kFirst, kApplication, [](F f) { return escapeText(f.ssdp.server); }, "ssdp"},
  };
}

// ---- allow-list: differences that are tshark's, not ours ---------------------

struct Allowed {
  const char* capture;  // path under ../shared/pcaps, or "*" for every capture
  const char* field;
  uint32_t frame;  // 0: every frame
  const char* reason;
};

const std::vector<Allowed>& allowed() {
  static const std::vector<Allowed> kAllowed = {
      // A header cut off inside its fixed part: tshark shows the fields that
      // happen to fit, we keep nothing of an incomplete fixed header and flag
      // decode.ipv4.truncated / decode.ipv6.truncated (a half address is not
      // an address a policy can match).
      {"tcpdump/ipv4_invalid_length.pcap", "ip.src", 1, "IPv4 header cut at 19 bytes: tshark shows partial fields"},
      {"tcpdump/ipv4_invalid_length.pcap", "ip.proto", 1, "IPv4 header cut at 19 bytes: tshark shows partial fields"},
      {"tcpdump/ipv6_invalid_length.pcap", "ipv6.src", 1, "IPv6 header cut before 40 bytes: tshark shows partial fields"},
      // Total length (19) below the header length: tshark drops the whole
      // header from its output; we keep the addresses (they are intact) and
      // flag decode.ipv4.bad_total_length.
      {"tcpdump/ipv4_invalid_total_length_2.pcap", "ip.src", 1, "bogus IPv4 total length: tshark hides the header"},
      {"tcpdump/ipv4_invalid_total_length_2.pcap", "ip.dst", 1, "bogus IPv4 total length: tshark hides the header"},
      {"tcpdump/ipv4_invalid_total_length_2.pcap", "ip.proto", 1, "bogus IPv4 total length: tshark hides the header"},
      // The LLDP-MED location TLV's civic address is malformed inside a TLV
      // whose own length is fine. tshark's dissector throws on it and drops
      // every TLV after it; the TLVs that follow are well formed and we read them.
      {"more/lldp-med/lldpd__med-loc-malformed.pcap", "lldp.tlv.system.name", 1,
       "tshark aborts the LLDPDU at a malformed MED location TLV"},
      {"more/lldp-med/lldpd__med-loc-malformed.pcap", "lldp.tlv.system_cap", 1,
       "tshark aborts the LLDPDU at a malformed MED location TLV"},
      {"more/lldp-med/lldpd__med-loc-malformed.pcap", "lldp.media.subtype.caps", 1,
       "tshark aborts the LLDPDU at a malformed MED location TLV"},
      {"more/lldp-med/lldpd__med-loc-malformed.pcap", "lldp.media.subtype.class", 1,
       "tshark aborts the LLDPDU at a malformed MED location TLV"},
  };
  return kAllowed;
}

// The deepest level compared for a frame, from tshark's protocol stack:
//  - inside encapsulations we do not parse (MPLS, GRE/ERSPAN, PPPoE, VN-tag,
//    Arista, pseudowires, tunnels, sFlow samples) tshark finds more headers
//    (VLAN tags, addresses) than exist at the outer level: compare the outer
//    Ethernet addresses only;
//  - an ICMP error quotes the offending packet, whose transport ports tshark
//    reports as udp.srcport etc.: compare up to ICMP, not ports.
Level scopeOf(const std::string& protocols) {
  static const char* kForeign[] = {"mpls",     "gre",        "erspan", "pppoes",    "ppp",
                                   "vntag",    "avsp",       "pweth",  "vxlan",     "etherip",
                                   "ipv6:ip:", "ip:ipv6",    "ip:ip:", "ipv6:ipv6", "capwap",
                                   "loop",     "cisco-wids", "wlan",   "sflow",     "eth:ethertype:eth"};
  for (const char* f : kForeign) {
    if (protocols.find(f) != std::string::npos) return kLink;
  }
  if (protocols.find("icmp:ip") != std::string::npos || protocols.find("icmpv6:ipv6") != std::string::npos) {
    return kTransport;
  }
  return kApplication;
}

// ---- running tshark ------------------------------------------------------------

struct TsharkFrame {
  std::map<std::string, std::string> values;  // field -> raw value
};

std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  return out + "'";
}

std::vector<std::string> tsharkFieldNames() {
  std::vector<std::string> names = {"frame.number", "frame.protocols", "eap.type"};
  for (const Field& f : fields()) {
    std::stringstream in(f.name);
    std::string part;
    while (std::getline(in, part, '|')) names.push_back(part);
  }
  return names;
}

// Returns false (and the reason) when tshark failed to run at all.
bool runTshark(const std::string& path, std::map<uint32_t, TsharkFrame>& out, std::string& error) {
  const std::vector<std::string> names = tsharkFieldNames();
  std::string cmd = "tshark -n -r " + shellQuote(path) + " -c " + std::to_string(kMaxFramesPerCapture) +
                    " -o tcp.desegment_tcp_streams:FALSE -o ip.defragment:FALSE -o ipv6.defragment:FALSE"
                    " -T fields -E occurrence=a -E aggregator=, -E separator=/t";
  for (const std::string& n : names) cmd += " -e " + n;
  cmd += " 2>/dev/null";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    error = "popen failed";
    return false;
  }
  std::string line;
  char buf[65536];
  std::string pending;
  while (fgets(buf, sizeof buf, pipe) != nullptr) {
    pending += buf;
    if (pending.empty() || pending.back() != '\n') continue;
    pending.pop_back();
    std::vector<std::string> cols;
    size_t start = 0;
    for (;;) {
      size_t tab = pending.find('\t', start);
      cols.push_back(pending.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    pending.clear();
    if (cols.size() != names.size()) continue;
    TsharkFrame frame;
    for (size_t i = 1; i < names.size(); ++i) frame.values[names[i]] = cols[i];
    out[static_cast<uint32_t>(std::strtoul(cols[0].c_str(), nullptr, 10))] = std::move(frame);
  }
  int status = pclose(pipe);
  if (out.empty() && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
    error = "tshark exited with status " + std::to_string(WEXITSTATUS(status));
    // A capture tshark cannot read at all is reported by the caller.
  }
  return true;
}

// ---- comparing ----------------------------------------------------------------

struct Mismatch {
  std::string capture;
  uint32_t frame;
  std::string field;
  std::string tshark;
  std::string ours;
};

struct CaptureResult {
  std::string capture;
  std::string skipped;  // non-empty: why the capture was not compared
  size_t frames = 0;
  size_t comparisons = 0;
  size_t foreignFrames = 0;
  std::vector<Mismatch> mismatches;
  std::vector<std::string> allowedHits;
  std::map<std::string, size_t> perField;  // comparisons made, by field
};

std::string tsharkValue(const Field& field, const TsharkFrame& t) {
  std::string raw;
  std::stringstream in(field.name);
  std::string part;
  while (std::getline(in, part, '|')) {
    auto it = t.values.find(part);
    if (it == t.values.end() || it->second.empty()) continue;
    if (!raw.empty()) raw += ',';
    raw += it->second;
  }
  switch (field.shape) {
    case Shape::kText: return raw;
    case Shape::kNumber: return normaliseNumbers(raw);
    case Shape::kFirst: return firstItem(raw);
    case Shape::kFirstNumber: return normaliseNumbers(firstItem(raw));
    case Shape::kLastNumber: return normaliseNumbers(lastItem(raw));
    case Shape::kNumberList: return normaliseNumbers(raw);
  }
  return raw;
}

bool gateOpen(const Field& field, const TsharkFrame& t) {
  if (field.gate == nullptr) return true;
  std::string condition = field.gate;
  size_t eq = condition.find('=');
  if (eq == std::string::npos) return t.values.at("frame.protocols").find(condition) != std::string::npos;
  auto it = t.values.find(condition.substr(0, eq));
  return it != t.values.end() && normaliseNumbers(firstItem(it->second)) == condition.substr(eq + 1);
}

const Allowed* findAllowed(const std::string& capture, const std::string& field, uint32_t frame) {
  for (const Allowed& a : allowed()) {
    if ((std::string(a.capture) == "*" || capture == a.capture) && field == a.field &&
        (a.frame == 0 || a.frame == frame)) {
      return &a;
    }
  }
  return nullptr;
}

CaptureResult compareCapture(const std::string& relative) {
  CaptureResult result;
  result.capture = relative;
  const std::string path = std::string(kPcapDir) + "/" + relative;
  auto source = io::CaptureFileSource::open(path);
  if (!source.ok()) {
    result.skipped = "libpcap cannot open it: " + source.error().message;
    return result;
  }
  if (source.value()->linkType() != io::kLinkTypeEthernet) {
    result.skipped = "link type " + std::to_string(source.value()->linkType()) + " is not Ethernet";
    return result;
  }
  std::map<uint32_t, TsharkFrame> tshark;
  std::string error;
  runTshark(path, tshark, error);
  if (tshark.empty()) {
    result.skipped = "tshark produced no frames" + (error.empty() ? "" : " (" + error + ")");
    return result;
  }
  const std::vector<Field> all = fields();
  ParsedFrame parsed;
  io::Frame frame;
  for (uint32_t number = 1; number <= kMaxFramesPerCapture; ++number) {
    if (source.value()->next(frame) != io::ReadStatus::kFrame) break;
    auto t = tshark.find(number);
    if (t == tshark.end()) continue;
    parseFrame(frame.bytes, parsed, frame.wireLength);
    ++result.frames;
    const std::string& protocols = t->second.values["frame.protocols"];
    Level scope = scopeOf(protocols);
    // We parse no application inside IP fragments (no reassembly); tshark,
    // with reassembly off, decodes what fits in a first fragment.
    if (parsed.ip.fragmented && scope > kPorts) scope = kPorts;
    if (scope == kLink) ++result.foreignFrames;
    for (const Field& field : all) {
      if (field.level > scope) continue;
      if (!gateOpen(field, t->second)) continue;
      std::string theirs = tsharkValue(field, t->second);
      std::string ours = field.ours(parsed);
      if (theirs.empty() && ours.empty()) continue;
      ++result.comparisons;
      ++result.perField[field.name];
      if (theirs == ours) continue;
      if (const Allowed* a = findAllowed(relative, field.name, number)) {
        result.allowedHits.push_back(std::string(field.name) + ": " + a->reason);
        continue;
      }
      result.mismatches.push_back({relative, number, field.name, theirs, ours});
    }
  }
  return result;
}

std::vector<std::string> manifestCaptures() {
  std::vector<std::string> captures;
  std::ifstream in(std::string(kPcapDir) + "/MANIFEST.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::string file = line.substr(0, line.find('\t'));
    if (file.ends_with(".pcap") || file.ends_with(".pcapng") || file.ends_with(".cap")) captures.push_back(file);
  }
  return captures;
}

bool tsharkAvailable() { return std::system("tshark --version >/dev/null 2>&1") == 0; }

TEST(TsharkOracle, EveryCaptureFrameByFrame) {
  if (!fs::exists(std::string(kPcapDir) + "/MANIFEST.tsv")) {
    if (inCi()) FAIL() << kPcapDir << "/MANIFEST.tsv is missing and CI=true";
    GTEST_SKIP() << kPcapDir << " is absent: the shared captures are not mounted";
  }
  if (!tsharkAvailable()) {
    if (inCi()) FAIL() << "tshark is not installed and CI=true: the oracle test must run in CI";
    GTEST_SKIP() << "tshark is not installed (apt-get install tshark); the oracle test did not run";
  }
  const std::vector<std::string> captures = manifestCaptures();
  ASSERT_FALSE(captures.empty());

  std::vector<CaptureResult> results(captures.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kParallelTshark; ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < captures.size(); i = next++) results[i] = compareCapture(captures[i]);
    });
  }
  for (std::thread& t : workers) t.join();

  size_t frames = 0, comparisons = 0, foreign = 0, skipped = 0, allowedCount = 0, mismatches = 0;
  std::map<std::string, size_t> allowedReasons;
  std::map<std::string, size_t> perField;
  for (const CaptureResult& r : results) {
    for (const auto& [name, count] : r.perField) perField[name] += count;
    frames += r.frames;
    comparisons += r.comparisons;
    foreign += r.foreignFrames;
    if (!r.skipped.empty()) {
      ++skipped;
      std::printf("[oracle] not compared: %s: %s\n", r.capture.c_str(), r.skipped.c_str());
    }
    allowedCount += r.allowedHits.size();
    for (const std::string& h : r.allowedHits) ++allowedReasons[h];
    for (const Mismatch& m : r.mismatches) {
      ++mismatches;
      ADD_FAILURE() << m.capture << " frame " << m.frame << " " << m.field << ": tshark \"" << m.tshark << "\" ours \""
                    << m.ours << "\"";
    }
  }
  std::string coverage;
  for (const auto& [name, count] : perField) coverage += " " + name + "=" + std::to_string(count);
  std::printf("[oracle] comparisons per field:%s\n", coverage.c_str());
  for (const auto& [reason, count] : allowedReasons) std::printf("[oracle] allowed x%zu: %s\n", count, reason.c_str());
  std::printf(
      "[oracle] %zu captures, %zu not compared, %zu frames, %zu field comparisons, %zu frames with "
      "foreign encapsulation (outer fields only), %zu allowed differences, %zu mismatches\n",
      captures.size(), skipped, frames, comparisons, foreign, allowedCount, mismatches);
}

}  // namespace
}  // namespace portvakt::packet
