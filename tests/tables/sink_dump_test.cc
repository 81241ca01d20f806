// A sink's format and webhook body are part of the canonical dump, and so of
// the content hash; a sink without them dumps as it did before they existed.
#include <gtest/gtest.h>

#include "policy/tables/compiled_policy.h"

namespace portvakt::tables {
namespace {

BodyValue text(std::vector<TemplatePiece> pieces) {
  BodyValue v;
  v.kind = BodyValue::Kind::kText;
  v.text = std::move(pieces);
  return v;
}

TEST(SinkDump, BodyTextCoversEveryKind) {
  BodyValue obj;
  obj.kind = BodyValue::Kind::kObject;
  BodyValue number;
  number.kind = BodyValue::Kind::kNumber;
  number.number = "-1.5e3";
  BodyValue yes;
  yes.kind = BodyValue::Kind::kBool;
  yes.boolean = true;
  BodyValue list;
  list.kind = BodyValue::Kind::kArray;
  list.items = {number, yes, BodyValue{}};
  BodyValue pick;
  pick.kind = BodyValue::Kind::kBySeverity;
  pick.items = {text({{AlertField::kLiteral, "P4"}}), text({{AlertField::kLiteral, "P3"}}), number};
  obj.keys = {"t\"q", "l", "p"};
  obj.items = {
      text(
          {{AlertField::kLiteral, "a \\ \"b\" "}, {AlertField::kEvidenceItem, "server_ip"}, {AlertField::kSeverity, ""}}),
      list, pick};
  EXPECT_EQ(toString(obj), R"({"t\"q":"a \\ \"b\" {{evidence.server_ip}}{{severity}}","l":[-1.5e3,true,null],)"
                           R"("p":by_severity{info:"P4",warning:"P3",critical:-1.5e3}})");
}

TEST(SinkDump, FormatAndBodyChangeTheSettingsHashOnlyWhenSet) {
  CompiledPolicy p;
  p.name = "x";
  Sink s;
  s.name = "desk";
  s.kind = Sink::Kind::kWebhook;
  s.target = "https://d.example/";
  p.control.sinks = {s};
  p.seal();
  const std::string plain = p.control.settingsHash;
  EXPECT_NE(p.dumpCanonical().find("sink desk kind=webhook target=\"https://d.example/\" transport=-\n"),
            std::string::npos);
  p.control.sinks[0].body = text({{AlertField::kEvent, ""}});
  p.seal();
  const std::string withEvent = p.control.settingsHash;
  p.control.sinks[0].body = text({{AlertField::kSite, ""}});
  p.seal();
  EXPECT_NE(plain, withEvent);
  EXPECT_NE(withEvent, p.control.settingsHash);
  p.control.sinks[0].body.reset();
  p.seal();
  EXPECT_EQ(p.control.settingsHash, plain);
  p.control.sinks[0].kind = Sink::Kind::kFile;
  p.seal();
  const std::string ecs = p.control.settingsHash;
  p.control.sinks[0].format = SinkFormat::kCef;
  p.seal();
  EXPECT_NE(ecs, p.control.settingsHash);
  EXPECT_NE(p.dumpCanonical().find(" kind=file target=\"https://d.example/\" transport=- format=cef\n"),
            std::string::npos);
}

}  // namespace
}  // namespace portvakt::tables
