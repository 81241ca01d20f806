// RFC 5424 over UDP and octet-counted TCP into a real rsyslogd, started by
// the test on loopback with its own configuration, writing what it parsed
// (PRI, MSGID, APP-NAME, structured data, MSG) to a file the test reads.

#include "control/alerts/syslog_sink.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>

#include "tests/control/alerts/cef_parser.h"
#include "tests/control/alerts/test_support.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::alerts {
namespace {

using portvakt::testing::TempDir;

constexpr const char* kRsyslogd = "/usr/sbin/rsyslogd";

class Rsyslog {
 public:
  explicit Rsyslog(const TempDir& dir) : out_(dir.file("received.log")) {
    udpPort_ = portvakt::testing::freePort(SOCK_DGRAM);
    tcpPort_ = portvakt::testing::freePort(SOCK_STREAM);
    std::string conf = dir.file("rsyslog.conf");
    std::filesystem::create_directory(dir.file("work"));
    std::ofstream(conf) << "global(workDirectory=\"" << dir.file("work") << "\" maxMessageSize=\"8k\")\n"
                        << "module(load=\"imudp\")\nmodule(load=\"imtcp\")\n"
                        << "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" << udpPort_ << "\")\n"
                        << "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << tcpPort_ << "\")\n"
                        << "template(name=\"pv\" type=\"string\" string=\"%pri%|%msgid%|%app-name%|%hostname%|"
                           "%timereported:::date-rfc3339%|%structured-data%|%msg%\\n\")\n"
                        << "action(type=\"omfile\" file=\"" << out_ << "\" template=\"pv\")\n";
    pid_ = fork();
    if (pid_ == 0) {
      std::string pidfile = dir.file("rsyslogd.pid");
      execl(kRsyslogd, kRsyslogd, "-n", "-f", conf.c_str(), "-i", pidfile.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    // Ready when the TCP listener accepts.
    ready_ = portvakt::testing::waitFor([&] {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(tcpPort_));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      close(fd);
      return ok;
    });
  }
  ~Rsyslog() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }
  int udpPort() const { return udpPort_; }
  int tcpPort() const { return tcpPort_; }
  std::vector<std::string> lines() const { return portvakt::testing::readLines(out_); }

