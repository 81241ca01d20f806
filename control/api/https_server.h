#pragma once
// The management API over HTTPS, for the region's network (docs/api/openapi.yaml,
// docs/operations.md "Remote management over HTTPS").
//
// Mutual TLS against the region's CA: a client that shows no certificate, or
// one the CA did not sign, or one the CRL revokes, fails the TLS handshake
// and gets no answer at all. TLS 1.2 and 1.3 only. The server's private key
// must be readable by the daemon's user alone (start() refuses a key file
// that the group or others may read, or that another user owns).
//
// Roles come from the certificate: the running policy's management.roles map
// a subject CN (checked first) or OU to "engineer", "servicedesk" or
// "monitor" (ApiHandler::roleAllows says what each may do). A certificate
// the CA signed but the policy names nowhere gets 403 on every route.
//
// Every route is a command of the Unix socket's API (https_routes.h): the
// server builds the same JSON request and hands it to the same handler, so
// the operations and the answers are the same. Every call, refused ones
// included, is written to the store's api_calls table with the subject.
//
// Threads and limits: cpp-httplib serves each connection on one of
// kHttpsWorkers threads; the handler is the daemon's (which serializes it
// with the Unix socket's). Bodies over kMaxRequestBytes get 413, a read that
// stalls kHttpsReadTimeoutS gets the connection closed, a connection serves
// at most kHttpsKeepAliveRequests requests. A slow client is cut off by
// deadlines for the whole request and answer (connection_deadlines.h:
// kHttpsRequestDeadlineS for the handshake and the request, headers and body
// together; kHttpsAnswerDeadlineS for taking the answer). The CRL is reread
// when its file changes (client_ca_store.h). Forwarding runs on threads of
// its own and never waits for this server.
//
// The status page (status_page.h) is served here too, under /status.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "control/api/unix_socket.h"
#include "policy/tables/compiled_policy.h"
#include "control/api/api_result.h"

namespace httplib {
class SSLServer;
}
namespace portvakt::store {
class Store;
}

namespace portvakt::api {

inline constexpr int kHttpsWorkers = 4;
inline constexpr int kHttpsReadTimeoutS = 5;
inline constexpr int kHttpsWriteTimeoutS = 10;
inline constexpr int kHttpsKeepAliveRequests = 10;
inline constexpr int kHttpsKeepAliveIdleS = 5;
// The TLS handshake and a request's line, headers and body, together; 1 MiB
// (kMaxRequestBytes) in 10 s needs about 1 Mbit/s.
inline constexpr int kHttpsRequestDeadlineS = 10;
// Taking the whole answer (the devices of a large site are a few 100 KiB).
inline constexpr int kHttpsAnswerDeadlineS = 20;
// api_calls rows: older than 90 days go, and beyond this many the oldest.
inline constexpr int64_t kMaxApiCallRows = 100'000;

struct HttpsOptions {
  std::string listen;    // "ADDRESS:PORT", "[v6]:PORT"; port 0 picks a free one
  std::string certFile;  // the server's certificate chain (PEM)
  std::string keyFile;   // its private key (PEM), mode 0600 or 0400, owned by the daemon's user
  std::string caFile;    // the region's CA that signs client certificates (PEM)
  std::string crlFile;   // optional: revoked client certificates (PEM CRL of that CA)
};

struct HttpsHooks {
  // The management API's handler (ApiHandler::handle), called from the
  // server's worker threads: the daemon serializes it.
  std::function<std::string(const std::string& request, const Caller& caller)> handle;
  // The running policy, for its management.roles (any thread).
  std::function<tables::CompiledPolicyPtr()> policy;
  // The Prometheus exposition for GET /metrics; null: 404.
  std::function<std::string()> metrics;
  store::Store* audit = nullptr;  // where every call is logged; null: not logged (tests)
};

class HttpsServer {
 public:
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Checks the files (the key's mode first), sets up TLS, binds and starts
  // serving on a thread of its own. Returns the server, or an error that
  // names the file or address and what is wrong.
  static Result<std::unique_ptr<HttpsServer>> start(const HttpsOptions& options, HttpsHooks hooks);

  int port() const { return port_; }
  void stop();

  // The role a certificate with these CNs and OUs has under `roles`: a CN
  // match wins over an OU match; among several matches the least privileged
  // role. "" when none.
  static std::string roleFor(const std::vector<tables::ManagementRole>& roles, const std::vector<std::string>& cns,
                             const std::vector<std::string>& ous);

 private:
  HttpsServer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
};

// The key file check start() does: ok when only its owner (the daemon's
// effective user) may read it, else why not.
Status checkPrivateKeyFile(const std::string& path);

}  // namespace portvakt::api
