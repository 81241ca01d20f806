// CEF lines: the exact text for a known alert, the escaping rules at their
// edges, and a round trip of random field values through an independent
// reader (cef_parser.h). The file sink in CEF format writes one line per alert.

#include "control/alerts/cef.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "control/alerts/json_lines_sink.h"
#include "policy/tables/event_type.h"
#include "tests/control/alerts/cef_parser.h"
#include "tests/control/alerts/test_support.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::alerts {
namespace {

using portvakt::testing::parseCef;

Alert rogue() {
  Alert a;
  a.id = "pva-0123456789abcdef01234567";
  a.time = store::atUnixMs(1700000000123);
  a.lastTime = store::atUnixMs(1700000004567);
  a.event = "rogue_dhcp";
  a.severity = tables::Severity::kCritical;
  a.site = "vc-karlstad";
  a.port = "eth3";
  a.vlan = 30;
  a.deviceMac = "02:00:00:00:00:0a";
  a.evidence = {{"server_ip", "192.0.2.9"}, {"note", "a|b=c\\d"}};
  a.count = 7;
  return a;
}

// Requirements: R7
TEST(CefTest, ExactLineForAKnownAlert) {
  EXPECT_EQ(
      toCef(rogue(), {.hostname = "clinic-switch-1", .deviceVersion = "0.1.0"}),
      "CEF:0|portvakt|portvakt|0.1.0|rogue_dhcp|Rogue DHCP server|9|"
      "rt=1700000000123 start=1700000000123 end=1700000004567 externalId=pva-0123456789abcdef01234567 cnt=7 "
      "dvchost=clinic-switch-1 deviceExternalId=vc-karlstad deviceInboundInterface=eth3 cn1=30 cn1Label=vlan "
      "smac=02:00:00:00:00:0a cs1=server_ip\\=192.0.2.9 note\\=a|b\\=c\\\\d cs1Label=evidence "
      "msg=rogue_dhcp on eth3 (VLAN 30) from 02:00:00:00:00:0a, 7 times: server_ip\\=192.0.2.9 note\\=a|b\\=c\\\\d");
}

TEST(CefTest, EmptyFieldsAreLeftOutAndTheWindowIsCs2) {
  Alert a;
  a.id = "pva-1";
  a.time = store::atUnixMs(1000);
  a.event = "policy_reload";
  a.severity = tables::Severity::kInfo;
  a.site = "s";
  a.maintenanceWindow = "region-service-window";
  std::string line = toCef(a, {.hostname = "-"});
  EXPECT_EQ(line, "CEF:0|portvakt|portvakt|" + std::string(kPortvaktVersion) +
                      "|policy_reload|Policy reloaded|3|rt=1000 start=1000 end=1000 externalId=pva-1 cnt=1 "
                      "deviceExternalId=s cs2=region-service-window cs2Label=maintenance_window "
                      "msg=policy_reload [maintenance window region-service-window]");
  for (const char* absent : {"dvchost=", "deviceInboundInterface=", "cn1=", "smac=", "cs1="}) {
    EXPECT_EQ(line.find(absent), std::string::npos) << absent;
  }
}

TEST(CefTest, EveryAlertTypeHasAName) {
  for (const tables::EventTypeInfo& info : tables::kEventTypes) {
    const std::string event(info.name);
    std::string name = cefEventName(event);
    EXPECT_NE(name, event) << "add a CEF name for '" << event << "' in control/alerts/cef.cc";
    EXPECT_EQ(name.find_first_of("|\\\r\n"), std::string::npos) << name;
  }
  EXPECT_EQ(cefEventName("something_new"), "something_new");
}

TEST(CefTest, SeverityScale) {
  EXPECT_EQ(cefSeverity(tables::Severity::kInfo), 3);      // Low (0-3)
  EXPECT_EQ(cefSeverity(tables::Severity::kWarning), 6);   // Medium (4-6)
  EXPECT_EQ(cefSeverity(tables::Severity::kCritical), 9);  // Very-High (9-10)
}

TEST(CefTest, HeaderEscaping) {
  EXPECT_EQ(cefEscapeHeader("plain name"), "plain name");
  EXPECT_EQ(cefEscapeHeader("a|b"), "a\\|b");
  EXPECT_EQ(cefEscapeHeader("a\\b"), "a\\\\b");
  EXPECT_EQ(cefEscapeHeader("\\|"), "\\\\\\|");
  EXPECT_EQ(cefEscapeHeader("a=b"), "a=b");                    // '=' needs no escape in the header
  EXPECT_EQ(cefEscapeHeader("line\r\nbreak"), "line  break");  // no line breaks in a header
  EXPECT_EQ(cefEscapeHeader("Vårdcentral"), "Vårdcentral");
  // An event type we do not know is both the signature id and the name, escaped in both.
  Alert a = rogue();
  a.event = "odd|event\\x";
  auto r = parseCef(toCef(a, {}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header[4], "odd|event\\x");
  EXPECT_EQ(r->header[5], "odd|event\\x");
  EXPECT_EQ(r->header[6], "9");
}

TEST(CefTest, ExtensionValueEscaping) {
  EXPECT_EQ(cefEscapeValue("a=b"), "a\\=b");
  EXPECT_EQ(cefEscapeValue("a\\b"), "a\\\\b");
  EXPECT_EQ(cefEscapeValue("\\="), "\\\\\\=");
  EXPECT_EQ(cefEscapeValue("two\nlines\r"), "two\\nlines\\r");
  EXPECT_EQ(cefEscapeValue("a|b"), "a|b");  // pipes are not escaped in the extension
  EXPECT_EQ(cefEscapeValue("tab\there"), "tab\there");
  EXPECT_EQ(cefEscapeValue(std::string("nul\0bell\a del\x7f", 14)), "nul?bell? del?");
  EXPECT_EQ(cefEscapeValue("x key=value"), "x key\\=value");  // cannot pose as another key
  EXPECT_EQ(cefEscapeValue("ÅÄÖ ✓"), "ÅÄÖ ✓");
}

TEST(CefTest, MessageIsCutAtAUtf8Boundary) {
  Alert a = rogue();
  a.evidence.clear();
  a.site = std::string(3000, 'x');  // not in the summary; cs fields have no such limit
  a.port = std::string(1100, 'p') + "ä";
  auto r = parseCef(toCef(a, {}));
  ASSERT_TRUE(r);
  EXPECT_LE(r->ext["msg"].size(), 1023u);
  EXPECT_EQ(r->ext["msg"], summaryLine(a).substr(0, r->ext["msg"].size()));
  EXPECT_EQ(r->ext["deviceExternalId"], a.site);
  EXPECT_EQ(r->ext["deviceInboundInterface"], a.port);
}

// Random values with every character the rules treat specially, through
// the writer and back through the independent reader.
TEST(CefTest, RandomFieldValuesRoundTripThroughAnIndependentReader) {
  std::mt19937 rng(20240601);
  const std::vector<std::string> atoms = {"a", "Z",   "0",   " ",   "=",   "\\",   "|",     "\n", "\r", "å",
                                          "✓", "k=v", " x=", "\\=", "\\n", "cs1=", " msg=", "\t", "\"", "]"};
  auto randomText = [&](size_t maxAtoms) {
    std::string s;
    size_t n = rng() % (maxAtoms + 1);
    for (size_t i = 0; i < n; ++i) s += atoms[rng() % atoms.size()];
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    Alert a = rogue();
    a.site = randomText(12);
    a.port = randomText(6);
    a.maintenanceWindow = randomText(6);
    a.evidence = {{"k1", randomText(8)}, {"k2", randomText(8)}};
    std::string host = randomText(4);
    std::string line = toCef(a, {.hostname = host});
    ASSERT_EQ(line.find('\n'), std::string::npos);
    ASSERT_EQ(line.find('\r'), std::string::npos);
    auto r = parseCef(line);
    ASSERT_TRUE(r) << line;
    auto expectField = [&](const std::string& key, const std::string& value) {
      if (value.empty()) {
        EXPECT_EQ(r->ext.count(key), 0u) << key << " in " << line;
      } else {
        EXPECT_EQ(r->ext[key], value) << key << " in " << line;
      }
    };
    expectField("deviceExternalId", a.site);
    expectField("deviceInboundInterface", a.port);
    expectField("cs2", a.maintenanceWindow);
    expectField("dvchost", host == "-" ? "" : host);
    expectField("cs1", "k1=" + a.evidence[0].value + " k2=" + a.evidence[1].value);
    expectField("externalId", a.id);
    expectField("cnt", "7");
    std::string summary = summaryLine(a);
    if (summary.size() <= 1023) expectField("msg", summary);
    EXPECT_EQ(r->header[0], "CEF:0");
    EXPECT_EQ(r->header[4], "rogue_dhcp");
  }
}

TEST(CefTest, DeviceVersionIsTheProjectVersion) {
  std::ifstream in(std::string(PORTVAKT_SOURCE_DIR) + "/CMakeLists.txt");
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  const std::string prefix = "project(portvakt VERSION ";
  size_t at = s.find(prefix);
  ASSERT_NE(at, std::string::npos);
  at += prefix.size();
  size_t end = s.find_first_not_of("0123456789.", at);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(s.substr(at, end - at), std::string(kPortvaktVersion));
}

TEST(CefTest, FileSinkWritesOneCefLinePerAlert) {
  portvakt::testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::string path = dir.file("alerts.cef");
  SinkOptions options;
  options.hostname = "clinic-switch-1";
  JsonLinesSink sink("archive", path, options, tables::SinkFormat::kCef);
  Alert a = rogue();
  a.site = "two\nlines";  // must not split the line
  for (int i = 0; i < 3; ++i) {
    a.count = i + 1;
    ASSERT_EQ(sink.deliver(a).outcome, DeliveryOutcome::kAcked);
  }
  auto lines = portvakt::testing::readLines(path);
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    a.count = i + 1;
    EXPECT_EQ(lines[i], toCef(a, {.hostname = "clinic-switch-1"}));
    auto r = parseCef(lines[i]);
    ASSERT_TRUE(r) << lines[i];
    EXPECT_EQ(r->ext["deviceExternalId"], "two\nlines");
    EXPECT_EQ(r->ext["cnt"], std::to_string(i + 1));
  }
}

TEST(CefTest, MakeSinkBuildsCefSinksFromThePolicy) {
  portvakt::testing::TempDir dir;
  tables::Sink file;
  file.name = "archive";
  file.kind = tables::Sink::Kind::kFile;
  file.target = dir.file("a.cef");
  file.format = tables::SinkFormat::kCef;
  auto sink = makeSink(file, {.hostname = "h"});
  ASSERT_TRUE(sink) << sink.error().message;
  ASSERT_EQ((*sink)->deliver(rogue()).outcome, DeliveryOutcome::kAcked);
  auto lines = portvakt::testing::readLines(file.target);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("CEF:0|portvakt|", 0), 0u) << lines[0];
  // A jsonl sink writes ECS only; a webhook posts JSON.
  tables::Sink jsonl = file;
  jsonl.kind = tables::Sink::Kind::kJsonLines;
  EXPECT_FALSE(makeSink(jsonl, {}));
  tables::Sink hook;
  hook.name = "desk";
  hook.kind = tables::Sink::Kind::kWebhook;
  hook.target = "http://127.0.0.1:1/";
  hook.format = tables::SinkFormat::kCef;
  EXPECT_FALSE(makeSink(hook, {}));
}

}  // namespace
}  // namespace portvakt::alerts
