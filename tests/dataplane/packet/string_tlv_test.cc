// LLDP and CDP read their string TLVs the same way (string_tlv.h): a sender's
// NUL terminator is not part of the name a fingerprint matches, and the first
// TLV of a type wins, so a frame that repeats one (a spoofer appending a
// second system name or platform) cannot replace what the first one said.
#include <gtest/gtest.h>

#include "tests/dataplane/packet/sample_frames.h"

namespace portvakt::packet {
namespace {

using namespace testing;

TEST(StringTlv, LldpKeepsTheFirstOfATypeWithoutItsNul) {
  Writer tlvs;
  tlvs.append(lldpTlv(1, text("\x07"
                              "sw1")))
      .append(lldpTlv(2, text("\x05"
                              "ge1")))
      .append(lldpTlv(3, u16Value(120)));
  tlvs.append(lldpTlv(5, text(std::string_view("SIP-T54W\0", 9))))
      .append(lldpTlv(5, text("not-a-phone")))
      .append(lldpTlv(6, text("Yealink")))
      .append(lldpTlv(0, Writer{}));
  // The parsed strings point into the frame: it must outlive f.
  const auto frame = ethernet("01:80:c2:00:00:0e", kPhoneMac, kEtherTypeLldp, tlvs);
  ParsedFrame f;
  parseFrame(frame.data, f);
  ASSERT_TRUE(f.has(Layer::kLldp));
  EXPECT_EQ(f.lldp.systemName, "SIP-T54W");
  EXPECT_EQ(f.lldp.systemDescription, "Yealink");
}

TEST(StringTlv, CdpKeepsTheFirstOfATypeWithoutItsNul) {
  Writer cdp;
  cdp.u8(2).u8(180).u16(0);
  cdp.append(cdpTlv(0x01, text(std::string_view("SEP0021A0B1C2D3\0\0", 17))))
      .append(cdpTlv(0x06, text("Cisco IP Phone 7841")))
      .append(cdpTlv(0x06, text("cisco WS-C2960X")))
      .append(cdpTlv(0x01, text("sw-clinic-1")));
  const auto frame = ethernetSnap("01:00:0c:cc:cc:cc", "00:21:a0:b1:c2:d3", kOuiCisco, kSnapPidCdp, cdp);
  ParsedFrame f;
  parseFrame(frame.data, f);
  ASSERT_TRUE(f.has(Layer::kCdp));
  EXPECT_EQ(f.cdp.deviceId, "SEP0021A0B1C2D3");
  EXPECT_EQ(f.cdp.platform, "Cisco IP Phone 7841");
}

}  // namespace
}  // namespace portvakt::packet
