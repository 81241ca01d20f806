#pragma once
// mDNS / DNS-SD (RFC 6762, 6763): the service types a device advertises or
// asks for, its instance names and host names.
//
// DNS names are compressed (pointers back into the message), so they cannot
// be views into the frame; they are decoded into a fixed pool inside the
// result. The pointer chain of one name is capped (kMaxDnsPointerHops), which
// also rules out loops, and every record walk is capped.

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/packet/cursor.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame;

inline constexpr uint16_t kMdnsPort = 5353;
inline constexpr size_t kMaxDnsRecords = 64;  // questions + all RRs
inline constexpr size_t kMaxDnsPointerHops = 16;
inline constexpr size_t kMaxDnsNameLength = 255;  // RFC 1035 wire limit
inline constexpr size_t kMaxDnsNamesPerList = 16;
inline constexpr size_t kDnsNamePoolSize = 4096;

// A name in DnsInfo's pool.
struct DnsNameRef {
  uint16_t offset = 0;
  uint16_t length = 0;
};

struct DnsNameList {
  std::array<DnsNameRef, kMaxDnsNamesPerList> items{};
  uint8_t count = 0;
  uint8_t dropped = 0;  // names beyond the cap (or the pool), not stored
};

class DnsInfo {
 public:
  // User-provided so that resetting a frame does not zero the 4 KiB pool.
  DnsInfo() {}

  uint16_t id = 0;
  uint16_t flags = 0;
  bool isResponse = false;
  uint16_t questionCount = 0, answerCount = 0, authorityCount = 0, additionalCount = 0;
  DnsNameList queries;     // question names, in order (duplicates kept)
  DnsNameList services;    // service types seen in PTR records (e.g. "_ipp._tcp.local"), unique
  DnsNameList instances;   // service instance names (PTR targets, SRV/TXT owners), unique
  DnsNameList hosts;       // host names (A/AAAA owners, SRV targets), unique
  DnsNameList ptrTargets;  // every PTR record's data, in order (duplicates kept)

  std::string_view name(DnsNameRef ref) const { return std::string_view(pool_.data() + ref.offset, ref.length); }
  std::string_view at(const DnsNameList& list, size_t i) const { return name(list.items[i]); }
  bool contains(const DnsNameList& list, std::string_view text) const;

  void clear();
  // Stores text in the pool and appends it to the list; `unique` skips names
  // already in the list. False when the list or the pool is full.
  bool add(DnsNameList& list, std::string_view text, bool unique);

 private:
  std::array<char, kDnsNamePoolSize> pool_;  // not zeroed on clear(): only refs are valid
  uint16_t poolUsed_ = 0;
};

// Parses a DNS-format message (mDNS on UDP 5353).
void parseMdns(Cursor c, ParsedFrame& out);

// Decodes the name at the cursor's position within `message` (for
// compression pointers), dotted, without the trailing dot; the root is "".
// On success the cursor is past the name. Returns the anomaly on failure.
// Exposed for DHCPv6 FQDN and for tests.
enum class DnsNameStatus : uint8_t { kOk, kOverrun, kBadLabel, kTooLong, kPointerLoop, kNoSpace };
DnsNameStatus readDnsName(Cursor& c, Cursor message, FixedText<kMaxDnsNameLength + 1>& out, bool allowPointers);

}  // namespace portvakt::packet
