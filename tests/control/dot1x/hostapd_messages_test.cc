// hostapd's control-interface messages, parsed: the formats hostapd 2.10
// writes (seen in tests/e2e/dot1x.sh) and the garbage it must survive.
#include "control/dot1x/hostapd_messages.h"

#include <gtest/gtest.h>

#include <string>

namespace portvakt::dot1x {
namespace {

const auto kMac = *tables::MacAddress::parse("02:00:00:d1:00:01");

struct EventCase {
  const char* description;
  std::string datagram;
  HostapdEventKind kind;
};

TEST(HostapdEvents, KnownEventsCarryTheirMac) {
  const EventCase cases[] = {
      {"EAP started", "<3>CTRL-EVENT-EAP-STARTED 02:00:00:d1:00:01", HostapdEventKind::kEapStarted},
      {"EAP success", "<3>CTRL-EVENT-EAP-SUCCESS2 02:00:00:d1:00:01", HostapdEventKind::kEapSuccess},
      {"EAP failure", "<3>CTRL-EVENT-EAP-FAILURE2 02:00:00:d1:00:01", HostapdEventKind::kEapFailure},
      {"connected", "<3>AP-STA-CONNECTED 02:00:00:d1:00:01", HostapdEventKind::kStationConnected},
      {"connected with attributes", "<3>AP-STA-CONNECTED 02:00:00:d1:00:01 keyid=x vlan_id=7",
       HostapdEventKind::kStationConnected},
      {"disconnected", "<3>AP-STA-DISCONNECTED 02:00:00:d1:00:01", HostapdEventKind::kStationDisconnected},
      {"trailing newline", "<3>AP-STA-DISCONNECTED 02:00:00:D1:00:01\n", HostapdEventKind::kStationDisconnected},
  };
  for (const EventCase& c : cases) {
    auto event = parseEvent(c.datagram);
    ASSERT_TRUE(event) << c.description << ": " << event.error().message;
    EXPECT_EQ(event->kind, c.kind) << c.description;
    EXPECT_EQ(event->mac, kMac) << c.description;
    EXPECT_EQ(event->level, 3) << c.description;
  }
}

TEST(HostapdEvents, OtherEventsAreKeptByName) {
  auto event = parseEvent("<3>CTRL-EVENT-EAP-PROPOSED-METHOD vendor=0 method=1");
  ASSERT_TRUE(event) << event.error().message;
  EXPECT_EQ(event->kind, HostapdEventKind::kOther);
  EXPECT_EQ(event->name, "CTRL-EVENT-EAP-PROPOSED-METHOD");
  // The non-2 variants are the supplicant's and name no station.
  auto supplicantSide = parseEvent("<3>CTRL-EVENT-EAP-SUCCESS EAP authentication completed successfully");
  ASSERT_TRUE(supplicantSide);
  EXPECT_EQ(supplicantSide->kind, HostapdEventKind::kOther);
  auto longName = parseEvent("<2>" + std::string(500, 'A'));
  ASSERT_TRUE(longName);
  EXPECT_EQ(longName->name.size(), kMaxEventNameBytes);
}

TEST(HostapdEvents, GarbageIsRefusedWithAReason) {
  const struct {
    std::string datagram;
    const char* reasonPart;
  } cases[] = {
      {"", "level"},
      {"OK\n", "level"},
      {"<x>AP-STA-CONNECTED 02:00:00:d1:00:01", "level"},
      {"<3", "level"},
      {"<3>", "no name"},
      {"<3> 02:00:00:d1:00:01", "no name"},
      {"<3>AP-STA-CONNECTED", "without a MAC"},
      {"<3>AP-STA-CONNECTED ", "malformed MAC"},
      {"<3>AP-STA-CONNECTED 02:00:00:d1:00", "malformed MAC"},
      {"<3>AP-STA-CONNECTED 0200.00d1.0001", "malformed MAC"},
      {"<3>AP-STA-CONNECTED 02-00-00-d1-00-01", "malformed MAC"},
      {"<3>AP-STA-CONNECTED zz:00:00:d1:00:01", "malformed MAC"},
      {"<3>AP-STA-CONNECTED 02:00:00:d1:00:01\n<3>AP-STA-CONNECTED 02:00:00:d1:00:02", "control byte"},
      {std::string("<3>AP-STA-CONNECTED 02:00:00:d1:00:01\0", 38), "control byte"},
      {"<3>AP-STA-CONNECTED\t02:00:00:d1:00:01", "control byte"},
      {"<3>" + std::string(kMaxControlMessageBytes, 'A'), "longer than the limit"},
  };
  for (const auto& c : cases) {
    auto event = parseEvent(c.datagram);
    ASSERT_FALSE(event) << "accepted: " << escapeForMessage(c.datagram);
    EXPECT_NE(event.error().message.find(c.reasonPart), std::string::npos)
        << escapeForMessage(c.datagram) << " -> " << event.error().message;
  }
}

TEST(HostapdEvents, ErrorMessagesEscapeAndCutWhatTheyQuote) {
  auto event = parseEvent("<3>AP-STA-CONNECTED \x1b[31m" + std::string(300, 'x'));
  ASSERT_FALSE(event);
  EXPECT_EQ(event.error().message.find('\x1b'), std::string::npos);
  EXPECT_NE(event.error().message.find("\\x1b"), std::string::npos);
  EXPECT_LT(event.error().message.size(), 200u);
}

// The reply hostapd 2.10 gave in tests/e2e/dot1x.sh (shortened).
const char* const kStaReply =
    "02:00:00:d1:00:01\n"
    "flags=[AUTHORIZED]\n"
    "aid=0\n"
    "capability=0x0\n"
    "supported_rates=\n"
    "timeout_next=NULLFUNC POLL\n"
    "dot1xAuthPaeState=5\n"
    "dot1xAuthSessionTime=3\n"
    "dot1xAuthSessionUserName=EK-0001\n"
    "last_eap_type_as=13 (TLS)\n"
    "last_eap_type_sta=13 (TLS)\n";

TEST(HostapdStationReply, ParsesIdentityAndFlags) {
  auto info = parseStationReply(kStaReply);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->mac, kMac);
  EXPECT_TRUE(info->authorized);
  EXPECT_EQ(info->identity, "EK-0001");
  EXPECT_EQ(info->fields.at("last_eap_type_as"), "13 (TLS)");
  EXPECT_EQ(info->fields.at("supported_rates"), "");
}

TEST(HostapdStationReply, UnauthorisedStationWithoutIdentity) {
  auto info = parseStationReply("02:00:00:d1:00:01\nflags=[ASSOC]\ndot1xAuthPaeState=3\n");
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_FALSE(info->authorized);
  EXPECT_EQ(info->identity, "");
}

TEST(HostapdStationReply, RefusesWhatHostapdWouldNotWrite) {
  const struct {
    std::string reply;
    const char* reasonPart;
  } cases[] = {
      {"FAIL\n", "no such station"},
      {"", "empty"},
      {"UNKNOWN COMMAND\n", "does not start with a MAC"},
      {"02:00:00:d1:00:01\nflags\n", "without '='"},
      {"02:00:00:d1:00:01\n=x\n", "key empty"},
      {"02:00:00:d1:00:01\n" + std::string(100, 'k') + "=x\n", "key empty or too long"},
      {"02:00:00:d1:00:01\nk=" + std::string(kMaxStaValueBytes + 1, 'v') + "\n", "value too long"},
      // An identity with a line break in it would forge a line: the
      // duplicate key gives it away and the whole reply is refused.
      {"02:00:00:d1:00:01\nflags=[]\ndot1xAuthSessionUserName=x\nflags=[AUTHORIZED]\n", "repeats the key"},
      {"02:00:00:d1:00:01\ndot1xAuthSessionUserName=EK\r\n", "control byte"},
      {std::string("02:00:00:d1:00:01\ndot1xAuthSessionUserName=EK\0-1\n", 48), "control byte"},
  };
  for (const auto& c : cases) {
    auto info = parseStationReply(c.reply);
    ASSERT_FALSE(info) << "accepted: " << escapeForMessage(c.reply);
    EXPECT_NE(info.error().message.find(c.reasonPart), std::string::npos)
        << escapeForMessage(c.reply) << " -> " << info.error().message;
  }
}

TEST(HostapdStationReply, LineAndSizeLimits) {
  std::string many = "02:00:00:d1:00:01\n";
  for (size_t i = 0; i < kMaxStaLines + 1; ++i) many += "k" + std::to_string(i) + "=v\n";
  auto tooManyLines = parseStationReply(many);
  ASSERT_FALSE(tooManyLines);
  EXPECT_NE(tooManyLines.error().message.find("more than"), std::string::npos);
  auto tooLong = parseStationReply(std::string(kMaxControlMessageBytes + 1, 'a'));
  ASSERT_FALSE(tooLong);
  EXPECT_NE(tooLong.error().message.find("longer than the limit"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::dot1x
