#include "policy/tables/compiled_policy.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace portvakt::tables {

const char* toString(Mode m) { return m == Mode::kEnforce ? "enforce" : "monitor"; }

const char* toString(PortRole r) {
  switch (r) {
    case PortRole::kAccess: return "access";
    case PortRole::kUplink: return "uplink";
    case PortRole::kTrunk: return "trunk";
    case PortRole::kMonitor: return "monitor";
  }
  return "?";
}

const char* toString(Protocol p) {
  switch (p) {
    case Protocol::kAny: return "any";
    case Protocol::kTcp: return "tcp";
    case Protocol::kUdp: return "udp";
    case Protocol::kIcmp: return "icmp";
    case Protocol::kIcmpv6: return "icmpv6";
  }
  return "?";
}

const char* toString(Action a) { return a == Action::kAllow ? "allow" : "deny"; }

const char* toString(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "?";
}

const char* toString(Signal s) {
  switch (s) {
    case Signal::kInventory: return "inventory";
    case Signal::kDhcpVendorClass: return "dhcp.vendor_class";
    case Signal::kDhcpParameterList: return "dhcp.parameter_list";
    case Signal::kDhcpHostname: return "dhcp.hostname";
    case Signal::kLldpMedCapability: return "lldp_med.capabilities";
    case Signal::kLldpMedVoiceVlan: return "lldp_med.voice_vlan";
    case Signal::kCdpPlatform: return "cdp.platform";
    case Signal::kSipUserAgent: return "sip.user_agent";
    case Signal::kMdnsService: return "mdns.services";
    case Signal::kOui: return "oui";
    case Signal::kLldpMedApplication: return "lldp_med.applications";
    case Signal::kDhcpv6VendorClass: return "dhcpv6.vendor_class";
    case Signal::kDhcpv6OptionRequest: return "dhcpv6.option_request";
    case Signal::kCdpCapability: return "cdp.capabilities";
    case Signal::kDhcpFingerprint: return "dhcp.fingerprint";
    case Signal::kDot1x: return "dot1x";
  }
  return "?";
}

const char* toString(Authentication a) {
  switch (a) {
    case Authentication::kNone: return "none";
    case Authentication::kDot1x: return "dot1x";
    case Authentication::kDot1xOrProfile: return "dot1x-or-profile";
  }
  return "?";
}

bool needsAddress(Signal s) { return s == Signal::kSipUserAgent; }

std::optional<uint32_t> cdpCapabilityBit(std::string_view name) {
  for (const CdpCapabilityName& c : kCdpCapabilityNames) {
    if (name == c.name) return c.bit;
  }
  return std::nullopt;
}

std::string cdpCapabilitiesToString(uint32_t bits) {
  std::string s;
  for (const CdpCapabilityName& c : kCdpCapabilityNames) {
    if (bits & c.bit) s += (s.empty() ? "" : ",") + std::string(c.name);
  }
  return s.empty() ? "-" : s;
}

const DhcpFingerprint* CompiledPolicy::findDhcpFingerprint(const uint8_t* codes, size_t count) const {
  auto less = [](const DhcpFingerprint& f, std::pair<const uint8_t*, size_t> key) {
    return std::lexicographical_compare(f.codes.begin(), f.codes.end(), key.first, key.first + key.second);
  };
  auto it = std::lower_bound(dhcpFingerprints.begin(), dhcpFingerprints.end(), std::make_pair(codes, count), less);
  if (it == dhcpFingerprints.end() || it->codes.size() != count || !std::equal(it->codes.begin(), it->codes.end(), codes))
    return nullptr;
  return &*it;
}

const char* toString(LinkLocalService s) {
  switch (s) {
    case LinkLocalService::kArp: return "arp";
    case LinkLocalService::kDhcp: return "dhcp";
    case LinkLocalService::kDhcpv6: return "dhcpv6";
    case LinkLocalService::kNd: return "nd";
    case LinkLocalService::kMdns: return "mdns";
    case LinkLocalService::kIgmp: return "igmp";
    case LinkLocalService::kMld: return "mld";
  }
  return "?";
}

