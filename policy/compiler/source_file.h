#pragma once
// Reading a policy or inventory file from disk with the limits that keep
// hostile input bounded: a size cap, a text check (no NUL, valid UTF-8) and a
// nesting-depth check that runs before yaml-cpp sees the bytes (yaml-cpp
// recurses per level and fails late and vaguely on deep input).

#include <optional>
#include <string>
#include <vector>

#include "policy/compiler/diagnostics.h"

namespace YAML {
class Node;
}

namespace portvakt::policy {

inline constexpr size_t kMaxPolicyFileBytes = 8u << 20;  // 8 MiB: a policy is hand-written
inline constexpr int kMaxNestingDepth = 64;              // the schema needs 6

// One file a compilation read (a policy in the `extends` chain or an
// inventory CSV), by the path it was opened with.
struct SourceText {
  std::string path;
  std::string text;
};

// Why: the daemon never opens a file a client names (it runs as root; a client
// naming /etc/shadow would get its lines back in the diagnostics), and a policy
// version must be rebuildable exactly as it was pushed, after a restart and
// after its files changed on disk (rollback, audit). While a SourceScope is
// alive on this thread, readTextFile records every file it reads (record), or
// reads only from the given texts, a "bundle" (replay: a file not among them
// does not exist, and nothing touches the disk, not even a stat). Replay
// applies the same size and text checks as a disk read: a bundle is hostile
// input. Paths in a bundle are labels: they are compared after lexical
// normalisation ("a/../b.yaml" is "b.yaml"), never resolved against the disk,
// so an absolute path or ".." escapes nothing. Scopes do not nest.
class SourceScope {
 public:
  static SourceScope record(std::vector<SourceText>& into) { return SourceScope(&into, nullptr); }
  // `read`, when given, receives the texts the compilation actually used.
  static SourceScope replay(const std::vector<SourceText>& from, std::vector<SourceText>* read = nullptr) {
    return SourceScope(read, &from);
  }
  ~SourceScope();
  SourceScope(const SourceScope&) = delete;
  SourceScope& operator=(const SourceScope&) = delete;

 private:
  SourceScope(std::vector<SourceText>* record, const std::vector<SourceText>* replay);
};

// Whether readTextFile would find `path` (a regular file, or a replayed text).
bool sourceFileExists(const std::string& path);
// What to say when sourceFileExists(path) is false: "not found (looked for
// PATH)" on disk, "is not in the bundle (...)" when replaying.
std::string sourceMissingText(const std::string& path);
// The identity of a source for cycle checks: the canonical path on disk, the
// lexically normal path when replaying (no disk access).
std::string sourceIdentity(const std::string& path);

// Reads a whole text file. On failure reports at `display` and returns nullopt.
std::optional<std::string> readTextFile(const std::string& path, const std::string& display, Diagnostics& diags);

// Parses YAML text that passed readTextFile. Syntax errors become
// error[yaml-syntax] at the position yaml-cpp names.
std::optional<YAML::Node> parseYaml(const std::string& text, const std::string& display, Diagnostics& diags);

}  // namespace portvakt::policy
