// `portvakt trace` explains a frame (issue 13, "Explaining"): the evidence
// values of its source, what each present trait counted for or why it did
// not, the spoof reasons with their details, and the MAC's moves between
// jacks, with no doubled words. The captures are written here, one per jack
// (`--capture IFACE=FILE`), with the real binary reading them.
#include <gtest/gtest.h>

#include <stdio.h>
#include <sys/wait.h>

#include <cctype>
#include <cstdlib>
#include <string>
#include <utility>

#include "dataplane/io/capture_file.h"
#include "tests/control/store/temp_dir.h"
#include "tests/dataplane/packet/frame_builder.h"

namespace portvakt {
namespace {

using namespace packet::testing;

constexpr std::string_view kEklientMac = "3c:52:82:1a:2b:3c";  // in the Karlstad inventory CSV
const Bytes kWindowsParams = {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252};
// 2026-12-06T10:00:00Z
constexpr int64_t kStart = int64_t{1796551200} * 1'000'000'000;
constexpr int64_t kSec = 1'000'000'000;

Writer discover(std::string_view mac, const Bytes& params, std::string_view vendor, std::string_view hostname) {
  std::vector<Writer> options = {dhcpOption(53, Bytes{1}), dhcpOption(55, params)};
  if (!vendor.empty()) options.push_back(dhcpOption(60, vendor));
  if (!hostname.empty()) options.push_back(dhcpOption(12, hostname));
  return ethernet("ff:ff:ff:ff:ff:ff", mac, packet::kEtherTypeIpv4,
                  ipv4("0.0.0.0", "255.255.255.255", packet::kIpProtoUdp, udp(68, 67, dhcp(1, 0x1234, mac, options))));
}

Writer toRdnet(std::string_view mac) {
  Writer payload;
  payload.str("hello");
  return ethernet("00:00:5e:00:01:0a", mac, packet::kEtherTypeIpv4,
                  ipv4("10.10.0.23", "10.20.0.5", packet::kIpProtoUdp, udp(40000, 443, payload)));
}

class Capture {
 public:
  explicit Capture(const std::string& path) {
    auto sink = io::CaptureFileSink::create(path);
    EXPECT_TRUE(sink) << sink.error().message;
    if (sink) sink_ = std::move(sink.value());
  }
  void add(const Writer& w, int64_t atNs) {
    io::Frame f;
    f.bytes = w.data;
    f.wireLength = static_cast<uint32_t>(w.data.size());
    f.timestampNs = atNs;
    ASSERT_TRUE(sink_ && sink_->send(f));
  }
  void close() {
    ASSERT_TRUE(sink_->flush());
    sink_.reset();
  }

 private:
  std::unique_ptr<io::CaptureFileSink> sink_;
};

struct CliRun {
  int status = -1;
  std::string output;
};

CliRun portvakt(const std::string& args) {
  const char* bin = std::getenv("PORTVAKT_BIN");
  const std::string command = std::string(bin ? bin : PORTVAKT_BINARY_DIR "/control/portvakt") + " " + args + " 2>&1";
  CliRun r;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return r;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// "class class", "zone zone": the same word twice in a row, one space apart.
// (Not std::regex: g++ 12 under -fsanitize warns maybe-uninitialized inside it.)
std::string doubledWords(const std::string& text) {
  auto isLetter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  std::string previous;
  size_t i = 0;
  while (i < text.size()) {
    if (!isLetter(text[i])) {
      if (text[i] != ' ') previous.clear();
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < text.size() && isLetter(text[i])) ++i;
    std::string word = text.substr(start, i - start);
    const bool oneSpaceBefore = start >= 1 && text[start - 1] == ' ' && (start < 2 || text[start - 2] != ' ');
    if (oneSpaceBefore && !previous.empty() && word == previous) return previous + " " + word;
    previous = std::move(word);
  }
  return {};
}

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    // The eKlient's DHCP on its jack eth3, then its traffic every 4 s (t = 4..16 s);
    // a copy of its MAC answers on eth4 at t = 6 s and 14 s.
    Capture eth3(dir_.file("eth3.pcap"));
    eth3.add(discover(kEklientMac, kWindowsParams, "MSFT 5.0", "EK-KSD-0231"), kStart);
    for (int t = 4; t <= 16; t += 4) eth3.add(toRdnet(kEklientMac), kStart + t * kSec);
    // A stranger whose DHCP vendor class no class of the policy matches.
    eth3.add(discover("00:1e:c9:00:00:07", {1, 3, 6}, "dhcpcd-9.4.1:Linux-6.1.0", "laptop"), kStart + 20 * kSec);
    eth3.close();
    Capture eth4(dir_.file("eth4.pcap"));
    eth4.add(toRdnet(kEklientMac), kStart + 6 * kSec);
    eth4.add(toRdnet(kEklientMac), kStart + 14 * kSec);
    eth4.close();
  }

  CliRun trace(int frame) {
    return portvakt("trace --policy examples/vardcentral-karlstad.yaml --capture eth3=" + dir_.file("eth3.pcap") +
                    " --capture eth4=" + dir_.file("eth4.pcap") + " --frame " + std::to_string(frame));
  }

