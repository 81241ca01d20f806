#pragma once
// Cisco Discovery Protocol (v1/v2), carried in SNAP 00:00:0c / 0x2000.

#include <cstdint>
#include <string_view>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

inline constexpr size_t kMaxCdpTlvs = 64;
inline constexpr uint32_t kOuiCisco = 0x00000c;
inline constexpr uint16_t kSnapPidCdp = 0x2000;

struct CdpInfo {
  uint8_t version = 0;
  uint8_t ttl = 0;
  std::string_view deviceId;  // TLV 0x01
  bool hasAddress = false;    // TLV 0x02, first IPv4 address
  IpAddress address;
  std::string_view portId;       // TLV 0x03
  bool hasCapabilities = false;  // TLV 0x04; 0x80 = phone, 0x01 router, 0x08 switch
  uint32_t capabilities = 0;
  std::string_view softwareVersion;  // TLV 0x05
  std::string_view platform;         // TLV 0x06
  std::string_view vtpDomain;        // TLV 0x09
  bool hasNativeVlan = false;        // TLV 0x0a
  uint16_t nativeVlan = 0;
  bool hasVoiceVlan = false;  // TLV 0x0e (VoIP VLAN reply, from the switch)
  uint16_t voiceVlan = 0;
  bool hasVoiceVlanQuery = false;  // TLV 0x0f (VoIP VLAN query: the sender is a phone)
  uint16_t voiceVlanQuery = 0;     // the VLAN the phone asks about (usually 0)
  uint16_t tlvCount = 0;
};

// Parses a CDP PDU (after the SNAP header).
void parseCdp(Cursor c, ParsedFrame& out);

}  // namespace portvakt::packet
