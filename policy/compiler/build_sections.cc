// Resolving each section of the composed policy: names to ids, text to values,
// with a diagnostic at the exact place of every bad value.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>
#include <tuple>

#include "policy/compiler/fingerprint_data.h"
#include "policy/compiler/inventory_csv.h"
#include "policy/compiler/names.h"
#include "policy/compiler/duration.h"
#include "policy/compiler/policy_builder.h"
#include "policy/compiler/source_file.h"
#include "policy/compiler/webhook_body.h"
#include "policy/compiler/yaml_walker.h"

namespace portvakt::policy {

using namespace tables;

namespace {

template <class T>
std::vector<std::string> keysOf(const std::map<std::string, T>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

std::string oneOf(std::initializer_list<std::string_view> words) {
  std::string out;
  for (std::string_view w : words) out += (out.empty() ? "" : ", ") + std::string(w);
  return out;
}

// `mac_mobility` of one file of the chain; `fromBase` holds what an earlier
// file set (a site may tighten it: a longer window, fewer moves, a longer hold).
void buildMacMobility(const MacMobilityDecl& d, Diagnostics& diags, MacMobility& out,
                      const std::optional<SourceLocation>& fromBase) {
  auto duration = [&](const std::optional<Text>& t, std::string_view key, int64_t lowNs, int64_t highNs,
                      std::string_view range, int64_t& field, bool baseWantsMore) {
    if (!t) return;
    const std::optional<int64_t> ns = parseDurationNs(t->value);
    if (!ns) {
      diags.error(t->at, "bad-value",
                  "mac_mobility " + std::string(key) + " '" + t->value +
                      "' is not a duration (a whole number and s, m, h or d: '90s', '5m')");
    } else if (*ns < lowNs || *ns > highNs) {
      diags.error(
          t->at, "bad-value",
          "mac_mobility " + std::string(key) + " '" + t->value + "' is out of range (" + std::string(range) + ")");
    } else if (fromBase && baseWantsMore && *ns < field) {
      diags
          .error(t->at, "base-override",
                 "mac_mobility " + std::string(key) + " '" + t->value +
                     "' is shorter than the base policy's; a site may not loosen it")
          .notes.push_back({*fromBase, "the base policy sets mac_mobility here"});
    } else {
      field = *ns;
    }
  };
  duration(d.window, "window", kNsPerSecondTables, 86400 * kNsPerSecondTables, "1s to 1d", out.windowNs, true);
  duration(d.hold, "hold", kNsPerSecondTables, 30 * 86400 * kNsPerSecondTables, "1s to 30d", out.holdNs, true);
  if (d.moves) {
    const long n = d.moves->value;
    if (n < 2 || n > static_cast<long>(kMaxMobilityMoves)) {
      diags.error(d.moves->at, "bad-value",
                  "mac_mobility moves " + std::to_string(n) + " is out of range (2 to " +
                      std::to_string(kMaxMobilityMoves) + "; one move is a replugged device, not flapping)");
    } else if (fromBase && static_cast<uint32_t>(n) > out.moves) {
      diags
          .error(d.moves->at, "base-override",
                 "mac_mobility moves " + std::to_string(n) + " is more than the base policy's; a site may not loosen it")
          .notes.push_back({*fromBase, "the base policy sets mac_mobility here"});
    } else {
      out.moves = static_cast<uint32_t>(n);
    }
  }
}

std::string oneOf(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// ASCII case-insensitive equality (fingerprint categories).
bool equalsFolded(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool PolicyBuilder::checkName(const Text& name, std::string_view kind) {
  if (isValidName(name.value)) return true;
  diags_.error(name.at, "bad-name",
               std::string(kind) + " name '" + name.value + "' must be lower-case letters, digits, '-' or '_'");
  return false;
}

void PolicyBuilder::undefined(const Text& name, std::string_view kind, const std::vector<std::string>& known) {
  std::string message = std::string(kind) + " '" + name.value + "' is not defined";
  // The first name within closestMatch's distance (it takes a fixed list).
  std::string hint;
  for (const std::string& k : known) {
    hint = closestMatch(name.value, {k});
    if (!hint.empty()) break;
  }
  if (!hint.empty()) message += "; did you mean '" + hint + "'?";
  diags_.error(name.at, "undefined-name", message);
}

void PolicyBuilder::duplicate(const Text& name, std::string_view kind, const SourceLocation& first, bool firstFromBase) {
  if (firstFromBase && first.file != name.at.file) {
    diags_
        .error(name.at, "base-override",
               std::string(kind) + " '" + name.value + "' is defined by the base policy; a site may add " +
                   std::string(kind) + "s but not redefine them")
        .notes.push_back({first, "the base defines it here"});
  } else {
    diags_.error(name.at, "duplicate-name", std::string(kind) + " '" + name.value + "' is defined twice")
        .notes.push_back({first, "first defined here"});
  }
}

ZoneId PolicyBuilder::zoneRef(const Text& name, std::string_view what) {
  ZoneId id = out_.findZone(name.value);
  if (id == kNoZone) undefined(name, std::string(what).empty() ? "zone" : what, keysOf(zoneAt_));
  return id;
}

void PolicyBuilder::buildHeader() {
  std::optional<SourceLocation> mobilityAt;  // where an earlier file of the chain set mac_mobility
  for (size_t i = 0; i < chain_.size(); ++i) {
    const PolicyFile& f = chain_[i];
    if (!f.schemaVersion) {
      diags_.error(f.top, "missing-key", "a policy file starts with 'portvakt: 1' (the schema version)");
    } else if (f.schemaVersion->value != 1) {
      diags_.error(f.schemaVersion->at, "schema-version",
                   "schema version " + std::to_string(f.schemaVersion->value) +
                       " is not supported; this portvakt reads version 1");
    }
    if (f.mode) {
      if (auto m = parseMode(f.mode->value)) out_.mode = *m;
      else diags_.error(f.mode->at, "bad-value", "mode must be enforce or monitor, not '" + f.mode->value + "'");
    }
    if (f.randomizedMacs) {
      const std::string& r = f.randomizedMacs->value;
      if (r != "classify" && r != "quarantine") {
        diags_.error(f.randomizedMacs->at, "bad-value",
                     "randomized_macs must be classify or quarantine, not '" + r + "'");
      } else if (r == "classify" && out_.randomizedMacs == RandomizedMacs::kQuarantine) {
        // A base that quarantines randomised MACs cannot be loosened by a site.
        diags_.error(f.randomizedMacs->at, "base-override",
                     "the base policy quarantines randomized MACs; a site may not switch that off");
      } else {
        out_.randomizedMacs = r == "quarantine" ? RandomizedMacs::kQuarantine : RandomizedMacs::kClassify;
      }
    }
    if (f.macMobility) {
      buildMacMobility(*f.macMobility, diags_, out_.macMobility, mobilityAt);
      mobilityAt = f.macMobility->at;
    }
    out_.sources.push_back(std::filesystem::path(f.display).filename().string());
  }
  const PolicyFile& site = chain_.back();
  if (!site.name) diags_.error(site.top, "missing-key", "the policy needs a 'name'");
  else out_.name = site.name->value;
}

void PolicyBuilder::buildZones() {
  std::map<long, SourceLocation> vlanAt;
  for (size_t fi = 0; fi < chain_.size(); ++fi) {
    for (const ZoneDecl& z : chain_[fi].zones) {
      if (!checkName(z.name, "zone")) {
        continue;
      }
      if (auto it = zoneAt_.find(z.name.value); it != zoneAt_.end()) {
        duplicate(z.name, "zone", it->second, it->second.file != chain_.back().display);
        continue;
      }
      Zone zone;
      zone.name = z.name.value;
      zone.purpose = z.purpose;
      zone.quarantine = z.quarantine;
      zone.isolated = z.isolated;
      if (z.priority) {
        // Who is served first under overload is the policy's to say, never a
        // device's (docs/policy.md, zone `priority`).
        if (auto p = zonePriorityFromName(z.priority->value)) {
          zone.priority = *p;
          if (z.quarantine && *p != ZonePriority::kNone)
            diags_.error(z.priority->at, "priority-on-quarantine",
                         "zone '" + z.name.value +
                             "' is a quarantine zone: its frames are never forwarded, so they cannot be forwarded first");
        } else {
          diags_.error(
              z.priority->at, "bad-priority",
              "zone '" + z.name.value + "' priority '" + z.priority->value +
                  "' is not one of voice (every frame of the zone first), dscp (frames marked EF or CS3 first), none");
        }
      }
      if (z.vlan) {
        if (z.vlan->value < 1 || z.vlan->value > 4094) {
          diags_.error(z.vlan->at, "vlan-range", "VLAN " + std::to_string(z.vlan->value) + " is out of range 1-4094");
        } else if (auto [it, inserted] = vlanAt.emplace(z.vlan->value, z.vlan->at); !inserted) {
          diags_
              .error(z.vlan->at, "duplicate-vlan",
                     "VLAN " + std::to_string(z.vlan->value) + " is already used by another zone")
              .notes.push_back({it->second, "first used here"});
        } else {
          zone.vlan = static_cast<uint16_t>(z.vlan->value);
        }
      }
      for (const Text& p : z.prefixes) {
        if (auto prefix = Prefix::parse(p.value)) zone.prefixes.push_back(*prefix);
        else
          diags_.error(p.at, "bad-prefix",
                       "'" + p.value + "' is not a prefix (like 10.20.0.0/16 or 2001:db8::/32, host bits zero)");
      }
      for (const Text& g : z.gateways) {
        auto address = Prefix::parse(g.value);
        if (address && address->length == address->maxLength()) zone.gateways.push_back(*address);
        else
          diags_.error(g.at, "bad-address",
                       "'" + g.value + "' is not an IP address (like 10.20.0.1 or fe80::1): a gateway is one host");
      }
      buildZoneFrames(z, zone);
      if (zone.quarantine && zone.isolated) {
        // A quarantine zone is isolated by definition; saying so is fine.
      }
      zoneAt_.emplace(z.name.value, z.name.at);
      out_.zones.push_back(std::move(zone));
    }
  }
  if (out_.zones.size() > 4094) diags_.error(chain_.back().top, "too-many", "more than 4094 zones");
}

namespace {

// Named non-IP EtherTypes a zone may allow (docs/policy.md, `ethertypes`).
struct NamedEtherType {
  std::string_view name;
  uint16_t types[2];
  int count;
};
constexpr NamedEtherType kNamedEtherTypes[] = {
    {"pppoe", {0x8863, 0x8864}, 2},  // discovery and session
    {"ipx", {0x8137, 0x8138}, 2},
    {"wol", {0x0842, 0}, 1},  // Wake-on-LAN magic packets sent as their own EtherType
};

// EtherTypes a zone cannot allow, and why: IP and ARP have their own rules,
// link control is for the switch, tags are the switch's business.
const char* reservedEtherType(long type) {
  switch (type) {
    case 0x0800:
    case 0x86dd: return "IP is decided by the flows";
    case 0x0806: return "ARP is the link_local service 'arp'";
    case 0x888e:
    case 0x88cc:
    case 0x8809: return "it is link control (EAPOL, LLDP, LACP), for the switch itself";
    case 0x8100:
    case 0x88a8:
    case 0x9100:
    case 0x9200: return "it is a VLAN tag, which the ports' roles decide";
    default: return nullptr;
  }
}

std::optional<long> parseEtherTypeNumber(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || text[0] == '-') return std::nullopt;
  return value;
}

}  // namespace

// ENTERPRISE:DATA, as a class matcher (DATA a glob) and in a test device
// (DATA the literal value). The enterprise number is the IANA one the client
// sends in DHCPv6 option 16 (311 Microsoft, 4491 CableLabs, ...).
std::optional<DeviceClass::Dhcpv6VendorClass> PolicyBuilder::dhcpv6VendorClass(const Text& t) {
  const size_t colon = t.value.find(':');
  const std::string_view number = std::string_view(t.value).substr(0, colon);
  uint32_t enterprise = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), enterprise);
  if (colon == std::string::npos || number.empty() || ec != std::errc() || end != number.data() + number.size()) {
    diags_.error(t.at, "bad-value",
                 "'" + t.value +
                     "' is not a DHCPv6 vendor class: write ENTERPRISE:DATA, the IANA "
                     "enterprise number and a pattern for the data (like \"311:MSFT 5.0\")");
    return std::nullopt;
  }
  return DeviceClass::Dhcpv6VendorClass{enterprise, t.value.substr(colon + 1)};
}

void PolicyBuilder::buildZoneFrames(const ZoneDecl& z, Zone& zone) {
  if (z.linkLocal) {
    zone.linkLocal = 0;
    for (const Text& t : z.linkLocal->value) {
      if (auto s = linkLocalServiceFromName(t.value)) {
        zone.linkLocal |= linkLocalBit(*s);
      } else {
        std::string hint =
            closestMatch(t.value, {"arp", "dhcp", "dhcpv6", "mdns", "nd", "igmp", "mld"});  // mdns first: it wins ties
        diags_.error(t.at, "bad-value",
                     "'" + t.value + "' is not a link-local service (arp, dhcp, dhcpv6, nd, mdns, igmp, mld)" +
                         (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      }
    }
    if (z.quarantine && zone.linkLocal != 0) {
      diags_.error(
          z.linkLocal->at, "quarantine-reaches",
          "zone '" + z.name.value + "' is a quarantine zone: it reaches nothing, so link_local must be empty or absent");
    }
  }
  if (!z.etherTypes) return;
  for (const Text& t : z.etherTypes->value) {
    if (t.value == "llc") {
      zone.llcFrames = true;
      continue;
    }
    bool named = false;
    for (const NamedEtherType& n : kNamedEtherTypes) {
      if (t.value != n.name) continue;
      named = true;
      for (int i = 0; i < n.count; ++i) zone.etherTypes.push_back(n.types[i]);
    }
    if (named) continue;
    std::optional<long> number = parseEtherTypeNumber(t.value);
    if (!number) {
      std::string hint = closestMatch(t.value, {"llc", "pppoe", "ipx", "wol"});
      diags_.error(t.at, "bad-value",
                   "'" + t.value + "' is not an EtherType (like 0x8863, or llc, pppoe, ipx, wol)" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    } else if (*number < 0x0600 || *number > 0xffff) {
      diags_.error(t.at, "bad-value",
                   "'" + t.value +
                       "' is not an EtherType: they run from 0x0600 to 0xffff (below is an 802.3 length; "
                       "those frames are 'llc')");
    } else if (const char* why = reservedEtherType(*number)) {
      diags_.error(t.at, "bad-value", "EtherType '" + t.value + "' cannot be allowed here: " + why);
    } else {
      zone.etherTypes.push_back(static_cast<uint16_t>(*number));
    }
  }
  std::sort(zone.etherTypes.begin(), zone.etherTypes.end());
  zone.etherTypes.erase(std::unique(zone.etherTypes.begin(), zone.etherTypes.end()), zone.etherTypes.end());
  if (z.quarantine && (!zone.etherTypes.empty() || zone.llcFrames)) {
    diags_.error(z.etherTypes->at, "quarantine-reaches",
                 "zone '" + z.name.value + "' is a quarantine zone: it reaches nothing, so it cannot allow EtherTypes");
  }
}

void PolicyBuilder::buildDestinations() {
  for (size_t fi = 0; fi < chain_.size(); ++fi) {
    for (const DestinationDecl& d : chain_[fi].destinations) {
      if (!checkName(d.name, "destination")) {
        continue;
      }
      if (auto it = destinations_.find(d.name.value); it != destinations_.end()) {
        duplicate(d.name, "destination", it->second.second, it->second.second.file != chain_.back().display);
        continue;
      }
      if (auto z = zoneAt_.find(d.name.value); z != zoneAt_.end()) {
        diags_
            .error(d.name.at, "name-clash", "'" + d.name.value + "' is already a zone; a destination needs another name")
            .notes.push_back({z->second, "the zone is defined here"});
        continue;
      }
      for (const Text& p : d.prefixes) {
        if (!Prefix::parse(p.value))
          diags_.error(p.at, "bad-prefix", "'" + p.value + "' is not a prefix (like 10.20.0.0/16, host bits zero)");
      }
      destinations_.emplace(d.name.value, std::make_pair(&d, d.name.at));
    }
  }
  // Except entries may name other destinations: resolve after all are known.
  for (const auto& [name, entry] : destinations_) {
    for (const Text& e : entry.first->except) {
      if (!Prefix::parse(e.value) && !destinations_.count(e.value)) undefined(e, "destination", keysOf(destinations_));
    }
  }
}

std::optional<Target> PolicyBuilder::resolveTarget(const Text& entry, std::string_view what) {
  Target t;
  t.label = entry.value;
  if (ZoneId z = out_.findZone(entry.value); z != kNoZone) {
    t.zone = z;
    t.prefixes = out_.zones[z].prefixes;
    return t;
  }
  if (auto it = destinations_.find(entry.value); it != destinations_.end()) {
    for (const Text& p : it->second.first->prefixes) {
      if (auto prefix = Prefix::parse(p.value)) t.prefixes.push_back(*prefix);
    }
    for (const Text& e : it->second.first->except) {
      if (auto prefix = Prefix::parse(e.value)) {
        t.except.push_back(*prefix);
      } else if (auto other = destinations_.find(e.value); other != destinations_.end()) {
        for (const Text& p : other->second.first->prefixes) {
          if (auto prefix = Prefix::parse(p.value)) t.except.push_back(*prefix);
        }
      }
    }
    return t;
  }
  if (auto prefix = Prefix::parse(entry.value)) {
    t.prefixes.push_back(*prefix);
    return t;
  }
  if (entry.value.find_first_of("./:") != std::string::npos && entry.value.find_first_of("0123456789") == 0) {
    diags_.error(entry.at, "bad-prefix", "'" + entry.value + "' is not a prefix (like 10.20.0.0/16, host bits zero)");
    return std::nullopt;
  }
  std::vector<std::string> known = keysOf(zoneAt_);
  for (const auto& [k, v] : destinations_) known.push_back(k);
  undefined(entry, std::string(what) + " target", known);
  return std::nullopt;
}

void PolicyBuilder::buildFingerprints() {
  for (const PolicyFile& f : chain_) {
    for (const Text& name : f.fingerprints) {
      const std::filesystem::path file = name.value;
      const std::filesystem::path open = file.is_absolute() ? file : std::filesystem::path(f.path).parent_path() / file;
      const std::string display =
          (file.is_absolute() ? file : std::filesystem::path(f.display).parent_path() / file).lexically_normal().string();
      if (!sourceFileExists(open.string())) {
        diags_.error(name.at, "file-unreadable",
                     "fingerprint file '" + name.value + "' " + sourceMissingText(open.string()));
        fingerprintDataFailed_ = true;
        continue;
      }
      Diagnostics fileDiags;
      std::vector<DhcpFingerprint> entries;
      if (auto text = readTextFile(open.string(), display, fileDiags))
        entries = parseFingerbankText(*text, display, fileDiags);
      for (const Diagnostic& d : fileDiags.all()) {
        diags_.error(d.where, d.code, d.message).notes.push_back({name.at, "the fingerprint file is named here"});
        fingerprintDataFailed_ = true;
      }
      out_.fingerprintSources.push_back(name.value);
      for (DhcpFingerprint& e : entries) {
        for (const std::string& c : e.categories) fingerprintCategories_.insert(c);
        out_.dhcpFingerprints.push_back(std::move(e));
      }
    }
  }
  // One entry per list: the first file and entry that lists it wins (as in
  // the dataplane's FingerprintDb).
  std::stable_sort(out_.dhcpFingerprints.begin(), out_.dhcpFingerprints.end(),
                   [](const DhcpFingerprint& a, const DhcpFingerprint& b) { return a.codes < b.codes; });
  out_.dhcpFingerprints.erase(
      std::unique(out_.dhcpFingerprints.begin(), out_.dhcpFingerprints.end(),
                  [](const DhcpFingerprint& a, const DhcpFingerprint& b) { return a.codes == b.codes; }),
      out_.dhcpFingerprints.end());
}

void PolicyBuilder::buildClasses() {
  std::map<std::string, size_t> indexOf;  // into out_.classes
  std::map<std::string, SourceLocation> definedInBase;
  for (size_t fi = 0; fi < chain_.size(); ++fi) {
    for (const ClassDecl& c : chain_[fi].classes) {
      std::string what = "class '" + c.name.value + "'";
      if (!checkName(c.name, "class")) {
        continue;
      }
      if (auto it = indexOf.find(c.name.value); it != indexOf.end()) {
        bool fromBase = definedInBase.count(c.name.value) && classAt_[c.name.value].file != c.name.at.file;
        if (fromBase && c.onlyEnabledKey) {
          // A site may switch a base class off: that only ever admits fewer devices.
          if (!c.enabled->value) classEnabled_[c.name.value] = false;
          else diags_.error(c.enabled->at, "base-override", "a site can only switch a base class off (enabled: false)");
          continue;
        }
        if (fromBase) {
          diags_
              .error(c.name.at, "base-override",
                     what +
                         " is defined by the base policy; a site may add classes or switch a base class off "
                         "('enabled: false') but not redefine how it matches")
              .notes.push_back({classAt_[c.name.value], "the base defines it here"});
        } else {
          duplicate(c.name, "class", classAt_[c.name.value], false);
        }
        continue;
      }
      if (c.onlyEnabledKey) {
        diags_.error(c.name.at, "missing-key",
                     what + " needs 'zone' and 'match' (only a base class can be switched off alone)");
        continue;
      }
      DeviceClass dc;
      dc.name = c.name.value;
      if (c.zone) dc.zone = zoneRef(*c.zone, "zone");
      if (c.priority) {
        if (c.priority->value < 0 || c.priority->value > 1000)
          diags_.error(c.priority->at, "bad-value", "priority must be 0-1000");
        else dc.priority = static_cast<int>(c.priority->value);
      }
      std::vector<Signal> configured;
      if (c.inventory && c.inventory->value) {
        dc.inventory = true;
        configured.push_back(Signal::kInventory);
      }
      if (c.dot1x && c.dot1x->value) {
        dc.dot1x = true;
        configured.push_back(Signal::kDot1x);
      }
      for (const Text& t : c.dhcpVendorClass) dc.dhcpVendorClass.push_back(t.value);
      if (!dc.dhcpVendorClass.empty()) configured.push_back(Signal::kDhcpVendorClass);
      for (const auto& list : c.dhcpParameterLists) {
        std::vector<uint8_t> codes;
        for (const At<long>& v : list.value) {
          if (v.value < 1 || v.value > 254)
            diags_.error(v.at, "bad-value", "DHCP option code " + std::to_string(v.value) + " is out of range 1-254");
          else codes.push_back(static_cast<uint8_t>(v.value));
        }
        if (codes.empty()) diags_.error(list.at, "bad-value", "a DHCP parameter list needs at least one option code");
        else dc.dhcpParameterLists.push_back(std::move(codes));
      }
      if (!dc.dhcpParameterLists.empty()) configured.push_back(Signal::kDhcpParameterList);
      for (const Text& t : c.dhcpHostname) dc.dhcpHostname.push_back(t.value);
      if (!dc.dhcpHostname.empty()) configured.push_back(Signal::kDhcpHostname);
      for (const Text& t : c.lldpMedCapabilities) {
        const auto& known = lldpCapabilityNames();
        if (std::find(known.begin(), known.end(), t.value) == known.end()) {
          diags_.error(
              t.at, "bad-value",
              "'" + t.value + "' is not an LLDP capability (telephone, bridge, router, station, network-policy, ...)");
        } else {
          dc.lldpMedCapabilities.push_back(t.value);
        }
      }
      if (!dc.lldpMedCapabilities.empty()) configured.push_back(Signal::kLldpMedCapability);
      if (c.lldpMedVoiceVlan) {
        if (c.lldpMedVoiceVlan->value < 1 || c.lldpMedVoiceVlan->value > 4094) {
          diags_.error(c.lldpMedVoiceVlan->at, "vlan-range",
                       "VLAN " + std::to_string(c.lldpMedVoiceVlan->value) + " is out of range 1-4094");
        } else {
          dc.lldpMedVoiceVlan = static_cast<uint16_t>(c.lldpMedVoiceVlan->value);
          configured.push_back(Signal::kLldpMedVoiceVlan);
        }
      }
      for (const Text& t : c.lldpMedApplications) {
        if (auto app = parseMedApplication(t.value)) {
          dc.lldpMedApplications.push_back(*app);
        } else {
          diags_.error(t.at, "bad-value",
                       "'" + t.value +
                           "' is not an LLDP-MED application type (voice, voice-signaling, "
                           "guest-voice, guest-voice-signaling, softphone-voice, video-conferencing, "
                           "streaming-video, video-signaling)");
        }
      }
      std::sort(dc.lldpMedApplications.begin(), dc.lldpMedApplications.end());
      if (!dc.lldpMedApplications.empty()) configured.push_back(Signal::kLldpMedApplication);
      for (const Text& t : c.cdpPlatform) dc.cdpPlatform.push_back(t.value);
      if (!dc.cdpPlatform.empty()) configured.push_back(Signal::kCdpPlatform);
      for (const Text& t : c.sipUserAgent) dc.sipUserAgent.push_back(t.value);
      if (!dc.sipUserAgent.empty()) configured.push_back(Signal::kSipUserAgent);
      for (const Text& t : c.mdnsServices) {
        if (t.value.empty() || t.value[0] != '_')
          diags_.error(t.at, "bad-value", "mDNS service type '" + t.value + "' should look like _ipp._tcp");
        else dc.mdnsServices.push_back(t.value);
      }
      if (!dc.mdnsServices.empty()) configured.push_back(Signal::kMdnsService);
      for (const Text& t : c.ouis) {
        if (auto oui = parseOui(t.value)) dc.ouis.push_back(*oui);
        else diags_.error(t.at, "bad-oui", "'" + t.value + "' is not a vendor prefix (OUI) like 00:04:f2");
      }
      if (!dc.ouis.empty()) configured.push_back(Signal::kOui);
      for (const Text& t : c.dhcpv6VendorClass) {
        if (auto v = dhcpv6VendorClass(t)) dc.dhcpv6VendorClass.push_back(std::move(*v));
      }
      if (!dc.dhcpv6VendorClass.empty()) configured.push_back(Signal::kDhcpv6VendorClass);
      for (const auto& list : c.dhcpv6OptionRequests) {
        std::vector<uint16_t> codes;
        for (const At<long>& v : list.value) {
          if (v.value < 1 || v.value > 65535)
            diags_.error(v.at, "bad-value", "DHCPv6 option code " + std::to_string(v.value) + " is out of range 1-65535");
          else codes.push_back(static_cast<uint16_t>(v.value));
        }
        if (codes.empty()) {
          diags_.error(list.at, "bad-value", "a DHCPv6 option request list needs at least one option code");
        } else if (codes.size() > kMaxDhcpv6OptionRequest) {
          diags_.error(list.at, "bad-value",
                       "a DHCPv6 option request list of " + std::to_string(codes.size()) +
                           " codes can never match: the dataplane keeps the first " +
                           std::to_string(kMaxDhcpv6OptionRequest));
        } else {
          dc.dhcpv6OptionRequests.push_back(std::move(codes));
        }
      }
      if (!dc.dhcpv6OptionRequests.empty()) configured.push_back(Signal::kDhcpv6OptionRequest);
      for (const Text& t : c.cdpCapabilities) {
        if (auto bit = cdpCapabilityBit(t.value)) {
          dc.cdpCapabilities |= *bit;
        } else {
          std::vector<std::string> names;
          for (const CdpCapabilityName& n : kCdpCapabilityNames) names.push_back(n.name);
          diags_.error(t.at, "bad-value", "'" + t.value + "' is not a CDP capability (" + oneOf(names) + ")");
        }
      }
      if (dc.cdpCapabilities) configured.push_back(Signal::kCdpCapability);
      for (const Text& t : c.dhcpFingerprints) {
        bool known = false;
        for (const std::string& category : fingerprintCategories_) known = known || equalsFolded(category, t.value);
        // On an error the category is still kept (the compilation fails
        // anyway), so `require: [dhcp.fingerprint]` does not add a second error.
        if (out_.fingerprintSources.empty()) {
          diags_.error(t.at, "no-fingerprints",
                       what +
                           " matches a DHCP fingerprint category, but the policy names no "
                           "fingerprint data (top-level 'fingerprints: [FILE]', Fingerbank format)");
        } else if (!known && !fingerprintDataFailed_) {
          std::vector<std::string> names(fingerprintCategories_.begin(), fingerprintCategories_.end());
          diags_.error(t.at, "bad-value",
                       "'" + t.value + "' is not a category of the policy's fingerprint data (" +
                           (names.empty() ? std::string("it has none") : oneOf(names)) + ")");
        }
        dc.dhcpFingerprints.push_back(t.value);
      }
      if (!dc.dhcpFingerprints.empty()) configured.push_back(Signal::kDhcpFingerprint);
      dc.configuredSignals = static_cast<int>(configured.size());
      dc.evidenceRequired = dc.configuredSignals;
      if (c.evidence) {
        const std::string& e = c.evidence->value;
        if (e == "all") dc.evidenceRequired = dc.configuredSignals;
        else if (e == "any") dc.evidenceRequired = dc.configuredSignals > 0 ? 1 : 0;
        else if (!e.empty() && e.size() < 4 &&
                 std::all_of(e.begin(), e.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
          dc.evidenceRequired = std::stoi(e);
          if (dc.evidenceRequired < 1 || dc.evidenceRequired > dc.configuredSignals) {
            diags_.error(c.evidence->at, "class-never-matches",
                         what + " needs " + e + " pieces of evidence but has only " +
                             std::to_string(dc.configuredSignals) +
                             (dc.configuredSignals == 1 ? " match rule" : " match rules") + ", so it can never match");
          }
        } else {
          diags_.error(c.evidence->at, "bad-value", "evidence must be all, any or a number, not '" + e + "'");
        }
      }
      // One required kind: known, and with a match rule of this class.
      auto requiredKind = [&](const Text& r) -> std::optional<Signal> {
        auto s = parseSignal(r.value);
        if (!s) {
          std::vector<std::string> kinds;
          for (int i = 0; i < kSignalCount; ++i) kinds.push_back(toString(static_cast<Signal>(i)));
          diags_.error(r.at, "bad-value", "'" + r.value + "' is not a kind of evidence (" + oneOf(kinds) + ")");
        } else if (std::find(configured.begin(), configured.end(), *s) == configured.end()) {
          diags_.error(r.at, "class-never-matches",
                       what + " requires " + r.value + " but has no match rule for it, so it can never match");
        } else {
          return s;
        }
        return std::nullopt;
      };
      for (const Text& r : c.require) {
        if (auto s = requiredKind(r)) dc.required.push_back(*s);
      }
      std::sort(dc.required.begin(), dc.required.end());
      for (const At<TextList>& group : c.requireAnyOf) {
        std::vector<Signal> kinds;
        for (const Text& r : group.value) {
          if (auto s = requiredKind(r)) kinds.push_back(*s);
        }
        if (group.value.empty()) {
          diags_.error(group.at, "class-never-matches",
                       what + " requires one of an empty list of kinds, so it can never match");
        } else if (kinds.size() == group.value.size()) {
          std::sort(kinds.begin(), kinds.end());
          dc.requiredAnyOf.push_back(std::move(kinds));
        }
      }
      if (dc.configuredSignals == 0) {
        diags_.error(c.name.at, "class-never-matches",
                     what + " has no match rules, so it can never match (use a pin to place one device)");
      }
      indexOf.emplace(dc.name, out_.classes.size());
      classAt_[dc.name] = c.name.at;
      if (c.zone) classZoneAt_[dc.name] = c.zone->at;
      if (c.evidence) classEvidenceAt_[dc.name] = c.evidence->at;
      classSignals_[dc.name] = configured;
      classEnabled_[dc.name] = !(c.enabled && !c.enabled->value);
      if (isBase(fi)) definedInBase[dc.name] = c.name.at;
      out_.classes.push_back(std::move(dc));
    }
  }
  // Disabled classes are not compiled; higher priority first, then by name.
  std::erase_if(out_.classes, [&](const DeviceClass& dc) { return !classEnabled_[dc.name]; });
  std::sort(out_.classes.begin(), out_.classes.end(), [](const DeviceClass& a, const DeviceClass& b) {
    return a.priority != b.priority ? a.priority > b.priority : a.name < b.name;
  });
}

void PolicyBuilder::buildInventory() {
  std::map<MacAddress, SourceLocation> macAt;
  for (PolicyFile& f : chain_) {
    std::vector<InventoryEntry> entries = f.inventory;
    if (f.inventoryCsv) {
      std::filesystem::path csv = f.inventoryCsv->value;
      std::filesystem::path base = std::filesystem::path(f.path).parent_path();
      std::filesystem::path display = std::filesystem::path(f.display).parent_path() / csv;
      std::filesystem::path open = csv.is_absolute() ? csv : base / csv;
      if (!sourceFileExists(open.string())) {
        diags_.error(f.inventoryCsv->at, "file-unreadable",
                     "inventory file '" + f.inventoryCsv->value + "' " + sourceMissingText(open.string()));
      } else {
        Diagnostics csvDiags;
        auto rows = readInventoryCsv(open.string(), display.lexically_normal().string(), csvDiags);
        for (const Diagnostic& d : csvDiags.all()) {
          Diagnostic copy = d;
          copy.notes.push_back({f.inventoryCsv->at, "the inventory file is named here"});
          (d.severity == DiagnosticSeverity::kError ? diags_.error(copy.where, copy.code, copy.message)
                                                    : diags_.warning(copy.where, copy.code, copy.message))
              .notes = copy.notes;
        }
        entries.insert(entries.end(), rows.begin(), rows.end());
      }
    }
    for (const InventoryEntry& e : entries) {
      auto mac = MacAddress::parse(e.mac.value);
      if (!mac) {
        diags_.error(e.mac.at, "bad-mac", "'" + e.mac.value + "' is not a MAC address (like 3c:52:82:1a:2b:3c)");
        continue;
      }
      if (mac->isMulticast()) {
        diags_.error(e.mac.at, "bad-mac", "'" + e.mac.value + "' is a multicast address; a device's MAC is unicast");
        continue;
      }
      if (auto [it, inserted] = macAt.emplace(*mac, e.mac.at); !inserted) {
        diags_.error(e.mac.at, "duplicate-mac", "MAC " + mac->toString() + " is already in the inventory")
            .notes.push_back({it->second, "first listed here"});
        continue;
      }
      out_.inventory.push_back({*mac, e.assetId, e.hostname});
    }
  }
  std::sort(out_.inventory.begin(), out_.inventory.end(),
            [](const InventoryDevice& a, const InventoryDevice& b) { return a.mac < b.mac; });
}

void PolicyBuilder::buildPorts() {
  std::map<std::string, SourceLocation> nameAt;
  std::map<std::string, std::pair<SourceLocation, PortRole>> interfaceAt;
  for (PolicyFile& f : chain_) {
    for (const PortDecl& p : f.ports) {
      if (!p.name.value.empty()) {
        if (!checkName(p.name, "port")) {
        } else if (auto [it, inserted] = nameAt.emplace(p.name.value, p.name.at); !inserted) {
          duplicate(p.name, "port", it->second, false);
        }
      }
      std::string what = "port '" + p.name.value + "'";
      std::optional<PortRole> role;
      if (p.role) {
        role = parseRole(p.role->value);
        if (!role)
          diags_.error(
              p.role->at, "bad-value",
              "role must be one of " + oneOf({"access", "uplink", "trunk", "monitor"}) + ", not '" + p.role->value + "'");
      }
      Mode mode = out_.mode;
      if (p.mode) {
        if (auto m = parseMode(p.mode->value)) mode = *m;
        else diags_.error(p.mode->at, "bad-value", "mode must be enforce or monitor, not '" + p.mode->value + "'");
      }
      std::vector<ZoneId> zones;
      for (const Text& z : p.zones) {
        ZoneId id = zoneRef(z, "zone");
        if (id == kNoZone) continue;
        if (std::find(zones.begin(), zones.end(), id) != zones.end()) {
          diags_.error(z.at, "duplicate-name", what + " lists zone '" + z.value + "' twice");
          continue;
        }
        zones.push_back(id);
      }
      std::sort(zones.begin(), zones.end());
      ZoneId defaultZone = kNoZone;
      if (p.defaultZone) {
        defaultZone = zoneRef(*p.defaultZone, "zone");
        if (defaultZone != kNoZone && std::find(zones.begin(), zones.end(), defaultZone) == zones.end()) {
          diags_.error(p.defaultZone->at, "default-zone",
                       what + ": default_zone '" + p.defaultZone->value + "' is not among the port's zones");
        }
      }
      if (role == PortRole::kAccess) {
        if (zones.empty() && !p.zones.empty()) {
          // zone names already reported
        } else if (zones.empty()) {
          diags_.error(p.at, "missing-key",
                       what + " is an access port and needs 'zones' (the zones its devices may land in)");
        }
        if (!p.defaultZone) {
          diags_.error(p.at, "missing-key",
                       what + " is an access port and needs 'default_zone' (where unknown devices land)");
        } else if (defaultZone != kNoZone && !out_.zones[defaultZone].quarantine && mode == Mode::kEnforce) {
          diags_.warning(p.defaultZone->at, "default-not-quarantine",
                         what + " is in enforce mode but unknown devices land in '" + p.defaultZone->value +
                             "', not in a quarantine zone");
        }
      } else if (role == PortRole::kUplink) {
        if (zones.size() != 1 && !p.zones.empty()) {
          diags_.error(p.zones.front().at, "uplink-zones",
                       what + " is an uplink and carries exactly one zone untagged; use role trunk for several");
        } else if (p.zones.empty()) {
          diags_.error(p.at, "missing-key", what + " is an uplink and needs 'zones' (the one zone it carries)");
        }
        if (zones.size() == 1) defaultZone = zones.front();
      } else if (role == PortRole::kMonitor && !zones.empty()) {
        diags_.error(p.zones.front().at, "bad-value",
                     what + " is a monitor port: it carries a copy of traffic, not zones");
      }
      TrustSet trust = 0;
      if (p.trust) {
        for (const Text& t : p.trust->value) {
          if (auto r = trustedRoleFromName(t.value)) {
            trust |= trustBit(*r);
          } else {
            std::string hint = closestMatch(t.value, {"ra", "dhcp"});
            diags_.error(t.at, "bad-value",
                         "'" + t.value + "' is not a first-hop role a port can be trusted for (ra, dhcp)" +
                             (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
          }
        }
        if (role && *role != PortRole::kAccess) {
          diags_.error(
              p.trust->at, "trust-not-access",
              what + " has role " + toString(*role) +
                  ": only access ports are checked for router advertisements and DHCP servers, so 'trust' belongs on an "
                  "access port");
        }
      }
      Authentication authentication = Authentication::kNone;
      if (p.authentication) {
        const std::string& a = p.authentication->value;
        if (a == "dot1x") authentication = Authentication::kDot1x;
        else if (a == "dot1x-or-profile") authentication = Authentication::kDot1xOrProfile;
        else if (a != "none") {
          diags_.error(
              p.authentication->at, "bad-value",
              "authentication must be one of " + oneOf({"dot1x", "dot1x-or-profile", "none"}) + ", not '" + a + "'");
        }
        if (authentication != Authentication::kNone && role && *role != PortRole::kAccess) {
          diags_.error(p.authentication->at, "bad-value",
                       what + " has role " + toString(*role) + ": 802.1X authenticates the devices of access ports only");
          authentication = Authentication::kNone;
        }
      }
      uint32_t reauthPeriod = 0;
      if (authentication != Authentication::kNone) {
        reauthPeriod = kDefaultReauthPeriod;
        for (const PolicyFile& pf : chain_) {
          if (pf.dot1x && pf.dot1x->reauthPeriod)
            reauthPeriod = static_cast<uint32_t>(std::clamp<long>(pf.dot1x->reauthPeriod->value, 0, kMaxReauthPeriod));
        }
      }
      if (p.reauthPeriod) {
        if (p.reauthPeriod->value < 0 || p.reauthPeriod->value > kMaxReauthPeriod) {
          diags_.error(p.reauthPeriod->at, "bad-value",
                       "reauth_period must be 0 (never) to " + std::to_string(kMaxReauthPeriod) + " seconds");
        } else if (authentication == Authentication::kNone) {
          diags_.error(
              p.reauthPeriod->at, "bad-value",
              what + " has no 802.1X ('authentication: dot1x' or 'dot1x-or-profile'), so nothing is re-authenticated");
        } else {
          reauthPeriod = static_cast<uint32_t>(p.reauthPeriod->value);
        }
      }
      for (const Text& pattern : p.interfaces) {
        auto names = expandInterfacePattern(pattern.value, 4096);
        if (!names) {
          diags_.error(
              pattern.at, "bad-interface",
              "'" + pattern.value + "' is not an interface name or range (like eth3 or eth[2-9], at most 15 characters)");
          continue;
        }
        for (const std::string& name : *names) {
          if (auto it = interfaceAt.find(name); it != interfaceAt.end()) {
            bool otherRole = role && *role != it->second.second;
            diags_
                .error(pattern.at, otherRole ? "port-two-roles" : "duplicate-interface",
                       "interface " + name + " is already " +
                           (otherRole ? std::string("a port with role ") + toString(it->second.second)
                                      : std::string("listed")) +
                           "; an interface belongs to one port entry")
                .notes.push_back({it->second.first, "first listed here"});
            continue;
          }
          interfaceAt.emplace(name, std::make_pair(pattern.at, role.value_or(PortRole::kAccess)));
          Port port;
          port.interface = name;
          port.group = p.name.value;
          port.role = role.value_or(PortRole::kAccess);
          port.zones = zones;
          port.defaultZone = defaultZone;
          port.mode = mode;
          port.optional = p.optional && p.optional->value;
          port.trust = trust;
          port.authentication = authentication;
          port.reauthPeriodSeconds = reauthPeriod;
          out_.ports.push_back(std::move(port));
          portDecls_.push_back(&p);
        }
      }
    }
  }
}

// The `dot1x:` section (the site's overrides the base's, key by key) and the
// checks that tie it to the ports and classes: a port that requires 802.1X
// must not let any class place a device in its zones without dot1x evidence.
void PolicyBuilder::buildDot1x() {
  const Dot1xDecl* servers = nullptr;
  const Dot1xDecl* nas = nullptr;
  const Dot1xDecl* unreachable = nullptr;
  const Dot1xDecl* mismatch = nullptr;
  for (const PolicyFile& f : chain_) {
    if (!f.dot1x) continue;
    const Dot1xDecl& d = *f.dot1x;
    if (!d.servers.empty()) servers = &d;
    if (d.nasIdentifier) nas = &d;
    if (d.unreachableZone) unreachable = &d;
    if (d.fingerprintMismatch) mismatch = &d;
    if (d.reauthPeriod && (d.reauthPeriod->value < 0 || d.reauthPeriod->value > kMaxReauthPeriod)) {
      diags_.error(d.reauthPeriod->at, "bad-value",
                   "reauth_period must be 0 (never) to " + std::to_string(kMaxReauthPeriod) + " seconds");
    }
  }
  Dot1xSettings& out = out_.dot1x;
  if (servers) {
    for (const Text& t : servers->servers) {
      // ADDRESS, ADDRESS:PORT, [V6]:PORT or a bare V6 literal.
      std::string address = t.value;
      long port = 1812;
      bool ok = true;
      if (!address.empty() && address.front() == '[') {
        const size_t close = address.find(']');
        ok = close != std::string::npos;
        if (ok && close + 1 < address.size()) {
          ok = address[close + 1] == ':' && close + 2 < address.size() && close + 7 >= address.size() &&
               std::all_of(address.begin() + static_cast<long>(close) + 2, address.end(),
                           [](char ch) { return ch >= '0' && ch <= '9'; });
          if (ok) port = std::stol(address.substr(close + 2));
        }
        if (ok) address = address.substr(1, close - 1);
      } else if (std::count(address.begin(), address.end(), ':') == 1) {
        const size_t colon = address.find(':');
        const std::string digits = address.substr(colon + 1);
        ok = !digits.empty() && digits.size() <= 5 &&
             std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        if (ok) port = std::stol(digits);
        address = address.substr(0, colon);
      }
      const auto prefix = ok ? Prefix::parse(address) : std::nullopt;
      if (!prefix || prefix->length != prefix->maxLength() || address.find('/') != std::string::npos || port < 1 ||
          port > 65535) {
        diags_.error(t.at, "bad-value",
                     "'" + t.value +
                         "' is not a RADIUS server (an IP address, optionally with :PORT, like 10.20.0.5:1812 or "
                         "[2001:db8::5]:1812)");
        continue;
      }
      out.radiusServers.push_back({address, static_cast<uint16_t>(port)});
    }
  }
  if (nas) {
    const std::string& n = nas->nasIdentifier->value;
    const bool printable =
        !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char ch) { return ch > 0x20 && ch < 0x7f; });
    if (!printable)
      diags_.error(nas->nasIdentifier->at, "bad-value",
                   "nas_identifier must be 1-64 printable characters without spaces");
    else out.nasIdentifier = n;
  }
  if (unreachable) out.unreachableZone = zoneRef(*unreachable->unreachableZone, "zone");
  if (mismatch) {
    const std::string& m = mismatch->fingerprintMismatch->value;
    if (m == "quarantine") out.quarantineFingerprintMismatch = true;
    else if (m != "alert")
      diags_.error(mismatch->fingerprintMismatch->at, "bad-value",
                   "fingerprint_mismatch must be alert or quarantine, not '" + m + "'");
  }

  std::set<const PortDecl*> checked;  // a port entry with a range is checked once
  for (size_t i = 0; i < out_.ports.size(); ++i) {
    const Port& port = out_.ports[i];
    if (port.authentication == Authentication::kNone) continue;
    const PortDecl& decl = *portDecls_[i];
    if (!checked.insert(&decl).second) continue;
    const std::string what = "port '" + decl.name.value + "'";
    if (out.radiusServers.empty() && !servers) {
      diags_.error(decl.authentication->at, "dot1x-no-radius",
                   what + " uses 802.1X but the policy names no RADIUS server (dot1x: radius_servers: [...])");
    }
    if (out.unreachableZone != kNoZone &&
        std::find(port.zones.begin(), port.zones.end(), out.unreachableZone) == port.zones.end()) {
      diags_
          .error(unreachable->unreachableZone->at, "dot1x-fallback-zone",
                 "radius_unreachable_zone '" + out_.zoneName(out.unreachableZone) + "' is not among the zones of " + what)
          .notes.push_back({decl.authentication->at, "802.1X is asked for here"});
    }
    if (port.authentication != Authentication::kDot1x) continue;
    for (const DeviceClass& c : out_.classes) {
      if (c.zone == kNoZone || c.zone == port.defaultZone) continue;
      if (std::find(port.zones.begin(), port.zones.end(), c.zone) == port.zones.end()) continue;
      const bool needsDot1x = std::find(c.required.begin(), c.required.end(), Signal::kDot1x) != c.required.end() ||
                              (c.dot1x && c.evidenceRequired == c.configuredSignals);
      if (needsDot1x) continue;
      auto at = classZoneAt_.count(c.name) ? classZoneAt_[c.name] : classAt_[c.name];
      diags_
          .error(at, "dot1x-bypass",
                 "class '" + c.name + "' places devices in zone '" + out_.zoneName(c.zone) + "' without 802.1X, but " +
                     what +
                     " requires 802.1X for it; add 'dot1x: true' to the class's match and 'dot1x' to its 'require'")
          .notes.push_back({decl.authentication->at, "802.1X is required here"});
    }
  }
}

void PolicyBuilder::buildFlows() {
  std::map<std::string, SourceLocation> nameAt;
  for (PolicyFile& f : chain_) {
    for (const FlowDecl& fl : f.flows) {
      std::string what = "flow '" + fl.name.value + "'";
      if (!fl.name.value.empty()) {
        if (auto [it, inserted] = nameAt.emplace(fl.name.value, fl.name.at); !inserted) {
          duplicate(fl.name, "flow", it->second, it->second.file != chain_.back().display);
        }
      }
      ZoneId from = fl.from ? zoneRef(*fl.from, "zone") : kNoZone;
      std::vector<Protocol> protocols;
      for (const Text& p : fl.protocols) {
        if (auto proto = parseProtocol(p.value)) protocols.push_back(*proto);
        else
          diags_.error(
              p.at, "bad-value",
              "proto must be one of " + oneOf({"tcp", "udp", "icmp", "icmpv6", "any"}) + ", not '" + p.value + "'");
      }
      if (fl.protocols.empty()) protocols.push_back(Protocol::kAny);
      std::vector<PortRange> ranges;
      for (const Text& p : fl.ports) {
        if (auto r = PortRange::parse(p.value)) ranges.push_back(*r);
        else
          diags_.error(p.at, "bad-port-range", "'" + p.value + "' is not a port or port range (like 443 or 1024-65535)");
      }
      if (!fl.ports.empty()) {
        for (size_t i = 0; i < protocols.size(); ++i) {
          if (protocols[i] != Protocol::kTcp && protocols[i] != Protocol::kUdp) {
            diags_.error(fl.ports.front().at, "ports-need-protocol",
                         what + " names ports, so its proto must be tcp or udp");
            break;
          }
        }
      }
      if (ranges.empty()) ranges.push_back(PortRange{});
      Action action = Action::kAllow;
      if (fl.action) {
        if (auto a = parseAction(fl.action->value)) action = *a;
        else diags_.error(fl.action->at, "bad-value", "action must be allow or deny, not '" + fl.action->value + "'");
      }
      Mode mode = out_.mode;
      if (fl.mode) {
        if (auto m = parseMode(fl.mode->value)) mode = *m;
        else diags_.error(fl.mode->at, "bad-value", "mode must be enforce or monitor, not '" + fl.mode->value + "'");
      }
      std::vector<Prefix> except;
      for (const Text& e : fl.except) {
        if (auto t = resolveTarget(e, "except")) {
          if (t->zone != kNoZone && t->prefixes.empty()) {
            diags_.error(e.at, "bad-value", "except needs prefixes; zone '" + e.value + "' has none");
          }
          except.insert(except.end(), t->prefixes.begin(), t->prefixes.end());
        }
      }
      ResolvedFlow rf;
      rf.decl = &fl;
      rf.firstRule = out_.flows.size();
      for (const Text& to : fl.to) {
        auto target = resolveTarget(to, "flow");
        if (!target || from == kNoZone) continue;
        if (action == Action::kAllow && target->zone == from && out_.zones[from].isolated) {
          diags_.error(to.at, "isolation-conflict",
                       what + " allows traffic inside zone '" + to.value + "', which is declared isolated");
        }
        for (Protocol proto : protocols) {
          for (const PortRange& range : ranges) {
            FlowRule rule;
            rule.name = fl.name.value;
            rule.from = from;
            rule.toZone = target->zone;
            rule.toPrefixes = target->prefixes;
            rule.exceptPrefixes = target->except;
            rule.exceptPrefixes.insert(rule.exceptPrefixes.end(), except.begin(), except.end());
            rule.protocol = proto;
            rule.ports = range;
            rule.action = action;
            rule.mode = mode;
            out_.flows.push_back(std::move(rule));
            rf.targetAt.push_back(to.at);
          }
        }
      }
      rf.endRule = out_.flows.size();
      if (action == Action::kAllow && from != kNoZone) {
        bool quarantineFrom = out_.zones[from].quarantine;
        for (size_t i = rf.firstRule; i < rf.endRule; ++i) {
          const FlowRule& r = out_.flows[i];
          bool quarantineTo = r.toZone != kNoZone && out_.zones[r.toZone].quarantine;
          if (quarantineFrom || quarantineTo) {
            diags_.error(quarantineFrom ? fl.from->at : rf.targetAt[i - rf.firstRule], "quarantine-reaches",
                         what + " allows traffic " + (quarantineFrom ? "from" : "to") + " quarantine zone '" +
                             out_.zones[quarantineFrom ? from : r.toZone].name + "'; a quarantine zone reaches nothing");
            break;
          }
        }
      }
      flows_.push_back(std::move(rf));
    }
  }
}

void PolicyBuilder::buildInvariants() {
  for (PolicyFile& f : chain_) {
    for (const InvariantDecl& inv : f.invariants) {
      if (!inv.name.value.empty()) {
        if (auto it = invariantAt_.find(inv.name.value); it != invariantAt_.end()) {
          bool fromBase = it->second.file != inv.name.at.file && it->second.file != chain_.back().display;
          if (fromBase) {
            diags_
                .error(inv.name.at, "base-invariant",
                       "invariant '" + inv.name.value +
                           "' is the base policy's; a site may add invariants but never change or remove one")
                .notes.push_back({it->second, "the base declares it here"});
          } else {
            duplicate(inv.name, "invariant", it->second, false);
          }
          continue;
        }
        invariantAt_.emplace(inv.name.value, inv.name.at);
      }
      Invariant out;
      out.name = inv.name.value;
      if (inv.kind == InvariantDecl::Kind::kNever) {
        out.kind = Invariant::Kind::kNeverReaches;
        if (inv.from) out.from = zoneRef(*inv.from, "zone");
        for (const Text& to : inv.to) {
          auto t = resolveTarget(to, "invariant");
          if (!t) continue;
          if (t->zone != kNoZone) {
            if (out.toZone != kNoZone) {
              diags_.error(to.at, "bad-value", "an invariant names one zone after 'to'; write one invariant per zone");
            }
            out.toZone = t->zone;
          }
          for (const Prefix& p : t->prefixes) {
            bool excepted =
                std::any_of(t->except.begin(), t->except.end(), [&](const Prefix& e) { return e.contains(p); });
            if (!excepted) out.toPrefixes.push_back(p);
          }
        }
      } else if (inv.kind == InvariantDecl::Kind::kOnly) {
        out.kind = Invariant::Kind::kOnlyClasses;
        if (inv.zone) out.zone = zoneRef(*inv.zone, "zone");
        for (const Text& c : inv.classes) {
          if (!classAt_.count(c.value)) undefined(c, "class", keysOf(classAt_));
          else out.classes.push_back(c.value);
        }
      } else {
        continue;
      }
      invariantDecls_.push_back(&inv);
      out_.invariants.push_back(std::move(out));
    }
  }
}

void PolicyBuilder::buildSinksAndAlerts() {
  for (PolicyFile& f : chain_) {
    for (const SinkDecl& s : f.sinks) {
      std::string what = "sink '" + s.name.value + "'";
      if (!checkName(s.name, "sink")) {
        continue;
      }
      if (auto it = sinkAt_.find(s.name.value); it != sinkAt_.end()) {
        duplicate(s.name, "sink", it->second, it->second.file != chain_.back().display);
        continue;
      }
      sinkAt_.emplace(s.name.value, s.name.at);
      if (!s.type) continue;
      Sink out;
      out.name = s.name.value;
      auto stray = [&](const std::optional<Text>& key, const char* keyName, std::string_view hint = "") {
        if (key)
          diags_.error(key->at, "unknown-key",
                       what + " is of type " + s.type->value + ", which has no '" + keyName + "'" + std::string(hint));
      };
      auto strayBody = [&] {
        if (s.body)
          diags_.error(s.bodyKeyAt, "unknown-key",
                       what + " is of type " + s.type->value + ", which has no 'body' (only a webhook has one)");
      };
      auto filePath = [&](const char* kindName, const char* fileText) {
        if (!s.path) diags_.error(s.name.at, "missing-key", what + " needs 'path' (" + fileText + ")");
        else if (s.path->value.empty() || s.path->value[0] != '/')
          diags_.error(s.path->at, "bad-value", std::string("the path of a ") + kindName + " sink must be absolute");
        else out.target = s.path->value;
      };
      if (s.type->value == "syslog") {
        out.kind = Sink::Kind::kSyslog;
        stray(s.path, "path");
        stray(s.url, "url");
        strayBody();
        if (!s.address) {
          diags_.error(s.name.at, "missing-key", what + " needs 'address' (host:port of the syslog receiver)");
        } else {
          size_t colon = s.address->value.rfind(':');
          auto port = colon == std::string::npos ? std::nullopt : PortRange::parse(s.address->value.substr(colon + 1));
          if (colon == std::string::npos || colon == 0 || !port || port->low != port->high || port->low == 0) {
            diags_.error(s.address->at, "bad-address",
                         "'" + s.address->value + "' is not host:port (like 192.0.2.10:514)");
          }
          out.target = s.address->value;
        }
        out.transport = "udp";
        if (s.transport) {
          if (s.transport->value != "udp" && s.transport->value != "tcp") {
            diags_.error(s.transport->at, "bad-value", "syslog transport must be udp or tcp");
          }
          out.transport = s.transport->value;
        }
        if (s.format) {
          if (s.format->value == "cef") out.format = SinkFormat::kCef;
          else if (s.format->value != "rfc5424")
            diags_.error(s.format->at, "bad-value",
                         "syslog format must be rfc5424 or cef, not '" + s.format->value + "'");
        }
      } else if (s.type->value == "jsonl") {
        out.kind = Sink::Kind::kJsonLines;
        stray(s.address, "address");
        stray(s.transport, "transport");
        stray(s.url, "url");
        stray(s.format, "format", " (it always writes ECS JSON; for CEF lines use type: file with format: cef)");
        strayBody();
        filePath("jsonl", "the JSON-lines file");
      } else if (s.type->value == "file") {
        out.kind = Sink::Kind::kFile;
        stray(s.address, "address");
        stray(s.transport, "transport");
        stray(s.url, "url");
        strayBody();
        filePath("file", "the file alerts are appended to");
        if (s.format) {
          if (s.format->value == "cef") out.format = SinkFormat::kCef;
          else if (s.format->value != "ecs")
            diags_.error(s.format->at, "bad-value", "file format must be ecs or cef, not '" + s.format->value + "'");
        }
      } else if (s.type->value == "webhook") {
        out.kind = Sink::Kind::kWebhook;
        stray(s.address, "address");
        stray(s.transport, "transport");
        stray(s.path, "path");
        stray(s.format, "format", " (it posts JSON; 'body' shapes it)");
        if (!s.url) diags_.error(s.name.at, "missing-key", what + " needs 'url'");
        else if (s.url->value.rfind("http://", 0) != 0 && s.url->value.rfind("https://", 0) != 0) {
          diags_.error(s.url->at, "bad-value", "a webhook url starts with http:// or https://");
        } else {
          out.target = s.url->value;
        }
        if (s.body) {
          if (s.body->kind != BodyDecl::Kind::kMap && s.body->kind != BodyDecl::Kind::kList) {
            diags_.error(s.body->kind == BodyDecl::Kind::kNull ? s.bodyKeyAt : s.body->at, "type",
                         what + " body must be a mapping or a list (the JSON document to post)");
          } else {
            out.body = compileBody(*s.body, diags_);
          }
        }
      } else {
        diags_.error(s.type->at, "bad-value",
                     "sink type must be one of " + oneOf({"syslog", "jsonl", "file", "webhook"}) + ", not '" +
                         s.type->value + "'");
        continue;
      }
      out_.control.sinks.push_back(std::move(out));
    }
  }
  const std::vector<std::string> events = alertEventNames();
  std::map<std::string, SourceLocation> eventAt;
  for (PolicyFile& f : chain_) {
    for (const AlertDecl& a : f.alerts) {
      if (!a.event) continue;
      const std::optional<EventType> type = eventTypeFromName(a.event->value);
      if (!type) {
        undefined(*a.event, "alert event", events);
        continue;
      }
      if (auto [it, inserted] = eventAt.emplace(a.event->value, a.event->at); !inserted) {
        duplicate(*a.event, "alert for event", it->second, it->second.file != chain_.back().display);
        continue;
      }
      AlertRoute route;
      route.event = *type;
      if (a.severity) {
        if (auto s = parseSeverity(a.severity->value)) route.severity = *s;
        else
          diags_.error(a.severity->at, "bad-value",
                       "severity must be info, warning or critical, not '" + a.severity->value + "'");
      }
      for (const Text& s : a.sinks) {
        if (!sinkAt_.count(s.value)) undefined(s, "sink", keysOf(sinkAt_));
        else route.sinks.push_back(s.value);
      }
      out_.control.alerts.push_back(std::move(route));
    }
  }
  std::sort(out_.control.alerts.begin(), out_.control.alerts.end(),
            [](const AlertRoute& a, const AlertRoute& b) { return toString(a.event) < toString(b.event); });
}

void PolicyBuilder::buildMaintenance() {
  std::map<std::string, SourceLocation> nameAt;
  const std::vector<std::string> events = alertEventNames();
  for (PolicyFile& f : chain_) {
    for (const MaintenanceDecl& m : f.maintenance) {
      if (!m.name.value.empty()) {
        if (auto [it, inserted] = nameAt.emplace(m.name.value, m.name.at); !inserted) {
          duplicate(m.name, "maintenance window", it->second, it->second.file != chain_.back().display);
          continue;
        }
      }
      MaintenanceWindow w;
      w.name = m.name.value;
      for (const Text& d : m.days) {
        if (auto bits = parseDays(d.value)) w.weekdays |= *bits;
        else diags_.error(d.at, "bad-day", "'" + d.value + "' is not a day (mon..sun, daily, weekdays, weekend)");
      }
      std::optional<int> from, to;
      if (m.from && !(from = parseClockTime(m.from->value, false))) {
        diags_.error(m.from->at, "bad-time", "'" + m.from->value + "' is not a time of day HH:MM (00:00-23:59)");
      }
      if (m.to && !(to = parseClockTime(m.to->value, true))) {
        diags_.error(m.to->at, "bad-time", "'" + m.to->value + "' is not a time of day HH:MM (00:00-24:00)");
      }
      if (from && to && *from == *to)
        diags_.error(m.to->at, "bad-time", "the window is empty: it starts and ends at " + m.from->value);
      w.startMinute = static_cast<uint16_t>(from.value_or(0));
      w.endMinute = static_cast<uint16_t>(to.value_or(0));
      w.timezone = "Europe/Stockholm";
      if (m.timezone) {
        const std::string& tz = m.timezone->value;
        bool plausible = !tz.empty() && tz.size() < 64 && tz.find("..") == std::string::npos && tz[0] != '/';
        std::error_code ec;
        bool known = plausible && (tz == "UTC" || tz == "Europe/Stockholm" ||
                                   std::filesystem::is_regular_file("/usr/share/zoneinfo/" + tz, ec));
        if (!known)
          diags_.error(m.timezone->at, "bad-timezone", "'" + tz + "' is not a time zone (like Europe/Stockholm)");
        else w.timezone = tz;
      }
      for (const Text& s : m.suppress) {
        if (const std::optional<EventType> type = eventTypeFromName(s.value)) w.suppress.push_back(*type);
        else undefined(s, "alert event", events);
      }
      out_.control.maintenance.push_back(std::move(w));
    }
  }
}

// Who may use the HTTPS management API as what: a client certificate's
// subject CN or OU names a role. One CN or OU value names one role (a second
// is an error, wherever it is); a site may add entries to its base's.
void PolicyBuilder::buildManagementRoles() {
  static const std::vector<std::string> kRoles = {"engineer", "servicedesk", "monitor"};
  std::map<std::string, SourceLocation> subjectAt;
  for (PolicyFile& f : chain_) {
    for (const ManagementRoleDecl& d : f.managementRoles) {
      if (std::find(kRoles.begin(), kRoles.end(), d.role.value) == kRoles.end()) {
        undefined(d.role, "management role", kRoles);
        continue;
      }
      for (const Text& s : d.subjects) {
        const std::string& v = s.value;
        const size_t eq = v.find('=');
        const std::string attribute = eq == std::string::npos ? "" : v.substr(0, eq);
        const std::string value = eq == std::string::npos ? "" : v.substr(eq + 1);
        const bool printable = std::none_of(value.begin(), value.end(),
                                            [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
        if ((attribute != "CN" && attribute != "OU") || value.empty() || value.size() > 256 || !printable) {
          diags_.error(s.at, "bad-subject",
                       "'" + v +
                           "' is not a certificate subject match: write CN=NAME or OU=NAME (1 to 256 printable "
                           "characters)");
          continue;
        }
        if (auto [it, inserted] = subjectAt.emplace(v, s.at); !inserted) {
          diags_.error(s.at, "duplicate-subject", "'" + v + "' already names a management role")
              .notes.push_back({it->second, "it is given a role here"});
          continue;
        }
        out_.control.managementRoles.push_back({attribute, value, d.role.value});
      }
    }
  }
  std::sort(out_.control.managementRoles.begin(), out_.control.managementRoles.end(),
            [](const tables::ManagementRole& a, const tables::ManagementRole& b) {
              return std::tie(a.attribute, a.value) < std::tie(b.attribute, b.value);
            });
}

void PolicyBuilder::buildPins() {
  std::map<MacAddress, SourceLocation> macAt;
  for (PolicyFile& f : chain_) {
    for (const PinDecl& p : f.pins) {
      if (!p.mac) continue;
      auto mac = MacAddress::parse(p.mac->value);
      if (!mac) {
        diags_.error(p.mac->at, "bad-mac", "'" + p.mac->value + "' is not a MAC address (like 3c:52:82:1a:2b:3c)");
        continue;
      }
      if (auto [it, inserted] = macAt.emplace(*mac, p.mac->at); !inserted) {
        diags_.error(p.mac->at, "duplicate-mac", "MAC " + mac->toString() + " is pinned twice")
            .notes.push_back({it->second, "first pinned here"});
        continue;
      }
      Pin pin;
      pin.mac = *mac;
      pin.reason = p.reason ? p.reason->value : "";
      if (p.deviceClass) {
        auto it = std::find_if(out_.classes.begin(), out_.classes.end(),
                               [&](const DeviceClass& c) { return c.name == p.deviceClass->value; });
        if (it == out_.classes.end()) {
          if (classAt_.count(p.deviceClass->value))
            diags_.error(p.deviceClass->at, "disabled-class",
                         "class '" + p.deviceClass->value + "' is switched off in this policy");
          else undefined(*p.deviceClass, "class", keysOf(classAt_));
        } else {
          pin.deviceClass = it->name;
          pin.zone = it->zone;
        }
      }
      if (p.zone) {
        ZoneId z = zoneRef(*p.zone, "zone");
        if (z != kNoZone && pin.zone != kNoZone && z != pin.zone) {
          diags_.error(p.zone->at, "pin-conflict",
                       "the pin names zone '" + p.zone->value + "' but class '" + pin.deviceClass + "' lands in zone '" +
                           out_.zoneName(pin.zone) + "'");
        }
        if (z != kNoZone) pin.zone = z;
      }
      pinDecls_.push_back(&p);
      out_.pins.push_back(std::move(pin));
    }
  }
  // Keep pinDecls_ parallel with the sorted pins.
  std::vector<size_t> order(out_.pins.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return out_.pins[a].mac < out_.pins[b].mac; });
  std::vector<Pin> pins;
  std::vector<const PinDecl*> decls;
  for (size_t i : order) {
    pins.push_back(out_.pins[i]);
    decls.push_back(pinDecls_[i]);
  }
  out_.pins = std::move(pins);
  pinDecls_ = std::move(decls);
}

void PolicyBuilder::buildTests() {
  std::map<std::string, SourceLocation> nameAt;
  for (PolicyFile& f : chain_) {
    for (const TestDecl& t : f.tests) {
      if (!t.name.value.empty()) {
        if (auto [it, inserted] = nameAt.emplace(t.name.value, t.name.at); !inserted) {
          duplicate(t.name, "test", it->second, false);
        }
      }
      ExpectedOutcome out;
      out.name = t.name.value;
      if (t.isDevice) {
        out.kind = ExpectedOutcome::Kind::kDevice;
        if (t.mac) {
          if (auto mac = MacAddress::parse(t.mac->value)) out.mac = *mac;
          else diags_.error(t.mac->at, "bad-mac", "'" + t.mac->value + "' is not a MAC address (like 3c:52:82:1a:2b:3c)");
        }
        if (t.dhcpVendorClass) out.dhcpVendorClass = t.dhcpVendorClass->value;
        if (t.dhcpHostname) out.dhcpHostname = t.dhcpHostname->value;
        if (t.cdpPlatform) out.cdpPlatform = t.cdpPlatform->value;
        if (t.sipUserAgent) out.sipUserAgent = t.sipUserAgent->value;
        if (t.dhcpParameterList) {
          for (const At<long>& v : t.dhcpParameterList->value) {
            if (v.value < 1 || v.value > 254)
              diags_.error(v.at, "bad-value", "DHCP option code " + std::to_string(v.value) + " is out of range 1-254");
            else out.dhcpParameterList.push_back(static_cast<uint8_t>(v.value));
          }
        }
        if (t.dhcpv6VendorClass) out.dhcpv6VendorClass = dhcpv6VendorClass(*t.dhcpv6VendorClass);
        if (t.dhcpv6OptionRequest) {
          for (const At<long>& v : t.dhcpv6OptionRequest->value) {
            if (v.value < 1 || v.value > 65535)
              diags_.error(v.at, "bad-value",
                           "DHCPv6 option code " + std::to_string(v.value) + " is out of range 1-65535");
            else out.dhcpv6OptionRequest.push_back(static_cast<uint16_t>(v.value));
          }
        }
        for (const Text& c : t.lldpMedCapabilities) out.lldpMedCapabilities.push_back(c.value);
        for (const Text& s : t.mdnsServices) out.mdnsServices.push_back(s.value);
        for (const Text& c : t.cdpCapabilities) {
          if (cdpCapabilityBit(c.value)) out.cdpCapabilities.push_back(c.value);
          else
            diags_.error(c.at, "bad-value",
                         "'" + c.value + "' is not a CDP capability (phone, switch, router, host, ...)");
        }
        if (t.lldpMedVoiceVlan) {
          if (t.lldpMedVoiceVlan->value < 1 || t.lldpMedVoiceVlan->value > 4094)
            diags_.error(t.lldpMedVoiceVlan->at, "vlan-range", "VLAN out of range 1-4094");
          else out.lldpMedVoiceVlan = static_cast<uint16_t>(t.lldpMedVoiceVlan->value);
        }
        if (t.expectZone) out.expectZone = zoneRef(*t.expectZone, "zone");
        if (t.expectClass) {
          if (!classAt_.count(t.expectClass->value)) undefined(*t.expectClass, "class", keysOf(classAt_));
          else out.expectClass = t.expectClass->value;
        }
      } else if (t.isFlow) {
        out.kind = ExpectedOutcome::Kind::kFlow;
        if (t.from) out.from = zoneRef(*t.from, "zone");
        else diags_.error(t.at, "missing-key", "test '" + t.name.value + "' flow needs 'from'");
        if (t.to) {
          if (ZoneId z = out_.findZone(t.to->value); z != kNoZone) out.toZone = z;
          else if (auto p = Prefix::parse(t.to->value); p && p->length == p->maxLength()) out.toAddress = *p;
          else
            diags_.error(t.to->at, "bad-value", "a test flow goes to a zone or one address, not '" + t.to->value + "'");
        } else {
          diags_.error(t.at, "missing-key", "test '" + t.name.value + "' flow needs 'to'");
        }
        if (t.protocol) {
          if (auto p = parseProtocol(t.protocol->value)) out.protocol = *p;
          else diags_.error(t.protocol->at, "bad-value", "proto must be tcp, udp, icmp, icmpv6 or any");
        }
        if (t.port) {
          if (t.port->value < 0 || t.port->value > 65535)
            diags_.error(t.port->at, "bad-value", "port out of range 0-65535");
          else out.port = static_cast<uint16_t>(t.port->value);
        }
        if (t.expectAction) {
          if (auto a = parseAction(t.expectAction->value)) out.expectAction = *a;
          else
            diags_.error(t.expectAction->at, "bad-value",
                         "a flow test expects allow or deny, not '" + t.expectAction->value + "'");
        }
      } else {
        continue;
      }
      out_.control.tests.push_back(std::move(out));
    }
  }
}

}  // namespace portvakt::policy
