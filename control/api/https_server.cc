#include "control/api/https_server.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "control/api/client_ca_store.h"
#include "control/api/connection_deadlines.h"
#include "control/api/https_routes.h"
#include "control/api/status_page.h"
#include "control/daemon/api_handler.h"
#include "control/store/store.h"
#include "policy/tables/wall_clock.h"

namespace portvakt::api {

using nlohmann::json;

namespace {

constexpr int64_t kApiCallRetentionMs = int64_t{90} * 24 * 3600 * 1000;
constexpr uint64_t kPruneEveryCalls = 1000;

std::string openSslError() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "no detail from OpenSSL";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

int roleRank(const std::string& role) {
  if (role == "monitor") return 1;
  if (role == "servicedesk") return 2;
  if (role == "engineer") return 3;
  return 0;
}

std::vector<std::string> nameEntries(X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0; i = X509_NAME_get_index_by_NID(name, nid, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len >= 0) out.emplace_back(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
    OPENSSL_free(utf8);
  }
  return out;
}

struct Identity {
  std::string subject;  // RFC 2253, "CN=alice,OU=Network,O=Region"
  std::vector<std::string> cns, ous;
  std::string fingerprint;  // SHA-256 of the certificate (raw bytes)
};

std::optional<Identity> peerIdentity(const httplib::Request& req) {
  if (!req.ssl) return std::nullopt;
  X509* cert = SSL_get1_peer_certificate(req.ssl);
  if (!cert) return std::nullopt;
  Identity id;
  X509_NAME* name = X509_get_subject_name(cert);
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len > 0) id.subject.assign(data, static_cast<size_t>(len));
  BIO_free(bio);
  id.cns = nameEntries(name, NID_commonName);
  id.ous = nameEntries(name, NID_organizationalUnitName);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digestLength = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &digestLength) == 1) {
    id.fingerprint.assign(reinterpret_cast<const char*>(digest), digestLength);
  }
  X509_free(cert);
  return id;
}

json failure(const std::string& message) { return {{"ok", false}, {"error", message}}; }

void answerJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

// Why a request cannot be handed to the handler, with the HTTP status to answer.
struct RequestError {
  int status = 400;
  std::string message;
};

// Builds the handler's JSON request from the route, its path parameters, the
// query and the body, or says what is wrong with it (400; 415 for a body that
// is not JSON).
Expected<json, RequestError> buildRequest(const HttpsRoute& route, const std::map<std::string, std::string>& params,
                                          const httplib::Request& req) {
  json out = json::object();
  if (route.body) {
    if (!req.body.empty()) {
      const std::string type = req.get_header_value("Content-Type");
      const std::string base = type.substr(0, type.find(';'));
      if (base != "application/json") {
        return RequestError{415, "the body must be JSON: send Content-Type: application/json, not '" + type + "'"};
      }
      try {
        out = json::parse(req.body);
      } catch (const json::parse_error& e) {
        return RequestError{400, std::string("malformed JSON body: ") + e.what()};
      }
      if (!out.is_object()) return RequestError{400, "the body must be a JSON object"};
      for (const char* reserved : {"api", "command"}) {
        if (out.contains(reserved)) {
          return RequestError{400, std::string("'") + reserved + "' is given by the route, not the body"};
        }
      }
    }
  } else if (!req.body.empty()) {
    return RequestError{400, req.method + " " + route.path + " takes no body"};
  }
  for (const auto& param : req.params) {
    // (Not a structured binding: clang 14, which builds the fuzz targets, cannot capture one.)
    const std::string& name = param.first;
    const std::string& value = param.second;
    auto it = std::find_if(route.query.begin(), route.query.end(), [&](const auto& q) { return q.first == name; });
    if (it == route.query.end()) return RequestError{400, "unknown query parameter '" + name + "' for " + route.path};
    if (it->second == "boolean") {
      if (value != "true" && value != "false") {
        return RequestError{400, "'" + name + "' must be true or false, not '" + value + "'"};
      }
      out[name] = value == "true";
    } else {
      const bool digits = !value.empty() && value.size() <= 9 && std::all_of(value.begin(), value.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      });
      if (!digits) return RequestError{400, "'" + name + "' must be a whole number, not '" + value + "'"};
      out[name] = std::stoll(value);
    }
  }
  for (const auto& [name, value] : params) out[name] = value;
  out["api"] = kApiVersion;
  out["command"] = route.command;
  return out;
}

}  // namespace

struct HttpsServer::Impl {
  HttpsHooks hooks;
  std::atomic<uint64_t> calls{0};
  std::unique_ptr<StatusPage> page;
  std::unique_ptr<ClientCaStore> clientCa;
  ConnectionDeadlines deadlines;

