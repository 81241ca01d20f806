#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

#include "dataplane/packet/anomaly.h"
#include "dataplane/packet/cursor.h"
#include "dataplane/packet/frame.h"
#include "tests/dataplane/packet/sample_frames.h"

namespace portvakt::packet {
namespace {

// decode.<layer>.<reason>: lower-case letters, digits and '_' (std::regex is
// avoided: GCC 12 -O2 reports false maybe-uninitialized warnings inside it).
bool hasAnomalyShape(const std::string& name) {
  if (name.rfind("decode.", 0) != 0) return false;
  size_t dot = name.find('.', 7);
  if (dot == std::string::npos || dot == 7 || dot + 1 == name.size()) return false;
  for (size_t i = 7; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > dot && c == '_') || i == dot;
    if (!ok) return false;
  }
  return true;
}

TEST(Anomalies, NamesAreUniqueDottedAndRoundTrip) {
  std::set<std::string> seen;
  ASSERT_EQ(allAnomalies().size(), kAnomalyCount);
  for (const AnomalyInfo& info : allAnomalies()) {
    std::string name(info.name);
    EXPECT_TRUE(hasAnomalyShape(name)) << name;
    EXPECT_TRUE(seen.insert(name).second) << "duplicate " << name;
    EXPECT_FALSE(info.description.empty()) << name;
    EXPECT_EQ(anomalyFromName(info.name), info.id);
    EXPECT_EQ(anomalyName(info.id), info.name);
  }
  // Names the issue and the docs use must exist.
  EXPECT_TRUE(anomalyFromName("decode.lldp.tlv_overrun"));
  EXPECT_TRUE(anomalyFromName("decode.ipv4.truncated"));
  EXPECT_TRUE(anomalyFromName("decode.eth.too_many_tags"));
  EXPECT_FALSE(anomalyFromName("decode.nothing.here"));
}

// The module README documents every anomaly (operators read it; it must not drift).
TEST(Anomalies, ReadmeListsEveryName) {
  std::ifstream in(std::string(PORTVAKT_SOURCE_DIR) + "/dataplane/packet/README.md");
  ASSERT_TRUE(in) << "dataplane/packet/README.md is missing";
  std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const AnomalyInfo& info : allAnomalies()) {
    EXPECT_NE(readme.find("`" + std::string(info.name) + "`"), std::string::npos) << info.name << " is not in the README";
  }
}

TEST(Anomalies, DecoderCountsFramesPerAnomaly) {
  Decoder decoder;
  ParsedFrame frame;
  testing::Bytes runt = {1, 2, 3};
  testing::Bytes good = testing::dhcpDiscoverFrame().data;
  decoder.decode(runt, frame);
  decoder.decode(good, frame);
  decoder.decode(runt, frame);
  EXPECT_EQ(decoder.frames(), 3u);
  EXPECT_EQ(decoder.framesWithAnomalies(), 2u);
  EXPECT_EQ(decoder.counters().count(Anomaly::kEthTruncated), 2u);
  EXPECT_EQ(decoder.counters().total(), 2u);
  // The second frame left no trace in the third one's result.
  EXPECT_FALSE(frame.has(Layer::kDhcp));
  EXPECT_EQ(frame.dhcp.hostname, "");
}

// reset() clears only the sections the previous frame touched: after any
// sample frame, a frame that stops at Ethernet must show no trace of it.
TEST(ParsedFrameReset, NoStaleSectionAfterAnySample) {
  ParsedFrame frame;
  testing::Bytes arpOnly = testing::ethernet(testing::kBroadcast, testing::kPcMac, 0x9999, testing::Writer{}).data;
  for (const testing::NamedFrame& sample : testing::markedFrames()) {
    SCOPED_TRACE(sample.name);
    parseFrame(sample.frame.data, frame);
    parseFrame(arpOnly, frame);
    EXPECT_EQ(frame.layers, static_cast<uint32_t>(Layer::kEthernet));
    EXPECT_EQ(frame.ip.version, 0);
    EXPECT_EQ(frame.l4.dstPort, 0);
    EXPECT_EQ(frame.arp.operation, 0);
    EXPECT_FALSE(frame.nd.hasTarget);
    EXPECT_EQ(frame.dhcp.xid, 0u);
    EXPECT_EQ(frame.dhcp.hostname, "");
    EXPECT_EQ(frame.dhcpv6.messageType, 0);
    EXPECT_EQ(frame.dhcpv6.fqdn.size(), 0u);
    EXPECT_EQ(frame.lldp.tlvCount, 0);
    EXPECT_EQ(frame.cdp.platform, "");
    EXPECT_EQ(frame.eapol.identity, "");
    EXPECT_EQ(frame.sip.userAgent, "");
    EXPECT_EQ(frame.mdns.queries.count + frame.mdns.services.count + frame.mdns.hosts.count, 0);
    EXPECT_EQ(frame.ssdp.server, "");
    EXPECT_TRUE(frame.payload.empty());
  }
}

