#pragma once
// Deadlines for the HTTPS server's connections, so that a slow client cannot
// hold a worker.
//
// cpp-httplib's timeouts are per read and per write: a client that sends a
// byte every few seconds (a "slowloris") never trips them and holds one of
// the few workers for as long as it likes. These deadlines are for a whole
// step instead: the TLS handshake plus the request's line, headers and body
// must arrive within one deadline, the answer must be taken within another,
// and between requests on a kept-alive connection the next request must
// arrive whole within the idle time plus the request deadline. While the
// request is being handled (a policy compile) no deadline runs.
//
// How: the server arms a connection's deadline at the start of its TLS
// handshake (an OpenSSL info callback, when the socket is known), pauses it
// when the request has been read (the route handler runs), arms it again for
// the answer and after it (cpp-httplib's logger runs once it is written). A
// watchdog thread shuts down (shutdown(2)) the socket of a connection past
// its deadline; the worker's next read or write then fails at once and it
// closes the connection. The connection is forgotten when its SSL object is
// freed, which cpp-httplib does before it closes the socket, so the watchdog
// never touches a descriptor that was closed (and perhaps reused).
//
// Thread-safe: every call may come from any worker; the watchdog runs on a
// thread of its own until the destructor.

#include <openssl/ssl.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace portvakt::api {

class ConnectionDeadlines {
 public:
  ConnectionDeadlines();
  ~ConnectionDeadlines();
  ConnectionDeadlines(const ConnectionDeadlines&) = delete;
  ConnectionDeadlines& operator=(const ConnectionDeadlines&) = delete;

  // Arms the connection's deadline `within` from now (registering it on first use).
  void arm(SSL* ssl, std::chrono::milliseconds within);
  // Arms it only if the connection is not known yet (a handshake's start).
  void armIfNew(SSL* ssl, std::chrono::milliseconds within);
  // No deadline until the next arm() (the request is being handled).
  void pause(SSL* ssl);
  // Connections shut down for missing their deadline since start.
  uint64_t closed() const;

 private:
  struct Connection {
    int fd = -1;
    std::string peer;
    std::chrono::steady_clock::time_point deadline;
    bool paused = false;
    bool cut = false;
  };
  static int exIndex();
  static void onSslFree(void* parent, void* ptr, CRYPTO_EX_DATA* ad, int idx, long argl, void* argp);
  void arm(SSL* ssl, std::chrono::milliseconds within, bool onlyIfNew);
  void forget(SSL* ssl);
  void watch();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<SSL*, Connection> connections_;
  bool stopping_ = false;
  uint64_t closed_ = 0;
  uint64_t unreported_ = 0;
  std::string lastPeer_;
  std::chrono::steady_clock::time_point lastReport_{};
  std::thread watchdog_;
};

}  // namespace portvakt::api
