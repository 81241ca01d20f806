#include "policy/compiler/webhook_body.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

#include "policy/compiler/yaml_walker.h"

namespace portvakt::policy {

using tables::AlertField;
using tables::BodyValue;
using tables::TemplatePiece;

namespace {

constexpr std::string_view kEvidencePrefix = "evidence.";

struct FieldName {
  std::string_view name;
  AlertField field;
};
constexpr FieldName kFields[] = {
    {"id", AlertField::kId},
    {"event", AlertField::kEvent},
    {"severity", AlertField::kSeverity},
    {"site", AlertField::kSite},
    {"port", AlertField::kPort},
    {"vlan", AlertField::kVlan},
    {"device", AlertField::kDevice},
    {"count", AlertField::kCount},
    {"time", AlertField::kTime},
    {"end", AlertField::kEnd},
    {"summary", AlertField::kSummary},
    {"maintenance_window", AlertField::kMaintenanceWindow},
    {"hostname", AlertField::kHostname},
    {"evidence", AlertField::kEvidence},
};

// Evidence keys as control/alerts keeps them: [a-z0-9_], 1-32 characters.
bool validEvidenceKey(std::string_view k) {
  if (k.empty() || k.size() > 32) return false;
  return std::all_of(k.begin(), k.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void appendLiteral(std::vector<TemplatePiece>& pieces, std::string_view text) {
  if (text.empty()) return;
  if (!pieces.empty() && pieces.back().field == AlertField::kLiteral) pieces.back().text += text;
  else pieces.push_back({AlertField::kLiteral, std::string(text)});
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool isJsonNumber(std::string_view s, bool& integral) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') ++i;
  else if (!digits()) return false;
  integral = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    integral = false;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    integral = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

class BodyCompiler {
 public:
  explicit BodyCompiler(Diagnostics& diags) : diags_(diags) {}

  BodyValue value(const BodyDecl& d) {
    BodyValue v;
    switch (d.kind) {
      case BodyDecl::Kind::kNull: v.kind = BodyValue::Kind::kNull; break;
      case BodyDecl::Kind::kScalar: v = scalar(d); break;
      case BodyDecl::Kind::kList:
        v.kind = BodyValue::Kind::kArray;
        for (const BodyDecl& item : d.items) v.items.push_back(value(item));
        break;
      case BodyDecl::Kind::kMap:
        if (std::any_of(d.keys.begin(), d.keys.end(), [](const Text& k) { return k.value == "by_severity"; })) {
          v = bySeverity(d);
          break;
        }
        v.kind = BodyValue::Kind::kObject;
        for (size_t i = 0; i < d.keys.size() && i < d.items.size(); ++i) {
          if (d.keys[i].value.find("{{") != std::string::npos) {
            diags_.error(d.keys[i].at, "bad-placeholder",
                         "placeholders are filled in values, not in keys ('" + d.keys[i].value + "')");
          }
          v.keys.push_back(d.keys[i].value);
          v.items.push_back(value(d.items[i]));
        }
        break;
    }
    return v;
  }

 private:
  BodyValue scalar(const BodyDecl& d) {
    BodyValue v;
    const std::string& s = d.scalar;
    if (d.plain) {
      if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
        v.kind = BodyValue::Kind::kBool;
        v.boolean = s[0] == 't' || s[0] == 'T';
        return v;
      }
      bool integral = false;
      if (isJsonNumber(s, integral)) {
        v.kind = BodyValue::Kind::kNumber;
        v.number = s;
        bool fits = true;
        if (integral) {
          int64_t n = 0;
          auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
          fits = ec == std::errc() && p == s.data() + s.size();
        } else {
          double x = 0;
          auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
          fits = ec == std::errc() && p == s.data() + s.size() && std::isfinite(x);
        }
        if (!fits) {
          diags_.error(d.at, "bad-value", "the number " + s + " is out of range (quote it to send it as text)");
        }
        return v;
      }
    }
    v.kind = BodyValue::Kind::kText;
    if (auto pieces = parseBodyText(s)) v.text = std::move(*pieces);
    else diags_.error(d.at, "bad-placeholder", pieces.error().message);
    return v;
  }

  BodyValue bySeverity(const BodyDecl& d) {
    BodyValue v;
    v.kind = BodyValue::Kind::kBySeverity;
    v.items.resize(3);
    size_t index = 0;
    for (size_t i = 0; i < d.keys.size(); ++i) {
      if (d.keys[i].value == "by_severity") index = i;
    }
    const Text& key = d.keys[index];
    if (d.keys.size() != 1) {
      diags_.error(key.at, "bad-value", "'by_severity' must be the only key of its mapping");
      return v;
    }
    const BodyDecl& choices = d.items[index];
    if (choices.kind != BodyDecl::Kind::kMap) {
      diags_.error(choices.kind == BodyDecl::Kind::kNull ? key.at : choices.at, "type",
                   "'by_severity' must be a mapping of info, warning and critical to values");
      return v;
    }
    static const char* kNames[] = {"info", "warning", "critical"};
    bool given[3] = {false, false, false};
    for (size_t i = 0; i < choices.keys.size(); ++i) {
      const Text& k = choices.keys[i];
      auto it = std::find(std::begin(kNames), std::end(kNames), k.value);
      if (it == std::end(kNames)) {
        std::string hint = closestMatch(k.value, {"info", "warning", "critical"});
        diags_.error(
            k.at, "unknown-key",
            "unknown severity '" + k.value + "' in 'by_severity'" +
                (hint.empty() ? std::string("; expected info, warning and critical") : "; did you mean '" + hint + "'?"));
        continue;
      }
      size_t slot = static_cast<size_t>(it - std::begin(kNames));
      given[slot] = true;
      v.items[slot] = value(choices.items[i]);
    }
    for (size_t slot = 0; slot < 3; ++slot) {
      if (!given[slot]) {
        diags_.error(key.at, "missing-key", std::string("'by_severity' needs '") + kNames[slot] + "'");
      }
    }
    return v;
  }

  Diagnostics& diags_;
};

}  // namespace

const std::vector<std::string>& bodyPlaceholders() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const FieldName& f : kFields) out.emplace_back(f.name);
    out.emplace_back("evidence.KEY");
    return out;
  }();
  return names;
}

