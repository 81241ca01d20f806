#include "dataplane/io/capture_file.h"

#include <pcap/pcap.h>

namespace portvakt::io {

struct CaptureFileSource::Handle {
  pcap_t* pcap = nullptr;
  ~Handle() {
    if (pcap != nullptr) pcap_close(pcap);
  }
};

Result<std::unique_ptr<CaptureFileSource>> CaptureFileSource::open(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  auto handle = std::make_unique<Handle>();
  // Nanosecond precision where the file has it; libpcap scales microseconds.
  handle->pcap = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle->pcap == nullptr) {
    return dataplane::Error{path + ": cannot open capture: " + errbuf};
  }
  int linkType = pcap_datalink(handle->pcap);
  return std::unique_ptr<CaptureFileSource>(new CaptureFileSource(std::move(handle), path, linkType));
}

CaptureFileSource::CaptureFileSource(std::unique_ptr<Handle> handle, std::string path, int linkType)
    : handle_(std::move(handle)), path_(std::move(path)), linkType_(linkType) {}

CaptureFileSource::~CaptureFileSource() = default;

ReadStatus CaptureFileSource::next(Frame& out) {
  if (!error_.empty()) return ReadStatus::kError;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_->pcap, &header, &data);
  if (rc == 1) {
    out.bytes = std::span<const uint8_t>(data, header->caplen);
    out.wireLength = header->len;
    out.timestampNs = int64_t{header->ts.tv_sec} * 1'000'000'000 + header->ts.tv_usec;  // tv_usec holds ns here
    out.port = 0;
    ++framesRead_;
    return ReadStatus::kFrame;
  }
  if (rc == PCAP_ERROR_BREAK) return ReadStatus::kEnd;
  // A file cut off mid-record is an error from libpcap; name the frame.
  error_ = path_ + ": after frame " + std::to_string(framesRead_) + ": " + pcap_geterr(handle_->pcap);
  return ReadStatus::kError;
}

struct CaptureFileSink::Handle {
  pcap_t* pcap = nullptr;
  pcap_dumper_t* dumper = nullptr;
  ~Handle() {
    if (dumper != nullptr) pcap_dump_close(dumper);
    if (pcap != nullptr) pcap_close(pcap);
  }
};

Result<std::unique_ptr<CaptureFileSink>> CaptureFileSink::create(const std::string& path, int linkType, int snapLength) {
  auto handle = std::make_unique<Handle>();
  handle->pcap = pcap_open_dead_with_tstamp_precision(linkType, snapLength, PCAP_TSTAMP_PRECISION_NANO);
  if (handle->pcap == nullptr) {
    return dataplane::Error{path + ": cannot create pcap handle"};
  }
  handle->dumper = pcap_dump_open(handle->pcap, path.c_str());
  if (handle->dumper == nullptr) {
    return dataplane::Error{path + ": cannot create capture: " + pcap_geterr(handle->pcap)};
  }
  return std::unique_ptr<CaptureFileSink>(new CaptureFileSink(std::move(handle)));
}

CaptureFileSink::CaptureFileSink(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

CaptureFileSink::~CaptureFileSink() = default;

bool CaptureFileSink::send(const Frame& frame) {
  pcap_pkthdr header = {};
  header.ts.tv_sec = static_cast<time_t>(frame.timestampNs / 1'000'000'000);
  header.ts.tv_usec = static_cast<suseconds_t>(frame.timestampNs % 1'000'000'000);  // ns precision handle
  header.caplen = static_cast<bpf_u_int32>(frame.bytes.size());
  header.len = frame.wireLength > frame.bytes.size() ? frame.wireLength : header.caplen;
  pcap_dump(reinterpret_cast<u_char*>(handle_->dumper), &header, frame.bytes.data());
  return true;
}

bool CaptureFileSink::flush() {
  if (pcap_dump_flush(handle_->dumper) != 0) {
    error_ = "cannot flush capture file";
    return false;
  }
  return true;
}

}  // namespace portvakt::io
