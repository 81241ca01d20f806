// DataplaneRunner on real veth pairs in a network namespace of its own: a push
// whose ports cannot be opened, and ports that disappear under the runner,
// must end in a state the next push (or the ports coming back) can leave, and
// status must say what forwards. Interfaces are removed with `ip link del`,
// as an unplugged USB NIC or a deleted VLAN device would be.
#include "control/daemon/dataplane_runner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/support/netns_lab.h"
#include "tests/control/daemon/status_text.h"

namespace portvakt::control {
namespace {

using portvakt::testing::NetnsLab;
using portvakt::testing::NetnsScope;
using portvakt::testing::sh;

// A two-port site: `access` a wall jack, `uplink` the uplink.
policy::PolicyBundle siteWith(const std::string& name, const std::string& access, const std::string& uplink) {
  std::string text = "portvakt: 1\nname: " + name +
                     "\nmode: enforce\n"
                     "zones:\n"
                     "  lab: {vlan: 10, purpose: \"test hosts\"}\n"
                     "  quarantine: {vlan: 999, quarantine: true, purpose: \"unknown devices\"}\n"
                     "ports:\n"
                     "  - {name: jack, interfaces: " +
                     access +
                     ", role: access, zones: [lab, quarantine], default_zone: quarantine}\n"
                     "  - {name: up, interfaces: " +
                     uplink + ", role: uplink, zones: [lab]}\n";
  const std::string path = "/nonexistent/" + name + ".yaml";  // never read: the bundle carries the text
  return {path, {{path, text}}};
}

class DataplaneRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PORTVAKT_REQUIRE_ROOT();
    ns_ = lab_.addNamespace("runner");
    ASSERT_FALSE(ns_.empty());
    for (const char* port : {"pa0", "pa1", "pb0"}) {
      ASSERT_TRUE(addPort(port)) << port;
    }
  }
  void TearDown() override {
    runner_.reset();  // its thread runs in the namespace: stop it before the namespace goes
  }
  // One end of a veth pair is the port; the peer stays unused.
  bool addPort(const std::string& name) { return lab_.addVeth(ns_, name, ns_, name + "p"); }
  bool removePort(const std::string& name) { return sh("ip -n " + ns_ + " link del " + name) == 0; }

  std::string push(const std::string& name, const std::string& access, const std::string& uplink) {
    auto error = errorOf(policies_.push(siteWith(name, access, uplink), 0, "", fromUnixSeconds(0)));
    EXPECT_EQ(error, std::nullopt) << *error;
    return policies_.current()->contentHash;
  }
  void startRunner(const std::vector<DeviceSeed>& seeds = {}) {
    NetnsScope inside(ns_);  // the runner's thread starts in the namespace and stays there
    ASSERT_TRUE(inside.ok());
    auto started = DataplaneRunner::start(policies_, nullptr, seeds);
    ASSERT_TRUE(started) << started.error().message;
    runner_ = std::move(started.value());
  }
  // Waits (generously: the machine is shared) until `ready` holds for the status.
  template <typename Ready>
  DataplaneStatus waitFor(Ready ready, int seconds = 10) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    DataplaneStatus s = runner_->status();
    while (!ready(s) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      s = runner_->status();
    }
    return s;
  }
  bool portsAre(const std::vector<std::string>& names, int seconds = 10) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
      std::vector<std::string> got;
      for (const PortSnapshot& p : runner_->ports()) got.push_back(p.interface);
      if (got == names) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  NetnsLab lab_;
  std::string ns_;
  PolicyManager policies_;  // no preflight: the tests push ports that are gone, as a race with an unplug would
  std::unique_ptr<DataplaneRunner> runner_;
};

