// policy.plan's device moves: the live devices whose class or zone a planned
// policy would change, classified again on the evidence they have shown.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "control/daemon/plan_moves.h"
#include "policy/compiler/compiler.h"

namespace portvakt::control {
namespace {

std::string fileText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << path;
  return text.str();
}

// vc-mora on base version 2 of the fleet test (tests/fleet/policy): the new
// phone model (OUI 00:1a:e8) is an ip-phone.
std::shared_ptr<const tables::CompiledPolicy> moraOnBaseV2() {
  const std::string dir = "tests/fleet/policy/";
  std::vector<policy::SourceText> files = {
      {"clinics/vc-mora.yaml", fileText(dir + "clinics/vc-mora.yaml")},
      {"base/region-base.yaml", fileText(dir + "base/region-base-v2.yaml")},
      {"clinics/vc-mora-inventory.csv", fileText(dir + "clinics/vc-mora-inventory.csv")}};
  policy::CompileResult compiled = policy::compilePolicySources("clinics/vc-mora.yaml", files);
  EXPECT_TRUE(compiled.ok()) << compiled.diagnostics.format();
  return compiled.policy;
}

DeviceSnapshot device(const char* mac, const char* port, const char* deviceClass, const char* zone) {
  DeviceSnapshot d;
  d.evidence.mac = *tables::MacAddress::parse(mac);
  d.port = port;
  d.deviceClass = deviceClass;
  d.zone = zone;
  return d;
}

TEST(PlanMoves, ListsTheDevicesWhoseClassOrZoneWouldChange) {
  auto planned = moraOnBaseV2();
  ASSERT_TRUE(planned);
  std::vector<DeviceSnapshot> live = {
      device("00:1a:e8:01:00:05", "eth3", "", "quarantine"),     // the new phone model: to voice
      device("80:5e:c0:00:00:05", "eth3", "ip-phone", "voice"),  // already where it belongs
      device("3c:52:82:01:00:01", "eth4", "", "quarantine"),     // the inventoried eKlient: to region
      device("00:1a:e8:01:00:09", "eth9", "", "quarantine"),     // a jack the policy no longer has
  };
  DeviceSnapshot suspect = device("00:1a:e8:01:00:07", "eth3", "", "quarantine");
  suspect.quarantinedAsSuspect = true;  // held, whatever the policy says
  live.push_back(suspect);

  nlohmann::json moves = plannedMoves(*planned, live);
  ASSERT_EQ(moves.size(), 3u) << moves.dump(1);
  // By MAC.
  EXPECT_EQ(moves[0]["mac"], "00:1a:e8:01:00:05");
  EXPECT_EQ(moves[0]["from_zone"], "quarantine");
  EXPECT_EQ(moves[0]["to_class"], "ip-phone");
  EXPECT_EQ(moves[0]["to_zone"], "voice");
  EXPECT_EQ(moves[1]["mac"], "00:1a:e8:01:00:09");
  EXPECT_EQ(moves[1]["port"], "eth9");
  EXPECT_EQ(moves[1]["to_zone"], "-");
  EXPECT_EQ(moves[2]["mac"], "3c:52:82:01:00:01");
  EXPECT_EQ(moves[2]["to_class"], "eklient");
  EXPECT_EQ(moves[2]["to_zone"], "region");
}

TEST(PlanMoves, NothingMovesWhenEveryDeviceStaysWhereItIs) {
  auto planned = moraOnBaseV2();
  ASSERT_TRUE(planned);
  EXPECT_TRUE(plannedMoves(*planned, {device("00:1a:e8:01:00:05", "eth3", "ip-phone", "voice")}).empty());
  EXPECT_TRUE(plannedMoves(*planned, {}).empty());
}

}  // namespace
}  // namespace portvakt::control