  // Every TLS handshake's start (OpenSSL's info callback): the connection's
  // first deadline, and the client CA store with the CRL as it is now.
  static void onTlsState(const SSL* constSsl, int where, int) {
    if (!(where & SSL_CB_HANDSHAKE_START)) return;
    SSL* ssl = const_cast<SSL*>(constSsl);
    auto* self = static_cast<Impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    if (!self) return;
    self->deadlines.armIfNew(ssl, std::chrono::seconds(kHttpsRequestDeadlineS));
    if (self->clientCa && self->clientCa->checksRevocation()) {
      SSL_set0_verify_cert_store(ssl, self->clientCa->verifyStoreForHandshake());
    }
  }

  void servePage(const httplib::Request& req, httplib::Response& res, const Identity& identity, const std::string& role,
                 std::string& command) {
    PageRequest p;
    p.method = req.method;
    p.path = req.path;
    p.acceptLanguage = req.get_header_value("Accept-Language");
    p.host = req.get_header_value("Host");
    p.origin = req.get_header_value("Origin");
    p.referer = req.get_header_value("Referer");
    p.fetchSite = req.get_header_value("Sec-Fetch-Site");
    p.contentType = req.get_header_value("Content-Type");
    p.body = req.body;
    p.subject = identity.subject;
    p.role = role;
    p.certFingerprint = identity.fingerprint;
    PageResponse answer = page->serve(p);
    command = answer.command;
    res.status = answer.status;
    for (const auto& [name, value] : answer.headers) res.set_header(name.c_str(), value);
    if (!answer.body.empty()) res.set_content(answer.body, answer.contentType.c_str());
  }

  void audit(const std::string& subject, const std::string& role, const httplib::Request& req, const std::string& command,
             const httplib::Response& res) {
    if (!hooks.audit) return;
    store::ApiCallRecord r;
    r.timeMs = wallClockMs();
    r.subject = subject;
    r.role = role;
    r.method = req.method;
    r.path = req.path.substr(0, 512);
    r.command = command;
    r.status = res.status;
    if (res.status >= 300) {
      json body = json::parse(res.body, nullptr, false);
      if (body.is_object() && body.contains("error") && body["error"].is_string()) {
        r.error = body["error"].get<std::string>().substr(0, 400);
      }
    }
    if (auto s = hooks.audit->appendApiCall(r); !s) {
      std::fprintf(stderr, "portvaktd: HTTPS call not logged: %s\n", s.error().message.c_str());
    }
    // The first call after a start prunes too: a daemon restarted more often
    // than every kPruneEveryCalls calls would otherwise never prune.
    if (calls++ % kPruneEveryCalls != 0) return;
    if (auto pruned = hooks.audit->pruneApiCalls(store::atUnixMs(r.timeMs - kApiCallRetentionMs), kMaxApiCallRows);
        !pruned) {
      std::fprintf(stderr, "portvaktd: HTTPS call log not pruned (tried again in %llu calls): %s\n",
                   static_cast<unsigned long long>(kPruneEveryCalls), pruned.error().message.c_str());
    }
  }