TEST_F(DataplaneRunnerTest, APushWhosePortsFailKeepsForwardingThePreviousPolicyAndSaysSo) {
  const std::string a = push("site-a", "pa0", "pa1");
  startRunner();
  const std::string b = push("site-b", "gone0", "pa1");
  DataplaneStatus s = waitFor([&](const DataplaneStatus& st) { return st.refusedHash == b; });
  EXPECT_TRUE(s.forwarding);
  EXPECT_EQ(s.policyHash, a);
  EXPECT_EQ(s.refusedHash, b);
  EXPECT_NE(runner_->lastError().find("forwarding continues with " + a), std::string::npos) << runner_->lastError();
  EXPECT_TRUE(portsAre({"pa0", "pa1"}));
}

// Devices from the store whose port is no longer an access port of the
// policy (or no port of it at all) are not placed again at start: that is
// counted in the status (and logged), not dropped without a word.
TEST_F(DataplaneRunnerTest, StoredDevicesThatCannotBePlacedAgainAreCounted) {
  push("site-a", "pa0", "pa1");
  auto seed = [](const char* mac, const char* port) {
    DeviceSeed s;
    s.evidence.mac = *tables::MacAddress::parse(mac);
    s.port = port;
    s.firstSeenNs = s.lastSeenNs = 1'000'000'000;
    return s;
  };
  startRunner({seed("02:00:00:00:00:01", "pa0"), seed("02:00:00:00:00:02", "pa1"), seed("02:00:00:00:00:03", "gone0")});
  EXPECT_EQ(runner_->status().seedsNotRestored, 2u) << "the uplink's device and the one of a port that is gone";
}

// A push that changes only the control plane's settings (here a webhook's
// URL) has the tables the dataplane runs already: the runner takes it
// without a reload, so no device is decided again (the decider keeps its
// tables). A push that changes a flow still reloads.
TEST_F(DataplaneRunnerTest, ASettingsOnlyPushDecidesNoDeviceAgainAndAFlowChangeReloads) {
  auto site = [](const std::string& extra) {
    policy::PolicyBundle b = siteWith("site-a", "pa0", "pa1");
    b.files[0].text += extra;
    return b;
  };
  const std::string desk =
      "sinks:\n  desk: {type: webhook, url: \"https://desk.example/a\"}\n"
      "alerts:\n  - {event: device_new, severity: info, sinks: [desk]}\n";
  ASSERT_EQ(errorOf(policies_.push(site(desk), 0, "", fromUnixSeconds(0))), std::nullopt);
  const auto first = policies_.current();
  startRunner();
  DataplaneStatus before = waitFor([&](const DataplaneStatus& st) { return st.policyHash == first->contentHash; });
  ASSERT_EQ(before.policyHash, first->contentHash);

  std::string otherDesk = desk;
  otherDesk.replace(otherDesk.find("/a\""), 3, "/b\"");
  ASSERT_EQ(errorOf(policies_.push(site(otherDesk), 0, "", fromUnixSeconds(0))), std::nullopt);
  ASSERT_NE(policies_.current(), first);
  ASSERT_EQ(policies_.current()->contentHash, first->contentHash);
  ASSERT_NE(policies_.current()->control.settingsHash, first->control.settingsHash);
  DataplaneStatus s = waitFor([&](const DataplaneStatus& st) { return st.settingsOnly == before.settingsOnly + 1; });
  EXPECT_EQ(s.settingsOnly, before.settingsOnly + 1) << "the runner must take the push";
  EXPECT_EQ(s.reloads, before.reloads) << "a settings-only push must not decide the devices again";
  EXPECT_EQ(s.policyHash, first->contentHash);

  ASSERT_EQ(
      errorOf(policies_.push(site(otherDesk + "flows:\n  - {name: web, from: lab, to: 10.0.0.0/8, proto: tcp, ports: "
                                              "[443]}\n"),
                             0, "", fromUnixSeconds(0))),
      std::nullopt);
  const std::string withFlow = policies_.current()->contentHash;
  ASSERT_NE(withFlow, first->contentHash);
  s = waitFor([&](const DataplaneStatus& st) { return st.policyHash == withFlow; });
  EXPECT_EQ(s.policyHash, withFlow) << "a flow change must still be taken; runner error: " << runner_->lastError();
  EXPECT_EQ(s.reloads, before.reloads + 1);
  EXPECT_EQ(s.settingsOnly, before.settingsOnly + 1);
}

