#pragma once
// The compiled policy: the immutable, versioned, hashed table set that the
// dataplane and the control plane run. It is produced by policy/compiler from
// YAML and knows nothing of YAML itself; everything in it is resolved (names to
// ids, port ranges expanded, modes inherited) so a consumer never re-derives
// policy meaning.
//
// Two parts, two hashes. The tables the dataplane runs (zones, ports, classes,
// inventory, flows, invariants, pins, 802.1X, fingerprints) are hashed into
// contentHash; the control plane's settings (alert sinks and routes,
// maintenance windows, management roles, retention, the policy's own tests)
// are CompiledPolicy::control, hashed into control.settingsHash. The dataplane
// re-decides its devices only when contentHash changes, so a new webhook URL
// does not touch a single placement; the audit trail records both.
//
// Determinism: each part's canonical text form (dumpTables, ControlSettings::
// dumpCanonical) is a pure function of it, and each hash is the SHA-256 of
// that text; equal input gives byte-identical output.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/tables/addresses.h"
#include "policy/tables/event_type.h"

namespace portvakt::tables {

inline constexpr int kCompiledFormatVersion = 1;

using ZoneId = uint16_t;
inline constexpr ZoneId kNoZone = 0xffff;

enum class Mode : uint8_t { kEnforce, kMonitor };
enum class PortRole : uint8_t { kAccess, kUplink, kTrunk, kMonitor };
enum class Protocol : uint8_t { kAny, kTcp, kUdp, kIcmp, kIcmpv6 };
enum class Action : uint8_t { kAllow, kDeny };
enum class Severity : uint8_t { kInfo, kWarning, kCritical };

const char* toString(Mode m);
const char* toString(PortRole r);
const char* toString(Protocol p);
const char* toString(Action a);
const char* toString(Severity s);

// Link-local services: the frames with a broadcast/multicast destination MAC
// that flood within a zone without a flow rule (docs/policy.md, `link_local`).
// Every other IP frame with a group destination goes through the flow rules.
enum class LinkLocalService : uint8_t {
  kArp,     // ARP requests and replies (EtherType 0x0806), unicast ones too
  kDhcp,    // DHCPv4 client messages: UDP 68 -> 67 to 255.255.255.255
  kDhcpv6,  // DHCPv6 client messages: UDP 546 -> 547 to ff02::1:2
  kNd,      // ICMPv6 router solicitation, neighbour solicitation/advertisement to ff02::/16
  kMdns,    // UDP to port 5353 at 224.0.0.251 / ff02::fb
  kIgmp,    // IGMP membership messages (IPv4 protocol 2) to 224.0.0.0/4
  kMld,     // MLD queries, reports, done (ICMPv6 130-132, 143) to ff00::/8
};
inline constexpr int kLinkLocalServiceCount = 7;
using LinkLocalSet = uint8_t;  // bit (1 << service)
inline constexpr LinkLocalSet linkLocalBit(LinkLocalService s) {
  return static_cast<LinkLocalSet>(1u << static_cast<unsigned>(s));
}
inline constexpr LinkLocalSet kAllLinkLocal = (1u << kLinkLocalServiceCount) - 1;
// A zone without `link_local` gets all of them.
inline constexpr LinkLocalSet kDefaultLinkLocal = kAllLinkLocal;
const char* toString(LinkLocalService s);
std::optional<LinkLocalService> linkLocalServiceFromName(std::string_view name);

// First-hop roles only routers and DHCP servers play (docs/policy.md, ports
// `trust`). An access port that is not trusted for one has those frames
// dropped and alerted (R6: RA guard, DHCP/DHCPv6 guard); uplinks and trunks
// face the routers and are not checked.
enum class TrustedRole : uint8_t {
  kRa,    // IPv6 router advertisements and redirects (ICMPv6 134, 137)
  kDhcp,  // DHCPv4 and DHCPv6 server and relay-reply messages
};
inline constexpr int kTrustedRoleCount = 2;
using TrustSet = uint8_t;  // bit (1 << role)
inline constexpr TrustSet trustBit(TrustedRole r) { return static_cast<TrustSet>(1u << static_cast<unsigned>(r)); }
const char* toString(TrustedRole r);
std::optional<TrustedRole> trustedRoleFromName(std::string_view name);

// Which of a zone's frames the forwarding loop serves first when it has more
// to do than it can (docs/policy.md, zone `priority`; docs/forwarding.md,
// "Under load"). Only the policy grants it: a device's own DSCP marking counts
// only inside a zone with kDscp.
enum class ZonePriority : uint8_t {
  kNone,   // served in arrival order, dropped first under overload
  kVoice,  // every frame of the zone's devices (and of its uplinks and trunk VLAN)
  kDscp,   // frames of the zone's devices marked DSCP EF (46) or CS3 (24)
};
const char* toString(ZonePriority p);
std::optional<ZonePriority> zonePriorityFromName(std::string_view name);

struct Zone {
  std::string name;
  uint16_t vlan = 0;
  std::string purpose;
  bool quarantine = false;       // reaches nothing, nothing reaches it
  bool isolated = false;         // no traffic between two devices of this zone
  std::vector<Prefix> prefixes;  // the zone's own subnets (may be empty)
  // Addresses only the zone's router may claim: ARP, or an IPv6 neighbour
  // advertisement, from an access port that claims one is dropped as ARP/ND
  // spoofing (R6). IPv4 and IPv6 (link-local ones included).
  std::vector<Prefix> gateways;  // host prefixes
  LinkLocalSet linkLocal = kDefaultLinkLocal;
  // Non-IP EtherTypes devices of the zone may send (sorted, unique), and
  // whether 802.3 LLC frames (no EtherType; SNAP with a vendor OUI) may pass.
  // Everything else that is not IP, ARP or link control is dropped.
  std::vector<uint16_t> etherTypes{};
  bool llcFrames = false;
  // Last, so that the positional initialisers in tests stay as they were.
  ZonePriority priority = ZonePriority::kNone;
  bool allowsEtherType(uint16_t type) const;
};

// How a device on an access port proves what it is (docs/policy.md, ports
// `authentication`; docs/dot1x.md).
enum class Authentication : uint8_t {
  kNone,            // placed by pins and profiling only
  kDot1x,           // 802.1X required: only classes that require dot1x evidence place a device in the port's zones
  kDot1xOrProfile,  // 802.1X offered: authenticated devices show dot1x evidence, the others are profiled
};
const char* toString(Authentication a);

struct Port {
  std::string interface;  // one concrete interface, ranges are expanded
  std::string group;      // the policy's port entry it came from
  PortRole role = PortRole::kAccess;
  std::vector<ZoneId> zones;     // zones the port may carry, sorted
  ZoneId defaultZone = kNoZone;  // access: where unknown devices land; uplink: its zone
  Mode mode = Mode::kEnforce;
  // Missing at start: a warning and the port stays down, not an error (a
  // jack that is only cabled on some days, a USB NIC for a visiting device).
  bool optional = false;
  // Access ports: the first-hop roles a device on it may play (a router on
  // a jack); empty for the usual wall jack.
  TrustSet trust = 0;
  Authentication authentication = Authentication::kNone;
  uint32_t reauthPeriodSeconds = 0;  // dot1x ports: hostapd re-authenticates this often (0: never)
};

// One kind of evidence a device can show. The order is the dump order.
enum class Signal : uint8_t {
  kInventory,
  kDhcpVendorClass,
  kDhcpParameterList,
  kDhcpHostname,
  kLldpMedCapability,
  kLldpMedVoiceVlan,
  kCdpPlatform,
  kSipUserAgent,
  kMdnsService,
  kOui,
  kLldpMedApplication,
  kDhcpv6VendorClass,
  kDhcpv6OptionRequest,
  kCdpCapability,
  kDhcpFingerprint,
  kDot1x,  // an authorised 802.1X session on the device's port whose identity is the MAC's inventory asset
};
inline constexpr int kSignalCount = 16;  // SignalMask (dataplane/fingerprint/device_classifier.h) holds 16
const char* toString(Signal s);
// Whether a device can only show this evidence once it has an IP address and
// reaches a server (a SIP REGISTER goes to a registrar). Everything else is
// sent before or without an address: DHCP and DHCPv6 requests, LLDP, CDP,
// mDNS (link-local addresses), the MAC itself. A device in a quarantine zone
// gets no address, so a class that needs such evidence to match is never
// reached from quarantine (the compiler warns: `evidence-needs-address`).
bool needsAddress(Signal s);

// CDP capability bits (Cisco CDP specification, TLV 0x0004; the names
// Wireshark's packet-cdp.c shows): the policy's names and bits.
struct CdpCapabilityName {
  const char* name;
  uint32_t bit;
};
inline constexpr CdpCapabilityName kCdpCapabilityNames[] = {
    {"router", 0x01},   {"trans-bridge", 0x02}, {"source-route-bridge", 0x04},
    {"switch", 0x08},   {"host", 0x10},         {"igmp", 0x20},
    {"repeater", 0x40}, {"phone", 0x80},        {"remote-managed", 0x100},
    {"cvta", 0x200},    {"mac-relay", 0x400},
};
std::optional<uint32_t> cdpCapabilityBit(std::string_view name);
std::string cdpCapabilitiesToString(uint32_t bits);  // "switch,igmp"; "-" for none

// The longest DHCPv6 option request list the dataplane keeps (the packet
// parser's cap; dataplane/fingerprint/evidence.cc checks they agree). A
// policy list longer than this could never match.
inline constexpr size_t kMaxDhcpv6OptionRequest = 32;

struct DeviceClass {
  std::string name;
  ZoneId zone = kNoZone;
  int priority = 0;  // higher wins when several classes match
  // Each matcher is an OR of patterns; a matcher that fires is one signal.
  bool inventory = false;
  bool dot1x = false;                                    // match: {dot1x: true}
  std::vector<std::string> dhcpVendorClass;              // glob patterns (* and ?)
  std::vector<std::vector<uint8_t>> dhcpParameterLists;  // option 55, exact order
  std::vector<std::string> dhcpHostname;                 // glob patterns
  std::vector<std::string> lldpMedCapabilities;          // e.g. "telephone"; all must be present
  std::optional<uint16_t> lldpMedVoiceVlan;              // network policy: voice app on this VLAN
  std::vector<uint8_t> lldpMedApplications;  // network-policy application types (1 voice .. 8); all must be announced
  std::vector<std::string> cdpPlatform;      // glob patterns
  std::vector<std::string> sipUserAgent;     // glob patterns
  std::vector<std::string> mdnsServices;     // e.g. "_airplay._tcp"
  std::vector<uint32_t> ouis;
  // DHCPv6 (RFC 8415) client messages: vendor class (option 16) as an
  // enterprise number and a case-sensitive glob over its first data item,
  // and option request lists (option 6), exact order.
  struct Dhcpv6VendorClass {
    uint32_t enterprise = 0;
    std::string pattern;
  };
  std::vector<Dhcpv6VendorClass> dhcpv6VendorClass;
  std::vector<std::vector<uint16_t>> dhcpv6OptionRequests;
  uint32_t cdpCapabilities = 0;  // CDP capability bits; every one must be announced (0x80 phone)
  // Categories of the policy's DHCP fingerprint data (CompiledPolicy::
  // dhcpFingerprints, e.g. "Printers"), ASCII case-insensitive: fires when
  // the device's option-55 list is listed under one of them. A list the data
  // knows under none of them contradicts the class: it does not match.
  std::vector<std::string> dhcpFingerprints;
  int configuredSignals = 0;                       // how many matchers are set
  int evidenceRequired = 0;                        // how many must fire (1..configuredSignals)
  std::vector<Signal> required;                    // these must be among the fired ones
  std::vector<std::vector<Signal>> requiredAnyOf;  // of each group, at least one must be among the fired ones
};

// One option-55 list of the policy's DHCP fingerprint data (Fingerbank
// format, named by the policy's `fingerprints` key and compiled in).
struct DhcpFingerprint {
  std::vector<uint8_t> codes;           // option 55, in the client's order
  std::string description;              // the [os N] entry: "HP Printer"
  std::vector<std::string> categories;  // the [class N] entries it is a member of: "Printers"
  bool operator==(const DhcpFingerprint&) const = default;
};

struct InventoryDevice {
  MacAddress mac;
  std::string assetId;
  std::string hostname;
};

// One allow/deny rule, already expanded to one port range and one protocol.
// A rule's destination is a zone (traffic to devices in it) and/or prefixes.
struct FlowRule {
  std::string name;
  ZoneId from = kNoZone;
  ZoneId toZone = kNoZone;
  std::vector<Prefix> toPrefixes;
  std::vector<Prefix> exceptPrefixes;
  Protocol protocol = Protocol::kAny;
  PortRange ports;
  Action action = Action::kAllow;
  Mode mode = Mode::kEnforce;
  // Put here by a `never` invariant (always enforce, ahead of every flow): a
  // deny by it is an invariant_blocked or region_access_attempt, not a
  // flow_denied. A flag, so that no frame's verdict compares names.
  bool invariant = false;
};

struct Invariant {
  enum class Kind : uint8_t { kNeverReaches, kOnlyClasses };
  std::string name;
  Kind kind = Kind::kNeverReaches;
  ZoneId from = kNoZone;
  ZoneId toZone = kNoZone;           // kNeverReaches, zone target
  std::vector<Prefix> toPrefixes;    // kNeverReaches, prefix target
  ZoneId zone = kNoZone;             // kOnlyClasses
  std::vector<std::string> classes;  // kOnlyClasses
};

// A field of an alert that a webhook body template can name ({{severity}}).
enum class AlertField : uint8_t {
  kLiteral,            // not a field: literal text
  kId,                 // {{id}}
  kEvent,              // {{event}}
  kSeverity,           // {{severity}}
  kSite,               // {{site}}
  kPort,               // {{port}}
  kVlan,               // {{vlan}}
  kDevice,             // {{device}}
  kCount,              // {{count}}
  kTime,               // {{time}}
  kEnd,                // {{end}}
  kSummary,            // {{summary}}
  kMaintenanceWindow,  // {{maintenance_window}}
  kHostname,           // {{hostname}}
  kEvidence,           // {{evidence}}: every item
  kEvidenceItem,       // {{evidence.KEY}}
};
// The placeholder's name ("severity", "evidence" for both evidence forms); "" for kLiteral.
const char* toString(AlertField f);

// One piece of a text template: literal text, or a field (text holds the
// evidence key for kEvidenceItem).
struct TemplatePiece {
  AlertField field = AlertField::kLiteral;
  std::string text;
  bool operator==(const TemplatePiece&) const = default;
};

// A JSON value the policy writes as a webhook body. Text is a template of
// pieces; kBySeverity picks one of its three items (info, warning, critical)
// by the alert's severity. No JSON library here: control/alerts renders it.
struct BodyValue {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kText, kObject, kArray, kBySeverity };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string number;               // kNumber: a JSON number as written
  std::vector<TemplatePiece> text;  // kText
  std::vector<std::string> keys;    // kObject: member names, in written order
  std::vector<BodyValue> items;     // kObject: member values; kArray: elements; kBySeverity: info, warning, critical
};
// Canonical one-line text of a body (JSON-like; placeholders as {{name}}).
std::string toString(const BodyValue& v);

