#include "control/api/status_page.h"

#include <openssl/rand.h>

#include <cctype>

#include "control/api/html_escape.h"
#include "control/api/page_text.h"
#include "control/daemon/api_handler.h"
#include "control/policy_views/policy_graph.h"

namespace portvakt::api {

using nlohmann::json;

namespace {

constexpr const char* kAckPrefix = "/status/alerts/";
constexpr const char* kAckSuffix = "/ack";
constexpr const char* kGraphSvgPath = "/status/graph.svg";

std::string randomNonce() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// The security headers of every page: no script whatsoever, the page's own
// stylesheet by nonce, images from the appliance (the graph) and the empty
// data: favicon, forms only to the appliance, never inside a frame
// (clickjacking the acknowledge button), never cached.
void pageHeaders(PageResponse& r, const std::string& nonce) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'nonce-" + nonce +
                             "'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  r.headers.emplace_back("Cache-Control", "no-store");
}

// application/x-www-form-urlencoded: the value of `name`, percent-decoded.
std::string formField(const std::string& body, const std::string& name) {
  size_t start = 0;
  while (start <= body.size()) {
    size_t amp = body.find('&', start);
    if (amp == std::string::npos) amp = body.size();
    const std::string pair = body.substr(start, amp - start);
    start = amp + 1;
    if (pair.compare(0, name.size() + 1, name + "=") != 0) continue;
    std::string out;
    for (size_t i = name.size() + 1; i < pair.size(); ++i) {
      if (pair[i] == '+') out += ' ';
      else if (pair[i] == '%' && i + 2 < pair.size() && std::isxdigit(static_cast<unsigned char>(pair[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(pair[i + 2]))) {
        out += static_cast<char>(std::stoi(pair.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += pair[i];
      }
    }
    return out;
  }
  return "";
}

}  // namespace

bool StatusPage::owns(const std::string& path) {
  return path == "/" || path == "/status" || path.rfind("/status/", 0) == 0;
}

const std::vector<PageRoute>& StatusPage::routes() {
  static const std::vector<PageRoute> kRoutes = {
      {"GET", "/", "statusPage.root"},
      {"GET", "/status", "statusPage.overview"},
      {"GET", "/status/devices", "statusPage.devices"},
      {"GET", "/status/graph", "statusPage.graph"},
      {"GET", "/status/graph.svg", "statusPage.graphSvg"},
      {"POST", "/status/alerts/{id}/ack", "statusPage.ack"},
  };
  return kRoutes;
}

json StatusPage::call(json request, const PageRequest& from) const {
  Caller caller;
  caller.remote = true;
  caller.subject = from.subject;
  caller.role = from.role;
  request["api"] = kApiVersion;
  json answer =
      json::parse(handle_(request.dump(-1, ' ', false, json::error_handler_t::replace), caller), nullptr, false);
  return answer.is_object() ? answer : json{{"ok", false}, {"error", "the handler's answer is not JSON"}};
}

Result<std::string> StatusPage::graphSvg() {
  auto policy = policy_ ? policy_() : nullptr;
  if (!policy) return Error{"no policy is running"};
  std::lock_guard lock(graphMutex_);
  if (graphHash_ != policy->contentHash) {
    auto svg = control::renderSvg(control::policyToDot(*policy));
    graphSvg_ = svg ? std::move(svg.value()) : "";
    graphError_ = svg ? "" : svg.error().message;
    graphHash_ = policy->contentHash;
  }
  if (!graphError_.empty()) return Error{graphError_};
  return graphSvg_;
}

PageResponse StatusPage::serve(const PageRequest& request) {
  PageResponse r;
  r.command = "status.page";
  const std::string nonce = randomNonce();
  pageHeaders(r, nonce);
  PageFrame frame;
  frame.text = &pageText(chooseLanguage(request.acceptLanguage));
  frame.subject = request.subject;
  frame.role = request.role;
  frame.styleNonce = nonce;
  if (auto policy = policy_ ? policy_() : nullptr) frame.site = policy->name;
  const PageText& t = *frame.text;

  if (request.role.empty() || !control::ApiHandler::roleAllows(request.role, "devices") ||
      !control::ApiHandler::roleAllows(request.role, "alerts")) {
    r.status = 403;
    r.body = renderMessage(
        frame, t.notAllowed,
        request.role.empty()
            ? "The certificate " + request.subject +
                  " has no role: the running policy's management.roles names neither its CN nor an OU of it."
            : "The role '" + request.role + "' may not read the status page (servicedesk and engineer may).");
    return r;
  }
  const std::string& path = request.path;
  const bool isAck = path.rfind(kAckPrefix, 0) == 0 && path.size() > std::string(kAckPrefix).size() + 4 &&
                     path.compare(path.size() - 4, 4, kAckSuffix) == 0;
  if (isAck) {
    const std::string id = path.substr(std::string(kAckPrefix).size(),
                                       path.size() - std::string(kAckPrefix).size() - std::string(kAckSuffix).size());
    if (request.method != "POST" || id.find('/') != std::string::npos) {
      r.status = request.method != "POST" ? 405 : 404;
      r.body = renderMessage(frame, t.notAllowed, request.method + " " + path + " is not a route of the status page");
      return r;
    }
    r.command = "alerts.ack";
    return acknowledge(request, id, frame);
  }
  bool known = false;
  for (const PageRoute& route : routes()) known = known || path == route.path;
  if (!known) {
    r.status = 404;
    r.body = renderMessage(frame, t.notAllowed, "no page " + path + " (docs/api/openapi.yaml lists them)");
    return r;
  }
  if (request.method != "GET") {
    r.status = 405;
    r.body = renderMessage(frame, t.notAllowed, request.method + " is not a method of " + path);
    return r;
  }
  if (path == "/") {
    r.status = 303;
    r.headers.emplace_back("Location", "/status");
    return r;
  }
  if (path == "/status") {
    frame.active = "overview";
    const bool mayAck = control::ApiHandler::roleAllows(request.role, "alerts.ack");
    r.body = renderOverview(frame, call({{"command", "status"}}, request), call({{"command", "policy.history"}}, request),
                            call({{"command", "ports"}}, request),
                            call({{"command", "alerts"}, {"unacked", true}, {"limit", kStatusPageAlertLimit}}, request),
                            kStatusPageAlertLimit, mayAck ? guard_.tokenFor(request.certFingerprint) : "");
  } else if (path == "/status/devices") {
    frame.active = "devices";
    r.body = renderDevices(frame, call({{"command", "devices"}, {"evidence", true}}, request));
  } else if (path == "/status/graph") {
    frame.active = "graph";
    auto svg = graphSvg();  // rendered here so that the page can say why there is no picture
    r.body = renderGraph(frame, kGraphSvgPath, svg ? "" : svg.error().message);
  } else {  // the SVG itself
    auto svg = graphSvg();
    if (!svg) {
      r.status = 503;
      r.contentType = "text/plain; charset=utf-8";
      r.body = svg.error().message + "\n";
    } else {
      r.contentType = "image/svg+xml";
      r.body = std::move(svg.value());
      // Opened on its own, an SVG is a document: no script, no styles from elsewhere.
      r.headers[0].second = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
    }
  }
  return r;
}

PageResponse StatusPage::acknowledge(const PageRequest& request, const std::string& id, const PageFrame& frame) {
  PageResponse r;
  r.command = "alerts.ack";
  pageHeaders(r, frame.styleNonce);
  const PageText& t = *frame.text;
  auto refuse = [&](int status, const std::string& why) {
    r.status = status;
    r.body = renderMessage(frame, t.ackFailed, why);
    return r;
  };
  if (!control::ApiHandler::roleAllows(request.role, "alerts.ack")) {
    return refuse(403, "The role '" + request.role + "' may not acknowledge alerts.");
  }
  if (auto sameOrigin = FormGuard::sameOrigin(request.host, request.origin, request.referer, request.fetchSite);
      !sameOrigin) {
    return refuse(403, "Refused as a possible cross-site request: " + sameOrigin.error().message + ".");
  }
  const std::string type = request.contentType.substr(0, request.contentType.find(';'));
  if (type != "application/x-www-form-urlencoded") {
    return refuse(
        415, "The acknowledge form is sent as application/x-www-form-urlencoded, not '" + request.contentType + "'.");
  }
  if (!guard_.tokenValid(request.certFingerprint, formField(request.body, "token"))) {
    return refuse(403,
                  "The form's token is missing or belongs to another certificate or an earlier start of "
                  "portvaktd: reload the page and try again.");
  }
  json answer = call({{"command", "alerts.ack"}, {"id", id}}, request);
  if (!answer.value("ok", false)) return refuse(400, answer.value("error", std::string("refused")));
  // Post/redirect/get: reloading the page afterwards does not post again.
  r.status = 303;
  r.headers.emplace_back("Location", "/status");
  return r;
}

}  // namespace portvakt::api