TEST_F(DataplaneRunnerTest, WhenNeitherTheNewNorThePreviousPortsOpenTheNextPushIsTaken) {
  const std::string a = push("site-a", "pa0", "pa1");
  startRunner();
  ASSERT_TRUE(removePort("pa0"));  // the previous policy's jack is unplugged
  const std::string b = push("site-b", "gone0", "pa1");
  DataplaneStatus s = waitFor([&](const DataplaneStatus& st) { return !st.forwarding; });
  ASSERT_FALSE(s.forwarding) << "status must say that nothing forwards";
  EXPECT_EQ(s.policyHash, "") << "no policy forwards; the old hash would be a lie";
  EXPECT_EQ(s.refusedHash, b);
  const std::string error = runner_->lastError();
  EXPECT_NE(error.find(b), std::string::npos) << error;
  EXPECT_NE(error.find(a), std::string::npos) << error;
  EXPECT_NE(error.find("not forwarding"), std::string::npos) << error;
  EXPECT_TRUE(runner_->ports().empty()) << "no port is open: no counters of closed ports";

  const std::string c = push("site-c", "pb0", "pa1");
  s = waitFor([&](const DataplaneStatus& st) { return st.forwarding && st.policyHash == c; });
  EXPECT_TRUE(s.forwarding);
  EXPECT_EQ(s.policyHash, c) << "a later push must be taken; runner error: " << runner_->lastError();
  EXPECT_EQ(s.refusedHash, "");
  EXPECT_EQ(runner_->lastError(), "");
  EXPECT_TRUE(portsAre({"pb0", "pa1"}));
}

TEST_F(DataplaneRunnerTest, WhenNothingForwardsThePortsComingBackEndIt) {
  const std::string a = push("site-a", "pa0", "pa1");
  startRunner();
  ASSERT_TRUE(removePort("pa0"));
  const std::string b = push("site-b", "gone0", "pa1");
  ASSERT_FALSE(waitFor([&](const DataplaneStatus& st) { return !st.forwarding; }).forwarding);
  ASSERT_TRUE(addPort("pa0"));  // replugged: the runner retries without a push
  DataplaneStatus s = waitFor([&](const DataplaneStatus& st) { return st.forwarding; });
  EXPECT_TRUE(s.forwarding) << runner_->lastError();
  EXPECT_EQ(s.policyHash, a);
  EXPECT_EQ(s.refusedHash, b) << "the pushed policy still cannot run";
  EXPECT_TRUE(portsAre({"pa0", "pa1"}));
}

TEST_F(DataplaneRunnerTest, ARollbackWhilePortsAreMissingIsNotStuck) {
  const std::string a = push("site-a", "pa0", "pa1");
  startRunner();
  ASSERT_TRUE(removePort("pa0"));
  push("site-b", "gone0", "pa1");
  ASSERT_FALSE(waitFor([&](const DataplaneStatus& st) { return !st.forwarding; }).forwarding);
  // The engineer goes back to a policy whose ports exist.
  ASSERT_EQ(errorOf(policies_.rollback(0, 0, fromUnixSeconds(0))), std::nullopt);
  ASSERT_TRUE(addPort("pa0"));
  DataplaneStatus s = waitFor([&](const DataplaneStatus& st) { return st.forwarding; });
  EXPECT_TRUE(s.forwarding) << runner_->lastError();
  EXPECT_EQ(s.policyHash, a);
  EXPECT_EQ(s.refusedHash, "");
}