// parseIpv4 reads a whole fixed header in place; one cut short takes the
// field-by-field read, which keeps the fields before the cut (as the parser
// always has) and flags the truncation.
TEST(ParsedFrameReset, AnIpv4HeaderCutShortKeepsTheFieldsBeforeTheCut) {
  const testing::Bytes whole =
      testing::ethernet(testing::kBroadcast, testing::kPcMac, kEtherTypeIpv4,
                        testing::ipv4("192.168.10.23", "10.20.0.5", kIpProtoUdp, testing::udp(40000, 443, {})))
          .data;
  ParsedFrame frame;
  for (size_t kept = 1; kept < 20; ++kept) {
    SCOPED_TRACE(kept);
    const testing::Bytes cut(whole.begin(), whole.begin() + static_cast<long>(14 + kept));
    parseFrame(cut, frame);
    EXPECT_FALSE(frame.has(Layer::kIpv4));
    EXPECT_TRUE(frame.anomalies.contains(Anomaly::kIpv4Truncated));
    EXPECT_EQ(frame.ip.version, 4);
    EXPECT_EQ(frame.ip.ttl, kept >= 9 ? 64 : 0);
    EXPECT_EQ(frame.ip.protocol, kept >= 10 ? kIpProtoUdp : 0);
    EXPECT_EQ(frame.ip.src.toString(), kept >= 16 ? "192.168.10.23" : "0.0.0.0");
    EXPECT_EQ(frame.ip.dst.toString(), "0.0.0.0");
  }
}

TEST(Cursor, FailedReadsDoNotMove) {
  const uint8_t bytes[] = {0x12, 0x34, 0x56};
  Cursor c(bytes);
  uint32_t v32 = 0;
  EXPECT_FALSE(c.readU32(v32));
  EXPECT_EQ(c.offset(), 0u);
  uint16_t v16 = 0;
  ASSERT_TRUE(c.readU16(v16));
  EXPECT_EQ(v16, 0x1234);
  EXPECT_FALSE(c.readU16(v16));
  EXPECT_EQ(c.remaining(), 1u);
  Cursor sub;
  EXPECT_FALSE(c.take(2, sub));
  ASSERT_TRUE(c.take(1, sub));
  EXPECT_TRUE(c.empty());
  uint8_t v8 = 0;
  ASSERT_TRUE(sub.readU8(v8));
  EXPECT_EQ(v8, 0x56);
  EXPECT_FALSE(sub.readU8(v8));
}

TEST(Cursor, ClampOnlyNarrows) {
  const uint8_t bytes[] = {1, 2, 3, 4};
  Cursor c(bytes);
  c.clampRemaining(100);
  EXPECT_EQ(c.remaining(), 4u);
  c.clampRemaining(2);
  EXPECT_EQ(c.remaining(), 2u);
  EXPECT_TRUE(c.seek(1));
  EXPECT_FALSE(c.seek(3));  // beyond the clamped window
}

TEST(Cursor, EmptyWindowIsSafe) {
  Cursor c;
  uint8_t v = 0;
  std::string_view line;
  EXPECT_FALSE(c.readU8(v));
  EXPECT_FALSE(c.readUntil('\n', line));
  EXPECT_TRUE(c.copy(&v, 0));
}

}  // namespace
}  // namespace portvakt::packet
