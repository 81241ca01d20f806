#pragma once
// Reading a policy or inventory file from disk with the limits that keep
// hostile input bounded: a size cap, a text check (no NUL, valid UTF-8) and a
// nesting-depth check that runs before yaml-cpp sees the bytes (yaml-cpp
// recurses per level and fails late and vaguely on deep input).

#include <optional>
#include <string>

#include "policy/compiler/diagnostics.h"

namespace YAML {
class Node;
}

namespace portvakt::policy {

inline constexpr size_t kMaxPolicyFileBytes = 8u << 20;  // 8 MiB: a policy is hand-written
inline constexpr int kMaxNestingDepth = 64;              // the schema needs 6

// Reads a whole text file. On failure reports at `display` and returns nullopt.
std::optional<std::string> readTextFile(const std::string& path, const std::string& display,
                                        Diagnostics& diags);

// Parses YAML text that passed readTextFile. Syntax errors become
// error[yaml-syntax] at the position yaml-cpp names.
std::optional<YAML::Node> parseYaml(const std::string& text, const std::string& display,
                                    Diagnostics& diags);

}  // namespace portvakt::policy
