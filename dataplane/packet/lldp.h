#pragma once
// LLDP (IEEE 802.1AB) with the LLDP-MED (ANSI/TIA-1057) TLVs phones and
// conference gear send: capabilities, network policy (voice VLAN, priority)
// and inventory. String TLVs are views into the frame.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

// Why 64: an LLDPDU fits in one frame; real ones carry 10-25 TLVs.
inline constexpr size_t kMaxLldpTlvs = 64;
inline constexpr size_t kMaxLldpNetworkPolicies = 8;  // one per MED application type

inline constexpr uint32_t kOuiIeee8021 = 0x0080c2;
inline constexpr uint32_t kOuiIeee8023 = 0x00120f;
inline constexpr uint32_t kOuiTiaMed = 0x0012bb;

// LLDP-MED application types (TIA-1057 10.2.3.8).
enum class MedApplication : uint8_t {
  kVoice = 1,
  kVoiceSignaling = 2,
  kGuestVoice = 3,
  kGuestVoiceSignaling = 4,
  kSoftphoneVoice = 5,
  kVideoConferencing = 6,
  kStreamingVideo = 7,
  kVideoSignaling = 8,
};

struct LldpNetworkPolicy {
  uint8_t applicationType = 0;  // MedApplication values
  bool unknown = false;         // U: the policy is not known yet
  bool tagged = false;          // T
  uint16_t vlanId = 0;
  uint8_t priority = 0;  // L2 priority (802.1p)
  uint8_t dscp = 0;
};

// Scalar and string TLVs: the first of each type wins; strings have trailing
// NULs removed.
struct LldpInfo {
  uint8_t chassisIdSubtype = 0;
  std::span<const uint8_t> chassisId;  // subtype 4: a MAC; 5: address; others text
  uint8_t portIdSubtype = 0;
  std::span<const uint8_t> portId;
  bool hasTtl = false;
  uint16_t ttl = 0;
  std::string_view portDescription;
  std::string_view systemName;
  std::string_view systemDescription;
  bool hasCapabilities = false;
  uint16_t capabilities = 0;  // bit 5 (0x20) telephone, 0x04 bridge, 0x10 router, ...
  uint16_t enabledCapabilities = 0;
  bool hasPortVlanId = false;  // 802.1 PVID
  uint16_t portVlanId = 0;
  // LLDP-MED
  bool hasMed = false;
  uint16_t medCapabilities = 0;  // 0x01 caps, 0x02 policy, 0x04 location, 0x08 PSE, 0x10 PD, 0x20 inventory
  uint8_t medDeviceType = 0;     // 1..3 endpoint class I..III (3 = phone), 4 network connectivity
  std::array<LldpNetworkPolicy, kMaxLldpNetworkPolicies> policies{};
  uint8_t policyCount = 0;
  std::string_view hardwareRevision, firmwareRevision, softwareRevision;
  std::string_view serialNumber, manufacturer, modelName, assetId;
  uint16_t tlvCount = 0;
  bool hasEnd = false;

  // The network policy for one application, or nullptr.
  const LldpNetworkPolicy* policyFor(MedApplication app) const {
    for (size_t i = 0; i < policyCount; ++i) {
      if (policies[i].applicationType == static_cast<uint8_t>(app)) return &policies[i];
    }
    return nullptr;
  }
};

// Parses an LLDPDU (the payload of ethertype 0x88cc).
void parseLldp(Cursor c, ParsedFrame& out);

}  // namespace portvakt::packet