// What a sink writes. kNative is the kind's own format: RFC 5424 for syslog,
// ECS JSON for files and the webhook.
enum class SinkFormat : uint8_t { kNative, kCef };

struct Sink {
  enum class Kind : uint8_t { kSyslog, kJsonLines, kWebhook, kFile };
  std::string name;
  Kind kind = Kind::kSyslog;
  std::string target;                       // host:port, file path or URL
  std::string transport;                    // syslog: udp|tcp
  SinkFormat format = SinkFormat::kNative;  // syslog and file: native or CEF
  std::optional<BodyValue> body;            // webhook: the JSON body the policy shapes; none: the ECS document
};
const char* toString(Sink::Kind k);
// "rfc5424", "ecs" or "cef": what the sink actually writes.
const char* formatName(const Sink& s);

struct AlertRoute {
  EventType event = EventType::kDeviceNew;
  Severity severity = Severity::kWarning;
  std::vector<std::string> sinks;
};

struct MaintenanceWindow {
  std::string name;
  uint8_t weekdays = 0;      // bit 0 = Monday ... bit 6 = Sunday
  uint16_t startMinute = 0;  // minutes after local midnight
  uint16_t endMinute = 0;    // may be < start: the window crosses midnight
  std::string timezone;
  std::vector<EventType> suppress;  // event types that are not paged inside the window
};