  void serve(const httplib::Request& req, httplib::Response& res) {
    // The request has been read: no deadline while it is handled, then one
    // for taking the answer.
    SSL* ssl = const_cast<SSL*>(req.ssl);  // cpp-httplib hands it out const; the deadlines key on it
    deadlines.pause(ssl);
    struct ArmAfter {
      ConnectionDeadlines& deadlines;
      SSL* ssl;
      ~ArmAfter() { deadlines.arm(ssl, std::chrono::seconds(kHttpsAnswerDeadlineS)); }
    } armAfter{deadlines, ssl};
    auto identity = peerIdentity(req);
    std::string role;
    std::string command;
    if (!identity) {
      answerJson(res, 403, failure("no client certificate"));
      audit("", "", req, "", res);
      return;
    }
    if (auto policy = hooks.policy ? hooks.policy() : nullptr) {
      role = HttpsServer::roleFor(policy->control.managementRoles, identity->cns, identity->ous);
    }
    if (StatusPage::owns(req.path)) {
      servePage(req, res, *identity, role, command);
      audit(identity->subject, role, req, command, res);
      return;
    }
    std::map<std::string, std::string> params;
    const HttpsRoute* route = matchRoute(req.method, req.path, params);
    if (route) command = route->command;
    if (role.empty()) {
      answerJson(res, 403,
                 failure("the certificate " + identity->subject +
                         " has no role: the running policy's management.roles names neither its CN nor an "
                         "OU of it"));
    } else if (!route) {
      if (pathKnown(req.path)) {
        answerJson(res, 405, failure(req.method + " is not a method of " + req.path + " (docs/api/openapi.yaml)"));
      } else {
        answerJson(res, 404, failure("no route " + req.method + " " + req.path + " (docs/api/openapi.yaml lists them)"));
      }
    } else if (route->path == kMetricsPath) {
      if (!hooks.metrics) answerJson(res, 404, failure("this portvaktd exports no metrics"));
      else {
        res.status = 200;
        res.set_content(hooks.metrics(), "text/plain; version=0.0.4");
      }
    } else if (!control::ApiHandler::roleAllows(role, route->command)) {
      answerJson(res, 403,
                 failure(identity->subject + " has the role '" + role + "', which may not use " + route->command + " (" +
                         req.method + " " + route->path + ")"));
    } else {
      auto request = buildRequest(*route, params, req);
      if (!request) {
        answerJson(res, request.error().status, failure(request.error().message));
      } else {
        Caller caller;
        caller.uid = 0;
        caller.remote = true;
        caller.subject = identity->subject;
        caller.role = role;
        const std::string answer = hooks.handle(request->dump(-1, ' ', false, json::error_handler_t::replace), caller);
        json parsed = json::parse(answer, nullptr, false);
        const bool ok = parsed.is_object() && parsed.value("ok", false);
        res.status = ok ? 200 : 400;
        res.set_content(answer, "application/json");
      }
    }
    audit(identity->subject, role, req, command, res);
  }
};

HttpsServer::~HttpsServer() { stop(); }

void HttpsServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string HttpsServer::roleFor(const std::vector<tables::ManagementRole>& roles, const std::vector<std::string>& cns,
                                 const std::vector<std::string>& ous) {
  for (const char* attribute : {"CN", "OU"}) {
    const std::vector<std::string>& values = std::string(attribute) == "CN" ? cns : ous;
    std::string best;
    for (const tables::ManagementRole& r : roles) {
      if (r.attribute != attribute) continue;
      if (std::find(values.begin(), values.end(), r.value) == values.end()) continue;
      if (best.empty() || roleRank(r.role) < roleRank(best)) best = r.role;
    }
    if (!best.empty()) return best;
  }
  return "";
}

Status checkPrivateKeyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Error{"cannot read the HTTPS key " + path + ": " + std::strerror(errno)};
  if (!S_ISREG(st.st_mode)) return Error{"the HTTPS key " + path + " is not a regular file"};
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    return Error{"the HTTPS key " + path + " has mode " + mode +
                 ": the group or others may read it; only portvaktd's user may (chmod 600 " + path + ")"};
  }
  if (st.st_uid != ::geteuid()) {
    return Error{"the HTTPS key " + path + " belongs to uid " + std::to_string(st.st_uid) + ", not to portvaktd's uid " +
                 std::to_string(::geteuid()) + " (chown it)"};
  }
  return {};
}

