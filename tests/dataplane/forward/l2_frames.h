#pragma once
// Hand-built Ethernet frames for the switch tests: MACs, any stack of tags,
// an ethertype and a payload whose bytes say which frame they belong to, so
// an egress frame can be compared byte by byte with what it must be.

#include <cstdint>
#include <string_view>
#include <vector>

#include "policy/tables/addresses.h"

namespace portvakt::forward::testing {

using Bytes = std::vector<uint8_t>;

struct Tag {
  uint16_t tpid = 0x8100;
  uint16_t vid = 0;
  uint8_t pcp = 0;
};

// An experimental ethertype (IEEE 802 local), so kernel traffic on the test
// veths (IPv6 ND, MLD) is told apart from ours.
inline constexpr uint16_t kTestEtherType = 0x88b5;

inline tables::MacAddress mac(std::string_view text) { return *tables::MacAddress::parse(text); }

inline Bytes l2Frame(std::string_view dst, std::string_view src, const std::vector<Tag>& tags = {}, uint8_t marker = 0,
                     size_t payload = 46, uint16_t etherType = kTestEtherType) {
  Bytes b;
  for (uint8_t x : mac(dst).bytes) b.push_back(x);
  for (uint8_t x : mac(src).bytes) b.push_back(x);
  for (const Tag& t : tags) {
    b.push_back(static_cast<uint8_t>(t.tpid >> 8));
    b.push_back(static_cast<uint8_t>(t.tpid));
    uint16_t tci = static_cast<uint16_t>((t.pcp << 13) | t.vid);
    b.push_back(static_cast<uint8_t>(tci >> 8));
    b.push_back(static_cast<uint8_t>(tci));
  }
  b.push_back(static_cast<uint8_t>(etherType >> 8));
  b.push_back(static_cast<uint8_t>(etherType));
  for (size_t i = 0; i < payload; ++i) b.push_back(static_cast<uint8_t>(marker + i));
  return b;
}

}  // namespace portvakt::forward::testing
