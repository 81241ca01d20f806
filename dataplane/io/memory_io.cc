#include "dataplane/io/memory_io.h"

namespace portvakt::io {

void MemorySource::add(std::span<const uint8_t> bytes, uint16_t port, int64_t timestampNs) {
  frames_.push_back(StoredFrame{std::vector<uint8_t>(bytes.begin(), bytes.end()), static_cast<uint32_t>(bytes.size()),
                                timestampNs, port});
}

ReadStatus MemorySource::next(Frame& out) {
  if (next_ >= frames_.size()) return ReadStatus::kEnd;
  const StoredFrame& f = frames_[next_++];
  out.bytes = f.bytes;
  out.wireLength = f.wireLength > f.bytes.size() ? f.wireLength : static_cast<uint32_t>(f.bytes.size());
  out.timestampNs = f.timestampNs;
  out.port = f.port;
  return ReadStatus::kFrame;
}

bool MemorySink::send(const Frame& frame) {
  frames_.push_back(StoredFrame{std::vector<uint8_t>(frame.bytes.begin(), frame.bytes.end()), frame.wireLength,
                                frame.timestampNs, frame.port});
  return true;
}

Result<std::vector<StoredFrame>> readAll(FrameSource& source) {
  std::vector<StoredFrame> frames;
  Frame f;
  for (;;) {
    switch (source.next(f)) {
      case ReadStatus::kFrame:
        frames.push_back(
            StoredFrame{std::vector<uint8_t>(f.bytes.begin(), f.bytes.end()), f.wireLength, f.timestampNs, f.port});
        break;
      case ReadStatus::kEnd: return frames;
      case ReadStatus::kError: return dataplane::Error{std::string(source.error())};
    }
  }
}

}  // namespace portvakt::io
