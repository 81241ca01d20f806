// Sink formats (CEF on syslog and file) and a webhook body the policy shapes
// reach the compiled tables, their canonical dump and so the content hash.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policy/compiler/compiler.h"
#include "policy/compiler/webhook_body.h"

namespace portvakt::policy {
namespace {

using tables::AlertField;
using tables::BodyValue;
using tables::TemplatePiece;

CompileResult compileText(const std::string& yaml) {
  static int n = 0;
  auto path = std::filesystem::temp_directory_path() /
              ("pv-sinks-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".yaml");
  std::ofstream(path) << yaml;
  CompileResult r = compilePolicyFile(path.string());
  std::filesystem::remove(path);
  return r;
}

const char* kHead = R"(portvakt: 1
name: sinks
zones:
  lan: {vlan: 10}
  quarantine: {vlan: 999, quarantine: true}
)";

const tables::Sink* findSink(const tables::CompiledPolicy& p, const std::string& name) {
  for (const auto& s : p.control.sinks) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(SinkKeys, FormatsCompileAndOnlyNonDefaultsAreDumped) {
  CompileResult r = compileText(std::string(kHead) + R"(sinks:
  plain: {type: syslog, address: "192.0.2.10:514"}
  rfc: {type: syslog, address: "192.0.2.10:514", format: rfc5424}
  siem: {type: syslog, address: "192.0.2.10:6514", transport: tcp, format: cef}
  archive: {type: file, path: /var/log/portvakt/alerts.cef, format: cef}
  ecsfile: {type: file, path: /var/log/portvakt/alerts.json}
  local: {type: jsonl, path: /var/log/portvakt/alerts.jsonl}
)");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const auto& p = *r.policy;
  EXPECT_EQ(findSink(p, "plain")->format, tables::SinkFormat::kNative);
  EXPECT_EQ(findSink(p, "rfc")->format, tables::SinkFormat::kNative);
  EXPECT_EQ(findSink(p, "siem")->format, tables::SinkFormat::kCef);
  EXPECT_EQ(findSink(p, "archive")->kind, tables::Sink::Kind::kFile);
  EXPECT_EQ(findSink(p, "archive")->format, tables::SinkFormat::kCef);
  EXPECT_EQ(findSink(p, "ecsfile")->format, tables::SinkFormat::kNative);
  EXPECT_STREQ(tables::formatName(*findSink(p, "ecsfile")), "ecs");
  EXPECT_STREQ(tables::formatName(*findSink(p, "plain")), "rfc5424");
  const std::string dump = p.dumpCanonical();
  // The line of a sink without new keys is what it was before they existed,
  // so such policies keep their content hash.
  EXPECT_NE(dump.find("sink plain kind=syslog target=\"192.0.2.10:514\" transport=udp\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find("sink local kind=jsonl target=\"/var/log/portvakt/alerts.jsonl\" transport=-\n"),
            std::string::npos);
  EXPECT_NE(dump.find("sink siem kind=syslog target=\"192.0.2.10:6514\" transport=tcp format=cef\n"), std::string::npos);
  EXPECT_NE(dump.find("sink archive kind=file target=\"/var/log/portvakt/alerts.cef\" transport=- format=cef\n"),
            std::string::npos);
}

const char* kDesk = R"(sinks:
  desk:
    type: webhook
    url: "https://desk.example/api/tickets"
    body:
      title: "portvakt: {{event}} at {{site}} port {{ port }}"
      priority: {by_severity: {critical: P1, warning: P3, info: 4}}
      count: "{{count}}"
      tags: [portvakt, "{{evidence.server_ip}}", 3, -1.5e3, true, null, yes, "42"]
      nested: {a: {b: "x{{id}}y"}}
)";

TEST(SinkKeys, WebhookBodyCompilesToATypedTemplate) {
  CompileResult r = compileText(std::string(kHead) + kDesk);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format();
  const tables::Sink* desk = findSink(*r.policy, "desk");
  ASSERT_TRUE(desk && desk->body);
  const BodyValue& body = *desk->body;
  ASSERT_EQ(body.kind, BodyValue::Kind::kObject);
  EXPECT_EQ(body.keys, (std::vector<std::string>{"title", "priority", "count", "tags", "nested"}));  // written order
  const BodyValue& title = body.items[0];
  ASSERT_EQ(title.kind, BodyValue::Kind::kText);
  EXPECT_EQ(title.text, (std::vector<TemplatePiece>{{AlertField::kLiteral, "portvakt: "},
                                                    {AlertField::kEvent, ""},
                                                    {AlertField::kLiteral, " at "},
                                                    {AlertField::kSite, ""},
                                                    {AlertField::kLiteral, " port "},
                                                    {AlertField::kPort, ""}}));
  const BodyValue& priority = body.items[1];
  ASSERT_EQ(priority.kind, BodyValue::Kind::kBySeverity);
  ASSERT_EQ(priority.items.size(), 3u);
  EXPECT_EQ(priority.items[0].kind, BodyValue::Kind::kNumber);  // info: 4
  EXPECT_EQ(priority.items[2].text, (std::vector<TemplatePiece>{{AlertField::kLiteral, "P1"}}));
  const BodyValue& tags = body.items[3];
  ASSERT_EQ(tags.items.size(), 8u);
  EXPECT_EQ(tags.items[1].text, (std::vector<TemplatePiece>{{AlertField::kEvidenceItem, "server_ip"}}));
  EXPECT_EQ(tags.items[2].kind, BodyValue::Kind::kNumber);
  EXPECT_EQ(tags.items[3].number, "-1.5e3");
  EXPECT_EQ(tags.items[4].kind, BodyValue::Kind::kBool);
  EXPECT_EQ(tags.items[5].kind, BodyValue::Kind::kNull);
  EXPECT_EQ(tags.items[6].kind, BodyValue::Kind::kText);  // yes: text, not YAML 1.1's boolean
  EXPECT_EQ(tags.items[7].kind, BodyValue::Kind::kText);  // "42": quoted, so text
  EXPECT_EQ(tables::toString(body),
            "{\"title\":\"portvakt: {{event}} at {{site}} port {{port}}\","
            "\"priority\":by_severity{info:4,warning:\"P3\",critical:\"P1\"},\"count\":\"{{count}}\","
            "\"tags\":[\"portvakt\",\"{{evidence.server_ip}}\",3,-1.5e3,true,null,\"yes\",\"42\"],"
            "\"nested\":{\"a\":{\"b\":\"x{{id}}y\"}}}");
  EXPECT_NE(r.policy->dumpCanonical().find(" body={\"title\":"), std::string::npos);
}

TEST(SinkKeys, PoliciesDifferingOnlyInSinkFormatOrBodyHaveDifferentSettingsHashes) {
  auto hashOf = [](const std::string& sinks) {
    CompileResult r = compileText(std::string(kHead) + sinks);
    EXPECT_TRUE(r.ok()) << r.diagnostics.format();
    return r.ok() ? r.policy->control.settingsHash : std::string("failed");
  };
  const std::string none = hashOf("sinks:\n  desk: {type: webhook, url: \"https://d.example/\"}\n");
  const std::string titleA =
      hashOf("sinks:\n  desk: {type: webhook, url: \"https://d.example/\", body: {title: \"{{event}}\"}}\n");
  const std::string titleB =
      hashOf("sinks:\n  desk: {type: webhook, url: \"https://d.example/\", body: {title: \"{{site}}\"}}\n");
  const std::string number = hashOf("sinks:\n  desk: {type: webhook, url: \"https://d.example/\", body: {n: 3}}\n");
  const std::string text = hashOf("sinks:\n  desk: {type: webhook, url: \"https://d.example/\", body: {n: \"3\"}}\n");
  const std::string reordered =
      hashOf("sinks:\n  desk: {type: webhook, url: \"https://d.example/\", body: {a: 1, b: 2}}\n");
  const std::string ordered =
      hashOf("sinks:\n  desk: {type: webhook, url: \"https://d.example/\", body: {b: 2, a: 1}}\n");
  EXPECT_NE(none, titleA);
  EXPECT_NE(titleA, titleB);
  EXPECT_NE(number, text);
  EXPECT_NE(reordered, ordered);  // key order is what the receiver gets
  EXPECT_EQ(titleA,
            hashOf("sinks:\n  desk: {type: webhook, url: \"https://d.example/\", body: {title: \"{{event}}\"}}\n"));
  const std::string rfc = hashOf("sinks:\n  s: {type: syslog, address: \"192.0.2.1:514\"}\n");
  const std::string cef = hashOf("sinks:\n  s: {type: syslog, address: \"192.0.2.1:514\", format: cef}\n");
  EXPECT_NE(rfc, cef);
  EXPECT_EQ(rfc, hashOf("sinks:\n  s: {type: syslog, address: \"192.0.2.1:514\", format: rfc5424}\n"));
}

TEST(SinkKeys, PlaceholderParsing) {
  auto pieces = parseBodyText("a }} b {{evidence}}{{count}} {{evidence.x_1}}");
  ASSERT_TRUE(pieces) << pieces.error().message;
  EXPECT_EQ(*pieces, (std::vector<TemplatePiece>{{AlertField::kLiteral, "a }} b "},
                                                 {AlertField::kEvidence, ""},
                                                 {AlertField::kCount, ""},
                                                 {AlertField::kLiteral, " "},
                                                 {AlertField::kEvidenceItem, "x_1"}}));
  EXPECT_TRUE(parseBodyText("")->empty());
  EXPECT_FALSE(parseBodyText("{{ev}}ent"));
  EXPECT_FALSE(parseBodyText("{{evidence.}}"));
  EXPECT_FALSE(parseBodyText("{{evidence.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}"));  // 33 characters
  auto unclosed = parseBodyText("x {{ y");
  ASSERT_FALSE(unclosed);
  EXPECT_NE(unclosed.error().message.find("without a closing"), std::string::npos);
}

}  // namespace
}  // namespace portvakt::policy
