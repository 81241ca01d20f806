#include "control/daemon/device_json.h"

#include <vector>

namespace portvakt::control {

using fingerprint::DeviceEvidence;
using fingerprint::Trait;
using nlohmann::json;

namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

void mark(DeviceEvidence& e, Trait t) { e.present |= fingerprint::traitBit(t); }

template <size_t N>
Status readText(const json& in, const char* key, fingerprint::TraitText<N>& out, DeviceEvidence& e, Trait t) {
  if (!in.contains(key)) return {};
  if (!in[key].is_string()) return Error{std::string(key) + ": not a string"};
  // Whether the value changed does not matter for a fresh record; an overlong
  // one is cut to the trait's bound (and marked truncated), as from a frame.
  (void)out.assign(in[key].get<std::string>());
  mark(e, t);
  return {};
}

// An unsigned number no larger than `max`.
Result<uint32_t> readNumber(const json& in, const char* key, uint32_t max) {
  if (!in[key].is_number_unsigned() || in[key].get<uint64_t>() > max) {
    return Error{std::string(key) + ": not a number from 0 to " + std::to_string(max)};
  }
  return static_cast<uint32_t>(in[key].get<uint64_t>());
}

int64_t seconds(int64_t ns) { return ns / kNsPerSecond; }

}  // namespace

json evidenceToJson(const DeviceEvidence& e) {
  json out = json::object();
  if (e.has(Trait::kDhcpVendorClass)) out["dhcp.vendor_class"] = e.dhcpVendorClass.view();
  if (e.has(Trait::kDhcpParameterList)) {
    json codes = json::array();
    for (uint8_t c : e.dhcpParameterList.codes()) codes.push_back(c);
    out["dhcp.parameter_list"] = codes;
  }
  if (e.has(Trait::kDhcpHostname)) out["dhcp.hostname"] = e.dhcpHostname.view();
  if (e.has(Trait::kLldpCapabilities)) out["lldp.capabilities"] = e.lldpCapabilities;
  if (e.has(Trait::kLldpMedCapabilities)) {
    out["lldp_med.capabilities"] = e.lldpMedCapabilities;
    out["lldp_med.device_type"] = e.lldpMedDeviceType;
  }
  if (e.has(Trait::kLldpNetworkPolicy)) {
    out["lldp_med.applications"] = e.lldpApplications;
    if (e.lldpVoiceVlan) out["lldp_med.voice_vlan"] = *e.lldpVoiceVlan;
  }
  if (e.has(Trait::kCdpPlatform)) out["cdp.platform"] = e.cdpPlatform.view();
  if (e.has(Trait::kSipUserAgent)) out["sip.user_agent"] = e.sipUserAgent.view();
  if (e.has(Trait::kMdnsServices)) {
    json services = json::array();
    for (size_t i = 0; i < e.mdnsServiceCount; ++i) services.push_back(e.mdnsServices[i].view());
    out["mdns.services"] = services;
  }
  if (e.has(Trait::kSsdpServer)) out["ssdp.server"] = e.ssdpServer.view();
  return out;
}

Status evidenceFromJson(const json& in, DeviceEvidence& e) {
  if (!in.is_object()) return Error{"evidence: not a JSON object"};
  static const char* const kKnown[] = {"dhcp.vendor_class",     "dhcp.parameter_list",   "dhcp.hostname",
                                       "lldp.capabilities",     "lldp_med.capabilities", "lldp_med.device_type",
                                       "lldp_med.applications", "lldp_med.voice_vlan",   "cdp.platform",
                                       "sip.user_agent",        "mdns.services",         "ssdp.server"};
  for (const auto& item : in.items()) {
    bool known = false;
    for (const char* k : kKnown) known = known || item.key() == k;
    if (!known) return Error{"evidence: unknown key '" + item.key() + "'"};
  }
  if (auto read = readText(in, "dhcp.vendor_class", e.dhcpVendorClass, e, Trait::kDhcpVendorClass); !read) return read;
  if (auto read = readText(in, "dhcp.hostname", e.dhcpHostname, e, Trait::kDhcpHostname); !read) return read;
  if (auto read = readText(in, "cdp.platform", e.cdpPlatform, e, Trait::kCdpPlatform); !read) return read;
  if (auto read = readText(in, "sip.user_agent", e.sipUserAgent, e, Trait::kSipUserAgent); !read) return read;
  if (auto read = readText(in, "ssdp.server", e.ssdpServer, e, Trait::kSsdpServer); !read) return read;
  if (in.contains("dhcp.parameter_list")) {
    const json& list = in["dhcp.parameter_list"];
    if (!list.is_array() || list.size() > fingerprint::kMaxParameterList)
      return Error{"dhcp.parameter_list: not a list of at most 64 codes"};
    std::vector<uint8_t> codes;
    for (const json& c : list) {
      if (!c.is_number_unsigned() || c.get<uint64_t>() > 255) return Error{"dhcp.parameter_list: a code is not 0-255"};
      codes.push_back(static_cast<uint8_t>(c.get<uint64_t>()));
    }
    (void)e.dhcpParameterList.assign(codes);  // whether it changed: a fresh record, so it did
    mark(e, Trait::kDhcpParameterList);
  }
  if (in.contains("lldp.capabilities")) {
    auto value = readNumber(in, "lldp.capabilities", 0xffff);
    if (!value) return value.error();
    e.lldpCapabilities = static_cast<uint16_t>(*value);
    mark(e, Trait::kLldpCapabilities);
  }
  if (in.contains("lldp_med.capabilities")) {
    auto value = readNumber(in, "lldp_med.capabilities", 0xffff);
    if (!value) return value.error();
    e.lldpMedCapabilities = static_cast<uint16_t>(*value);
    if (in.contains("lldp_med.device_type")) {
      auto deviceType = readNumber(in, "lldp_med.device_type", 0xff);
      if (!deviceType) return deviceType.error();
      e.lldpMedDeviceType = static_cast<uint8_t>(*deviceType);
    }
    mark(e, Trait::kLldpMedCapabilities);
  }
  if (in.contains("lldp_med.applications")) {
    auto value = readNumber(in, "lldp_med.applications", 0xffff);
    if (!value) return value.error();
    e.lldpApplications = static_cast<uint16_t>(*value);
    if (in.contains("lldp_med.voice_vlan")) {
      auto voiceVlan = readNumber(in, "lldp_med.voice_vlan", 4095);
      if (!voiceVlan) return voiceVlan.error();
      e.lldpVoiceVlan = static_cast<uint16_t>(*voiceVlan);
    }
    mark(e, Trait::kLldpNetworkPolicy);
  }
  if (in.contains("mdns.services")) {
    const json& list = in["mdns.services"];
    if (!list.is_array()) return Error{"mdns.services: not a list"};
    for (const json& s : list) {
      if (!s.is_string()) return Error{"mdns.services: an entry is not a string"};
      // false: past kMaxMdnsServices, counted as dropped by the record itself.
      (void)e.addMdnsService(s.get<std::string>(), 0);
    }
  }
  return {};
}

