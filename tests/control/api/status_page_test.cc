// The status page without a network: escaping of what devices announce, the
// language choice, the cross-site checks of the acknowledge form, and who
// may read and acknowledge, with a stand-in for the API handler that
// answers as the daemon's does. The page in a real browser over mutual TLS
// is tests/control/status_page.sh.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/api/form_guard.h"
#include "control/api/html_escape.h"
#include "control/api/page_text.h"
#include "control/api/status_html.h"
#include "control/api/status_page.h"

namespace portvakt::api {
namespace {

using nlohmann::json;

const std::string kHostile = "<script>alert('x')</script>\"&<img src=x onerror=alert(1)>";

TEST(HtmlEscape, EscapesMarkupQuotesAndControls) {
  EXPECT_EQ(htmlEscape("a<b>&\"c'd"), "a&lt;b&gt;&amp;&quot;c&#39;d");
  EXPECT_EQ(htmlEscape(std::string("x\0y\x1b", 4)), "x\xEF\xBF\xBDy\xEF\xBF\xBD");
  EXPECT_EQ(htmlEscape("Kvittera \xC3\xA5\xC3\xA4\xC3\xB6\ttab"), "Kvittera \xC3\xA5\xC3\xA4\xC3\xB6\ttab");
}

TEST(PageLanguage, FollowsAcceptLanguage) {
  EXPECT_EQ(chooseLanguage("sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7"), Language::kSwedish);
  EXPECT_EQ(chooseLanguage("en-US,en;q=0.9,sv;q=0.8"), Language::kEnglish);
  EXPECT_EQ(chooseLanguage("de-DE,de;q=0.9,sv;q=0.5"), Language::kSwedish);
  EXPECT_EQ(chooseLanguage("de"), Language::kEnglish);
  EXPECT_EQ(chooseLanguage(""), Language::kEnglish);
  EXPECT_EQ(chooseLanguage("en;q=0.5, SV;q=0.6"), Language::kSwedish);
}

PageFrame frame() {
  PageFrame f;
  f.text = &pageText(Language::kEnglish);
  f.site = "clinic <one>";
  f.subject = "CN=sam,OU=Servicedesk";
  f.role = "servicedesk";
  f.styleNonce = "abc";
  return f;
}

// Requirements: R7
TEST(StatusHtml, DevicesShowHostileStringsAsText) {
  json devices = {
      {"ok", true},
      {"devices",
       {{{"mac", "02:00:00:00:00:31"},
         {"port", "eth3"},
         {"class", "eklient"},
         {"zone", "region"},
         {"live", true},
         {"dot1x", {{"state", "authorised"}, {"identity", "host/" + kHostile}}},
         {"evidence", {{"dhcp.hostname", kHostile}, {"dhcp.vendor_class", kHostile}}}},
        {{"mac", "02:00:00:00:00:32"}, {"port", "eth4"}, {"class", ""}, {"zone", "quarantine"}, {"live", false}}}}};
  const std::string html = renderDevices(frame(), devices);
  EXPECT_EQ(html.find("<script>"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img src=x"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&amp;&lt;img"), std::string::npos);
  EXPECT_NE(html.find("host/&lt;script&gt;"), std::string::npos);  // the 802.1X identity
  EXPECT_NE(html.find("data-zone=\"region\""), std::string::npos);
  EXPECT_NE(html.find("data-zone=\"quarantine\""), std::string::npos);
  EXPECT_NE(html.find("clinic &lt;one&gt;"), std::string::npos);
  EXPECT_NE(html.find("remembered, not seen"), std::string::npos);
}

TEST(StatusHtml, AlertsHaveAnAckFormOnlyWithAToken) {
  json alerts = {{"ok", true},
                 {"alerts",
                  {{{"id", "a1\"><b>"},
                    {"event", "rogue_dhcp"},
                    {"severity", "critical"},
                    {"port", "eth4"},
                    {"device", "02:00:00:00:00:32"},
                    {"count", 3},
                    {"time_ms", 1'700'000'000'000},
                    {"evidence", {{"detail", kHostile}}}}}}};
  json status = {{"ok", true}, {"policy", {{"name", "p"}, {"mode", "enforce"}, {"version", 2}, {"hash", "h"}}}};
  json history = {{"ok", true},
                  {"history", {{{"version", 2}, {"time", 1'700'000'000}, {"subject", "CN=eva"}, {"kind", "push"}}}}};
  json ports = {{"ok", true}, {"ports", {{{"interface", "eth3"}, {"link", {{"exists", false}}}}}}};
  const std::string withButton = renderOverview(frame(), status, history, ports, alerts, 200, "tok");
  EXPECT_EQ(withButton.find("<script>"), std::string::npos);
  EXPECT_EQ(withButton.find("<b>"), std::string::npos);
  EXPECT_NE(withButton.find("action=\"/status/alerts/a1%22%3E%3Cb%3E/ack\""), std::string::npos) << withButton;
  EXPECT_NE(withButton.find("name=\"token\" value=\"tok\""), std::string::npos);
  EXPECT_NE(withButton.find("2023-11-14 22:13:20 UTC by CN=eva"), std::string::npos);
  EXPECT_NE(withButton.find(">missing<"), std::string::npos);
  const std::string readOnly = renderOverview(frame(), status, history, ports, alerts, 200, "");
  EXPECT_EQ(readOnly.find("<form"), std::string::npos);
}

TEST(FormGuard, TokenIsBoundToTheCertificate) {
  FormGuard guard;
  const std::string token = guard.tokenFor("fingerprint-a");
  EXPECT_EQ(token.size(), 64u);
  EXPECT_TRUE(guard.tokenValid("fingerprint-a", token));
  EXPECT_FALSE(guard.tokenValid("fingerprint-b", token));
  EXPECT_FALSE(guard.tokenValid("fingerprint-a", ""));
  EXPECT_FALSE(FormGuard().tokenValid("fingerprint-a", token));  // another start of the daemon
}

TEST(FormGuard, SameOriginOnly) {
  EXPECT_TRUE(FormGuard::sameOrigin("192.0.2.10:8443", "https://192.0.2.10:8443", "", "same-origin"));
  EXPECT_TRUE(FormGuard::sameOrigin("Appliance:8443", "https://appliance:8443", "", ""));
  EXPECT_TRUE(FormGuard::sameOrigin("192.0.2.10:8443", "", "https://192.0.2.10:8443/status", ""));
  EXPECT_FALSE(FormGuard::sameOrigin("192.0.2.10:8443", "https://evil.example", "", ""));
  EXPECT_FALSE(FormGuard::sameOrigin("192.0.2.10:8443", "null", "", ""));
  EXPECT_FALSE(FormGuard::sameOrigin("192.0.2.10:8443", "http://192.0.2.10:8443", "", ""));
  EXPECT_FALSE(FormGuard::sameOrigin("192.0.2.10:8443", "", "https://192.0.2.10:8443.evil.example/", ""));
  EXPECT_FALSE(FormGuard::sameOrigin("192.0.2.10:8443", "", "", ""));
  EXPECT_FALSE(FormGuard::sameOrigin("192.0.2.10:8443", "https://192.0.2.10:8443", "", "cross-site"));
  EXPECT_FALSE(FormGuard::sameOrigin("", "https://192.0.2.10:8443", "", ""));
}

// A stand-in for ApiHandler::handle that records the commands.
struct FakeHandler {
  std::vector<json> requests;
  std::string operator()(const std::string& request, const Caller& caller) {
    json r = json::parse(request);
    r["_role"] = caller.role;
    requests.push_back(r);
    const std::string command = r["command"];
    if (command == "alerts") {
      return json{{"ok", true}, {"alerts", {{{"id", "a1"}, {"event", "device_new"}, {"severity", "info"}}}}}.dump();
    }
    return json{{"ok", true}}.dump();
  }
};

PageRequest request(const std::string& role, const std::string& method, const std::string& path) {
  PageRequest r;
  r.method = method;
  r.path = path;
  r.role = role;
  r.subject = "CN=someone";
  r.host = "192.0.2.10:8443";
  r.certFingerprint = "fp";
  return r;
}

std::string header(const PageResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

TEST(StatusPage, RolesAndRoutes) {
  FakeHandler fake;
  StatusPage page([&](const std::string& q, const Caller& c) { return fake(q, c); }, nullptr);
  EXPECT_EQ(page.serve(request("monitor", "GET", "/status")).status, 403);
  EXPECT_EQ(page.serve(request("", "GET", "/status/devices")).status, 403);
  EXPECT_TRUE(fake.requests.empty());  // refused before asking the handler anything
  PageResponse root = page.serve(request("servicedesk", "GET", "/"));
  EXPECT_EQ(root.status, 303);
  EXPECT_EQ(header(root, "Location"), "/status");
  PageResponse overview = page.serve(request("servicedesk", "GET", "/status"));
  EXPECT_EQ(overview.status, 200);
  EXPECT_NE(overview.body.find("<form method=\"post\" action=\"/status/alerts/a1/ack\">"), std::string::npos);
  const std::string csp = header(overview, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("script-src"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(header(overview, "X-Frame-Options"), "DENY");
  PageResponse devices = page.serve(request("engineer", "GET", "/status/devices"));
  EXPECT_EQ(devices.status, 200);
  EXPECT_EQ(fake.requests.back()["command"], "devices");
  EXPECT_EQ(fake.requests.back()["evidence"], true);
  EXPECT_EQ(fake.requests.back()["_role"], "engineer");
  EXPECT_EQ(page.serve(request("servicedesk", "GET", "/status/nothing")).status, 404);
  EXPECT_EQ(page.serve(request("servicedesk", "POST", "/status")).status, 405);
  EXPECT_EQ(page.serve(request("servicedesk", "GET", "/status/alerts/a1/ack")).status, 405);
}

TEST(StatusPage, AcknowledgeNeedsSameOriginAndTheToken) {
  FakeHandler fake;
  StatusPage page([&](const std::string& q, const Caller& c) { return fake(q, c); }, nullptr);
  // The token the page gives this certificate, read from the form.
  const std::string html = page.serve(request("servicedesk", "GET", "/status")).body;
  const size_t at = html.find("name=\"token\" value=\"");
  ASSERT_NE(at, std::string::npos);
  const std::string token = html.substr(at + 20, 64);
  auto ack = [&](const std::string& origin, const std::string& body, const std::string& fingerprint = "fp") {
    PageRequest r = request("servicedesk", "POST", "/status/alerts/a1/ack");
    r.origin = origin;
    r.contentType = "application/x-www-form-urlencoded";
    r.body = body;
    r.certFingerprint = fingerprint;
    return page.serve(r);
  };
  const size_t before = fake.requests.size();
  EXPECT_EQ(ack("https://evil.example", "token=" + token).status, 403);
  EXPECT_EQ(ack("", "token=" + token).status, 403);
  EXPECT_EQ(ack("https://192.0.2.10:8443", "").status, 403);
  EXPECT_EQ(ack("https://192.0.2.10:8443", "token=" + token, "another certificate").status, 403);
  EXPECT_EQ(fake.requests.size(), before) << "a refused form reached the handler";
  PageResponse done = ack("https://192.0.2.10:8443", "token=" + token);
  EXPECT_EQ(done.status, 303);
  EXPECT_EQ(done.command, "alerts.ack");
  ASSERT_EQ(fake.requests.size(), before + 1);
  EXPECT_EQ(fake.requests.back()["command"], "alerts.ack");
  EXPECT_EQ(fake.requests.back()["id"], "a1");
  EXPECT_EQ(page.serve(request("monitor", "POST", "/status/alerts/a1/ack")).status, 403);
}

}  // namespace
}  // namespace portvakt::api
