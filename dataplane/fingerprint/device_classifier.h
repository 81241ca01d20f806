#pragma once
// classifyDevice: the policy's class rules applied to one device's evidence.
//
// How it decides (docs/policy.md, "classes" and "pins"; docs/fingerprinting.md):
//  1. A pin for the MAC always wins: its class (and that class's zone, unless
//     the pin names a zone) or its zone. Evidence is still scored, so an
//     explanation can show what the profiler would have said.
//  2. Otherwise every class is scored: each configured matcher that fires is
//     one signal. A class matches when at least `evidenceRequired` signals
//     fired and every `required` one is among them. The matching class with
//     the highest priority wins, ties by name.
//  3. Otherwise the device lands in the port's default zone.
//
// A class may also name `require` groups (at least one kind of each group
// must fire) and DHCP fingerprint categories; a device whose option-55 list
// the policy's fingerprint data knows as another category contradicts such
// a class, which then does not match however much else fired.
//
// Matchers: vendor class and CDP platform are case-sensitive globs; host name
// and SIP User-Agent are case-insensitive globs (clients vary the case of
// both); the option-55 list must equal one configured list exactly, in order;
// every listed LLDP capability must be advertised; the voice network policy
// must name the VLAN; mDNS service types compare case-insensitively (DNS);
// the OUI is the MAC's first three bytes, listed; the DHCPv6 vendor class
// must have the enterprise number and its data match the (case-sensitive)
// glob; the DHCPv6 option request list must equal one list exactly, in order.
//
// It is a pure function of (policy, evidence, default zone): the profiler
// calls it when a device's evidence changes, and `portvakt policy test` calls
// it on evidenceFromExpectedOutcome(), so a test case and live traffic take
// the same path. No allocation, no exceptions; the decision holds views into
// the policy, so it must not outlive it.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/fingerprint/evidence.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::fingerprint {

using SignalMask = uint16_t;  // bit n: tables::Signal n fired
constexpr SignalMask signalBit(tables::Signal s) { return static_cast<SignalMask>(1u << static_cast<unsigned>(s)); }

// One class that at least one signal pointed at.
struct Candidate {
  uint16_t classIndex = 0;  // into CompiledPolicy::classes
  SignalMask fired = 0;
  uint8_t firedCount = 0;
  uint8_t configured = 0;
  uint8_t required = 0;       // evidenceRequired
  bool matched = false;       // enough evidence and every required signal
  bool contradicted = false;  // the policy's fingerprint data knows the option-55 list as another category
};

// Why 16: policies have a handful of classes; the list is for explanations.
// The winner is scored separately, so a cut list never hides why it won.
inline constexpr size_t kMaxCandidates = 16;

enum class DecisionSource : uint8_t {
  kPin,          // a policy pin placed the device
  kClass,        // a class matched
  kDefaultZone,  // nothing matched: the port's default zone
};
const char* toString(DecisionSource s);

inline constexpr int kNoClass = -1;

struct ClassDecision {
  DecisionSource source = DecisionSource::kDefaultZone;
  int classIndex = kNoClass;          // into CompiledPolicy::classes, or kNoClass
  std::string_view className;         // view into the policy; empty: no class
  int evidenceClassIndex = kNoClass;  // the class the evidence alone picks (differs from classIndex under a pin)
  tables::ZoneId zone = tables::kNoZone;
  bool pinned = false;
  std::string_view pinReason;  // view into the policy
  // The policy's fingerprint entry for the device's option-55 list (view into
  // the policy), or nullptr: what explains a contradicted candidate.
  const tables::DhcpFingerprint* knownFingerprint = nullptr;
  // The decided class's evidence: fired / configured (0 with no class). A
  // pinned class shows its own evidence score, which may be 0: the pin, not
  // the evidence, placed it.
  double confidence = 0.0;
  SignalMask winnerFired = 0;
  std::array<Candidate, kMaxCandidates> candidates{};  // in policy order (priority, name)
  uint8_t candidateCount = 0;
  uint8_t candidatesDropped = 0;

  bool sameOutcome(const ClassDecision& other) const {
    return classIndex == other.classIndex && zone == other.zone && pinned == other.pinned;
  }
  // "class ip-phone zone voice confidence 0.67 (lldp_med.capabilities, sip.user_agent)".
  std::string explain(const tables::CompiledPolicy& policy) const;
};

// The decision for one device; see the essay above.
ClassDecision classifyDevice(const tables::CompiledPolicy& policy, const DeviceEvidence& evidence,
                             tables::ZoneId portDefaultZone);

// Which signals of one class the evidence fires (exposed for spoof checks
// and tests).
SignalMask firedSignals(const tables::CompiledPolicy& policy, const tables::DeviceClass& deviceClass,
                        const DeviceEvidence& evidence);

// The policy's fingerprint entry for the device's option-55 list, or nullptr.
const tables::DhcpFingerprint* knownFingerprint(const tables::CompiledPolicy& policy, const DeviceEvidence& evidence);
// Whether `known` is in one of the class's dhcp.fingerprint categories.
bool inCategories(const tables::DhcpFingerprint& known, const tables::DeviceClass& deviceClass);
// A class with dhcp.fingerprint categories, and a device whose option-55 list
// the policy's data knows under none of them: the class does not match.
bool contradictsClass(const tables::CompiledPolicy& policy, const tables::DeviceClass& deviceClass,
                      const DeviceEvidence& evidence);

// Binary searches over the policy's sorted tables.
const tables::InventoryDevice* findInventory(const tables::CompiledPolicy& policy, const tables::MacAddress& mac);
const tables::Pin* findPin(const tables::CompiledPolicy& policy, const tables::MacAddress& mac);
int findClass(const tables::CompiledPolicy& policy, std::string_view name);  // kNoClass if absent
// The first quarantine zone, or kNoZone.
tables::ZoneId quarantineZone(const tables::CompiledPolicy& policy);
// The default zone every access port shares, or kNoZone when they differ or
// there is none: what `portvakt policy test` uses for a device test, which
// names no port.
tables::ZoneId commonAccessDefaultZone(const tables::CompiledPolicy& policy);

// `portvakt policy test` for one kDevice case: classify its traits and compare
// with expectClass (empty: any) and expectZone (kNoZone: any). `defaultZone`
// is usually commonAccessDefaultZone(policy).
struct DeviceTestResult {
  bool passed = false;
  std::string message;  // what was expected and what the decision was, with evidence
};
DeviceTestResult runDeviceTest(const tables::CompiledPolicy& policy, const tables::ExpectedOutcome& test,
                               tables::ZoneId defaultZone);

std::string signalsToString(SignalMask mask);  // "inventory,dhcp.vendor_class"

}  // namespace portvakt::fingerprint