// The cable of a jack pulled and plugged back (the veth peer going down and
// up takes the port's carrier with it): link_down, then link_up, for the port.
TEST_F(DataplaneRunnerTest, APortGoingDownAndUpRaisesLinkDownAndLinkUp) {
  push("site-a", "pa0", "pa1");
  startRunner();
  ASSERT_TRUE(waitFor([&](const DataplaneStatus& st) { return st.forwarding; }).forwarding) << runner_->lastError();
  std::vector<tables::EventType> seen;
  auto waitForEvent = [&](tables::EventType want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const engine::EngineEvent& e : runner_->takeEvents()) {
        if (e.event != tables::EventType::kLinkDown && e.event != tables::EventType::kLinkUp) continue;
        EXPECT_EQ(e.port, 0) << "pa0 is the policy's first port";
        seen.push_back(e.event);
      }
      if (!seen.empty() && seen.back() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  };
  ASSERT_EQ(sh("ip -n " + ns_ + " link set pa0p down"), 0);
  EXPECT_TRUE(waitForEvent(tables::EventType::kLinkDown)) << "no link_down for pa0";
  ASSERT_EQ(sh("ip -n " + ns_ + " link set pa0p up"), 0);
  EXPECT_TRUE(waitForEvent(tables::EventType::kLinkUp)) << "no link_up for pa0";
  EXPECT_EQ(seen, (std::vector<tables::EventType>{tables::EventType::kLinkDown, tables::EventType::kLinkUp}));
}

}  // namespace
}  // namespace portvakt::control

namespace portvakt::control {
namespace {

std::vector<engine::EngineEvent> deviceEvents(size_t n) {
  std::vector<engine::EngineEvent> events;
  for (size_t i = 0; i < n; ++i)
    events.push_back({tables::EventType::kDeviceNew, tables::MacAddress{}, 1, 0, "a device"});
  return events;
}

WallTimeNs atNs(int64_t ns) { return WallTimeNs(std::chrono::nanoseconds(ns)); }

// R7: an event queue that overflows says so, as an event, never silently.
TEST(RunnerEventQueue, AFullQueueCountsTheLossAndRaisesEventsLost) {
  std::vector<engine::EngineEvent> queue;
  EventLoss loss, announced;
  auto fresh = deviceEvents(6);
  queueEvents(queue, fresh, loss, announced, atNs(42), /*bound=*/4);
  EXPECT_EQ(loss.runnerQueueFull, 2u);
  ASSERT_EQ(queue.size(), 5u) << "four events and the loss, in the slot kept beyond the bound";
  EXPECT_EQ(queue.back().event, tables::EventType::kEventsLost);
  EXPECT_EQ(queue.back().port, kNoPortEvent);
  EXPECT_EQ(queue.back().timeNs, 42);
  EXPECT_NE(queue.back().detail.find("2 dataplane events lost"), std::string::npos) << queue.back().detail;
  EXPECT_NE(queue.back().detail.find("runner queue full 2"), std::string::npos) << queue.back().detail;

  // More losses while even the kept slot is taken: counted, announced once there is room.
  fresh = deviceEvents(1);
  queueEvents(queue, fresh, loss, announced, atNs(43), 4);
  EXPECT_EQ(loss.runnerQueueFull, 3u);
  EXPECT_EQ(queue.size(), 5u);
  queue.clear();              // the control thread took them
  loss.deciderQueueFull = 5;  // the decider lost some meanwhile
  fresh.clear();
  queueEvents(queue, fresh, loss, announced, atNs(44), 4);
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_NE(
      queue[0].detail.find("6 dataplane events lost (profiler ring full 0, decider queue full 5, runner queue full 1)"),
      std::string::npos)
      << queue[0].detail;
  // Nothing more lost: no more events_lost.
  queueEvents(queue, fresh, loss, announced, atNs(45), 4);
  EXPECT_EQ(queue.size(), 1u);
}

TEST(RunnerEventQueue, RepeatsHeldAtTheSourceAreNoLoss) {
  std::vector<engine::EngineEvent> queue;
  EventLoss loss, announced;
  loss.repeatHeld = 1000;
  auto fresh = deviceEvents(2);
  queueEvents(queue, fresh, loss, announced, atNs(0), 4);
  EXPECT_EQ(queue.size(), 2u);
}

}  // namespace
}  // namespace portvakt::control
