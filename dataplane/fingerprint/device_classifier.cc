#include "dataplane/fingerprint/device_classifier.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "dataplane/fingerprint/glob.h"

namespace portvakt::fingerprint {
namespace {

using tables::DeviceClass;
using tables::Signal;

bool anyGlob(const std::vector<std::string>& patterns, std::string_view text, GlobCase mode) {
  for (const std::string& p : patterns) {
    if (globMatch(p, text, mode)) return true;
  }
  return false;
}

// Policy order: priority high first, then name. The compiler sorts classes
// this way; comparing explicitly keeps a hand-built policy honest too.
bool better(const DeviceClass& a, const DeviceClass& b) {
  return a.priority != b.priority ? a.priority > b.priority : a.name < b.name;
}

int popcount(SignalMask m) { return __builtin_popcount(m); }

}  // namespace

const char* toString(DecisionSource s) {
  switch (s) {
    case DecisionSource::kPin: return "pin";
    case DecisionSource::kClass: return "class";
    case DecisionSource::kDefaultZone: return "default-zone";
  }
  return "?";
}

std::string signalsToString(SignalMask mask) {
  std::string s;
  for (int i = 0; i < tables::kSignalCount; ++i) {
    if (mask & (1u << i)) {
      if (!s.empty()) s += ',';
      s += tables::toString(static_cast<Signal>(i));
    }
  }
  return s;
}

const tables::InventoryDevice* findInventory(const tables::CompiledPolicy& policy, const tables::MacAddress& mac) {
  auto it = std::lower_bound(policy.inventory.begin(), policy.inventory.end(), mac,
                             [](const tables::InventoryDevice& d, const tables::MacAddress& m) { return d.mac < m; });
  return it != policy.inventory.end() && it->mac == mac ? &*it : nullptr;
}

const tables::Pin* findPin(const tables::CompiledPolicy& policy, const tables::MacAddress& mac) {
  auto it = std::lower_bound(policy.pins.begin(), policy.pins.end(), mac,
                             [](const tables::Pin& p, const tables::MacAddress& m) { return p.mac < m; });
  return it != policy.pins.end() && it->mac == mac ? &*it : nullptr;
}

int findClass(const tables::CompiledPolicy& policy, std::string_view name) {
  for (size_t i = 0; i < policy.classes.size(); ++i) {
    if (policy.classes[i].name == name) return static_cast<int>(i);
  }
  return kNoClass;
}

tables::ZoneId quarantineZone(const tables::CompiledPolicy& policy) {
  for (size_t i = 0; i < policy.zones.size(); ++i) {
    if (policy.zones[i].quarantine) return static_cast<tables::ZoneId>(i);
  }
  return tables::kNoZone;
}

tables::ZoneId commonAccessDefaultZone(const tables::CompiledPolicy& policy) {
  tables::ZoneId zone = tables::kNoZone;
  for (const tables::Port& p : policy.ports) {
    if (p.role != tables::PortRole::kAccess) continue;
    if (zone == tables::kNoZone) zone = p.defaultZone;
    else if (zone != p.defaultZone) return tables::kNoZone;
  }
  return zone;
}

SignalMask firedSignals(const tables::CompiledPolicy& policy, const DeviceClass& c, const DeviceEvidence& e) {
  SignalMask fired = 0;
  if (!c.dhcpv6VendorClass.empty() && e.has(Trait::kDhcpv6VendorClass)) {
    for (const DeviceClass::Dhcpv6VendorClass& v : c.dhcpv6VendorClass) {
      if (v.enterprise == e.dhcpv6Enterprise && globMatch(v.pattern, e.dhcpv6VendorClass.view(), GlobCase::kSensitive)) {
        fired |= signalBit(Signal::kDhcpv6VendorClass);
        break;
      }
    }
  }
  if (!c.dhcpv6OptionRequests.empty() && e.has(Trait::kDhcpv6OptionRequest)) {
    for (const auto& list : c.dhcpv6OptionRequests) {
      if (e.dhcpv6OptionRequest.equals(list)) {
        fired |= signalBit(Signal::kDhcpv6OptionRequest);
        break;
      }
    }
  }
  if (c.inventory && findInventory(policy, e.mac)) fired |= signalBit(Signal::kInventory);
  if (c.dot1x && e.dot1xAuthorised && !e.dot1xIdentity.truncated() && !e.dot1xIdentity.empty()) {
    // The identity must be the inventory asset of this very MAC: a certificate
    // of asset A on the MAC of asset B is no evidence at all.
    const tables::InventoryDevice* inv = findInventory(policy, e.mac);
    if (inv && inv->assetId == e.dot1xIdentity.view()) fired |= signalBit(Signal::kDot1x);
  }
  if (!c.dhcpVendorClass.empty() && e.has(Trait::kDhcpVendorClass) &&
      anyGlob(c.dhcpVendorClass, e.dhcpVendorClass.view(), GlobCase::kSensitive))
    fired |= signalBit(Signal::kDhcpVendorClass);
  if (!c.dhcpParameterLists.empty() && e.has(Trait::kDhcpParameterList)) {
    for (const auto& list : c.dhcpParameterLists) {
      if (e.dhcpParameterList.equals(list)) {
        fired |= signalBit(Signal::kDhcpParameterList);
        break;
      }
    }
  }
  if (!c.dhcpHostname.empty() && e.has(Trait::kDhcpHostname) &&
      anyGlob(c.dhcpHostname, e.dhcpHostname.view(), GlobCase::kInsensitive))
    fired |= signalBit(Signal::kDhcpHostname);
  if (!c.lldpMedCapabilities.empty() && (e.has(Trait::kLldpCapabilities) || e.has(Trait::kLldpMedCapabilities))) {
    bool all = true;
    for (const std::string& name : c.lldpMedCapabilities) {
      auto bit = lldpCapabilityBit(name);
      const uint16_t have = bit && bit->med ? e.lldpMedCapabilities : e.lldpCapabilities;
      if (!bit || (have & bit->bit) == 0) {
        all = false;
        break;
      }
    }
    if (all) fired |= signalBit(Signal::kLldpMedCapability);
  }
  if (c.lldpMedVoiceVlan && e.lldpVoiceVlan && *e.lldpVoiceVlan == *c.lldpMedVoiceVlan)
    fired |= signalBit(Signal::kLldpMedVoiceVlan);
  if (!c.lldpMedApplications.empty()) {
    bool all = true;
    for (uint8_t app : c.lldpMedApplications) all = all && (e.lldpApplications & (1u << app)) != 0;
    if (all) fired |= signalBit(Signal::kLldpMedApplication);
  }
  if (!c.cdpPlatform.empty() && e.has(Trait::kCdpPlatform) &&
      anyGlob(c.cdpPlatform, e.cdpPlatform.view(), GlobCase::kSensitive))
    fired |= signalBit(Signal::kCdpPlatform);
  if (!c.sipUserAgent.empty() && e.has(Trait::kSipUserAgent) &&
      anyGlob(c.sipUserAgent, e.sipUserAgent.view(), GlobCase::kInsensitive))
    fired |= signalBit(Signal::kSipUserAgent);
  for (const std::string& s : c.mdnsServices) {
    if (e.hasMdnsService(s)) {
      fired |= signalBit(Signal::kMdnsService);
      break;
    }
  }
  if (std::find(c.ouis.begin(), c.ouis.end(), e.oui()) != c.ouis.end()) fired |= signalBit(Signal::kOui);
  if (c.cdpCapabilities != 0 && e.has(Trait::kCdpCapabilities) &&
      (e.cdpCapabilities & c.cdpCapabilities) == c.cdpCapabilities)
    fired |= signalBit(Signal::kCdpCapability);
  if (!c.dhcpFingerprints.empty()) {
    if (const tables::DhcpFingerprint* known = knownFingerprint(policy, e); known && inCategories(*known, c))
      fired |= signalBit(Signal::kDhcpFingerprint);
  }
  return fired;
}

const tables::DhcpFingerprint* knownFingerprint(const tables::CompiledPolicy& policy, const DeviceEvidence& e) {
  if (!e.has(Trait::kDhcpParameterList) || e.dhcpParameterList.truncated()) return nullptr;
  const auto codes = e.dhcpParameterList.codes();
  return policy.findDhcpFingerprint(codes.data(), codes.size());
}

bool inCategories(const tables::DhcpFingerprint& known, const tables::DeviceClass& c) {
  for (const std::string& want : c.dhcpFingerprints) {
    for (const std::string& category : known.categories) {
      if (equalsIgnoreCase(category, want)) return true;
    }
  }
  return false;
}

bool contradictsClass(const tables::CompiledPolicy& policy, const tables::DeviceClass& c, const DeviceEvidence& e) {
  if (c.dhcpFingerprints.empty()) return false;
  const tables::DhcpFingerprint* known = knownFingerprint(policy, e);
  return known != nullptr && !inCategories(*known, c);
}

ClassDecision classifyDevice(const tables::CompiledPolicy& policy, const DeviceEvidence& evidence,
                             tables::ZoneId portDefaultZone) {
  ClassDecision d;
  int best = kNoClass;
  for (size_t i = 0; i < policy.classes.size(); ++i) {
    const DeviceClass& c = policy.classes[i];
    const SignalMask fired = firedSignals(policy, c, evidence);
    if (fired == 0) continue;
    SignalMask requiredMask = 0;
    for (Signal s : c.required) requiredMask |= signalBit(s);
    bool everyGroup = true;
    for (const auto& group : c.requiredAnyOf) {
      SignalMask groupMask = 0;
      for (Signal s : group) groupMask |= signalBit(s);
      everyGroup = everyGroup && (fired & groupMask) != 0;
    }
    const bool contradicted = contradictsClass(policy, c, evidence);
    const int count = popcount(fired);
    const bool matched = c.evidenceRequired > 0 && count >= c.evidenceRequired &&
                         (fired & requiredMask) == requiredMask && everyGroup && !contradicted;
    if (d.candidateCount < kMaxCandidates) {
      Candidate& cand = d.candidates[d.candidateCount++];
      cand.classIndex = static_cast<uint16_t>(i);
      cand.fired = fired;
      cand.firedCount = static_cast<uint8_t>(count);
      cand.configured = static_cast<uint8_t>(std::clamp(c.configuredSignals, 0, 255));
      cand.required = static_cast<uint8_t>(std::clamp(c.evidenceRequired, 0, 255));
      cand.matched = matched;
      cand.contradicted = contradicted;
    } else if (d.candidatesDropped < 255) {
      ++d.candidatesDropped;
    }
    if (matched && (best == kNoClass || better(c, policy.classes[static_cast<size_t>(best)]))) best = static_cast<int>(i);
  }

  auto setClass = [&](int index) {
    d.classIndex = index;
    if (index == kNoClass) return;
    const DeviceClass& c = policy.classes[static_cast<size_t>(index)];
    d.className = c.name;
    d.zone = c.zone;
    d.winnerFired = firedSignals(policy, c, evidence);
    d.confidence = c.configuredSignals > 0 ? double(popcount(d.winnerFired)) / c.configuredSignals : 0.0;
  };

  d.evidenceClassIndex = best;
  d.knownFingerprint = knownFingerprint(policy, evidence);
  if (const tables::Pin* pin = findPin(policy, evidence.mac)) {
    d.source = DecisionSource::kPin;
    d.pinned = true;
    d.pinReason = pin->reason;
    setClass(pin->deviceClass.empty() ? kNoClass : findClass(policy, pin->deviceClass));
    if (pin->zone != tables::kNoZone) d.zone = pin->zone;
    if (d.zone == tables::kNoZone) d.zone = portDefaultZone;  // a pin to a class the policy lacks
    return d;
  }
  if (best != kNoClass) {
    d.source = DecisionSource::kClass;
    setClass(best);
    return d;
  }
  d.source = DecisionSource::kDefaultZone;
  d.zone = portDefaultZone;
  return d;
}

std::string ClassDecision::explain(const tables::CompiledPolicy& policy) const {
  std::ostringstream o;
  // Said once: "class ip-phone zone voice", not "class class ip-phone".
  if (source == DecisionSource::kPin) o << "pin: ";
  if (source == DecisionSource::kDefaultZone) o << "no class matched: the port's default ";
  else if (!className.empty()) o << "class " << className << ' ';
  o << "zone " << (zone == tables::kNoZone ? std::string("-") : policy.zoneName(zone));
  char conf[16];
  std::snprintf(conf, sizeof conf, "%.2f", confidence);
  o << " confidence " << conf;
  if (winnerFired) o << " (" << signalsToString(winnerFired) << ")";
  if (pinned) o << " pin: \"" << pinReason << '"';
  for (size_t i = 0; i < candidateCount; ++i) {
    const Candidate& c = candidates[i];
    o << "; candidate " << policy.classes[c.classIndex].name << ' ' << int{c.firedCount} << '/' << int{c.configured}
      << " need " << int{c.required} << (c.matched ? " matched" : " not matched") << " (" << signalsToString(c.fired)
      << ')';
    if (c.contradicted && knownFingerprint) {
      // Why a class with enough evidence still did not match.
      o << " contradicted: dhcp.parameter_list is \"" << knownFingerprint->description << "\" (";
      for (size_t k = 0; k < knownFingerprint->categories.size(); ++k)
        o << (k ? "," : "") << knownFingerprint->categories[k];
      o << ") in the policy's fingerprints, not ";
      const auto& want = policy.classes[c.classIndex].dhcpFingerprints;
      for (size_t k = 0; k < want.size(); ++k) o << (k ? "," : "") << want[k];
    }
  }
  if (candidatesDropped) o << "; +" << int{candidatesDropped} << " more candidates";
  return o.str();
}

DeviceTestResult runDeviceTest(const tables::CompiledPolicy& policy, const tables::ExpectedOutcome& test,
                               tables::ZoneId defaultZone) {
  DeviceTestResult r;
  const DeviceEvidence evidence = evidenceFromExpectedOutcome(test);
  const ClassDecision d = classifyDevice(policy, evidence, defaultZone);
  const bool classOk = test.expectClass.empty() || d.className == test.expectClass;
  const bool zoneOk = test.expectZone == tables::kNoZone || d.zone == test.expectZone;
  r.passed = classOk && zoneOk;
  std::ostringstream o;
  o << "expected";
  if (!test.expectClass.empty()) o << " class " << test.expectClass;
  if (test.expectZone != tables::kNoZone) o << " zone " << policy.zoneName(test.expectZone);
  o << ", got " << d.explain(policy) << "; evidence " << evidence.describe();
  r.message = o.str();
  return r;
}

}  // namespace portvakt::fingerprint
