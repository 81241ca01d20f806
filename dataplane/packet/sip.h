#pragma once
// SIP (RFC 3261) start line and the headers that identify a phone. Only the
// first message in a UDP datagram or TCP segment is read; there is no TCP
// reassembly (the headers that matter come first).

#include <cstdint>
#include <string_view>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

inline constexpr uint16_t kSipPort = 5060;
inline constexpr uint16_t kSipTlsPort = 5061;
inline constexpr size_t kMaxSipHeaders = 64;

struct SipInfo {
  bool isRequest = false;
  std::string_view method;  // requests
  std::string_view requestUri;
  uint16_t statusCode = 0;  // responses
  std::string_view reason;
  std::string_view userAgent;  // header values, trimmed, first occurrence
  std::string_view server;
  std::string_view from;     // "From" or compact "f"
  std::string_view to;       // "To" or "t"
  std::string_view contact;  // "Contact" or "m"
  std::string_view callId;   // "Call-ID" or "i"
  std::string_view cseq;
  uint8_t headerCount = 0;
};

// True when the payload starts like a SIP message (used to find SIP on
// non-standard ports without parsing it).
bool looksLikeSip(std::span<const uint8_t> payload);
void parseSip(Cursor c, ParsedFrame& out);

}  // namespace portvakt::packet