json deviceToJson(const DeviceSnapshot& d, bool withEvidence) {
  json out = {{"mac", d.evidence.mac.toString()},
              {"port", d.port},
              {"class", d.deviceClass},
              {"zone", d.zone},
              {"confidence", d.confidence},
              {"source", d.source},
              {"pinned", d.pinned},
              {"inventoried", d.inventoried},
              {"randomized", d.randomized},
              {"spoof_suspect", d.spoofReasons},
              {"quarantined_as_suspect", d.quarantinedAsSuspect},
              {"first_seen", seconds(d.firstSeenNs)},
              {"last_seen", seconds(d.lastSeenNs)},
              {"frames", d.frames},
              {"live", true}};
  // 802.1X as the dataplane last took it (never stored: sessions do not outlive hostapd).
  if (d.evidence.dot1xAuthorised)
    out["dot1x"] = {{"state", "authorised"}, {"identity", std::string(d.evidence.dot1xIdentity.view())}};
  if (withEvidence) {
    out["evidence"] = evidenceToJson(d.evidence);
    out["explanation"] = d.explanation;
  }
  return out;
}

json deviceToJson(const store::DeviceRecord& d, bool withEvidence) {
  json out = {{"mac", d.mac},
              {"port", d.port},
              {"class", d.deviceClass},
              {"zone", d.zone},
              {"confidence", d.confidence},
              {"first_seen", d.firstSeen},
              {"last_seen", d.lastSeen},
              {"live", false}};
  if (withEvidence) {
    json evidence = json::parse(d.evidenceJson, nullptr, false);
    out["evidence"] = evidence.is_discarded() ? json::object() : evidence;
  }
  return out;
}

store::DeviceRecord toRecord(const DeviceSnapshot& d) {
  store::DeviceRecord r;
  r.mac = d.evidence.mac.toString();
  r.port = d.port;
  r.deviceClass = d.deviceClass;
  r.zone = d.zone;
  r.confidence = d.confidence;
  r.evidenceJson = evidenceToJson(d.evidence).dump(-1, ' ', false, json::error_handler_t::replace);
  r.firstSeen = seconds(d.firstSeenNs);
  r.lastSeen = seconds(d.lastSeenNs);
  return r;
}

Result<DeviceSeed> toSeed(const store::DeviceRecord& record) {
  DeviceSeed seed;
  auto mac = tables::MacAddress::parse(record.mac);
  if (!mac) return Error{"device " + record.mac + ": not a MAC address"};
  seed.evidence.mac = *mac;
  json evidence = json::parse(record.evidenceJson, nullptr, false);
  if (evidence.is_discarded()) return Error{"device " + record.mac + ": evidence is not JSON"};
  if (auto read = evidenceFromJson(evidence, seed.evidence); !read) {
    return Error{"device " + record.mac + ": " + read.error().message};
  }
  seed.port = record.port;
  seed.firstSeenNs = record.firstSeen * kNsPerSecond;
  seed.lastSeenNs = record.lastSeen * kNsPerSecond;
  for (auto& t : seed.evidence.lastSeenNs) t = seed.lastSeenNs;
  return seed;
}

}  // namespace portvakt::control