// A client certificate whose subject has this CN (or OU) gets this role on
// the HTTPS management API: "engineer", "servicedesk" or "monitor".
struct ManagementRole {
  std::string attribute;  // "CN" or "OU"
  std::string value;
  std::string role;
};

struct Pin {
  MacAddress mac;
  std::string deviceClass;  // may be empty
  ZoneId zone = kNoZone;
  std::string reason;
};

// An expected outcome written in the policy, run by `portvakt policy test`.
struct ExpectedOutcome {
  std::string name;
  enum class Kind : uint8_t { kDevice, kFlow };
  Kind kind = Kind::kDevice;
  // kDevice: the traits of a device and where it must land.
  std::optional<MacAddress> mac;
  std::string dhcpVendorClass, dhcpHostname, cdpPlatform, sipUserAgent;
  std::vector<uint8_t> dhcpParameterList;
  std::vector<std::string> lldpMedCapabilities, mdnsServices;
  std::optional<uint16_t> lldpMedVoiceVlan;
  std::optional<DeviceClass::Dhcpv6VendorClass> dhcpv6VendorClass;  // pattern holds the literal data
  std::vector<uint16_t> dhcpv6OptionRequest;
  std::vector<std::string> cdpCapabilities;  // names (kCdpCapabilityNames)
  std::string expectClass;
  ZoneId expectZone = kNoZone;
  // kFlow: a packet from a zone to an address, and whether it passes.
  ZoneId from = kNoZone;
  ZoneId toZone = kNoZone;
  std::optional<Prefix> toAddress;
  Protocol protocol = Protocol::kAny;
  uint16_t port = 0;
  Action expectAction = Action::kDeny;
};

