// The daemon's metrics: names and labels as documented, valid exposition
// (checked by Prometheus's own promtool), and served over HTTP on loopback.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "control/metrics/metrics.h"
#include "tests/support/ci.h"

namespace portvakt::control {
namespace {

void fill(Metrics& m) {
  m.policyLoaded(1, "sha256:abc", "vardcentral-karlstad");
  m.policyLoaded(2, "sha256:def", "vardcentral-karlstad");
  m.policyRejected();
  m.setUptime(42);
  m.setAnomalyCount("decode.lldp.tlv_overrun", 3);
  m.setFrameCount("eth3", "dropped", 17);
  m.addFramesDropped("quarantine", 16);
  m.addFramesDropped("quarantine", 1);
  m.setAlertSpool(4, 1, 12.5);
  m.setPortBytes("eth3", "rx", 1514);
  m.setDeviceCounts({{{"eklient", "region"}, 3}, {{"", "quarantine"}, 2}});
  m.setDeviceCounts({{{"eklient", "region"}, 5}});  // the unknowns left
  m.addEventsDropped("runner_queue_full", 7);
  m.addEventsDropped("runner_queue_full", 3);
  m.addLogLinesSuppressed("device_new", 9995);
  m.setDeviceTable(4096, 4000, 812);
  m.setDeviceTable(-1, -1, 800);  // the daemon's loop sets only the stored rows
}

// Issue 14: nothing a flood makes the daemon drop is silent. Every reason is
// exported from the start (0), so rate() and alert rules work before the first loss.
// Requirements: R7
TEST(Metrics, DroppedEventsAndSuppressedLogLinesAreCounted) {
  Metrics fresh("site");
  std::string text = fresh.exposition();
  for (const char* reason : {"profiler_ring_full", "decider_queue_full", "runner_queue_full", "repeat_held"}) {
    EXPECT_NE(text.find(std::string("portvakt_events_dropped_total{reason=\"") + reason + "\",site=\"site\"} 0"),
              std::string::npos)
        << reason << "\n"
        << text;
  }
  Metrics m("site");
  fill(m);
  text = m.exposition();
  EXPECT_NE(text.find("portvakt_events_dropped_total{reason=\"runner_queue_full\",site=\"site\"} 10"), std::string::npos)
      << text;
  EXPECT_NE(text.find("portvakt_log_lines_suppressed_total{event=\"device_new\",site=\"site\"} 9995"), std::string::npos);
  EXPECT_NE(text.find("portvakt_device_table{site=\"site\",what=\"profiler_records\"} 4096"), std::string::npos);
  EXPECT_NE(text.find("portvakt_device_table{site=\"site\",what=\"stored_rows\"} 800"), std::string::npos);
}

// Issue 17: the forwarding loop's load counters leave the process; both
// states exist at 0 before the first wake-up.
TEST(Metrics, ForwardWakeupsBehindAndOverloaded) {
  Metrics m("site");
  std::string text = m.exposition();
  EXPECT_NE(text.find("portvakt_forward_wakeups{site=\"site\",state=\"behind\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("portvakt_forward_wakeups{site=\"site\",state=\"overloaded\"} 0"), std::string::npos);
  m.setForwardWakeups(120, 7);
  text = m.exposition();
  EXPECT_NE(text.find("portvakt_forward_wakeups{site=\"site\",state=\"behind\"} 120"), std::string::npos) << text;
  EXPECT_NE(text.find("portvakt_forward_wakeups{site=\"site\",state=\"overloaded\"} 7"), std::string::npos);
}

// Issue 13: a port read on a timer because it floods dropped frames is 1,
// and 0 again when that ends.
TEST(Metrics, APortReadOnATimerIsOneUntilItEnds) {
  Metrics m("site");
  m.setPortModerated("eth2", true);
  m.setPortModerated("eth0", false);
  std::string text = m.exposition();
  EXPECT_NE(text.find("portvakt_port_moderated{port=\"eth2\",site=\"site\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("portvakt_port_moderated{port=\"eth0\",site=\"site\"} 0"), std::string::npos) << text;
  m.setPortModerated("eth2", false);
  text = m.exposition();
  EXPECT_NE(text.find("portvakt_port_moderated{port=\"eth2\",site=\"site\"} 0"), std::string::npos) << text;
}

TEST(Metrics, ExpositionHasTheDocumentedNamesAndLabels) {
  Metrics m("vardcentral-karlstad");
  fill(m);
  std::string text = m.exposition();
  EXPECT_NE(text.find("portvakt_policy_reloads_total{result=\"ok\",site=\"vardcentral-karlstad\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("portvakt_policy_reloads_total{result=\"rejected\",site=\"vardcentral-karlstad\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("version=\"2\""), std::string::npos);
  EXPECT_EQ(text.find("version=\"1\""), std::string::npos) << "the old policy's info series must go";
  EXPECT_NE(
      text.find("portvakt_decode_anomaly_frames{anomaly=\"decode.lldp.tlv_overrun\",site=\"vardcentral-karlstad\"} 3"),
      std::string::npos);
  EXPECT_NE(text.find("portvakt_uptime_seconds{site=\"vardcentral-karlstad\"} 42"), std::string::npos);
  EXPECT_NE(text.find("portvakt_frames{port=\"eth3\",site=\"vardcentral-karlstad\",verdict=\"dropped\"} 17"),
            std::string::npos);
  EXPECT_NE(text.find("portvakt_frames_dropped_total{reason=\"quarantine\",site=\"vardcentral-karlstad\"} 17"),
            std::string::npos);
  EXPECT_NE(text.find("portvakt_frames_dropped_total{reason=\"rogue_dhcp\",site=\"vardcentral-karlstad\"} 0"),
            std::string::npos)
      << "every drop reason exists from the start";
  EXPECT_NE(text.find("portvakt_frames_would_drop_total{reason=\"quarantine\",site=\"vardcentral-karlstad\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("portvakt_decode_anomaly_frames{anomaly=\"decode.eth.truncated\",site=\"vardcentral-karlstad\"} 0"),
            std::string::npos)
      << "every anomaly exists from the start";
  EXPECT_NE(text.find("portvakt_port_bytes{direction=\"rx\",port=\"eth3\",site=\"vardcentral-karlstad\"} 1514"),
            std::string::npos);
  EXPECT_NE(text.find("portvakt_alert_queue_depth{site=\"vardcentral-karlstad\"} 4"), std::string::npos) << text;
  EXPECT_NE(text.find("portvakt_alert_deliveries_rejected{site=\"vardcentral-karlstad\"} 1"), std::string::npos);
  EXPECT_NE(text.find("portvakt_alert_delivery_lag_seconds{site=\"vardcentral-karlstad\"} 12.5"), std::string::npos);
  EXPECT_NE(text.find("portvakt_devices{class=\"eklient\",site=\"vardcentral-karlstad\",zone=\"region\"} 5"),
            std::string::npos);
  EXPECT_NE(text.find("portvakt_devices{class=\"\",site=\"vardcentral-karlstad\",zone=\"quarantine\"} 0"),
            std::string::npos)
      << "a class and zone no device has any more reads 0";
}

TEST(Metrics, PromtoolAcceptsTheExposition) {
  PORTVAKT_REQUIRE(std::system("command -v promtool >/dev/null 2>&1") == 0,
                   "promtool not installed (Debian package prometheus)");
  auto file = std::filesystem::temp_directory_path() / ("pv-metrics-" + std::to_string(::getpid()) + ".prom");
  Metrics m("vardcentral-karlstad");
  fill(m);
  std::ofstream(file) << m.exposition();
  std::string command = "promtool check metrics < " + file.string() + " 2>&1";
  FILE* p = ::popen(command.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) output.append(buf, n);
  int status = ::pclose(p);
  std::filesystem::remove(file);
  EXPECT_EQ(status, 0) << output;
}

TEST(Metrics, ServedOverHttpOnLoopback) {
  Metrics m("vardcentral-karlstad");
  fill(m);
  // Find a free port by asking the kernel, then hand it to the exposer.
  int port = 0;
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
  }
  ASSERT_GT(port, 0);
  auto serving = m.serve("127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(serving) << serving.error().message;
  httplib::Client client("127.0.0.1", port);
  auto response = client.Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("portvakt_policy_info"), std::string::npos);
}

TEST(Metrics, APortInUseIsAClearError) {
  httplib::Server busy;
  int port = busy.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  Metrics m("x");
  auto serving = m.serve("127.0.0.1:" + std::to_string(port));
  ASSERT_FALSE(serving);
  EXPECT_NE(serving.error().message.find("cannot serve metrics on 127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::control
