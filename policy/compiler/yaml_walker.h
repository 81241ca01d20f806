#pragma once
// Schema-driven reading of a YAML tree: every node visited is checked for its
// type, every mapping for unknown and duplicate keys, and every visit is
// counted against a budget. The budget is what keeps YAML aliases bounded:
// yaml-cpp shares aliased nodes, so a "billion laughs" document is small in
// memory but exponential to walk; the walker stops at kMaxNodeVisits with one
// clear error instead.

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "policy/compiler/ast.h"

namespace portvakt::policy {

inline constexpr long kMaxNodeVisits = 1'000'000;

// Diagnostics quote a value at most from its own line: a scalar that spans
// several lines (a folded plain scalar, a block scalar, a quoted "\n") is an
// error in every field but free text (description, purpose), which is never
// quoted. So no message can carry several lines of a file, whatever the file
// is; and a file that is not a portvakt policy at all (no 'portvakt:' key,
// keys the schema does not know: /etc/shadow) gets one error that quotes
// nothing of it (parse_policy.cc).
class YamlWalker {
 public:
  // `source` is the text `display` was parsed from (for the one-line check).
  YamlWalker(Diagnostics& diags, std::string display, std::string_view source = {})
      : diags_(diags), display_(std::move(display)), source_(source) {}

  SourceLocation at(const YAML::Node& node, const SourceLocation& fallback) const;
  Diagnostics& diags() { return diags_; }
  const std::string& display() const { return display_; }
  bool exhausted() const { return exhausted_; }

  // Counts one visit; false once the budget is spent (the error is reported once).
  bool visit(const YAML::Node& node, const SourceLocation& where);

  // Calls onEntry(keyText, keyLocation, value) for each entry of a mapping whose
  // key is in `allowed` (an empty list allows any key, e.g. zone names). Reports
  // a non-mapping, unknown keys (with a suggestion) and duplicate keys.
  using EntryFn = std::function<void(const Text& key, const YAML::Node& value)>;
  bool forEachEntry(const YAML::Node& map, const SourceLocation& where, std::string_view what,
                    std::initializer_list<std::string_view> allowed, const EntryFn& onEntry);
  // Calls onItem for each element of a sequence; reports a non-sequence.
  bool forEachItem(const YAML::Node& seq, const SourceLocation& where, std::string_view what,
                   const std::function<void(const YAML::Node& item, const SourceLocation& itemAt)>& onItem);

  // A scalar on one line.
  std::optional<Text> text(const YAML::Node& node, const SourceLocation& where, std::string_view what);
  // A scalar that may span lines; never quoted in a diagnostic.
  std::optional<Text> freeText(const YAML::Node& node, const SourceLocation& where, std::string_view what);
  std::optional<At<long>> integer(const YAML::Node& node, const SourceLocation& where, std::string_view what);
  std::optional<At<bool>> boolean(const YAML::Node& node, const SourceLocation& where, std::string_view what);
  // A scalar or a sequence of scalars.
  TextList textList(const YAML::Node& node, const SourceLocation& where, std::string_view what);
  std::optional<At<std::vector<At<long>>>> integerList(const YAML::Node& node, const SourceLocation& where,
                                                       std::string_view what);

 private:
  void typeError(const YAML::Node& node, const SourceLocation& where, std::string_view what, std::string_view expected);
  // Whether a scalar's value reaches beyond the line it starts on.
  bool spansLines(const YAML::Node& scalar) const;

  Diagnostics& diags_;
  std::string display_;
  std::string_view source_;
  long visits_ = 0;
  bool exhausted_ = false;
};

// Closest candidate by edit distance, for "did you mean" hints; empty if none is close.
std::string closestMatch(std::string_view word, std::initializer_list<std::string_view> candidates);

}  // namespace portvakt::policy
