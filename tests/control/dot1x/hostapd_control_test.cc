// The wpa_ctrl client against a real Unix datagram socket that plays
// hostapd (the real hostapd is in tests/e2e/dot1x.sh): replies, events that
// arrive during a request, timeouts and late replies, garbage.
#include "control/dot1x/hostapd_control.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <cstring>
#include <functional>
#include <gtest/gtest.h>
#include <thread>

#include "tests/control/store/temp_dir.h"

namespace portvakt::dot1x {
namespace {

using std::chrono::milliseconds;

// A datagram socket at `path` that answers each request with what `answer`
// returns (a list of datagrams, sent in order, each optionally delayed).
class FakeHostapd {
 public:
  struct Send {
    std::string datagram;
    int delayMs = 0;
  };
  using Answer = std::function<std::vector<Send>(const std::string& request)>;

  FakeHostapd(const std::string& path, Answer answer) : path_(path), answer_(std::move(answer)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    if (ok_) thread_ = std::thread([this] { serve(); });
  }
  ~FakeHostapd() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool ok() const { return ok_; }
  // Sends a datagram to the last client that wrote to us.
  void push(const std::string& datagram) {
    std::lock_guard lock(peerMutex_);
    ::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&peer_), peerLength_);
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) continue;
      char buffer[4096];
      sockaddr_un from{};
      socklen_t fromLength = sizeof from;
      const ssize_t n = ::recvfrom(fd_, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &fromLength);
      if (n < 0) continue;
      {
        std::lock_guard lock(peerMutex_);
        peer_ = from;
        peerLength_ = fromLength;
      }
      for (const Send& send : answer_(std::string(buffer, static_cast<size_t>(n)))) {
        if (send.delayMs > 0) std::this_thread::sleep_for(milliseconds(send.delayMs));
        ::sendto(fd_, send.datagram.data(), send.datagram.size(), 0, reinterpret_cast<sockaddr*>(&from), fromLength);
      }
    }
  }

  std::string path_;
  Answer answer_;
  int fd_ = -1;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex peerMutex_;
  sockaddr_un peer_{};
  socklen_t peerLength_ = 0;
};

const auto kMac = *tables::MacAddress::parse("02:00:00:d1:00:01");

std::vector<FakeHostapd::Send> hostapdLike(const std::string& request) {
  if (request == "PING") return {{"PONG\n"}};
  if (request == "ATTACH") {
    // An event may overtake the reply.
    return {{"<3>CTRL-EVENT-EAP-STARTED 02:00:00:d1:00:01"}, {"OK\n"}};
  }
  if (request == "STA 02:00:00:d1:00:01") {
    return {{"02:00:00:d1:00:01\nflags=[AUTHORIZED]\ndot1xAuthSessionUserName=EK-0001\n"}};
  }
  if (request == "STA 02:00:00:d1:00:02") return {{"02:00:00:d1:00:09\nflags=[]\n"}};
  if (request.rfind("NEW_STA ", 0) == 0) return {{"OK\n"}};
  if (request.rfind("DEAUTHENTICATE ", 0) == 0) return {{"FAIL\n"}};
  if (request == "SLOW") return {{"late\n", 300}};
  if (request == "NEXT") return {{"next\n"}};
  return {{"UNKNOWN COMMAND\n"}};
}

class HostapdControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    fake_ = std::make_unique<FakeHostapd>(serverPath(), hostapdLike);
    ASSERT_TRUE(fake_->ok());
  }
  std::string serverPath() const { return dir_.file("acc1"); }
  portvakt::testing::TempDir dir_;
  std::unique_ptr<FakeHostapd> fake_;
};

