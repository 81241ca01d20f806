// LivePort (libpcap) and PacketSocketSink (batched AF_PACKET) on a veth pair
// between two network namespaces. Root tests: skipped when not root, failed
// under CI=true.

#include "dataplane/io/live_port.h"

#include <gtest/gtest.h>

#include <optional>

#include "tests/dataplane/forward/l2_frames.h"
#include "tests/support/netns_lab.h"

namespace portvakt::io {
namespace {

using portvakt::forward::testing::Bytes;
using portvakt::forward::testing::l2Frame;
using portvakt::testing::captureTestFrames;
using portvakt::testing::NetnsLab;
using portvakt::testing::NetnsScope;
using portvakt::testing::RawSender;

TEST(LivePortErrors, MissingInterfaceIsNamed) {
  auto port = LivePort::open("pvnosuch0", 0);
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().message.find("live port pvnosuch0:"), std::string::npos) << port.error().message;
  if (::geteuid() == 0) {
    EXPECT_NE(port.error().message.find("no such interface"), std::string::npos) << port.error().message;
  }
  auto sink = PacketSocketSink::open("pvnosuch0");
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.error().message, "live port pvnosuch0: no such interface");
  EXPECT_NE(LivePort::open("a-name-longer-than-ifnamsiz", 0).error().message.find("invalid interface name"),
            std::string::npos);
}

class LivePortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PORTVAKT_REQUIRE_ROOT();
    lab_.emplace();
    a_ = lab_->addNamespace("a");
    b_ = lab_->addNamespace("b");
    ASSERT_FALSE(a_.empty());
    ASSERT_FALSE(b_.empty());
    ASSERT_TRUE(lab_->addVeth(a_, "va", b_, "vb"));
  }
  std::optional<NetnsLab> lab_;
  std::string a_, b_;
};

TEST_F(LivePortTest, BatchedSinkAndInjectReachThePeerTagsIntact) {
  std::unique_ptr<PacketSocketSink> sink;
  std::unique_ptr<LivePort> sender, receiver;
  {
    NetnsScope in(a_);
    auto s = PacketSocketSink::open("va", {.batch = 8});
    ASSERT_TRUE(s.ok()) << s.error().message;
    sink = std::move(s.value());
    auto p = LivePort::open("va", 0);
    ASSERT_TRUE(p.ok()) << p.error().message;
    sender = std::move(p.value());
  }
  {
    NetnsScope in(b_);
    auto p = LivePort::open("vb", 7);
    ASSERT_TRUE(p.ok()) << p.error().message;
    receiver = std::move(p.value());
  }
  // 20 frames, batched by 8: two full batches go out on their own, the last
  // four on flush(). Every third one carries an 802.1Q tag, which the kernel
  // strips into metadata on receive and libpcap puts back.
  std::vector<Bytes> frames;
  for (int i = 0; i < 20; ++i) {
    std::vector<forward::testing::Tag> tags;
    if (i % 3 == 0) tags.push_back({0x8100, static_cast<uint16_t>(100 + i), 3});
    frames.push_back(l2Frame("02:00:00:00:00:bb", "02:00:00:00:00:aa", tags, static_cast<uint8_t>(i)));
    Frame f;
    f.bytes = frames.back();
    ASSERT_TRUE(sink->send(f)) << sink->error();
  }
  EXPECT_EQ(sink->pending(), 4u);
  ASSERT_TRUE(sink->flush()) << sink->error();
  EXPECT_EQ(sink->stats().sent, 20u);
  EXPECT_EQ(sink->stats().syscalls, 3u);
  // One more through pcap_inject.
  frames.push_back(l2Frame("02:00:00:00:00:bb", "02:00:00:00:00:aa", {}, 0x77));
  Frame f;
  f.bytes = frames.back();
  ASSERT_TRUE(sender->send(f)) << sender->error();

  auto got = captureTestFrames(*receiver, frames.size(), 2000);
  ASSERT_EQ(got.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(got[i], frames[i]) << "frame " << i;

  // Inbound only: the sender's own port does not read back what it sent.
  EXPECT_TRUE(captureTestFrames(*sender, 0, 50).empty());
  Frame in;
  EXPECT_EQ(receiver->next(in), ReadStatus::kEnd) << "non-blocking: nothing more now";
  EXPECT_EQ(receiver->stats().received, frames.size());
}

TEST_F(LivePortTest, FramesCarryPortIndexTimestampAndWireLength) {
  std::unique_ptr<LivePort> receiver;
  {
    NetnsScope in(b_);
    auto p = LivePort::open("vb", 42);
    ASSERT_TRUE(p.ok()) << p.error().message;
    receiver = std::move(p.value());
  }
  NetnsScope in(a_);
  RawSender raw("va");
  ASSERT_TRUE(raw.ok());
  Bytes big = l2Frame("02:00:00:00:00:bb", "02:00:00:00:00:aa", {}, 1, 1400);
  ASSERT_TRUE(raw.send(big));
  pollfd pfd = {receiver->selectableFd(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 2000), 1) << "selectable fd never became readable";
  Frame f;
  ReadStatus st;
  do st = receiver->next(f);
  while (st == ReadStatus::kFrame && f.bytes[6] != 0x02);
  ASSERT_EQ(st, ReadStatus::kFrame);
  EXPECT_EQ(f.port, 42);
  EXPECT_EQ(f.bytes.size(), big.size());
  EXPECT_EQ(f.wireLength, big.size());
  EXPECT_GT(f.timestampNs, 1'600'000'000'000'000'000);
}

TEST_F(LivePortTest, InterfaceRemovedIsAnErrorNamingIt) {
  std::unique_ptr<LivePort> port;
  {
    NetnsScope in(b_);
    auto p = LivePort::open("vb", 0);
    ASSERT_TRUE(p.ok()) << p.error().message;
    port = std::move(p.value());
  }
  ASSERT_EQ(portvakt::testing::sh("ip -n " + a_ + " link del va"), 0);
  Frame f;
  ReadStatus st = ReadStatus::kEnd;
  for (int i = 0; i < 100 && st != ReadStatus::kError; ++i) {
    st = port->next(f);
    if (st == ReadStatus::kEnd) ::usleep(10000);
  }
  ASSERT_EQ(st, ReadStatus::kError);
  EXPECT_NE(port->error().find("live port vb:"), std::string::npos) << port->error();
}

}  // namespace
}  // namespace portvakt::io
