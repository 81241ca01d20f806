#pragma once
// Capture files through libpcap: pcap and pcapng in (pcap_open_offline
// detects the format), classic pcap out.

#include <memory>
#include <string>

#include "dataplane/io/frame_io.h"

namespace portvakt::io {

class CaptureFileSource final : public FrameSource {
 public:
  // Fails with a message naming the file when it cannot be opened or is not a
  // capture.
  static Result<std::unique_ptr<CaptureFileSource>> open(const std::string& path);
  ~CaptureFileSource() override;
  CaptureFileSource(const CaptureFileSource&) = delete;
  CaptureFileSource& operator=(const CaptureFileSource&) = delete;

  ReadStatus next(Frame& out) override;
  std::string_view error() const override { return error_; }
  int linkType() const override { return linkType_; }
  uint64_t framesRead() const { return framesRead_; }

 private:
  struct Handle;
  CaptureFileSource(std::unique_ptr<Handle> handle, std::string path, int linkType);

  std::unique_ptr<Handle> handle_;
  std::string path_;
  std::string error_;
  int linkType_ = kLinkTypeEthernet;
  uint64_t framesRead_ = 0;
};

class CaptureFileSink final : public FrameSink {
 public:
  // Creates (truncates) a pcap file with the given link type and snap length.
  static Result<std::unique_ptr<CaptureFileSink>> create(const std::string& path, int linkType = kLinkTypeEthernet,
                                                         int snapLength = 65535);
  ~CaptureFileSink() override;  // flushes and closes
  CaptureFileSink(const CaptureFileSink&) = delete;
  CaptureFileSink& operator=(const CaptureFileSink&) = delete;

  bool send(const Frame& frame) override;
  std::string_view error() const override { return error_; }
  // Writes buffered frames to the file; false on an I/O error.
  [[nodiscard]] bool flush();

 private:
  struct Handle;
  explicit CaptureFileSink(std::unique_ptr<Handle> handle);

  std::unique_ptr<Handle> handle_;
  std::string error_;
};

}  // namespace portvakt::io
