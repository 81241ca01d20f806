#pragma once
// The policy as written: one PolicyFile per YAML file, every value with the
// place it was written. The parser (parse_policy.cc) checks structure (known
// keys, types, duplicates); value checks and name resolution happen in the
// compiler, which still has these locations for its diagnostics.

#include <optional>
#include <string>
#include <vector>

#include "policy/compiler/diagnostics.h"

namespace portvakt::policy {

template <class T>
struct At {
  T value{};
  SourceLocation at;
};

using Text = At<std::string>;
using TextList = std::vector<Text>;

struct ZoneDecl {
  Text name;
  std::optional<At<long>> vlan;
  std::string purpose;
  bool quarantine = false;
  bool isolated = false;
  std::optional<Text> priority;  // "voice", "dscp" or "none"
  TextList prefixes;
  TextList gateways;
  // Given or not: an absent `link_local` means the default set, `[]` none.
  std::optional<At<TextList>> linkLocal;
  std::optional<At<TextList>> etherTypes;
};

struct DestinationDecl {
  Text name;
  TextList prefixes;
  TextList except;
};

struct PortDecl {
  Text name;
  SourceLocation at;
  TextList interfaces;
  std::optional<Text> role;
  TextList zones;
  std::optional<Text> defaultZone;
  std::optional<Text> mode;
  std::optional<At<bool>> optional;
  std::optional<At<TextList>> trust;
  std::optional<Text> authentication;    // dot1x | dot1x-or-profile | none
  std::optional<At<long>> reauthPeriod;  // seconds, overrides dot1x.reauth_period
};

struct ClassDecl {
  Text name;
  std::optional<Text> zone;
  std::optional<At<long>> priority;
  std::optional<At<bool>> enabled;
  bool onlyEnabledKey = false;  // the entry is exactly {enabled: ...}: a site's way to switch a base class off
  std::optional<At<bool>> inventory;
  std::optional<At<bool>> dot1x;  // match: {dot1x: true}: an authorised 802.1X identity that is the MAC's inventory asset
  TextList dhcpVendorClass;
  std::vector<At<std::vector<At<long>>>> dhcpParameterLists;
  TextList dhcpHostname;
  TextList lldpMedCapabilities;
  std::optional<At<long>> lldpMedVoiceVlan;
  TextList lldpMedApplications;
  TextList cdpPlatform;
  TextList sipUserAgent;
  TextList mdnsServices;
  TextList ouis;
  TextList dhcpv6VendorClass;  // "ENTERPRISE:GLOB"
  std::vector<At<std::vector<At<long>>>> dhcpv6OptionRequests;
  TextList cdpCapabilities;      // CDP capability names ("phone")
  TextList dhcpFingerprints;     // categories of the policy's fingerprint data ("Printers")
  std::optional<Text> evidence;  // "all", "any" or a count
  TextList require;
  std::vector<At<TextList>> requireAnyOf;  // require's nested lists: one kind of each must fire
};

struct InventoryEntry {
  Text mac;
  std::string assetId;
  std::string hostname;
};

// The top-level `dot1x:` section: how 802.1X ports reach the region's RADIUS.
struct Dot1xDecl {
  SourceLocation at;
  TextList servers;  // "ADDRESS" or "ADDRESS:PORT" ([v6]:port), primary first
  std::optional<Text> nasIdentifier;
  std::optional<At<long>> reauthPeriod;     // seconds, the default for every dot1x port
  std::optional<Text> unreachableZone;      // where new devices go while no RADIUS server answers
  std::optional<Text> fingerprintMismatch;  // alert | quarantine
};

struct FlowDecl {
  Text name;
  SourceLocation at;
  std::optional<Text> from;
  TextList to;
  TextList except;
  TextList protocols;
  TextList ports;
  std::optional<Text> action;
  std::optional<Text> mode;
};

struct InvariantDecl {
  Text name;
  SourceLocation at;
  enum class Kind { kUnknown, kNever, kOnly } kind = Kind::kUnknown;
  std::optional<Text> from;
  TextList to;
  std::optional<Text> zone;
  TextList classes;
};

// A webhook body as written: a YAML scalar, mapping or list, with the place
// of every node. `plain` tells an unquoted scalar (3, true: typed in JSON)
// from a quoted one ("3": always text).
struct BodyDecl {
  enum class Kind { kNull, kScalar, kMap, kList };
  Kind kind = Kind::kNull;
  SourceLocation at;
  std::string scalar;
  bool plain = false;
  TextList keys;                // kMap, parallel to items
  std::vector<BodyDecl> items;  // kMap values, kList elements
};

struct SinkDecl {
  Text name;
  std::optional<Text> type;
  std::optional<Text> address;  // syslog host:port
  std::optional<Text> transport;
  std::optional<Text> path;      // jsonl, file
  std::optional<Text> url;       // webhook
  std::optional<Text> format;    // syslog: rfc5424|cef; file: ecs|cef
  std::optional<BodyDecl> body;  // webhook
  SourceLocation bodyKeyAt;      // where 'body' was written
};

struct AlertDecl {
  SourceLocation at;
  std::optional<Text> event;
  std::optional<Text> severity;
  TextList sinks;
};

struct MaintenanceDecl {
  Text name;
  SourceLocation at;
  TextList days;
  std::optional<Text> from;
  std::optional<Text> to;
  std::optional<Text> timezone;
  TextList suppress;
};

// management.roles: ROLE: [ "CN=...", "OU=..." ] (who may use the HTTPS API as what).
struct ManagementRoleDecl {
  Text role;
  TextList subjects;
};

struct PinDecl {
  SourceLocation at;
  std::optional<Text> mac;
  std::optional<Text> deviceClass;
  std::optional<Text> zone;
  std::optional<Text> reason;
};

struct TestDecl {
  Text name;
  SourceLocation at;
  bool isDevice = false;
  bool isFlow = false;
  // device
  std::optional<Text> mac;
  std::optional<Text> dhcpVendorClass, dhcpHostname, cdpPlatform, sipUserAgent;
  std::optional<At<std::vector<At<long>>>> dhcpParameterList;
  std::optional<Text> dhcpv6VendorClass;  // "ENTERPRISE:DATA"
  std::optional<At<std::vector<At<long>>>> dhcpv6OptionRequest;
  TextList lldpMedCapabilities, mdnsServices, cdpCapabilities;
  std::optional<At<long>> lldpMedVoiceVlan;
  std::optional<Text> expectZone, expectClass;
  // flow
  std::optional<Text> from, to, protocol;
  std::optional<At<long>> port;
  std::optional<Text> expectAction;
};

// How long the appliance keeps what it learns (R10: personal data only as
// long as needed; R9: the audit trail as long as the region must trace).
struct RetentionDecl {
  SourceLocation at;
  std::optional<Text> devices;  // "90d": a device not seen for this long is forgotten
  std::optional<Text> audit;    // "730d": policy history entries older than this are deleted
};

// `mac_mobility:` (docs/policy.md): durations as written ("5m"), checked by the builder.
struct MacMobilityDecl {
  SourceLocation at;
  std::optional<Text> window, hold;
  std::optional<At<long>> moves;
};

struct PolicyFile {
  std::string path;     // as opened
  std::string display;  // as shown in diagnostics
  SourceLocation top;
  std::optional<At<long>> schemaVersion;
  std::optional<Text> name;
  std::optional<Text> extends;
  std::optional<Text> mode;
  std::optional<Text> randomizedMacs;
  std::optional<RetentionDecl> retention;
  std::optional<MacMobilityDecl> macMobility;
  std::vector<ZoneDecl> zones;
  std::vector<DestinationDecl> destinations;
  std::vector<PortDecl> ports;
  std::vector<ClassDecl> classes;
  std::optional<Text> inventoryCsv;
  std::vector<InventoryEntry> inventory;
  TextList fingerprints;  // DHCP fingerprint files (Fingerbank format), relative to this file
  std::optional<Dot1xDecl> dot1x;
  std::vector<FlowDecl> flows;
  std::vector<InvariantDecl> invariants;
  std::vector<SinkDecl> sinks;
  std::vector<AlertDecl> alerts;
  std::vector<MaintenanceDecl> maintenance;
  std::vector<ManagementRoleDecl> managementRoles;
  std::vector<PinDecl> pins;
  std::vector<TestDecl> tests;
};

}  // namespace portvakt::policy
