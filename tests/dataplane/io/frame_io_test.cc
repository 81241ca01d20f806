#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "dataplane/io/capture_file.h"
#include "dataplane/io/memory_io.h"
#include "dataplane/packet/frame.h"
#include "tests/dataplane/packet/sample_frames.h"

namespace portvakt::io {
namespace {

namespace fs = std::filesystem;
using packet::testing::Bytes;

std::string tempPath(const char* name) {
  return (fs::temp_directory_path() / (std::string("portvakt_io_") + std::to_string(getpid()) + "_" + name)).string();
}

TEST(MemoryIo, SourceReplaysInOrderAndRewinds) {
  MemorySource source;
  Bytes a = packet::testing::dhcpDiscoverFrame().data;
  Bytes b = packet::testing::lldpMedPhoneFrame().data;
  source.add(a, 3, 1000);
  source.add(b, 4, 2000);
  Frame f;
  ASSERT_EQ(source.next(f), ReadStatus::kFrame);
  EXPECT_EQ(f.port, 3);
  EXPECT_EQ(f.timestampNs, 1000);
  EXPECT_EQ(f.wireLength, a.size());
  EXPECT_TRUE(std::equal(f.bytes.begin(), f.bytes.end(), a.begin(), a.end()));
  ASSERT_EQ(source.next(f), ReadStatus::kFrame);
  EXPECT_EQ(f.port, 4);
  EXPECT_EQ(source.next(f), ReadStatus::kEnd);
  EXPECT_EQ(source.next(f), ReadStatus::kEnd);
  source.rewind();
  ASSERT_EQ(source.next(f), ReadStatus::kFrame);
  EXPECT_EQ(f.port, 3);
}

TEST(MemoryIo, SinkKeepsCopies) {
  MemorySink sink;
  Bytes a = {1, 2, 3};
  ASSERT_TRUE(sink.send(Frame{a, 3, 5, 7}));
  a[0] = 9;  // the sink copied
  ASSERT_EQ(sink.frames().size(), 1u);
  EXPECT_EQ(sink.frames()[0].bytes, (Bytes{1, 2, 3}));
  EXPECT_EQ(sink.frames()[0].port, 7);
}

TEST(CaptureFile, WriteThenReadBackThroughTheInterface) {
  const std::string path = tempPath("roundtrip.pcap");
  {
    auto sink = CaptureFileSink::create(path);
    ASSERT_TRUE(sink.ok()) << sink.error().message;
    Bytes lldp = packet::testing::lldpMedPhoneFrame().data;
    Bytes sip = packet::testing::sipRegisterFrame().data;
    FrameSink& out = *sink.value();
    ASSERT_TRUE(out.send(Frame{lldp, 0, 1'700'000'000'123'456'789, 0}));
    ASSERT_TRUE(out.send(Frame{std::span<const uint8_t>(sip).first(60), static_cast<uint32_t>(sip.size()), 0, 0}));
    ASSERT_TRUE(sink.value()->flush());
  }
  auto source = CaptureFileSource::open(path);
  ASSERT_TRUE(source.ok()) << source.error().message;
  FrameSource& in = *source.value();
  EXPECT_EQ(in.linkType(), kLinkTypeEthernet);
  Frame f;
  packet::ParsedFrame parsed;
  ASSERT_EQ(in.next(f), ReadStatus::kFrame);
  EXPECT_EQ(f.timestampNs, 1'700'000'000'123'456'789);
  packet::parseFrame(f.bytes, parsed, f.wireLength);
  EXPECT_EQ(parsed.lldp.systemName, "SIP-T54W");
  ASSERT_EQ(in.next(f), ReadStatus::kFrame);
  EXPECT_EQ(f.bytes.size(), 60u);
  EXPECT_GT(f.wireLength, 60u);  // snapped frames keep their wire length
  packet::parseFrame(f.bytes, parsed, f.wireLength);
  EXPECT_TRUE(parsed.snapped());
  EXPECT_FALSE(parsed.anomalies.contains(packet::Anomaly::kIpv4TotalLengthOverrun));
  EXPECT_EQ(in.next(f), ReadStatus::kEnd);
  fs::remove(path);
}

TEST(CaptureFile, MissingFileNamesThePath) {
  auto source = CaptureFileSource::open("/nonexistent/portvakt.pcap");
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().message.find("/nonexistent/portvakt.pcap"), std::string::npos) << source.error().message;
}

TEST(CaptureFile, NotACaptureIsAnError) {
  const std::string path = tempPath("garbage.pcap");
  {
    auto sink = CaptureFileSink::create(path);
    ASSERT_TRUE(sink.ok());
  }
  fs::resize_file(path, 10);  // a cut-off global header
  auto source = CaptureFileSource::open(path);
  EXPECT_FALSE(source.ok());
  fs::remove(path);
}

TEST(CaptureFile, ReadsPcapngFromSharedData) {
  const std::string path = "../shared/pcaps/pcapplusplus/QinQ_802.1_AD.pcapng";
  if (!fs::exists(path)) GTEST_SKIP() << path << " is absent (shared test data not mounted)";
  auto source = CaptureFileSource::open(path);
  ASSERT_TRUE(source.ok()) << source.error().message;
  auto frames = readAll(*source.value());
  ASSERT_TRUE(frames.ok()) << frames.error().message;
  ASSERT_EQ(frames.value().size(), 1u);  // MANIFEST.tsv: 1 frame
  packet::ParsedFrame parsed;
  packet::parseFrame(frames.value()[0].bytes, parsed, frames.value()[0].wireLength);
  EXPECT_EQ(parsed.eth.tagCount, 2);
  EXPECT_TRUE(parsed.has(packet::Layer::kIpv4));
}

}  // namespace
}  // namespace portvakt::io
