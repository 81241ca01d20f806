#pragma once
// DeviceEvidence: what one device (one source MAC) has shown about itself.
//
// Why owned, fixed-size text. Frames are parsed into views that die with the
// frame, but evidence lives as long as the device does. Each trait is copied
// into a fixed buffer inside the record, and only when it differs from what is
// stored: a phone that sends the same LLDPDU every 30 s costs one compare per
// frame, never a copy or an allocation. Every buffer and list has a cap (the
// kMax* constants), so a hostile device cannot grow its record; a value that
// did not fit is kept cut and marked `truncated` (a cut value never equals a
// policy's exact list, and shows up in explanations as "...").
//
// Each trait also keeps the time it was last seen (refreshed by every frame
// that carries it, changed or not), so an explanation can say how fresh a
// piece of evidence is.
//
// Thread-safety: plain values; a record is owned by one profiler thread.

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/packet/types.h"
#include "policy/tables/addresses.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::packet {
struct ParsedFrame;
}

namespace portvakt::fingerprint {

using tables::MacAddress;

// Why 128: the longest real User-Agent/SERVER strings of clinic devices are
// ~90 bytes (Poly, Cisco Webex); DHCP host names are at most 63.
inline constexpr size_t kMaxTraitText = 128;
// Why 64: option-55 lists of real clients are 4-40 codes; 64 leaves room.
inline constexpr size_t kMaxParameterList = 64;
// Why 8 x 64: a printer announces 3-6 service types, a video bar 2-4.
inline constexpr size_t kMaxMdnsServices = 8;
inline constexpr size_t kMaxServiceName = 64;

// Text of at most N bytes, owned, no heap.
template <size_t N>
class TraitText {
  static_assert(N <= 255, "length is a uint8_t");

 public:
  std::string_view view() const { return std::string_view(chars_.data(), length_); }
  bool empty() const { return length_ == 0; }
  bool truncated() const { return truncated_; }
  // Stores `text` (cut at N bytes) if it differs from the stored value.
  // Returns true when the stored value changed. Never allocates.
  bool assign(std::string_view text) {
    const bool cut = text.size() > N;
    if (cut) text = text.substr(0, N);
    if (text.size() == length_ && cut == truncated_ &&
        (length_ == 0 || std::memcmp(chars_.data(), text.data(), length_) == 0))
      return false;
    if (!text.empty()) std::memcpy(chars_.data(), text.data(), text.size());
    length_ = static_cast<uint8_t>(text.size());
    truncated_ = cut;
    return true;
  }

 private:
  std::array<char, N> chars_{};
  uint8_t length_ = 0;
  bool truncated_ = false;
};

// DHCPv6 option 6 (option request) in the client's order.
class OptionRequestList {
 public:
  std::span<const uint16_t> codes() const { return std::span<const uint16_t>(codes_.data(), size_); }
  bool empty() const { return size_ == 0; }
  bool assign(std::span<const uint16_t> codes);        // same contract as TraitText::assign (the parser caps the list)
  bool equals(std::span<const uint16_t> other) const;  // exact, ordered
  std::string toString() const;                        // "24,23,17,39"

 private:
  std::array<uint16_t, tables::kMaxDhcpv6OptionRequest> codes_{};
  uint8_t size_ = 0;
};

// DHCP option 55 in the client's order (the order is the fingerprint).
class ParameterList {
 public:
  std::span<const uint8_t> codes() const { return std::span<const uint8_t>(codes_.data(), size_); }
  bool empty() const { return size_ == 0; }
  bool truncated() const { return truncated_; }
  bool assign(std::span<const uint8_t> codes);  // same contract as TraitText::assign
  // Exact, ordered equality; a truncated list equals nothing.
  bool equals(std::span<const uint8_t> other) const;
  std::string toString() const;  // "1,3,6,15" (with ",..." when truncated)

