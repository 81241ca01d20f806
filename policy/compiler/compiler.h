#pragma once
// The policy compiler's entry point: YAML files in, diagnostics and (when there
// are no errors) an immutable compiled policy out.
//
// A site file names its base with `extends:`; the base is compiled first and
// the site may add to it but never loosen it (see docs/policy.md,
// "Composition"). Every problem in every file of the chain is reported.

#include <memory>
#include <string>
#include <vector>

#include "policy/compiler/diagnostics.h"
#include "policy/compiler/source_file.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::policy {

struct CompileResult {
  Diagnostics diagnostics;
  std::shared_ptr<const tables::CompiledPolicy> policy;  // null when there are errors
  // Every file read (the extends chain, inventory CSVs) with its text: what
  // compilePolicySources needs to rebuild exactly these tables later.
  std::vector<SourceText> sources;
  bool ok() const { return policy != nullptr; }
};

// `path` is opened as given and also used as its display name in diagnostics.
[[nodiscard]] CompileResult compilePolicyFile(const std::string& path);
// The same compilation from recorded texts only (nothing is read from disk):
// a rollback to a version pushed before the last restart, whose files may
// have changed since.
[[nodiscard]] CompileResult compilePolicySources(const std::string& path, const std::vector<SourceText>& sources);

}  // namespace portvakt::policy