 private:
  std::string out_;
  int udpPort_ = 0, tcpPort_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

Alert sample(int i) {
  Alert a;
  a.time = store::atUnixMs(1700000000000 + i);
  a.lastTime = a.time;
  a.id = makeAlertId("vc-karlstad", "rogue_dhcp", "eth3", "02:00:00:00:00:0a", a.time, std::chrono::minutes(5));
  a.event = "rogue_dhcp";
  a.severity = tables::Severity::kCritical;
  a.site = "vc-karlstad";
  a.port = "eth3";
  a.vlan = 30;
  a.deviceMac = "02:00:00:00:00:0a";
  // Characters RFC 5424 makes us escape inside a PARAM-VALUE.
  a.evidence = {{"server_ip", "192.0.2.9"}, {"note", std::string("a \"quoted\" ] \\ value ") + std::to_string(i)}};
  return a;
}

// Splits rsyslog's line into the 7 template fields (MSG may contain '|').
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  for (int i = 0; i < 6; ++i) {
    size_t bar = line.find('|', start);
    if (bar == std::string::npos) return out;
    out.push_back(line.substr(start, bar - start));
    start = bar + 1;
  }
  out.push_back(line.substr(start));
  return out;
}

void checkReceived(const Rsyslog& rs, int n, const char* transport) {
  ASSERT_TRUE(portvakt::testing::waitFor([&] { return static_cast<int>(rs.lines().size()) >= n; }))
      << transport << ": rsyslog wrote " << rs.lines().size() << " of " << n << " lines";
  auto lines = rs.lines();
  ASSERT_EQ(static_cast<int>(lines.size()), n) << transport;
  std::printf("%s: rsyslog wrote: %s\n", transport, lines[0].c_str());
  for (int i = 0; i < n; ++i) {
    auto f = fields(lines[i]);
    ASSERT_EQ(f.size(), 7u) << lines[i];
    EXPECT_EQ(f[0], "130") << "local0.crit";  // 16*8 + 2
    EXPECT_EQ(f[1], "rogue_dhcp");
    EXPECT_EQ(f[2], "portvakt");
    EXPECT_EQ(f[3], "clinic-switch-1");
    EXPECT_EQ(f[4].substr(0, 19), "2023-11-14T22:13:20");
    Alert a = sample(i);
    EXPECT_NE(f[5].find("[portvakt@32473 id=\"" + a.id + "\""), std::string::npos) << f[5];
    EXPECT_NE(f[5].find("vlan=\"30\""), std::string::npos) << f[5];
    EXPECT_NE(f[5].find("mac=\"02:00:00:00:00:0a\""), std::string::npos);
    EXPECT_NE(f[5].find("note=\"a \\\"quoted\\\" \\] \\\\ value " + std::to_string(i) + "\"]"), std::string::npos)
        << f[5];
    EXPECT_NE(f[6].find("rogue_dhcp on eth3 (VLAN 30) from 02:00:00:00:00:0a"), std::string::npos) << f[6];
  }
}

void runAgainstRsyslog(SyslogSink::Transport transport) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  Rsyslog rs(dir);
  ASSERT_TRUE(rs.ready()) << "rsyslogd did not start listening";
  SinkOptions options;
  options.hostname = "clinic-switch-1";
  bool tcp = transport == SyslogSink::Transport::kTcp;
  auto sink =
      SyslogSink::create("siem", "127.0.0.1:" + std::to_string(tcp ? rs.tcpPort() : rs.udpPort()), transport, options);
  ASSERT_TRUE(sink) << sink.error().message;
  const int n = 20;
  for (int i = 0; i < n; ++i) {
    auto r = (*sink)->deliver(sample(i));
    ASSERT_EQ(r.outcome, DeliveryOutcome::kAcked) << r.error;
  }
  checkReceived(rs, n, tcp ? "tcp" : "udp");
}

// CEF over syslog: rsyslog parses the RFC 5424 header (PRI, MSGID, host, no
// structured data) and hands on the CEF line as MSG, byte for byte.
void runCefAgainstRsyslog(SyslogSink::Transport transport) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  Rsyslog rs(dir);
  ASSERT_TRUE(rs.ready()) << "rsyslogd did not start listening";
  SinkOptions options;
  options.hostname = "clinic-switch-1";
  bool tcp = transport == SyslogSink::Transport::kTcp;
  auto sink = SyslogSink::create("siem", "127.0.0.1:" + std::to_string(tcp ? rs.tcpPort() : rs.udpPort()), transport,
                                 options, tables::SinkFormat::kCef);
  ASSERT_TRUE(sink) << sink.error().message;
  const int n = 10;
  for (int i = 0; i < n; ++i) {
    Alert a = sample(i);
    a.evidence.push_back({"path", "c:\\share|x=y"});
    auto r = (*sink)->deliver(a);
    ASSERT_EQ(r.outcome, DeliveryOutcome::kAcked) << r.error;
  }
  const char* name = tcp ? "cef/tcp" : "cef/udp";
  ASSERT_TRUE(portvakt::testing::waitFor([&] { return static_cast<int>(rs.lines().size()) >= n; }))
      << name << ": rsyslog wrote " << rs.lines().size() << " of " << n << " lines";
  auto lines = rs.lines();
  ASSERT_EQ(static_cast<int>(lines.size()), n);
  std::printf("%s: rsyslog wrote: %s\n", name, lines[0].c_str());
  for (int i = 0; i < n; ++i) {
    auto f = fields(lines[i]);
    ASSERT_EQ(f.size(), 7u) << lines[i];
    EXPECT_EQ(f[0], "130") << "local0.crit";
    EXPECT_EQ(f[1], "rogue_dhcp");
    EXPECT_EQ(f[2], "portvakt");
    EXPECT_EQ(f[3], "clinic-switch-1");
    EXPECT_EQ(f[5], "-") << "CEF carries its fields in the extension, not in structured data";
    Alert a = sample(i);
    a.evidence.push_back({"path", "c:\\share|x=y"});
    EXPECT_EQ(f[6], toCef(a, {.hostname = "clinic-switch-1"}));
    auto cef = portvakt::testing::parseCef(f[6]);
    ASSERT_TRUE(cef) << f[6];
    EXPECT_EQ(cef->header, (std::vector<std::string>{"CEF:0", "portvakt", "portvakt", std::string(kPortvaktVersion),
                                                     "rogue_dhcp", "Rogue DHCP server", "9"}));
    EXPECT_EQ(cef->ext["externalId"], a.id);
    EXPECT_EQ(cef->ext["rt"], std::to_string(a.time.time_since_epoch().count()));
    EXPECT_EQ(cef->ext["smac"], "02:00:00:00:00:0a");
    EXPECT_EQ(cef->ext["deviceInboundInterface"], "eth3");
    EXPECT_EQ(cef->ext["deviceExternalId"], "vc-karlstad");
    EXPECT_EQ(cef->ext["dvchost"], "clinic-switch-1");
    EXPECT_EQ(cef->ext["cn1"], "30");
    EXPECT_EQ(cef->ext["cnt"], "1");
    EXPECT_EQ(cef->ext["cs1Label"], "evidence");
    EXPECT_EQ(cef->ext["cs1"],
              "server_ip=192.0.2.9 note=a \"quoted\" ] \\ value " + std::to_string(i) + " path=c:\\share|x=y");
  }
}