// What happens to devices with locally administered (randomised) MACs.
enum class RandomizedMacs : uint8_t {
  kClassify,    // like any other device: pins, classes, the port's default zone
  kQuarantine,  // quarantined unless pinned, whatever their evidence says
};
const char* toString(RandomizedMacs r);

// How long the control plane keeps what it learns: a device not seen for
// `devices` is forgotten (its stored row and its profiler record: R10), a
// policy history entry older than `audit` is deleted, the running version
// never (R9). The dataplane does not read it.
struct Retention {
  std::chrono::seconds devices = std::chrono::days{90};
  std::chrono::seconds audit = std::chrono::days{730};
  bool operator==(const Retention&) const = default;
};

// MAC mobility (docs/policy.md, `mac_mobility`). A MAC seen on another access
// port than before has moved; `moves` moves within `windowNs` make it a
// flapping MAC (two devices sharing one MAC, one of them a forger): it is
// quarantined, alerted once (`mac_flapping`), and held out for `holdNs` after
// its last move, or until an engineer forgets the device.
inline constexpr int64_t kNsPerSecondTables = 1'000'000'000;
inline constexpr uint32_t kMaxMobilityMoves = 8;  // the profiler keeps this many moves per MAC
struct MacMobility {
  int64_t windowNs = 5 * 60 * kNsPerSecondTables;
  uint32_t moves = 4;
  int64_t holdNs = 30 * 60 * kNsPerSecondTables;
  bool operator==(const MacMobility&) const = default;
};

