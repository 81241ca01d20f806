#include "policy/compiler/yaml_walker.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <vector>

namespace portvakt::policy {
namespace {

const char* kindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    default: return "an undefined value";
  }
}

size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closestMatch(std::string_view word, std::initializer_list<std::string_view> candidates) {
  std::string best;
  size_t bestDistance = 3;  // at most two edits away
  for (std::string_view c : candidates) {
    // "lldp" for "lldp_med": a prefix is a better hint than a short edit.
    if (word.size() >= 3 && c.substr(0, word.size()) == word) return std::string(c);
  }
  for (std::string_view c : candidates) {
    size_t d = editDistance(word, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = std::string(c);
    }
  }
  return best;
}

SourceLocation YamlWalker::at(const YAML::Node& node, const SourceLocation& fallback) const {
  YAML::Mark mark = node.Mark();
  if (mark.line < 0 || mark.column < 0) return fallback;
  return {display_, mark.line + 1, mark.column + 1};
}

bool YamlWalker::spansLines(const YAML::Node& scalar) const {
  const std::string& value = scalar.Scalar();
  if (value.find('\n') != std::string::npos || value.find('\r') != std::string::npos) return true;
  YAML::Mark mark = scalar.Mark();
  if (source_.empty() || mark.pos < 0 || static_cast<size_t>(mark.pos) >= source_.size()) return false;
  size_t lineEnd = source_.find('\n', static_cast<size_t>(mark.pos));
  if (lineEnd == std::string_view::npos) lineEnd = source_.size();
  // Escapes only shrink a quoted scalar, so a value longer than the rest of
  // its first line took text from the lines below (folding).
  return value.size() > lineEnd - static_cast<size_t>(mark.pos);
}

bool YamlWalker::visit(const YAML::Node& node, const SourceLocation& where) {
  if (exhausted_) return false;
  if (++visits_ > kMaxNodeVisits) {
    exhausted_ = true;
    diags_.error(at(node, where), "too-many-nodes",
                 "the policy expands to more than " + std::to_string(kMaxNodeVisits) +
                     " YAML nodes (YAML aliases that expand exponentially?); reading stopped here");
    return false;
  }
  return true;
}

void YamlWalker::typeError(const YAML::Node& node, const SourceLocation& where, std::string_view what,
                           std::string_view expected) {
  diags_.error(at(node, where), "type",
               std::string(what) + " must be " + std::string(expected) + ", found " + kindName(node));
}

bool YamlWalker::forEachEntry(const YAML::Node& map, const SourceLocation& where, std::string_view what,
                              std::initializer_list<std::string_view> allowed, const EntryFn& onEntry) {
  if (!visit(map, where)) return false;
  if (!map.IsMap()) {
    typeError(map, where, what, "a mapping");
    return false;
  }
  std::map<std::string, SourceLocation> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    // Copies: yaml-cpp's iterator yields a temporary pair, so a reference to
    // it->first dangles at the end of the statement (found by the fuzzer).
    const YAML::Node keyNode = it->first;
    const YAML::Node valueNode = it->second;
    SourceLocation keyAt = at(keyNode, at(map, where));
    if (!keyNode.IsScalar()) {
      diags_.error(keyAt, "type", std::string("keys of ") + std::string(what) + " must be plain names");
      continue;
    }
    if (spansLines(keyNode)) {
      diags_.error(keyAt, "multi-line", std::string("keys of ") + std::string(what) + " must be on one line");
      continue;
    }
    Text key{keyNode.Scalar(), keyAt};
    if (auto [prev, inserted] = seen.emplace(key.value, keyAt); !inserted) {
      diags_.error(keyAt, "duplicate-key", "'" + key.value + "' appears twice in " + std::string(what))
          .notes.push_back({prev->second, "first defined here"});
      continue;
    }
    if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), key.value) == allowed.end()) {
      std::string message = "unknown key '" + key.value + "' in " + std::string(what);
      std::string hint = closestMatch(key.value, allowed);
      if (!hint.empty()) {
        message += "; did you mean '" + hint + "'?";
      } else {
        message += "; expected one of:";
        for (std::string_view a : allowed) message += " " + std::string(a);
      }
      diags_.error(keyAt, "unknown-key", message);
      continue;
    }
    onEntry(key, valueNode);
    if (exhausted_) return false;
  }
  return true;
}

bool YamlWalker::forEachItem(const YAML::Node& seq, const SourceLocation& where, std::string_view what,
                             const std::function<void(const YAML::Node&, const SourceLocation&)>& onItem) {
  if (!visit(seq, where)) return false;
  if (seq.IsNull()) return true;  // "flows:" with nothing under it is an empty list
  if (!seq.IsSequence()) {
    typeError(seq, where, what, "a list");
    return false;
  }
  SourceLocation seqAt = at(seq, where);
  for (const YAML::Node& item : seq) {
    onItem(item, at(item, seqAt));
    if (exhausted_) return false;
  }
  return true;
}

std::optional<Text> YamlWalker::text(const YAML::Node& node, const SourceLocation& where, std::string_view what) {
  if (!visit(node, where)) return std::nullopt;
  if (!node.IsScalar()) {
    typeError(node, where, what, "a single value");
    return std::nullopt;
  }
  if (spansLines(node)) {
    diags_.error(at(node, where), "multi-line", std::string(what) + " must be on one line");
    return std::nullopt;
  }
  return Text{node.Scalar(), at(node, where)};
}

std::optional<Text> YamlWalker::freeText(const YAML::Node& node, const SourceLocation& where, std::string_view what) {
  if (!visit(node, where)) return std::nullopt;
  if (!node.IsScalar()) {
    typeError(node, where, what, "a single value");
    return std::nullopt;
  }
  return Text{node.Scalar(), at(node, where)};
}

std::optional<At<long>> YamlWalker::integer(const YAML::Node& node, const SourceLocation& where, std::string_view what) {
  auto t = text(node, where, what);
  if (!t) return std::nullopt;
  long value = 0;
  const std::string& s = t->value;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    diags_.error(t->at, "type", std::string(what) + " must be an integer, found '" + s + "'");
    return std::nullopt;
  }
  return At<long>{value, t->at};
}

std::optional<At<bool>> YamlWalker::boolean(const YAML::Node& node, const SourceLocation& where, std::string_view what) {
  auto t = text(node, where, what);
  if (!t) return std::nullopt;
  if (t->value == "true" || t->value == "yes") return At<bool>{true, t->at};
  if (t->value == "false" || t->value == "no") return At<bool>{false, t->at};
  diags_.error(t->at, "type", std::string(what) + " must be true or false, found '" + t->value + "'");
  return std::nullopt;
}

TextList YamlWalker::textList(const YAML::Node& node, const SourceLocation& where, std::string_view what) {
  TextList out;
  if (node.IsScalar()) {
    if (auto t = text(node, where, what)) out.push_back(*t);
    return out;
  }
  forEachItem(node, where, what, [&](const YAML::Node& item, const SourceLocation& itemAt) {
    if (auto t = text(item, itemAt, std::string("each entry of ") + std::string(what))) out.push_back(*t);
  });
  return out;
}

std::optional<At<std::vector<At<long>>>> YamlWalker::integerList(const YAML::Node& node, const SourceLocation& where,
                                                                 std::string_view what) {
  At<std::vector<At<long>>> out{{}, at(node, where)};
  bool ok = forEachItem(node, where, what, [&](const YAML::Node& item, const SourceLocation& itemAt) {
    if (auto v = integer(item, itemAt, std::string("each entry of ") + std::string(what))) out.value.push_back(*v);
  });
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace portvakt::policy