ValueResult<std::vector<TemplatePiece>> parseBodyText(std::string_view text) {
  std::vector<TemplatePiece> pieces;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      appendLiteral(pieces, text.substr(pos));
      break;
    }
    appendLiteral(pieces, text.substr(pos, open - pos));
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return ValueError{"'{{' without a closing '}}' (\"{{\" always starts a placeholder such as {{event}})"};
    }
    std::string_view name = trim(text.substr(open + 2, close - open - 2));
    pos = close + 2;
    if (name.empty()) {
      return ValueError{"empty placeholder '{{}}'"};
    }
    if (name.substr(0, kEvidencePrefix.size()) == kEvidencePrefix) {
      std::string_view key = name.substr(kEvidencePrefix.size());
      if (!validEvidenceKey(key)) {
        return ValueError{"'{{" + std::string(name) +
                          "}}': an evidence key is 1-32 lower-case letters, digits or '_' (like {{evidence.server_ip}})"};
      }
      pieces.push_back({AlertField::kEvidenceItem, std::string(key)});
      continue;
    }
    auto it = std::find_if(std::begin(kFields), std::end(kFields), [&](const FieldName& f) { return f.name == name; });
    if (it == std::end(kFields)) {
      std::string hint;
      for (const FieldName& f : kFields) {
        if (!(hint = closestMatch(name, {f.name})).empty()) break;
      }
      ValueError error{"unknown placeholder '{{" + std::string(name) + "}}'"};
      if (!hint.empty()) {
        error.message += "; did you mean '{{" + hint + "}}'?";
      } else {
        error.message += "; known:";
        for (const std::string& n : bodyPlaceholders()) error.message += " {{" + n + "}}";
      }
      return error;
    }
    pieces.push_back({it->field, ""});
  }
  return pieces;
}

tables::BodyValue compileBody(const BodyDecl& body, Diagnostics& diags) { return BodyCompiler(diags).value(body); }

}  // namespace portvakt::policy