TEST(SyslogSinkTest, CefOverUdpParsedByRsyslog) {
  PORTVAKT_REQUIRE(access(kRsyslogd, X_OK) == 0, "rsyslogd not installed (Debian package rsyslog)");
  runCefAgainstRsyslog(SyslogSink::Transport::kUdp);
}

TEST(SyslogSinkTest, CefOverOctetCountedTcpParsedByRsyslog) {
  PORTVAKT_REQUIRE(access(kRsyslogd, X_OK) == 0, "rsyslogd not installed (Debian package rsyslog)");
  runCefAgainstRsyslog(SyslogSink::Transport::kTcp);
}

// Requirements: R7
TEST(SyslogSinkTest, Rfc5424OverUdpParsedByRsyslog) {
  PORTVAKT_REQUIRE(access(kRsyslogd, X_OK) == 0, "rsyslogd not installed (Debian package rsyslog)");
  runAgainstRsyslog(SyslogSink::Transport::kUdp);
}

// Requirements: R7
TEST(SyslogSinkTest, OctetCountedTcpParsedByRsyslog) {
  PORTVAKT_REQUIRE(access(kRsyslogd, X_OK) == 0, "rsyslogd not installed (Debian package rsyslog)");
  runAgainstRsyslog(SyslogSink::Transport::kTcp);
}

// Requirements: R7
TEST(SyslogSinkTest, TcpCollectorDownIsRetryNotAck) {
  int port = portvakt::testing::freePort(SOCK_STREAM);  // nothing listens here
  auto sink = SyslogSink::create("siem", "127.0.0.1:" + std::to_string(port), SyslogSink::Transport::kTcp, {});
  ASSERT_TRUE(sink);
  auto r = (*sink)->deliver(sample(0));
  EXPECT_EQ(r.outcome, DeliveryOutcome::kRetry);
  EXPECT_NE(r.error.find("refused"), std::string::npos) << r.error;
}

TEST(SyslogSinkTest, BadTargetsAreRefusedAtCreate) {
  EXPECT_FALSE(SyslogSink::create("s", "localhost", SyslogSink::Transport::kUdp, {}));
  EXPECT_FALSE(SyslogSink::create("s", "localhost:99999", SyslogSink::Transport::kUdp, {}));
  EXPECT_FALSE(SyslogSink::create("s", "[::1:514", SyslogSink::Transport::kUdp, {}));
  EXPECT_TRUE(SyslogSink::create("s", "[::1]:514", SyslogSink::Transport::kUdp, {}));
}

}  // namespace
}  // namespace portvakt::alerts
