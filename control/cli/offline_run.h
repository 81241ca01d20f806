#pragma once
// What simulate and trace share: the policy compiled into an offline
// pipeline with its ingress port, and the captures read as one stream in time
// order.

#include <boost/program_options.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "control/cli/cli_options.h"
#include "dataplane/engine/offline_pipeline.h"
#include "dataplane/io/capture_file.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::cli {

struct Setup {
  std::shared_ptr<const tables::CompiledPolicy> policy;
  std::unique_ptr<engine::OfflinePipeline> pipeline;
  uint16_t ingress = 0;
  // --capture IFACE=FILE: captures taken on other ports, merged by time.
  std::vector<std::pair<uint16_t, std::string>> captures;
};

// Frames of several captures, each taken on one port, in time order (ties:
// the order given), so `simulate` and `trace` see a device move between
// jacks as the live switch would. A frame stays valid until the next call.
class MergedCaptures {
 public:
  bool add(const std::string& path, uint16_t port) {
    auto source = io::CaptureFileSource::open(path);
    if (!source) {
      error_ = source.error().message;
      return false;
    }
    inputs_.push_back({std::move(source.value()), port, path, {}, false});
    return true;
  }
  io::ReadStatus next(io::Frame& out) {
    if (!primed_) {
      primed_ = true;
      for (size_t i = 0; i < inputs_.size(); ++i) {
        if (!advance(i)) return io::ReadStatus::kError;
      }
    } else if (taken_ < inputs_.size() && !advance(taken_)) {
      return io::ReadStatus::kError;
    }
    size_t best = inputs_.size();
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (inputs_[i].has &&
          (best == inputs_.size() || inputs_[i].pending.timestampNs < inputs_[best].pending.timestampNs))
        best = i;
    }
    taken_ = best;
    if (best == inputs_.size()) return io::ReadStatus::kEnd;
    out = inputs_[best].pending;
    out.port = inputs_[best].port;
    return io::ReadStatus::kFrame;
  }
  const std::string& error() const { return error_; }

 private:
  struct Input {
    std::unique_ptr<io::CaptureFileSource> source;
    uint16_t port;
    std::string path;
    io::Frame pending;
    bool has;
  };
  bool advance(size_t i) {
    Input& in = inputs_[i];
    const io::ReadStatus st = in.source->next(in.pending);
    in.has = st == io::ReadStatus::kFrame;
    if (st == io::ReadStatus::kError) error_ = "reading " + in.path + ": " + std::string(in.source->error());
    return st != io::ReadStatus::kError;
  }
  std::vector<Input> inputs_;
  size_t taken_ = SIZE_MAX;
  bool primed_ = false;
  std::string error_;
};

// Compiles the policy, builds the pipeline and picks the ingress port: the
// one named, or the first access port (a capture is what one wall jack saw).
std::optional<int> setUp(const po::variables_map& vm, Setup& s);

// --pcap on the ingress port, then every --capture.
std::optional<int> openCaptures(const po::variables_map& vm, const Setup& s, MergedCaptures& out);

}  // namespace portvakt::cli
