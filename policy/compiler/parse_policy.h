#pragma once
// YAML → PolicyFile: structure only (known keys, types, duplicates). Values
// (MACs, prefixes, names) are checked by the compiler.

#include <optional>
#include <string>

#include "policy/compiler/ast.h"

namespace portvakt::policy {

// Reads, bounds-checks and parses one policy file. Returns nullopt when the file
// could not be read, is not YAML at all or is not a portvakt policy (no
// 'portvakt:' key and unknown keys: its content is never quoted); otherwise a PolicyFile with whatever
// could be understood, and diagnostics for the rest.
std::optional<PolicyFile> parsePolicyFile(const std::string& path, const std::string& display, Diagnostics& diags);

}  // namespace portvakt::policy