// 802.1X settings shared by every dot1x port. The RADIUS shared secret is not
// here: it is read by portvaktd from its own --dot1x-secret-file, never from
// a policy (docs/dot1x.md).
struct Dot1xSettings {
  struct Server {
    std::string address;  // IPv4 or IPv6 literal
    uint16_t port = 1812;
  };
  std::vector<Server> radiusServers;  // primary first
  std::string nasIdentifier = "portvakt";
  ZoneId unreachableZone = kNoZone;  // while no server answers, unauthenticated devices on dot1x ports land here
  bool quarantineFingerprintMismatch = false;  // an authenticated identity whose fingerprint disagrees: quarantined
  bool enabled() const { return !radiusServers.empty(); }
};

// What the control plane uses and the dataplane never reads: changing any of
// it leaves contentHash, and so every device's placement, as it was.
struct ControlSettings {
  std::vector<Sink> sinks;
  std::vector<AlertRoute> alerts;
  std::vector<MaintenanceWindow> maintenance;
  std::vector<ManagementRole> managementRoles;  // sorted by attribute, then value
  std::vector<ExpectedOutcome> tests;
  Retention retention;
  std::string settingsHash;  // "sha256:<hex>" of dumpCanonical(zones)

  // The canonical text of the settings; `zones` names the zones the tests
  // refer to (CompiledPolicy::zones).
  std::string dumpCanonical(const std::vector<Zone>& zones) const;
};

