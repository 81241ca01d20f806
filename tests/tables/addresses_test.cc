#include <gtest/gtest.h>

#include "policy/tables/addresses.h"

namespace portvakt::tables {
namespace {

TEST(MacAddress, ParsesCommonNotations) {
  for (const char* text : {"3c:52:82:1a:2b:3c", "3C-52-82-1A-2B-3C", "3c52.821a.2b3c"}) {
    auto mac = MacAddress::parse(text);
    ASSERT_TRUE(mac) << text;
    EXPECT_EQ(mac->toString(), "3c:52:82:1a:2b:3c");
  }
  for (const char* bad : {"", "3c:52:82:1a:2b", "3c:52:82:1a:2b:3c:00", "3c:52:82:1a:2b:3g", "3c:52-82:1a:2b:3c"}) {
    EXPECT_FALSE(MacAddress::parse(bad)) << bad;
  }
}

TEST(Prefix, ParsesAndRejectsHostBits) {
  auto p = Prefix::parse("10.20.0.0/16");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->toString(), "10.20.0.0/16");
  EXPECT_FALSE(Prefix::parse("10.20.0.1/16"));
  EXPECT_FALSE(Prefix::parse("10.20.0.0/33"));
  EXPECT_FALSE(Prefix::parse("10.20.0.0/"));
  EXPECT_TRUE(Prefix::parse("2001:db8::/32"));
  EXPECT_EQ(Prefix::parse("192.0.2.7")->length, 32);
}

TEST(Prefix, ContainmentAndOverlap) {
  auto wide = *Prefix::parse("10.0.0.0/8");
  auto narrow = *Prefix::parse("10.20.0.0/16");
  auto other = *Prefix::parse("192.168.0.0/16");
  auto v6 = *Prefix::parse("::/0");
  EXPECT_TRUE(wide.contains(narrow));
  EXPECT_FALSE(narrow.contains(wide));
  EXPECT_TRUE(narrow.overlaps(wide));
  EXPECT_FALSE(wide.overlaps(other));
  EXPECT_FALSE(v6.contains(wide));  // families never mix
}

TEST(PortRange, ParsesSinglesRangesAndAny) {
  EXPECT_EQ(PortRange::parse("443")->toString(), "443");
  EXPECT_EQ(PortRange::parse("1024-65535")->toString(), "1024-65535");
  EXPECT_TRUE(PortRange::parse("any")->isAny());
  EXPECT_FALSE(PortRange::parse("70000"));
  EXPECT_FALSE(PortRange::parse("80-70"));
  EXPECT_FALSE(PortRange::parse("-1"));
}

}  // namespace
}  // namespace portvakt::tables