Result<std::unique_ptr<HttpsServer>> HttpsServer::start(const HttpsOptions& options, HttpsHooks hooks) {
  for (const auto& [what, file] : {std::pair{"--https-cert", options.certFile}, std::pair{"--https-key", options.keyFile},
                                   std::pair{"--https-ca", options.caFile}}) {
    if (file.empty()) return Error{std::string("HTTPS needs ") + what};
  }
  if (auto keyChecked = checkPrivateKeyFile(options.keyFile); !keyChecked) return keyChecked.error();
  // "HOST:PORT" or "[V6]:PORT".
  const size_t colon = options.listen.rfind(':');
  std::string host = colon == std::string::npos ? "" : options.listen.substr(0, colon);
  const std::string portText = colon == std::string::npos ? "" : options.listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = -1;
  if (!portText.empty() && portText.size() <= 5 &&
      std::all_of(portText.begin(), portText.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    port = std::stoi(portText);
  }
  if (host.empty() || port < 0 || port > 65535) {
    return Error{"--https '" + options.listen + "' is not ADDRESS:PORT (like 192.0.2.10:8443 or [2001:db8::10]:8443)"};
  }

  std::unique_ptr<HttpsServer> self(new HttpsServer());
  self->impl_ = std::make_unique<Impl>();
  Impl* impl = self->impl_.get();
  auto clientCa = ClientCaStore::open(options.caFile, options.crlFile);
  if (!clientCa) return clientCa.error();
  impl->clientCa = std::move(clientCa.value());
  impl->hooks = std::move(hooks);
  impl->page = std::make_unique<StatusPage>(impl->hooks.handle, impl->hooks.policy);

  std::string tlsError;
  auto setup = [&](SSL_CTX& ctx) -> bool {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(&ctx, options.certFile.c_str()) != 1) {
      tlsError = "cannot use the HTTPS certificate " + options.certFile + ": " + openSslError();
      return false;
    }
    if (SSL_CTX_use_PrivateKey_file(&ctx, options.keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
      tlsError = "cannot use the HTTPS key " + options.keyFile + ": " + openSslError();
      return false;
    }
    if (SSL_CTX_check_private_key(&ctx) != 1) {
      tlsError = "the HTTPS key " + options.keyFile + " does not belong to the certificate " + options.certFile;
      return false;
    }
    if (SSL_CTX_load_verify_locations(&ctx, options.caFile.c_str(), nullptr) != 1) {
      tlsError = "cannot read the client CA " + options.caFile + ": " + openSslError();
      return false;
    }
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.caFile.c_str())) {
      SSL_CTX_set_client_CA_list(&ctx, names);
    }
    // With a CRL, each handshake verifies against the client CA store of
    // that moment (client_ca_store.h: the CRL is reread when its file
    // changes), set per connection by Impl::onTlsState.
    SSL_CTX_set_app_data(&ctx, impl);
    SSL_CTX_set_info_callback(&ctx, &Impl::onTlsState);
    // No session resumption: a resumed session skips the client certificate
    // check, so a certificate revoked after its first connection could go on
    // resuming. Every connection makes a full handshake instead.
    SSL_CTX_set_session_cache_mode(&ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(&ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(&ctx, 0);
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    return true;
  };

  self->server_ = std::make_unique<httplib::SSLServer>(setup);
  if (!self->server_->is_valid()) {
    return Error{tlsError.empty() ? "cannot set up TLS: " + openSslError() : tlsError};
  }
  httplib::SSLServer& s = *self->server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(kHttpsWorkers); };
  s.set_read_timeout(kHttpsReadTimeoutS, 0);
  s.set_write_timeout(kHttpsWriteTimeoutS, 0);
  s.set_keep_alive_max_count(kHttpsKeepAliveRequests);
  s.set_keep_alive_timeout(kHttpsKeepAliveIdleS);
  s.set_payload_max_length(kMaxRequestBytes);
  // An answer leaves in more than one write (headers, body; TLS records): with
  // Nagle the second waits for the client's delayed ACK, ~40 ms on Linux, so
  // every request on a kept-alive connection took 50 ms
  // (bench/https_fleet_bench.sh, docs/performance.md).
  s.set_tcp_nodelay(true);
  auto serve = [impl](const httplib::Request& req, httplib::Response& res) { impl->serve(req, res); };
  s.Get(".*", serve);
  s.Post(".*", serve);
  s.Put(".*", serve);
  s.Patch(".*", serve);
  s.Delete(".*", serve);
  // A written answer: the next request on this connection must arrive whole
  // within the keep-alive idle time plus the request deadline.
  s.set_logger([impl](const httplib::Request& req, const httplib::Response&) {
    impl->deadlines.arm(const_cast<SSL*>(req.ssl), std::chrono::seconds(kHttpsKeepAliveIdleS + kHttpsRequestDeadlineS));
  });
  // Errors cpp-httplib answers itself (413 too large, 400 a request line it
  // cannot read, 414): the same JSON shape as every other error, and the
  // answer deadline for taking it.
  s.set_error_handler(httplib::Server::HandlerWithResponse([impl](const httplib::Request& req, httplib::Response& res) {
    impl->deadlines.arm(const_cast<SSL*>(req.ssl), std::chrono::seconds(kHttpsAnswerDeadlineS));
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string why = res.status == 413
                          ? "the request body is over " + std::to_string(kMaxRequestBytes) +
                                " bytes (1 MiB), the most portvaktd accepts"
                          : "the request could not be read as HTTP (status " + std::to_string(res.status) + ")";
    answerJson(res, res.status, failure(why));
    (void)req;
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what += std::string(": ") + e.what();
    } catch (...) {
    }
    answerJson(res, 500, failure(what));
  });
  if (port == 0) {
    port = s.bind_to_any_port(host);
    if (port < 0) port = -1;
  } else if (!s.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return Error{"cannot listen for HTTPS on " + options.listen + ": " + std::strerror(errno)};
  }
  self->port_ = port;
  self->thread_ = std::thread([server = self->server_.get()] { server->listen_after_bind(); });
  return self;
}

}  // namespace portvakt::api