std::optional<LinkLocalService> linkLocalServiceFromName(std::string_view name) {
  for (int i = 0; i < kLinkLocalServiceCount; ++i) {
    auto s = static_cast<LinkLocalService>(i);
    if (name == toString(s)) return s;
  }
  return std::nullopt;
}

const char* toString(TrustedRole r) { return r == TrustedRole::kRa ? "ra" : "dhcp"; }

const char* toString(ZonePriority p) {
  return p == ZonePriority::kVoice ? "voice" : p == ZonePriority::kDscp ? "dscp" : "none";
}

std::optional<ZonePriority> zonePriorityFromName(std::string_view name) {
  for (ZonePriority p : {ZonePriority::kNone, ZonePriority::kVoice, ZonePriority::kDscp})
    if (name == toString(p)) return p;
  return std::nullopt;
}

std::optional<TrustedRole> trustedRoleFromName(std::string_view name) {
  for (int i = 0; i < kTrustedRoleCount; ++i) {
    auto r = static_cast<TrustedRole>(i);
    if (name == toString(r)) return r;
  }
  return std::nullopt;
}

bool Zone::allowsEtherType(uint16_t type) const { return std::binary_search(etherTypes.begin(), etherTypes.end(), type); }

const char* toString(RandomizedMacs r) { return r == RandomizedMacs::kClassify ? "classify" : "quarantine"; }

const char* toString(Sink::Kind k) {
  switch (k) {
    case Sink::Kind::kSyslog: return "syslog";
    case Sink::Kind::kJsonLines: return "jsonl";
    case Sink::Kind::kWebhook: return "webhook";
    case Sink::Kind::kFile: return "file";
  }
  return "?";
}

const char* formatName(const Sink& s) {
  if (s.format == SinkFormat::kCef) return "cef";
  return s.kind == Sink::Kind::kSyslog ? "rfc5424" : "ecs";
}

const char* toString(AlertField f) {
  switch (f) {
    case AlertField::kLiteral: return "";
    case AlertField::kId: return "id";
    case AlertField::kEvent: return "event";
    case AlertField::kSeverity: return "severity";
    case AlertField::kSite: return "site";
    case AlertField::kPort: return "port";
    case AlertField::kVlan: return "vlan";
    case AlertField::kDevice: return "device";
    case AlertField::kCount: return "count";
    case AlertField::kTime: return "time";
    case AlertField::kEnd: return "end";
    case AlertField::kSummary: return "summary";
    case AlertField::kMaintenanceWindow: return "maintenance_window";
    case AlertField::kHostname: return "hostname";
    case AlertField::kEvidence: return "evidence";
    case AlertField::kEvidenceItem: return "evidence";
  }
  return "?";
}

ZoneId CompiledPolicy::findZone(std::string_view zoneName) const {
  for (size_t i = 0; i < zones.size(); ++i) {
    if (zones[i].name == zoneName) return static_cast<ZoneId>(i);
  }
  return kNoZone;
}

namespace {
const std::string& nameOfZone(const std::vector<Zone>& zones, ZoneId id) {
  static const std::string kNone = "-";
  return id < zones.size() ? zones[id].name : kNone;
}
}  // namespace

const std::string& CompiledPolicy::zoneName(ZoneId id) const { return nameOfZone(zones, id); }

ZoneId CompiledPolicy::zoneContaining(bool v6, const uint8_t* address) const {
  for (size_t z = 0; z < zones.size(); ++z) {
    for (const Prefix& p : zones[z].prefixes) {
      if (p.containsAddress(v6, address)) return static_cast<ZoneId>(z);
    }
  }
  return kNoZone;
}