struct CompiledPolicy {
  int formatVersion = kCompiledFormatVersion;
  std::string name;
  std::vector<std::string> sources;  // file names, base first (names only, not paths)
  Mode mode = Mode::kEnforce;
  RandomizedMacs randomizedMacs = RandomizedMacs::kClassify;
  MacMobility macMobility;
  std::vector<Zone> zones;
  std::vector<Port> ports;
  std::vector<DeviceClass> classes;        // sorted by priority (high first), then name
  std::vector<InventoryDevice> inventory;  // sorted by MAC
  std::vector<FlowRule> flows;             // evaluation order: first match wins, then default deny
  std::vector<Invariant> invariants;
  std::vector<Pin> pins;  // sorted by MAC
  // The DHCP fingerprint data the policy names (`fingerprints`), sorted by
  // codes, one entry per list (the first file and entry that lists it wins).
  std::vector<DhcpFingerprint> dhcpFingerprints;
  std::vector<std::string> fingerprintSources;  // file names, as written
  // Read by the dataplane in part (the unreachable zone, the mismatch
  // action) and by hostapd's configuration in part: changing a RADIUS server
  // re-authenticates, so all of it counts as what the dataplane runs.
  Dot1xSettings dot1x;
  std::string contentHash;  // "sha256:<hex>" of dumpTables(): what the dataplane runs
  ControlSettings control;  // the control plane's part, with its own hash

  ZoneId findZone(std::string_view name) const;
  // The fingerprint entry for exactly this option-55 list, or nullptr. No allocation.
  const DhcpFingerprint* findDhcpFingerprint(const uint8_t* codes, size_t count) const;
  const std::string& zoneName(ZoneId id) const;
  // The first zone whose own prefixes hold the address (4 or 16 bytes, network
  // order), or kNoZone: an address behind an uplink.
  ZoneId zoneContaining(bool v6, const uint8_t* address) const;
  // The canonical, human-readable form of the tables the dataplane runs. It is
  // the form contentHash is taken of, so it contains everything that affects
  // the dataplane's behaviour and nothing that does not (no paths, times, no
  // control settings).
  std::string dumpTables() const;
  // The whole policy: dumpTables() followed by control.dumpCanonical(zones)
  // (what `portvakt policy compile --dump` prints and `policy diff` compares).
  std::string dumpCanonical() const;
  // Sets contentHash from dumpTables() and control.settingsHash from the
  // settings' canonical text.
  void seal();
};

using CompiledPolicyPtr = std::shared_ptr<const CompiledPolicy>;

std::string sha256Hex(std::string_view data);

}  // namespace portvakt::tables