 private:
  std::array<uint8_t, kMaxParameterList> codes_{};
  uint8_t size_ = 0;
  bool truncated_ = false;
};

// The kinds of trait a device can show. Not the same as tables::Signal: a
// signal is a policy matcher that fired, a trait is raw evidence (several
// traits feed one signal, some feed none but explain).
enum class Trait : uint8_t {
  kDhcpVendorClass,
  kDhcpParameterList,
  kDhcpHostname,
  kLldpCapabilities,
  kLldpMedCapabilities,
  kLldpNetworkPolicy,
  kCdpPlatform,
  kSipUserAgent,
  kMdnsServices,
  kSsdpServer,
  kDhcpv6VendorClass,
  kDhcpv6OptionRequest,
  kCdpCapabilities,
};
inline constexpr int kTraitCount = 13;
const char* toString(Trait t);
constexpr uint16_t traitBit(Trait t) { return static_cast<uint16_t>(1u << static_cast<unsigned>(t)); }

struct DeviceEvidence {
  MacAddress mac;
  TraitText<kMaxTraitText> dhcpVendorClass;  // option 60
  ParameterList dhcpParameterList;           // option 55
  TraitText<kMaxTraitText> dhcpHostname;     // option 12
  uint16_t lldpCapabilities = 0;             // LLDP system capabilities (0x20 telephone, ...)
  uint16_t lldpMedCapabilities = 0;          // LLDP-MED capabilities (0x01 caps, 0x02 policy, ...)
  uint8_t lldpMedDeviceType = 0;             // 1..3 endpoint class I..III, 4 network connectivity
  uint16_t lldpApplications = 0;             // bit n set: a network policy for MED application n
  std::optional<uint16_t> lldpVoiceVlan;     // the voice application's VLAN (known, not "unknown")
  TraitText<kMaxTraitText> cdpPlatform;
  uint32_t cdpCapabilities = 0;           // CDP capabilities TLV (0x80 phone, 0x08 switch, ...)
  TraitText<kMaxTraitText> sipUserAgent;  // User-Agent, or Server in a response
  std::array<TraitText<kMaxServiceName>, kMaxMdnsServices> mdnsServices{};  // "_ipp._tcp" (no ".local")
  uint8_t mdnsServiceCount = 0;
  uint8_t mdnsServicesDropped = 0;  // announced beyond the cap
  TraitText<kMaxTraitText> ssdpServer;
  uint32_t dhcpv6Enterprise = 0;               // option 16's enterprise number
  TraitText<kMaxTraitText> dhcpv6VendorClass;  // option 16's first data item
  OptionRequestList dhcpv6OptionRequest;       // option 6

  // 802.1X, set by the profiler from the control plane's session snapshot
  // (never learned from frames, never stored): an authorised session on the
  // device's current port and the identity it authenticated as.
  bool dot1xAuthorised = false;
  TraitText<64> dot1xIdentity;  // asset ids are short; a cut identity equals none

  uint16_t present = 0;  // traitBit()s seen at least once
  std::array<int64_t, kTraitCount> lastSeenNs{};