namespace {

// Quotes a free-text value so the dump stays one record per line.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

template <class T, class F>
std::string joined(const std::vector<T>& items, F&& format, const char* sep = ",") {
  if (items.empty()) return "-";
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += format(item);
  }
  return out;
}

std::string quotedList(const std::vector<std::string>& items) {
  return joined(items, [](const std::string& s) { return quoted(s); });
}

void bodyText(const BodyValue& v, std::string& out) {
  switch (v.kind) {
    case BodyValue::Kind::kNull: out += "null"; return;
    case BodyValue::Kind::kBool: out += v.boolean ? "true" : "false"; return;
    case BodyValue::Kind::kNumber: out += v.number; return;
    case BodyValue::Kind::kText: {
      // Literal text never holds "{{" (the compiler refuses it), so this is unambiguous.
      std::string t;
      for (const TemplatePiece& p : v.text) {
        if (p.field == AlertField::kLiteral) t += p.text;
        else if (p.field == AlertField::kEvidenceItem) t += "{{evidence." + p.text + "}}";
        else t += std::string("{{") + toString(p.field) + "}}";
      }
      out += quoted(t);
      return;
    }
    case BodyValue::Kind::kObject:
      out += "{";
      for (size_t i = 0; i < v.items.size() && i < v.keys.size(); ++i) {
        if (i) out += ",";
        out += quoted(v.keys[i]) + ":";
        bodyText(v.items[i], out);
      }
      out += "}";
      return;
    case BodyValue::Kind::kArray:
      out += "[";
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ",";
        bodyText(v.items[i], out);
      }
      out += "]";
      return;
    case BodyValue::Kind::kBySeverity: {
      static const char* kNames[] = {"info", "warning", "critical"};
      out += "by_severity{";
      for (size_t i = 0; i < v.items.size() && i < 3; ++i) {
        if (i) out += ",";
        out += std::string(kNames[i]) + ":";
        bodyText(v.items[i], out);
      }
      out += "}";
      return;
    }
  }
}

std::string minuteText(uint16_t m) {
  std::string hh = std::to_string(m / 60), mm = std::to_string(m % 60);
  return (hh.size() < 2 ? "0" + hh : hh) + ":" + (mm.size() < 2 ? "0" + mm : mm);
}

}  // namespace

std::string toString(const BodyValue& v) {
  std::string out;
  bodyText(v, out);
  return out;
}

