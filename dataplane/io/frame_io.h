#pragma once
// Packet I/O: one interface for where frames come from and where they go.
//
// The dataplane reads frames from a FrameSource and writes them to a
// FrameSink, and does not know which implementation it has: capture files
// (capture_file.h: pcap and pcapng through libpcap) for `portvakt simulate`
// and tests, memory (memory_io.h) for unit tests and benchmarks, and live
// interfaces (libpcap, later). Swapping the implementation is how the same
// pipeline is replayed offline and run live.
//
// Ownership: a Frame's bytes belong to the source and stay valid until the
// next call to next() on the same source (libpcap reuses its buffer; no copy
// per frame). Sources and sinks are single-threaded: one thread per object.
// Nothing here throws; failures are a status plus error().

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "dataplane/expected.h"

namespace portvakt::io {

struct Frame {
  std::span<const uint8_t> bytes;  // what was captured
  uint32_t wireLength = 0;         // length on the wire (> bytes.size() when snapped)
  int64_t timestampNs = 0;         // capture time, ns since the epoch (0 if unknown)
  uint16_t port = 0;               // ingress (source) or egress (sink) port index
};

enum class ReadStatus : uint8_t {
  kFrame,  // `out` holds the next frame
  kEnd,    // no more frames (end of file, memory exhausted)
  kError,  // error() says why; the source is unusable afterwards
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  [[nodiscard]] virtual ReadStatus next(Frame& out) = 0;
  virtual std::string_view error() const = 0;
  // libpcap DLT_* of the frames; the parsers handle DLT_EN10MB (1).
  virtual int linkType() const = 0;

  // Reads up to `max` frames and hands each to handler(context, frame); a
  // frame is valid only during its call. `count` is set to the frames handed
  // over. Returns kFrame when it stopped at `max` (more may be ready), kEnd
  // when the source had nothing more, kError (error() says why) when the
  // source failed after `count` frames. The default calls next(); a source
  // that reads a burst more cheaply overrides it (LivePort: one
  // pcap_dispatch, frames handed over in libpcap's ring without a copy).
  using FrameHandler = void (*)(void* context, const Frame& frame);
  [[nodiscard]] virtual ReadStatus readBurst(size_t max, FrameHandler handler, void* context, size_t& count) {
    count = 0;
    Frame frame;
    while (count < max) {
      const ReadStatus st = next(frame);
      if (st != ReadStatus::kFrame) return st;
      ++count;
      handler(context, frame);
    }
    return ReadStatus::kFrame;
  }
};

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // False on failure (error() says why); the frame is then not sent.
  [[nodiscard]] virtual bool send(const Frame& frame) = 0;
  virtual std::string_view error() const = 0;
};

inline constexpr int kLinkTypeEthernet = 1;  // DLT_EN10MB

// The I/O module's result type: the dataplane's one Error
// (dataplane/expected.h), whose message names the interface or file.
template <typename T>
using Result = dataplane::Expected<T>;

}  // namespace portvakt::io
