#pragma once
// The policy compiler's entry point: YAML files in, diagnostics and (when there
// are no errors) an immutable compiled policy out.
//
// A site file names its base with `extends:`; the base is compiled first and
// the site may add to it but never loosen it (see docs/policy.md,
// "Composition"). Every problem in every file of the chain is reported.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/compiler/diagnostics.h"
#include "policy/compiler/source_file.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::policy {

struct CompileResult {
  Diagnostics diagnostics;
  std::shared_ptr<const tables::CompiledPolicy> policy;  // null when there are errors
  // Every file read (the extends chain, inventory CSVs, fingerprint data) with its text: what
  // compilePolicySources needs to rebuild exactly these tables later.
  std::vector<SourceText> sources;
  bool ok() const { return policy != nullptr; }
};

// `path` is opened as given and also used as its display name in diagnostics.
[[nodiscard]] CompileResult compilePolicyFile(const std::string& path);
// The same compilation from given texts only (nothing is read from disk, see
// SourceScope): a policy bundle a client sent, or a version pushed before the
// last restart, whose files may have changed since. `path` names the site
// file among `sources`; a base or inventory file the policy names that is not
// among them is an error ("not in the bundle"). `sources` of the result are
// the texts the compilation used.
[[nodiscard]] CompileResult compilePolicySources(const std::string& path, const std::vector<SourceText>& sources);

// What crosses the management socket instead of a path: the site file's name
// (a label) and every file its compilation reads, with its text.
struct PolicyBundle {
  std::string site;
  std::vector<SourceText> files;
};

struct BundleRead {
  std::optional<PolicyBundle> bundle;  // nullopt when a file could not be read
  Diagnostics diagnostics;             // why not (file:0:0: error[file-unreadable]: ... Permission denied)
};

// Reads the site file at `path` and the files it names (bases through
// `extends:`, inventory CSVs, `fingerprints` data) with the calling process's own rights, the way
// the compiler finds them. A file that cannot be read is an error here; any
// other problem of the policy is left for the compilation of the bundle.
[[nodiscard]] BundleRead readPolicyBundle(const std::string& path);

}  // namespace portvakt::policy