std::string CompiledPolicy::dumpTables() const {
  std::ostringstream o;
  auto zone = [this](ZoneId id) { return zoneName(id); };
  auto prefixText = [](const Prefix& p) { return p.toString(); };
  o << "portvakt-compiled-policy " << formatVersion << "\n";
  o << "name " << quoted(name) << "\n";
  o << "mode " << toString(mode) << "\n";
  o << "randomized_macs " << toString(randomizedMacs) << "\n";
  if (macMobility != MacMobility{}) {  // only when set: older hashes stay
    o << "mac_mobility window_ns=" << macMobility.windowNs << " moves=" << macMobility.moves
      << " hold_ns=" << macMobility.holdNs << "\n";
  }
  for (const Zone& z : zones) {
    o << "zone " << z.name << " vlan=" << z.vlan << " quarantine=" << (z.quarantine ? "yes" : "no")
      << " isolated=" << (z.isolated ? "yes" : "no") << " prefixes=" << joined(z.prefixes, prefixText)
      << " purpose=" << quoted(z.purpose);
    if (!z.gateways.empty()) o << " gateways=" << joined(z.gateways, prefixText);      // only when set: older hashes stay
    if (z.priority != ZonePriority::kNone) o << " priority=" << toString(z.priority);  // likewise
    if (z.linkLocal != kDefaultLinkLocal) {                                            // likewise
      std::vector<LinkLocalService> services;
      for (int i = 0; i < kLinkLocalServiceCount; ++i) {
        if (z.linkLocal & linkLocalBit(static_cast<LinkLocalService>(i)))
          services.push_back(static_cast<LinkLocalService>(i));
      }
      o << " link_local="
        << (services.empty() ? std::string("none")
                             : joined(services, [](LinkLocalService s) { return std::string(toString(s)); }));
    }
    if (!z.etherTypes.empty() || z.llcFrames) {
      std::vector<std::string> types;
      for (uint16_t t : z.etherTypes) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%04x", t);
        types.emplace_back(hex);
      }
      if (z.llcFrames) types.emplace_back("llc");
      o << " ethertypes=" << joined(types, [](const std::string& t) { return t; });
    }
    o << "\n";
  }
  for (const Port& p : ports) {
    o << "port " << p.interface << " group=" << p.group << " role=" << toString(p.role)
      << " zones=" << joined(p.zones, zone) << " default=" << zone(p.defaultZone) << " mode=" << toString(p.mode)
      << (p.optional ? " optional=yes" : "");
    if (p.trust != 0) {  // only when set: older hashes stay
      std::vector<TrustedRole> roles;
      for (int i = 0; i < kTrustedRoleCount; ++i) {
        if (p.trust & trustBit(static_cast<TrustedRole>(i))) roles.push_back(static_cast<TrustedRole>(i));
      }
      o << " trust=" << joined(roles, [](TrustedRole r) { return std::string(toString(r)); });
    }
    if (p.authentication != Authentication::kNone) {  // only when set: older hashes stay
      o << " authentication=" << toString(p.authentication) << " reauth=" << p.reauthPeriodSeconds;
    }
    o << "\n";
  }
  for (const DeviceClass& c : classes) {
    o << "class " << c.name << " priority=" << c.priority << " zone=" << zone(c.zone)
      << " evidence=" << c.evidenceRequired << "/" << c.configuredSignals
      << " require=" << joined(c.required, [](Signal s) { return std::string(toString(s)); });
    // Only when set, so classes without them keep their hash.
    for (const auto& group : c.requiredAnyOf) {
      o << " require_one_of=" << joined(group, [](Signal s) { return std::string(toString(s)); });
    }
    o << "\n";
    if (c.inventory) o << "  match inventory\n";
    if (c.dot1x) o << "  match dot1x\n";
    if (!c.dhcpVendorClass.empty()) o << "  match dhcp.vendor_class " << quotedList(c.dhcpVendorClass) << "\n";
    for (const auto& list : c.dhcpParameterLists) {
      o << "  match dhcp.parameter_list " << joined(list, [](uint8_t v) { return std::to_string(v); }) << "\n";
    }
    if (!c.dhcpHostname.empty()) o << "  match dhcp.hostname " << quotedList(c.dhcpHostname) << "\n";
    if (!c.lldpMedCapabilities.empty())
      o << "  match lldp_med.capabilities " << quotedList(c.lldpMedCapabilities) << "\n";
    if (c.lldpMedVoiceVlan) o << "  match lldp_med.voice_vlan " << *c.lldpMedVoiceVlan << "\n";
    if (!c.lldpMedApplications.empty()) {
      o << "  match lldp_med.applications " << joined(c.lldpMedApplications, [](uint8_t v) { return std::to_string(v); })
        << "\n";
    }
    if (!c.cdpPlatform.empty()) o << "  match cdp.platform " << quotedList(c.cdpPlatform) << "\n";
    if (!c.sipUserAgent.empty()) o << "  match sip.user_agent " << quotedList(c.sipUserAgent) << "\n";
    if (!c.mdnsServices.empty()) o << "  match mdns.services " << quotedList(c.mdnsServices) << "\n";
    if (!c.ouis.empty()) o << "  match oui " << joined(c.ouis, ouiToString) << "\n";
    for (const DeviceClass::Dhcpv6VendorClass& v : c.dhcpv6VendorClass) {
      o << "  match dhcpv6.vendor_class " << v.enterprise << " " << quoted(v.pattern) << "\n";
    }
    for (const auto& list : c.dhcpv6OptionRequests) {
      o << "  match dhcpv6.option_request " << joined(list, [](uint16_t v) { return std::to_string(v); }) << "\n";
    }
    if (c.cdpCapabilities) o << "  match cdp.capabilities " << cdpCapabilitiesToString(c.cdpCapabilities) << "\n";
    if (!c.dhcpFingerprints.empty()) o << "  match dhcp.fingerprint " << quotedList(c.dhcpFingerprints) << "\n";
  }
  if (!dhcpFingerprints.empty() || !fingerprintSources.empty()) {
    // The data is long (a Fingerbank file holds ~2000 lists): its hash stands for it.
    std::string data;
    for (const DhcpFingerprint& f : dhcpFingerprints) {
      data += joined(f.codes, [](uint8_t v) { return std::to_string(v); }) + " " + quoted(f.description) + " " +
              quotedList(f.categories) + "\n";
    }
    o << "fingerprints " << quotedList(fingerprintSources) << " lists=" << dhcpFingerprints.size()
      << " sha256=" << sha256Hex(data) << "\n";
  }
  for (const InventoryDevice& d : inventory) {
    o << "inventory " << d.mac.toString() << " asset=" << quoted(d.assetId) << " hostname=" << quoted(d.hostname) << "\n";
  }
  for (size_t i = 0; i < flows.size(); ++i) {
    const FlowRule& f = flows[i];
    o << "flow " << i << " " << quoted(f.name) << " " << toString(f.action) << " from=" << zone(f.from)
      << " to_zone=" << zone(f.toZone) << " to=" << joined(f.toPrefixes, prefixText)
      << " except=" << joined(f.exceptPrefixes, prefixText) << " proto=" << toString(f.protocol)
      << " ports=" << f.ports.toString() << " mode=" << toString(f.mode) << "\n";
    // f.invariant is not written: the compiler sets it on exactly the rules it
    // makes from the `never` invariants, which are dumped below, so the hash
    // already stands for it, and versions recorded before the flag existed
    // still rebuild to their recorded hash.
  }
  o << "flow default deny\n";
  if (dot1x.enabled()) {  // only when set: older hashes stay
    o << "dot1x radius="
      << joined(dot1x.radiusServers,
                [](const Dot1xSettings::Server& s) {
                  return (s.address.find(':') != std::string::npos ? "[" + s.address + "]" : s.address) + ":" +
                         std::to_string(s.port);
                })
      << " nas_identifier=" << quoted(dot1x.nasIdentifier) << " unreachable_zone=" << zone(dot1x.unreachableZone)
      << " fingerprint_mismatch=" << (dot1x.quarantineFingerprintMismatch ? "quarantine" : "alert") << "\n";
  }
  for (const Invariant& inv : invariants) {
    if (inv.kind == Invariant::Kind::kNeverReaches) {
      o << "invariant " << inv.name << " never from=" << zone(inv.from) << " to_zone=" << zone(inv.toZone)
        << " to=" << joined(inv.toPrefixes, prefixText) << "\n";
    } else {
      o << "invariant " << inv.name << " only zone=" << zone(inv.zone)
        << " classes=" << joined(inv.classes, [](const std::string& s) { return s; }) << "\n";
    }
  }
  for (const Pin& p : pins) {
    o << "pin " << p.mac.toString() << " class=" << (p.deviceClass.empty() ? "-" : p.deviceClass)
      << " zone=" << zone(p.zone) << " reason=" << quoted(p.reason) << "\n";
  }
  return o.str();
}

