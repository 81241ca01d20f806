#pragma once
// The management API's transport: newline-delimited JSON over a Unix stream
// socket. One request per line, one response per line. The server learns the
// caller's uid from SO_PEERCRED (it goes into the audit trail) and never trusts
// anything the client says about itself.
//
// Limits: a request line is at most kMaxRequestBytes; a longer one gets an
// error response and the connection is closed. Thread-safety: a server is
// driven from one thread (the daemon's control loop).

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

namespace portvakt::api {

inline constexpr size_t kMaxRequestBytes = 1u << 20;
inline constexpr int kApiVersion = 1;

struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
};

class UnixSocketServer {
 public:
  using Handler = std::function<std::string(const std::string& request, const Caller& caller)>;

  // Binds `path` (removing a stale socket file first), mode 0660, and group
  // `group` when that group exists. Returns an error text on failure.
  static std::optional<std::string> listen(const std::string& path, const std::string& group, UnixSocketServer& out);
  ~UnixSocketServer();

  int fd() const { return fd_; }
  // Accepts and serves every pending connection (one request each), without
  // blocking longer than `timeoutMs` waiting for the first one.
  void serveOnce(const Handler& handler, int timeoutMs);

 private:
  int fd_ = -1;
  std::string path_;
};

// Sends one request and waits for the response line. Returns nullopt and sets
// `error` when the daemon cannot be reached or answers nothing.
std::optional<std::string> callDaemon(const std::string& path, const std::string& request, std::string& error,
                                      int timeoutMs = 30000);

}  // namespace portvakt::api
