#include "dataplane/fingerprint/evidence.h"

#include <algorithm>
#include <sstream>

#include "dataplane/fingerprint/device_classifier.h"
#include "dataplane/fingerprint/glob.h"
#include "dataplane/packet/frame.h"

namespace portvakt::fingerprint {
namespace {

constexpr std::string_view kLocalSuffix = ".local";

std::string_view stripLocal(std::string_view s) {
  if (s.size() > kLocalSuffix.size() && equalsIgnoreCase(s.substr(s.size() - kLocalSuffix.size()), kLocalSuffix))
    s.remove_suffix(kLocalSuffix.size());
  return s;
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

struct CapabilityName {
  std::string_view name;
  CapabilityBit bit;
};
// IEEE 802.1AB-2016 8.5.8.1 (system capabilities) and TIA-1057 10.2.2.1
// (LLDP-MED capabilities); the names are the policy's (policy/compiler/names.cc).
constexpr CapabilityName kCapabilityNames[] = {
    {"other", {false, 0x01}},
    {"repeater", {false, 0x02}},
    {"bridge", {false, 0x04}},
    {"wlan-ap", {false, 0x08}},
    {"router", {false, 0x10}},
    {"telephone", {false, 0x20}},
    {"docsis", {false, 0x40}},
    {"station", {false, 0x80}},
    {"med-capabilities", {true, 0x01}},
    {"network-policy", {true, 0x02}},
    {"location", {true, 0x04}},
    {"extended-power-pse", {true, 0x08}},
    {"extended-power-pd", {true, 0x10}},
    {"inventory", {true, 0x20}},
};

void mark(DeviceEvidence& e, EvidenceUpdate& u, Trait t, bool changed, int64_t nowNs) {
  e.present |= traitBit(t);
  e.lastSeenNs[static_cast<size_t>(t)] = nowNs;
  u.seen |= traitBit(t);
  if (changed) u.changed |= traitBit(t);
}

// A stored field that only changes when the new value differs.
template <class T>
bool setIfDifferent(T& field, const T& value) {
  if (field == value) return false;
  field = value;
  return true;
}

void quoted(std::ostringstream& o, std::string_view s, bool truncated) {
  o << '"';
  for (char c : s) {
    if (c == '"' || c == '\\') o << '\\' << c;
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) o << '?';
    else o << c;
  }
  if (truncated) o << "...";
  o << '"';
}

}  // namespace

const char* toString(Trait t) {
  switch (t) {
    case Trait::kDhcpVendorClass: return "dhcp.vendor_class";
    case Trait::kDhcpParameterList: return "dhcp.parameter_list";
    case Trait::kDhcpHostname: return "dhcp.hostname";
    case Trait::kLldpCapabilities: return "lldp.capabilities";
    case Trait::kLldpMedCapabilities: return "lldp_med.capabilities";
    case Trait::kLldpNetworkPolicy: return "lldp_med.network_policy";
    case Trait::kCdpPlatform: return "cdp.platform";
    case Trait::kSipUserAgent: return "sip.user_agent";
    case Trait::kMdnsServices: return "mdns.services";
    case Trait::kSsdpServer: return "ssdp.server";
    case Trait::kDhcpv6VendorClass: return "dhcpv6.vendor_class";
    case Trait::kDhcpv6OptionRequest: return "dhcpv6.option_request";
    case Trait::kCdpCapabilities: return "cdp.capabilities";
  }
  return "?";
}

static_assert(tables::kMaxDhcpv6OptionRequest == packet::kMaxDhcpv6RequestedOptions,
              "the policy's longest option request list is what the parser keeps");

bool OptionRequestList::assign(std::span<const uint16_t> codes) {
  if (codes.size() > codes_.size()) codes = codes.first(codes_.size());
  if (codes.size() == size_ && std::equal(codes.begin(), codes.end(), codes_.begin())) return false;
  std::copy(codes.begin(), codes.end(), codes_.begin());
  size_ = static_cast<uint8_t>(codes.size());
  return true;
}

bool OptionRequestList::equals(std::span<const uint16_t> other) const {
  return other.size() == size_ && std::equal(other.begin(), other.end(), codes_.begin());
}

std::string OptionRequestList::toString() const {
  std::string s;
  for (size_t i = 0; i < size_; ++i) {
    if (i) s += ',';
    s += std::to_string(codes_[i]);
  }
  return s;
}

bool ParameterList::assign(std::span<const uint8_t> codes) {
  const bool cut = codes.size() > kMaxParameterList;
  if (cut) codes = codes.first(kMaxParameterList);
  if (codes.size() == size_ && cut == truncated_ && (size_ == 0 || std::memcmp(codes_.data(), codes.data(), size_) == 0))
    return false;
  if (!codes.empty()) std::memcpy(codes_.data(), codes.data(), codes.size());
  size_ = static_cast<uint8_t>(codes.size());
  truncated_ = cut;
  return true;
}

bool ParameterList::equals(std::span<const uint8_t> other) const {
  if (truncated_ || other.size() != size_) return false;
  return size_ == 0 || std::memcmp(codes_.data(), other.data(), size_) == 0;
}

std::string ParameterList::toString() const {
  std::string s;
  for (size_t i = 0; i < size_; ++i) {
    if (i) s += ',';
    s += std::to_string(codes_[i]);
  }
  if (truncated_) s += ",...";
  return s;
}

bool DeviceEvidence::hasMdnsService(std::string_view service) const {
  service = stripLocal(service);
  for (size_t i = 0; i < mdnsServiceCount; ++i) {
    if (equalsIgnoreCase(mdnsServices[i].view(), service)) return true;
  }
  return false;
}

namespace {
bool isWanted(std::string_view service, std::span<const std::string> wanted) {
  for (const std::string& w : wanted) {
    if (equalsIgnoreCase(stripLocal(w), service)) return true;
  }
  return false;
}
}  // namespace

bool DeviceEvidence::addMdnsService(std::string_view service, int64_t nowNs, std::span<const std::string> wanted) {
  present |= traitBit(Trait::kMdnsServices);
  lastSeenNs[static_cast<size_t>(Trait::kMdnsServices)] = nowNs;
  service = stripLocal(service);
  if (service.empty() || hasMdnsService(service)) return false;
  if (mdnsServiceCount == kMaxMdnsServices) {
    if (mdnsServicesDropped < 255) ++mdnsServicesDropped;
    if (!isWanted(service, wanted)) return false;
    // Full: a wanted type replaces the last stored one nobody matches.
    for (size_t i = mdnsServiceCount; i-- > 0;) {
      if (!isWanted(mdnsServices[i].view(), wanted)) {
        (void)mdnsServices[i].assign(service);
        return true;
      }
    }
    return false;  // every stored type is wanted
  }
  (void)mdnsServices[mdnsServiceCount++].assign(service);
  return true;
}

std::vector<std::string> mdnsServicesOf(const tables::CompiledPolicy& policy) {
  std::vector<std::string> out;
  for (const tables::DeviceClass& c : policy.classes) {
    for (const std::string& s : c.mdnsServices) {
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  }
  return out;
}

std::string DeviceEvidence::describe() const {
  std::ostringstream o;
  o << "mac=" << mac.toString();
  if (isLocallyAdministered(mac)) o << " (locally administered)";
  if (has(Trait::kDhcpVendorClass)) {
    o << " dhcp.vendor_class=";
    quoted(o, dhcpVendorClass.view(), dhcpVendorClass.truncated());
  }
  if (has(Trait::kDhcpParameterList)) o << " dhcp.parameter_list=" << dhcpParameterList.toString();
  if (has(Trait::kDhcpHostname)) {
    o << " dhcp.hostname=";
    quoted(o, dhcpHostname.view(), dhcpHostname.truncated());
  }
  if (has(Trait::kLldpCapabilities) || has(Trait::kLldpMedCapabilities)) {
    o << " lldp.capabilities=";
    bool first = true;
    for (const CapabilityName& c : kCapabilityNames) {
      const uint16_t bits = c.bit.med ? lldpMedCapabilities : lldpCapabilities;
      if (bits & c.bit.bit) {
        o << (first ? "" : ",") << c.name;
        first = false;
      }
    }
    if (first) o << "-";
  }
  if (has(Trait::kLldpNetworkPolicy)) {
    o << " lldp_med.applications=";
    bool first = true;
    for (uint8_t app = 1; app < 16; ++app) {
      if (lldpApplications & (1u << app)) {
        o << (first ? "" : ",") << medApplicationName(app);
        first = false;
      }
    }
    if (lldpVoiceVlan) o << " lldp_med.voice_vlan=" << *lldpVoiceVlan;
  }
  if (has(Trait::kCdpPlatform)) {
    o << " cdp.platform=";
    quoted(o, cdpPlatform.view(), cdpPlatform.truncated());
  }
  if (has(Trait::kCdpCapabilities)) o << " cdp.capabilities=" << tables::cdpCapabilitiesToString(cdpCapabilities);
  if (has(Trait::kSipUserAgent)) {
    o << " sip.user_agent=";
    quoted(o, sipUserAgent.view(), sipUserAgent.truncated());
  }
  if (mdnsServiceCount > 0) {
    o << " mdns.services=";
    for (size_t i = 0; i < mdnsServiceCount; ++i) o << (i ? "," : "") << mdnsServices[i].view();
    if (mdnsServicesDropped) o << ",+" << int{mdnsServicesDropped};
  }
  if (has(Trait::kSsdpServer)) {
    o << " ssdp.server=";
    quoted(o, ssdpServer.view(), ssdpServer.truncated());
  }
  if (has(Trait::kDhcpv6VendorClass)) {
    o << " dhcpv6.vendor_class=" << dhcpv6Enterprise << ':';
    quoted(o, dhcpv6VendorClass.view(), dhcpv6VendorClass.truncated());
  }
  if (has(Trait::kDhcpv6OptionRequest)) o << " dhcpv6.option_request=" << dhcpv6OptionRequest.toString();
  return o.str();
}

bool classesMatchHostnames(const tables::CompiledPolicy& policy) {
  return std::any_of(policy.classes.begin(), policy.classes.end(),
                     [](const tables::DeviceClass& c) { return !c.dhcpHostname.empty(); });
}

namespace {
// The host name is needed when a class matches host names or the MAC's
// inventory entry has one to check against.
bool hostnameWanted(const EvidenceOptions& options, const tables::MacAddress& mac) {
  if (!options.hostnamePolicy || options.classesMatchHostnames) return true;
  const tables::InventoryDevice* inv = findInventory(*options.hostnamePolicy, mac);
  return inv && !inv->hostname.empty();
}
}  // namespace

EvidenceUpdate updateEvidence(DeviceEvidence& e, const packet::ParsedFrame& frame, int64_t nowNs,
                              const EvidenceOptions& options) {
  using packet::Layer;
  EvidenceUpdate u;
  if (!carriesEvidence(frame.layers)) return u;
  if (frame.has(Layer::kDhcp)) {
    const packet::DhcpInfo& d = frame.dhcp;
    const auto type = static_cast<packet::DhcpMessageType>(d.messageType);
    // Client messages only: a server's offer says nothing about the client.
    const bool clientMessage = d.op == 1 && d.hasCookie &&
                               (type == packet::DhcpMessageType::kDiscover || type == packet::DhcpMessageType::kRequest ||
                                type == packet::DhcpMessageType::kInform);
    bool bootFirmware = false;
    for (const std::string& prefix : options.ignoredVendorClassPrefixes) {
      if (!prefix.empty() && startsWith(d.vendorClass, prefix)) bootFirmware = true;
    }
    if (clientMessage && !bootFirmware) {
      if (!d.vendorClass.empty())
        mark(e, u, Trait::kDhcpVendorClass, e.dhcpVendorClass.assign(packet::trimNul(d.vendorClass)), nowNs);
      if (!d.parameterList.empty())
        mark(e, u, Trait::kDhcpParameterList, e.dhcpParameterList.assign(d.parameterList), nowNs);
      if (!d.hostname.empty() && hostnameWanted(options, e.mac))
        mark(e, u, Trait::kDhcpHostname, e.dhcpHostname.assign(packet::trimNul(d.hostname)), nowNs);
    }
  }
  if (frame.has(Layer::kDhcpv6)) {
    const packet::Dhcpv6Info& d = frame.dhcpv6;
    // Client messages the client sent itself: SOLICIT, REQUEST, CONFIRM,
    // RENEW, REBIND, INFORMATION-REQUEST (RFC 8415, 7.3), not relayed.
    const uint8_t t = d.messageType;
    const bool clientMessage = d.relayDepth == 0 && (t == 1 || t == 3 || t == 4 || t == 5 || t == 6 || t == 11);
    // Boot firmware (a PXE client's DHCPv6 vendor class is "PXEClient:Arch:..."),
    // as for DHCPv4: neither its vendor class nor its option list is the OS's.
    bool bootFirmware = false;
    for (const std::string& prefix : options.ignoredVendorClassPrefixes) {
      if (!prefix.empty() && d.hasVendorClass && startsWith(d.vendorClass, prefix)) bootFirmware = true;
    }
    if (bootFirmware) {
      // not evidence
    } else if (clientMessage && d.hasVendorClass) {
      bool changed = setIfDifferent(e.dhcpv6Enterprise, d.vendorClassEnterprise);
      changed |= e.dhcpv6VendorClass.assign(packet::trimNul(d.vendorClass));
      mark(e, u, Trait::kDhcpv6VendorClass, changed, nowNs);
    }
    if (clientMessage && !bootFirmware && d.requestedOptionCount > 0) {
      mark(e, u, Trait::kDhcpv6OptionRequest,
           e.dhcpv6OptionRequest.assign(std::span<const uint16_t>(d.requestedOptions.data(), d.requestedOptionCount)),
           nowNs);
    }
  }
  if (frame.has(Layer::kLldp)) {
    const packet::LldpInfo& l = frame.lldp;
    if (l.hasCapabilities)
      mark(e, u, Trait::kLldpCapabilities, setIfDifferent(e.lldpCapabilities, l.capabilities), nowNs);
    if (l.hasMed) {
      bool changed = setIfDifferent(e.lldpMedCapabilities, l.medCapabilities);
      changed |= setIfDifferent(e.lldpMedDeviceType, l.medDeviceType);
      mark(e, u, Trait::kLldpMedCapabilities, changed, nowNs);
    }
    if (l.policyCount > 0) {
      uint16_t apps = 0;
      std::optional<uint16_t> voiceVlan;
      for (size_t i = 0; i < l.policyCount; ++i) {
        const packet::LldpNetworkPolicy& p = l.policies[i];
        if (p.applicationType > 0 && p.applicationType < 16) apps |= static_cast<uint16_t>(1u << p.applicationType);
        if (p.applicationType == static_cast<uint8_t>(packet::MedApplication::kVoice) && !p.unknown && !voiceVlan)
          voiceVlan = p.vlanId;
      }
      bool changed = setIfDifferent(e.lldpApplications, apps);
      changed |= setIfDifferent(e.lldpVoiceVlan, voiceVlan);
      mark(e, u, Trait::kLldpNetworkPolicy, changed, nowNs);
    }
  }
  if (frame.has(Layer::kCdp) && !frame.cdp.platform.empty())
    mark(e, u, Trait::kCdpPlatform, e.cdpPlatform.assign(packet::trimNul(frame.cdp.platform)), nowNs);
  if (frame.has(Layer::kCdp) && frame.cdp.hasCapabilities)
    mark(e, u, Trait::kCdpCapabilities, setIfDifferent(e.cdpCapabilities, frame.cdp.capabilities), nowNs);
  if (frame.has(Layer::kSip)) {
    std::string_view ua = !frame.sip.userAgent.empty() ? frame.sip.userAgent
                          : frame.sip.isRequest        ? std::string_view()
                                                       : frame.sip.server;
    if (!ua.empty()) mark(e, u, Trait::kSipUserAgent, e.sipUserAgent.assign(ua), nowNs);
  }
  if (frame.has(Layer::kMdns) && frame.mdns.isResponse && frame.mdns.services.count > 0) {
    bool changed = false;
    for (size_t i = 0; i < frame.mdns.services.count; ++i)
      changed |= e.addMdnsService(frame.mdns.at(frame.mdns.services, i), nowNs, options.wantedMdnsServices);
    mark(e, u, Trait::kMdnsServices, changed, nowNs);
  }
  if (frame.has(Layer::kSsdp)) {
    std::string_view server = !frame.ssdp.server.empty() ? frame.ssdp.server : frame.ssdp.userAgent;
    if (!server.empty()) mark(e, u, Trait::kSsdpServer, e.ssdpServer.assign(server), nowNs);
  }
  return u;
}

DeviceEvidence evidenceFromExpectedOutcome(const tables::ExpectedOutcome& t) {
  DeviceEvidence e;
  EvidenceUpdate ignored;
  if (t.mac) e.mac = *t.mac;
  if (!t.dhcpVendorClass.empty())
    mark(e, ignored, Trait::kDhcpVendorClass, e.dhcpVendorClass.assign(t.dhcpVendorClass), 0);
  if (!t.dhcpParameterList.empty())
    mark(e, ignored, Trait::kDhcpParameterList, e.dhcpParameterList.assign(t.dhcpParameterList), 0);
  if (!t.dhcpHostname.empty()) mark(e, ignored, Trait::kDhcpHostname, e.dhcpHostname.assign(t.dhcpHostname), 0);
  for (const std::string& name : t.lldpMedCapabilities) {
    if (auto bit = lldpCapabilityBit(name)) {
      if (bit->med) {
        e.lldpMedCapabilities |= bit->bit;
        mark(e, ignored, Trait::kLldpMedCapabilities, true, 0);
      } else {
        e.lldpCapabilities |= bit->bit;
        mark(e, ignored, Trait::kLldpCapabilities, true, 0);
      }
    }
  }
  if (t.lldpMedVoiceVlan) {
    e.lldpVoiceVlan = t.lldpMedVoiceVlan;
    e.lldpApplications |= static_cast<uint16_t>(1u << static_cast<unsigned>(packet::MedApplication::kVoice));
    mark(e, ignored, Trait::kLldpNetworkPolicy, true, 0);
  }
  if (!t.cdpPlatform.empty()) mark(e, ignored, Trait::kCdpPlatform, e.cdpPlatform.assign(t.cdpPlatform), 0);
  for (const std::string& name : t.cdpCapabilities) {
    if (auto bit = tables::cdpCapabilityBit(name)) {
      e.cdpCapabilities |= *bit;
      mark(e, ignored, Trait::kCdpCapabilities, true, 0);
    }
  }
  if (!t.sipUserAgent.empty()) mark(e, ignored, Trait::kSipUserAgent, e.sipUserAgent.assign(t.sipUserAgent), 0);
  for (const std::string& s : t.mdnsServices) (void)e.addMdnsService(s, 0);
  if (t.dhcpv6VendorClass) {
    e.dhcpv6Enterprise = t.dhcpv6VendorClass->enterprise;
    mark(e, ignored, Trait::kDhcpv6VendorClass, e.dhcpv6VendorClass.assign(t.dhcpv6VendorClass->pattern), 0);
  }
  if (!t.dhcpv6OptionRequest.empty())
    mark(e, ignored, Trait::kDhcpv6OptionRequest, e.dhcpv6OptionRequest.assign(t.dhcpv6OptionRequest), 0);
  return e;
}

std::optional<CapabilityBit> lldpCapabilityBit(std::string_view name) {
  for (const CapabilityName& c : kCapabilityNames) {
    if (c.name == name) return c.bit;
  }
  return std::nullopt;
}

const char* medApplicationName(uint8_t applicationType) {
  switch (applicationType) {
    case 1: return "voice";
    case 2: return "voice-signaling";
    case 3: return "guest-voice";
    case 4: return "guest-voice-signaling";
    case 5: return "softphone-voice";
    case 6: return "video-conferencing";
    case 7: return "streaming-video";
    case 8: return "video-signaling";
    default: return "reserved";
  }
}

}  // namespace portvakt::fingerprint
