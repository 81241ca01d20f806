#pragma once
// DHCPv4 / BOOTP (RFC 2131, 2132) and DHCPv6 (RFC 8415): the fields device
// fingerprinting and rogue-server detection need.
//
// Byte fields (parameter list, client id, DUIDs) are views into the frame.
// When an option appears twice the first one wins (RFC 3396 long-option
// concatenation is not done: it is vanishingly rare in client traffic and
// would need a copy).

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

inline constexpr uint16_t kDhcpServerPort = 67;
inline constexpr uint16_t kDhcpClientPort = 68;
inline constexpr uint16_t kDhcpv6ClientPort = 546;
inline constexpr uint16_t kDhcpv6ServerPort = 547;

// Why these caps: a DHCP packet has at most ~300 option bytes in practice;
// the option loop stops after kMaxDhcpOptions options (each is >= 2 bytes,
// so real packets never reach it), and the order list keeps the first 64.
inline constexpr size_t kMaxDhcpOptions = 255;
inline constexpr size_t kMaxDhcpOptionOrder = 64;

enum class DhcpMessageType : uint8_t {
  kNone = 0,
  kDiscover = 1,
  kOffer = 2,
  kRequest = 3,
  kDecline = 4,
  kAck = 5,
  kNak = 6,
  kRelease = 7,
  kInform = 8,
};

struct DhcpInfo {
  uint8_t op = 0;  // 1 request (client), 2 reply (server)
  uint8_t hardwareType = 0;
  uint8_t hardwareLength = 0;
  uint8_t hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  IpAddress ciaddr, yiaddr, siaddr, giaddr;
  MacAddress chaddr;  // valid when hardwareType 1 and length 6
  bool hasCookie = false;
  uint8_t messageType = 0;                 // option 53 (DhcpMessageType values)
  std::span<const uint8_t> parameterList;  // option 55, in the client's order
  std::string_view vendorClass;            // option 60
  std::string_view hostname;               // option 12
  bool hasRequestedIp = false;             // option 50
  IpAddress requestedIp;
  std::span<const uint8_t> clientId;    // option 61: type byte + identifier
  std::span<const uint8_t> relayAgent;  // option 82, whole
  std::span<const uint8_t> circuitId;   // option 82 sub-option 1
  std::span<const uint8_t> remoteId;    // option 82 sub-option 2
  // Server replies (offer/ack): who answers matters for rogue-server detection.
  bool hasServerId = false;  // option 54
  IpAddress serverId;
  bool hasRouter = false;  // option 3, first router
  IpAddress router;
  bool hasSubnetMask = false;  // option 1
  IpAddress subnetMask;
  bool hasLeaseTime = false;  // option 51
  uint32_t leaseTime = 0;
  std::string_view domainName;  // option 15
  // Option codes in the order they appear (some fingerprints use the order).
  std::array<uint8_t, kMaxDhcpOptionOrder> optionOrder{};
  uint8_t optionCount = 0;
};

// Parses a UDP payload as BOOTP/DHCPv4.
void parseDhcp(Cursor c, ParsedFrame& out);

inline constexpr size_t kMaxDhcpv6Options = 64;
inline constexpr size_t kMaxDhcpv6RequestedOptions = 32;
inline constexpr size_t kMaxDhcpv6RelayDepth = 4;  // RFC 8415 allows 8 hops, 4 nested is plenty here

struct Dhcpv6Info {
  uint8_t messageType = 0;            // innermost message (after relay-forw/reply)
  uint8_t outerMessageType = 0;       // the outermost: 12/13 for a relayed message, else messageType
  uint32_t transactionId = 0;         // 24 bits
  uint8_t relayDepth = 0;             // number of relay envelopes around the message
  std::span<const uint8_t> clientId;  // option 1 (DUID)
  std::span<const uint8_t> serverId;  // option 2 (DUID)
  std::array<uint16_t, kMaxDhcpv6RequestedOptions> requestedOptions{};  // option 6 (ORO)
  uint8_t requestedOptionCount = 0;
  bool hasVendorClass = false;  // option 16
  uint32_t vendorClassEnterprise = 0;
  std::string_view vendorClass;  // first vendor-class-data item
  std::string_view userClass;    // option 15, first item
  bool hasVendorOpts = false;    // option 17
  uint32_t vendorOptsEnterprise = 0;
  bool hasFqdn = false;  // option 39
  uint8_t fqdnFlags = 0;
  FixedText<256> fqdn;  // decoded, without the trailing dot
  std::array<uint16_t, 32> optionOrder{};
  uint8_t optionCount = 0;
};

// Parses a UDP payload as DHCPv6 (client/server or relay messages).
void parseDhcpv6(Cursor c, ParsedFrame& out);

}  // namespace portvakt::packet