  testing::TempDir dir_;
};

// Frames in time order over both captures: 1 DHCP (eth3, 0 s), 2 eth3 4 s,
// 3 eth4 6 s, 4 eth3 8 s, 5 eth3 12 s, 6 eth4 14 s, 7 eth3 16 s, 8 stranger 20 s.
TEST_F(TraceTest, FirstMoveIsAMoveWithItsHistory) {
  const CliRun r = trace(3);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("frame 3: 47 bytes on eth4 (access) at 2026-12-06T10:00:06.000Z"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("  verdict  forwarded in zone region"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(
                "  mobility 1 move: eth3->eth4 at 2026-12-06T10:00:06.000Z; not flapping (policy: 4 moves within 300 s)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("  spoof    no reason to suspect this MAC"), std::string::npos) << r.output;
  EXPECT_EQ(doubledWords(r.output), "") << r.output;
}

TEST_F(TraceTest, FlappingMacShowsEvidenceReasonsAndMoves) {
  const CliRun r = trace(7);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string& o = r.output;
  EXPECT_NE(o.find("frame 7: 47 bytes on eth3 (access) at 2026-12-06T10:00:16.000Z"), std::string::npos) << o;
  EXPECT_NE(o.find("  policy   blocked: spoofing suspect (flapping)"), std::string::npos) << o;
  EXPECT_NE(o.find("  verdict  dropped:mac_spoofing in zone quarantine"), std::string::npos) << o;
  // The evidence values it saw, and what each trait counted for.
  EXPECT_NE(o.find("  evidence mac=3c:52:82:1a:2b:3c dhcp.vendor_class=\"MSFT 5.0\" dhcp.parameter_list=1,3,6,15,31"),
            std::string::npos)
      << o;
  EXPECT_NE(o.find("  evidence dhcp.vendor_class counted for class eklient"), std::string::npos) << o;
  EXPECT_NE(o.find("  evidence dhcp.parameter_list counted for class eklient"), std::string::npos) << o;
  // The spoof reason with its detail, and the moves with ports and times.
  EXPECT_NE(
      o.find(
          "  spoof    flapping: 4 moves in 10 s (window 300 s, hold 1800 s): eth3->eth4 at 10:00:06.000 "
          "eth4->eth3 at 10:00:08.000 eth3->eth4 at 10:00:14.000 eth4->eth3 at 10:00:16.000 (quarantined as a suspect)"),
      std::string::npos)
      << o;
  EXPECT_NE(o.find("  mobility 4 moves: eth3->eth4 at 2026-12-06T10:00:06.000Z; eth4->eth3 at 2026-12-06T10:00:08.000Z; "
                   "eth3->eth4 at 2026-12-06T10:00:14.000Z; eth4->eth3 at 2026-12-06T10:00:16.000Z; flapping since "
                   "2026-12-06T10:00:16.000Z, held in quarantine until 2026-12-06T10:30:16.000Z or until forgotten"),
            std::string::npos)
      << o;
  EXPECT_EQ(doubledWords(o), "") << o;
}

TEST_F(TraceTest, PresentTraitThatNoClassMatchesIsExplained) {
  const CliRun r = trace(8);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string& o = r.output;
  EXPECT_NE(o.find("  policy   source 00:1e:c9:00:00:07: no class matched: the port's default zone quarantine"),
            std::string::npos)
      << o;
  EXPECT_NE(o.find("  evidence dhcp.vendor_class present, but no class matches it (checked by class eklient"),
            std::string::npos)
      << o;
  // Its DHCP host name is not kept at all (R10): no class matches host names
  // and its MAC has no inventory entry (docs/data-inventory.md).
  EXPECT_EQ(o.find("dhcp.hostname"), std::string::npos) << o;
  EXPECT_NE(o.find("  mobility never moved between access ports"), std::string::npos) << o;
  EXPECT_EQ(doubledWords(o), "") << o;
}

TEST_F(TraceTest, EklientPlacementIsSaidOnce) {
  const CliRun r = trace(2);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("  policy   source 3c:52:82:1a:2b:3c: class eklient zone region confidence"), std::string::npos)
      << r.output;
  EXPECT_EQ(doubledWords(r.output), "") << r.output;
}

TEST_F(TraceTest, BadCaptureArguments) {
  CliRun r = portvakt("trace --policy examples/vardcentral-karlstad.yaml --capture eth99=" + dir_.file("eth3.pcap") +
                      " --frame 1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--capture eth99="), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no port eth99 in the policy"), std::string::npos) << r.output;
  r = portvakt("trace --policy examples/vardcentral-karlstad.yaml --capture " + dir_.file("eth3.pcap") + " --frame 1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("give IFACE=FILE"), std::string::npos) << r.output;
  r = portvakt("simulate --policy examples/vardcentral-karlstad.yaml --capture eth4=/nonexistent.pcap");
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("/nonexistent.pcap"), std::string::npos) << r.output;
  r = trace(9);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("the capture has 8 frames"), std::string::npos) << r.output;
}

TEST_F(TraceTest, SimulateReportsOneFlappingAlert) {
  const CliRun r =
      portvakt("simulate --policy examples/vardcentral-karlstad.yaml --capture eth3=" + dir_.file("eth3.pcap") +
               " --capture eth4=" + dir_.file("eth4.pcap"));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("8 frames from 2 captures under vardcentral-karlstad"), std::string::npos) << r.output;
  size_t flaps = 0;
  for (size_t at = 0; (at = r.output.find("  mac_flapping  3c:52:82:1a:2b:3c", at)) != std::string::npos; ++at) ++flaps;
  EXPECT_EQ(flaps, 1u) << r.output;
  EXPECT_EQ(r.output.find("mac_spoof_suspect"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace portvakt
