#pragma once
// One alert per line, appended to a file that a log shipper (Filebeat,
// Elastic Agent, Vector, an ArcSight file connector) tails: an ECS JSON
// document (sink types jsonl and file) or a CEF line (file with format: cef).
//
// Safe under logrotate: before each write the sink compares the open file's
// inode with the path's; when logrotate has renamed the file away (create
// mode) or removed it, the sink opens a fresh file at the path. copytruncate
// also works because the file is opened O_APPEND. reopen() forces it (for a
// postrotate SIGHUP). Each line is one write() of the whole line, so a reader
// never sees half a line from this writer, and it is fdatasync'ed before the
// delivery counts as acknowledged.

#include <sys/types.h>

#include <mutex>
#include <string>

#include "control/alerts/sink.h"

namespace portvakt::alerts {

class JsonLinesSink final : public Sink {
 public:
  JsonLinesSink(std::string name, std::string path, const SinkOptions& options,
                tables::SinkFormat format = tables::SinkFormat::kNative);
  ~JsonLinesSink() override;

  DeliveryResult deliver(const Alert& alert) override;
  void reopen() override;

 private:
  std::string openIfNeeded();  // "" on success

  std::mutex mu_;  // reopen() may come from another thread
  std::string path_;
  SinkOptions options_;
  std::string hostname_;
  tables::SinkFormat format_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

}  // namespace portvakt::alerts