TEST_F(HostapdControlTest, PingAttachAndCommands) {
  auto control = HostapdControl::open(serverPath(), dir_.path());
  ASSERT_TRUE(control) << control.error().message;
  HostapdControl& c = **control;
  EXPECT_TRUE(c.ping(milliseconds(2000)));
  ASSERT_TRUE(c.attach(milliseconds(2000)));
  // The event that overtook ATTACH's OK is kept for readEvents().
  auto received = c.readEvents();
  ASSERT_EQ(received.events.size(), 1u);
  EXPECT_EQ(received.events[0].kind, HostapdEventKind::kEapStarted);
  EXPECT_EQ(received.events[0].mac, kMac);

  auto station = c.station(kMac, milliseconds(2000));
  ASSERT_TRUE(station) << station.error().message;
  EXPECT_EQ(station->identity, "EK-0001");
  EXPECT_TRUE(station->authorized);
  EXPECT_TRUE(c.newStation(kMac, milliseconds(2000)));

  auto refused = c.deauthenticate(kMac, milliseconds(2000));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ControlErrorCode::kRefused);
  EXPECT_NE(refused.error().message.find("DEAUTHENTICATE answered \"FAIL\\x0a\""), std::string::npos)
      << refused.error().message;
}

TEST_F(HostapdControlTest, StaAnswerForAnotherStationIsRefused) {
  auto control = HostapdControl::open(serverPath(), dir_.path());
  ASSERT_TRUE(control);
  auto station = (*control)->station(*tables::MacAddress::parse("02:00:00:d1:00:02"), milliseconds(2000));
  ASSERT_FALSE(station);
  EXPECT_NE(station.error().message.find("another station"), std::string::npos) << station.error().message;
}

TEST_F(HostapdControlTest, ALateReplyIsNotTakenForTheNextOne) {
  auto control = HostapdControl::open(serverPath(), dir_.path());
  ASSERT_TRUE(control);
  auto slow = (*control)->request("SLOW", milliseconds(50));
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, ControlErrorCode::kTimeout);
  EXPECT_NE(slow.error().message.find(serverPath()), std::string::npos);
  std::this_thread::sleep_for(milliseconds(500));  // "late\n" is now queued on our socket
  auto next = (*control)->request("NEXT", milliseconds(2000));
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(*next, "next\n");
}

TEST_F(HostapdControlTest, GarbageAndOversizedDatagramsAreRejectedNotFatal) {
  auto control = HostapdControl::open(serverPath(), dir_.path());
  ASSERT_TRUE(control);
  ASSERT_TRUE((*control)->ping(milliseconds(2000)));  // the fake learns our address
  fake_->push("<3>AP-STA-CONNECTED not-a-mac");
  fake_->push(std::string("\0\1\2\3", 4));
  fake_->push("<3>" + std::string(kMaxControlMessageBytes + 100, 'A'));
  fake_->push("<3>AP-STA-DISCONNECTED 02:00:00:d1:00:01");
  HostapdControl::Received all;
  for (int i = 0; i < 200 && all.events.size() + all.rejected.size() < 4; ++i) {
    pollfd pfd{(*control)->fd(), POLLIN, 0};
    ::poll(&pfd, 1, 10);
    auto received = (*control)->readEvents();
    all.events.insert(all.events.end(), received.events.begin(), received.events.end());
    all.rejected.insert(all.rejected.end(), received.rejected.begin(), received.rejected.end());
  }
  ASSERT_EQ(all.events.size(), 1u);
  EXPECT_EQ(all.events[0].kind, HostapdEventKind::kStationDisconnected);
  ASSERT_EQ(all.rejected.size(), 3u);
  int oversized = 0;
  for (const ParseError& rejected : all.rejected)
    oversized += rejected.message.find("longer than the limit") != std::string::npos;
  EXPECT_EQ(oversized, 1);
}

TEST(HostapdControlOpen, MissingSocketAndLongPathsFailClearly) {
  portvakt::testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto missing = HostapdControl::open(dir.file("no-such-hostapd"), dir.path());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find(dir.file("no-such-hostapd")), std::string::npos) << missing.error().message;
  auto longPath = HostapdControl::open("/" + std::string(200, 'x'), dir.path());
  ASSERT_FALSE(longPath);
  EXPECT_EQ(longPath.error().code, ControlErrorCode::kPathTooLong);
  EXPECT_NE(longPath.error().message.find("longer than"), std::string::npos);
  // No local socket is left behind by a failed open.
  int leftovers = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    leftovers += entry.path().filename().string().rfind("portvakt-", 0) == 0;
  }
  EXPECT_EQ(leftovers, 0);
}

}  // namespace
}  // namespace portvakt::dot1x
