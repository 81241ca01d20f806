#pragma once
// The management API's transport: newline-delimited JSON over a Unix stream
// socket. One request line per connection, one answer line back, then the
// server closes. The server learns the caller's uid from SO_PEERCRED (it goes
// into the audit trail) and never trusts anything the client says about itself.
//
// How one slow or hostile client is kept from stalling the others: the server
// is an event loop (poll over the listening socket and every connection, all
// non-blocking, a buffer per connection), driven one turn at a time by the
// daemon's control loop. Nothing waits for one client:
//  - a request line must be complete within ServerLimits::requestDeadline
//    of the accept (a client that drips bytes or says nothing is closed then,
//    after a one-line error when its socket takes it);
//  - an answer must be taken within answerDeadline of being ready (a client
//    that never reads cannot hold the loop: writes never block, the rest of a
//    large answer waits in that connection's buffer until the deadline);
//  - a request line longer than maxRequestBytes gets an error and is closed;
//  - at most maxConnections are open. One more evicts the oldest connection
//    still waiting for its request (or, if none waits, the oldest still
//    taking its answer) with a "busy" error: a client holding connections
//    open cannot lock the others out, and a normal client, whose request
//    follows its connect at once, is read in the turn it is accepted.
// The listen backlog is SOMAXCONN, and one turn accepts at most
// kMaxAcceptsPerTurn connections so a connect flood cannot keep the loop from
// answering. Memory held is at most maxConnections x maxRequestBytes of
// requests plus the answers not yet taken.
//
// Thread-safety: a server is driven from one thread (the daemon's control
// loop), and the handler runs on that thread, one request at a time.

#include <sys/types.h>

#include <cstdint>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/api/api_result.h"

namespace portvakt::api {

inline constexpr size_t kMaxRequestBytes = 1u << 20;
inline constexpr int kApiVersion = 1;
inline constexpr size_t kMaxConnections = 64;
inline constexpr std::chrono::milliseconds kRequestDeadline{5000};
inline constexpr std::chrono::milliseconds kAnswerDeadline{10000};
inline constexpr std::chrono::milliseconds kCallTimeout{30000};
inline constexpr int kMaxAcceptsPerTurn = 256;

struct ServerLimits {
  size_t maxConnections = kMaxConnections;
  std::chrono::milliseconds requestDeadline = kRequestDeadline;  // from accept to the request's newline
  std::chrono::milliseconds answerDeadline = kAnswerDeadline;    // from the answer being ready to its last byte taken
  size_t maxRequestBytes = kMaxRequestBytes;
};

struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
  // An HTTPS caller (control/api/https_server.h) is known by its client
  // certificate, not by a uid: `remote` is set, `subject` is the certificate's
  // subject and `role` what the policy's management.roles give it
  // ("engineer", "servicedesk", "monitor"). uid, gid and pid are 0 then and
  // grant nothing.
  bool remote = false;
  std::string subject;
  std::string role;
};

class UnixSocketServer {
 public:
  using Handler = std::function<std::string(const std::string& request, const Caller& caller)>;

  UnixSocketServer();
  ~UnixSocketServer();
  UnixSocketServer(const UnixSocketServer&) = delete;
  UnixSocketServer& operator=(const UnixSocketServer&) = delete;

  // Binds `path` (removing a stale socket file first), mode 0660, and group
  // `group` when that group exists, into `out`; or why not.
  static Status listen(const std::string& path, const std::string& group, UnixSocketServer& out,
                       ServerLimits limits = {});

  int fd() const { return fd_; }
  const ServerLimits& limits() const { return limits_; }
  // One turn of the event loop: waits at most `timeout` (less when a
  // deadline falls due sooner) for any socket to be ready, then accepts, reads,
  // calls `handler` for every request that is complete, writes what the
  // sockets take, and closes what is done or past its deadline. Returns after
  // that one turn; the time spent in `handler` comes on top of `timeout`.
  void serveOnce(const Handler& handler, std::chrono::milliseconds timeout);
  // Connections open now (tests, metrics).
  size_t connectionCount() const;

 private:
  struct Connection;
  void acceptPending(std::chrono::steady_clock::time_point now);
  void admit(std::unique_ptr<Connection> c);
  void readFrom(Connection& c);
  void writeTo(Connection& c);
  void refuse(Connection& c, const std::string& error);

  int fd_ = -1;
  std::string path_;
  ServerLimits limits_;
  std::vector<std::unique_ptr<Connection>> connections_;
};

// Sends one request and waits for the response line; an error when the
// daemon cannot be reached or answers nothing (no byte for `timeout`).
Result<std::string> callDaemon(const std::string& path, const std::string& request,
                               std::chrono::milliseconds timeout = kCallTimeout);

}  // namespace portvakt::api