  uint32_t oui() const { return mac.oui(); }
  bool has(Trait t) const { return (present & traitBit(t)) != 0; }
  std::optional<int64_t> lastSeen(Trait t) const {
    return has(t) ? std::optional<int64_t>(lastSeenNs[static_cast<size_t>(t)]) : std::nullopt;
  }
  bool hasMdnsService(std::string_view service) const;  // case-insensitive, ".local" optional
  // Adds one announced service type; true if it was new. Marks the trait seen.
  // When the list is full, a service in `wanted` (the types some class of the
  // policy matches) takes the place of one that is not wanted, so a device
  // that announces many types first cannot push out the one that places it;
  // otherwise the new type is counted as dropped. No allocation.
  bool addMdnsService(std::string_view service, int64_t nowNs, std::span<const std::string> wanted = {});
  // Readable one-line form for explanations and `portvakt simulate`.
  std::string describe() const;
};

// A locally administered unicast MAC: the IEEE did not assign it, and phones
// and laptops use such addresses for per-network MAC randomisation.
inline bool isLocallyAdministered(const MacAddress& mac) { return (mac.bytes[0] & 0x02) != 0; }

struct EvidenceOptions {
  // DHCP and DHCPv6 messages whose vendor class starts with one of these describe boot
  // firmware, not the device's OS (a PXE boot of an eKlient must not read as
  // "this eKlient changed its fingerprint"), so they are not evidence.
  std::vector<std::string> ignoredVendorClassPrefixes{"PXEClient"};
  // The mDNS service types the policy's classes match (mdnsServicesOf): kept
  // first when a device announces more types than kMaxMdnsServices.
  std::vector<std::string> wantedMdnsServices;
  // R10 (docs/data-inventory.md): a DHCP host name can name a person
  // ("anna-laptop"), so it is kept only where the policy uses it: when
  // `hostnamePolicy` is set, a host name is recorded only if some class of it
  // matches host names (`classesMatchHostnames`, set with the policy) or the
  // MAC's inventory entry has a host name to check (the spoof cross-check).
  // Unset: always recorded.
  const tables::CompiledPolicy* hostnamePolicy = nullptr;
  bool classesMatchHostnames = false;
};

// Whether some class of the policy matches DHCP host names (once per policy,
// not per frame).
bool classesMatchHostnames(const tables::CompiledPolicy& policy);

// Every mDNS service type some class of `policy` matches (set it as
// EvidenceOptions::wantedMdnsServices when the policy changes).
std::vector<std::string> mdnsServicesOf(const tables::CompiledPolicy& policy);

struct EvidenceUpdate {
  uint16_t seen = 0;     // traits the frame carried
  uint16_t changed = 0;  // traits whose stored value changed
};

// Folds what `frame` says about its source into `evidence` (the caller has
// matched evidence.mac to frame.eth.src). Only what a device says about
// itself counts: DHCP and DHCPv6 client requests (not replies, and not
// relayed: a relay agent speaks for someone else), mDNS responses (queries
// carry known answers about other devices), SIP User-Agent, or Server in a
// response. No allocation, no exceptions.
EvidenceUpdate updateEvidence(DeviceEvidence& evidence, const packet::ParsedFrame& frame, int64_t nowNs,
                              const EvidenceOptions& options);

// The packet layers updateEvidence reads. A frame with none of them (TCP/UDP
// data, ARP, ICMP: nearly every frame of a device already known) cannot
// change a device's evidence, so the profiler does not call updateEvidence
// for it; a layer added to updateEvidence must be added here too (the
// profiler tests feed every one of them to a known device).
inline constexpr uint32_t kEvidenceLayers =
    static_cast<uint32_t>(packet::Layer::kDhcp) | static_cast<uint32_t>(packet::Layer::kDhcpv6) |
    static_cast<uint32_t>(packet::Layer::kLldp) | static_cast<uint32_t>(packet::Layer::kCdp) |
    static_cast<uint32_t>(packet::Layer::kSip) | static_cast<uint32_t>(packet::Layer::kMdns) |
    static_cast<uint32_t>(packet::Layer::kSsdp);
inline bool carriesEvidence(uint32_t frameLayers) { return (frameLayers & kEvidenceLayers) != 0; }

// The traits of a policy test case (`portvakt policy test`) as evidence, so
// the test runs through the same classifyDevice as live traffic. Traits are
// stamped with time 0.
DeviceEvidence evidenceFromExpectedOutcome(const tables::ExpectedOutcome& outcome);

// LLDP capability names used by the policy (docs/policy.md). `med` says
// whether the bit is in the LLDP-MED capabilities rather than the system
// capabilities. std::nullopt for an unknown name.
struct CapabilityBit {
  bool med = false;
  uint16_t bit = 0;
};
std::optional<CapabilityBit> lldpCapabilityBit(std::string_view name);

const char* medApplicationName(uint8_t applicationType);  // "voice", "video-conferencing", ...

}  // namespace portvakt::fingerprint