std::string ControlSettings::dumpCanonical(const std::vector<Zone>& zones) const {
  std::ostringstream o;
  auto zone = [&zones](ZoneId id) { return nameOfZone(zones, id); };
  if (retention != Retention{})  // only when set
    o << "retention devices=" << retention.devices.count() << "s audit=" << retention.audit.count() << "s\n";
  for (const Sink& s : sinks) {
    o << "sink " << s.name << " kind=" << toString(s.kind) << " target=" << quoted(s.target)
      << " transport=" << (s.transport.empty() ? "-" : s.transport);
    // Written only when set, so policies without them keep their hash.
    if (s.format != SinkFormat::kNative) o << " format=" << formatName(s);
    if (s.body) o << " body=" << toString(*s.body);
    o << "\n";
  }
  for (const AlertRoute& a : alerts) {
    o << "alert " << toString(a.event) << " severity=" << toString(a.severity)
      << " sinks=" << joined(a.sinks, [](const std::string& s) { return s; }) << "\n";
  }
  static const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (const MaintenanceWindow& w : maintenance) {
    std::string days;
    for (int d = 0; d < 7; ++d) {
      if (!(w.weekdays & (1 << d))) continue;
      // Appended in two steps: GCC 12 at -O3 reports a false -Wrestrict for
      // `const char* + std::string` here (a packager's Release build).
      if (!days.empty()) days += ',';
      days += kDays[d];
    }
    o << "maintenance " << w.name << " days=" << days << " from=" << minuteText(w.startMinute)
      << " to=" << minuteText(w.endMinute) << " tz=" << w.timezone
      << " suppress=" << joined(w.suppress, [](EventType e) { return std::string(toString(e)); }) << "\n";
  }
  for (const ManagementRole& r : managementRoles) {
    o << "management_role " << r.attribute << "=" << quoted(r.value) << " role=" << r.role << "\n";
  }
  for (const ExpectedOutcome& t : tests) {
    if (t.kind == ExpectedOutcome::Kind::kDevice) {
      o << "test " << quoted(t.name) << " device mac=" << (t.mac ? t.mac->toString() : "-")
        << " vendor_class=" << quoted(t.dhcpVendorClass) << " hostname=" << quoted(t.dhcpHostname)
        << " params=" << joined(t.dhcpParameterList, [](uint8_t v) { return std::to_string(v); })
        << " lldp_med=" << quotedList(t.lldpMedCapabilities)
        << " voice_vlan=" << (t.lldpMedVoiceVlan ? std::to_string(*t.lldpMedVoiceVlan) : "-")
        << " cdp=" << quoted(t.cdpPlatform) << " sip=" << quoted(t.sipUserAgent)
        << " mdns=" << quotedList(t.mdnsServices);
      // Only when set, so tests without DHCPv6 keep their hash.
      if (t.dhcpv6VendorClass)
        o << " dhcpv6_vendor_class=" << t.dhcpv6VendorClass->enterprise << ":" << quoted(t.dhcpv6VendorClass->pattern);
      if (!t.dhcpv6OptionRequest.empty()) {
        o << " dhcpv6_option_request=" << joined(t.dhcpv6OptionRequest, [](uint16_t v) { return std::to_string(v); });
      }
      if (!t.cdpCapabilities.empty()) o << " cdp_capabilities=" << quotedList(t.cdpCapabilities);
      o << " expect_class=" << (t.expectClass.empty() ? "-" : t.expectClass) << " expect_zone=" << zone(t.expectZone)
        << "\n";
    } else {
      o << "test " << quoted(t.name) << " flow from=" << zone(t.from) << " to_zone=" << zone(t.toZone)
        << " to=" << (t.toAddress ? t.toAddress->toString() : "-") << " proto=" << toString(t.protocol)
        << " port=" << t.port << " expect=" << toString(t.expectAction) << "\n";
    }
  }
  return o.str();
}

std::string CompiledPolicy::dumpCanonical() const { return dumpTables() + control.dumpCanonical(zones); }

std::string sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

void CompiledPolicy::seal() {
  contentHash = "sha256:" + sha256Hex(dumpTables());
  control.settingsHash = "sha256:" + sha256Hex(control.dumpCanonical(zones));
}

}  // namespace portvakt::tables
