#include "control/alerts/json_lines_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/alerts/cef.h"

namespace portvakt::alerts {

JsonLinesSink::JsonLinesSink(std::string name, std::string path, const SinkOptions& options, tables::SinkFormat format)
    : Sink(std::move(name)), path_(std::move(path)), options_(options), format_(format) {
  hostname_ = options.hostname.empty() ? localHostname() : options.hostname;
}

JsonLinesSink::~JsonLinesSink() {
  if (fd_ >= 0) ::close(fd_);
}

void JsonLinesSink::reopen() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string JsonLinesSink::openIfNeeded() {
  if (fd_ >= 0) {
    struct stat st {};
    // Still the file at the path? If logrotate moved or deleted it, no.
    if (::stat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) return "";
    ::close(fd_);
    fd_ = -1;
  }
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return "open " + path_ + ": " + strerror(errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    std::string e = "fstat " + path_ + ": " + strerror(errno);
    ::close(fd);
    return e;
  }
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  return "";
}

DeliveryResult JsonLinesSink::deliver(const Alert& alert) {
  // Neither form holds a raw line break: JSON escapes it, CEF writes \n.
  std::string line =
      (format_ == tables::SinkFormat::kCef ? toCef(alert, {.hostname = hostname_}) : toEcsJson(alert, hostname_)) + "\n";
  std::lock_guard lock(mu_);
  if (std::string err = openIfNeeded(); !err.empty()) return {DeliveryOutcome::kRetry, err};
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(line.size())) {
    // A short write (disk full) leaves a partial line; the retry appends a
    // whole one after it, and readers skip the unparsable fragment.
    std::string e = n < 0 ? std::string("write: ") + strerror(errno) : "short write (disk full?)";
    ::close(fd_);
    fd_ = -1;
    return {DeliveryOutcome::kRetry, e};
  }
  if (options_.fsyncJsonLines && ::fdatasync(fd_) != 0) {
    return {DeliveryOutcome::kRetry, std::string("fdatasync: ") + strerror(errno)};
  }
  return {DeliveryOutcome::kAcked, ""};
}

}  // namespace portvakt::alerts
