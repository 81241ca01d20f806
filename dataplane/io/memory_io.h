#pragma once
// Frames in memory: a source that replays a list of frames (tests, the
// benchmark's clinic mix) and a sink that keeps copies of what was sent.
// Both copy frames when they are added, never per next() call, so replaying
// from memory costs nothing but the pipeline itself.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "dataplane/io/frame_io.h"

namespace portvakt::io {

struct StoredFrame {
  std::vector<uint8_t> bytes;
  uint32_t wireLength = 0;
  int64_t timestampNs = 0;
  uint16_t port = 0;
};

class MemorySource final : public FrameSource {
 public:
  MemorySource() = default;
  explicit MemorySource(std::vector<StoredFrame> frames) : frames_(std::move(frames)) {}

  void add(std::span<const uint8_t> bytes, uint16_t port = 0, int64_t timestampNs = 0);
  // Replays from the first frame again (benchmarks loop over a fixed mix).
  void rewind() { next_ = 0; }
  size_t size() const { return frames_.size(); }

  ReadStatus next(Frame& out) override;
  std::string_view error() const override { return {}; }
  int linkType() const override { return kLinkTypeEthernet; }

 private:
  std::vector<StoredFrame> frames_;
  size_t next_ = 0;
};

class MemorySink final : public FrameSink {
 public:
  bool send(const Frame& frame) override;
  std::string_view error() const override { return {}; }
  const std::vector<StoredFrame>& frames() const { return frames_; }
  void clear() { frames_.clear(); }

 private:
  std::vector<StoredFrame> frames_;
};

// Reads every frame of a source into memory (for tests and for loading a
// capture once before a benchmark). Fails with the source's error.
Result<std::vector<StoredFrame>> readAll(FrameSource& source);

}  // namespace portvakt::io
