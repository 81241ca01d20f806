#include <algorithm>
#include <filesystem>

#include "policy/compiler/compiler.h"
#include "policy/compiler/parse_policy.h"
#include "policy/compiler/policy_builder.h"

namespace portvakt::policy {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxExtendsDepth = 4;

// Loads the site file and, following `extends:`, its bases. Returns the chain
// base first. A missing or cyclic base is an error at the `extends:` line.
bool loadChain(const std::string& path, Diagnostics& diags, std::vector<PolicyFile>& chain) {
  std::vector<PolicyFile> reversed;
  std::vector<std::string> seen;
  std::string nextPath = path, nextDisplay = path;
  for (int depth = 0;; ++depth) {
    std::string key = sourceIdentity(nextPath);
    auto file = parsePolicyFile(nextPath, nextDisplay, diags);
    if (!file) return false;
    seen.push_back(key);
    reversed.push_back(std::move(*file));
    const PolicyFile& current = reversed.back();
    if (!current.extends) break;
    if (depth + 1 >= kMaxExtendsDepth) {
      diags.error(current.extends->at, "extends-depth",
                  "policies extend at most " + std::to_string(kMaxExtendsDepth - 1) + " levels deep");
      return false;
    }
    fs::path relative = current.extends->value;
    fs::path open = relative.is_absolute() ? relative : fs::path(current.path).parent_path() / relative;
    fs::path display = relative.is_absolute() ? relative : fs::path(current.display).parent_path() / relative;
    if (std::find(seen.begin(), seen.end(), sourceIdentity(open.string())) != seen.end()) {
      diags.error(current.extends->at, "extends-cycle",
                  "'" + current.extends->value + "' extends itself through this file");
      return false;
    }
    if (!sourceFileExists(open.string())) {
      diags.error(current.extends->at, "extends-missing",
                  "base policy '" + current.extends->value + "' " + sourceMissingText(open.string()));
      return false;
    }
    nextPath = open.string();
    nextDisplay = display.lexically_normal().string();
  }
  chain.assign(std::make_move_iterator(reversed.rbegin()), std::make_move_iterator(reversed.rend()));
  return true;
}

}  // namespace

tables::CompiledPolicy PolicyBuilder::build() {
  buildHeader();
  buildZones();
  buildDestinations();
  buildFingerprints();
  buildClasses();
  buildInventory();
  buildPorts();
  buildDot1x();
  buildSinksAndAlerts();
  buildMaintenance();
  buildRetention();
  buildManagementRoles();
  buildPins();
  buildFlows();
  buildInvariants();
  buildTests();
  checkInvariants();
  checkShadowedFlows();
  checkClassesCanMatch();
  prependInvariantRules();
  out_.seal();
  return std::move(out_);
}

namespace {

CompileResult compileChain(const std::string& path, CompileResult result) {
  std::vector<PolicyFile> chain;
  if (!loadChain(path, result.diagnostics, chain)) return result;
  PolicyBuilder builder(chain, result.diagnostics);
  tables::CompiledPolicy compiled = builder.build();
  if (!result.diagnostics.hasErrors()) {
    result.policy = std::make_shared<const tables::CompiledPolicy>(std::move(compiled));
  }
  return result;
}

}  // namespace

CompileResult compilePolicyFile(const std::string& path) {
  CompileResult result;
  std::vector<SourceText> sources;
  {
    SourceScope scope = SourceScope::record(sources);
    result = compileChain(path, std::move(result));
  }
  result.sources = std::move(sources);
  return result;
}

CompileResult compilePolicySources(const std::string& path, const std::vector<SourceText>& sources) {
  CompileResult result;
  std::vector<SourceText> used;
  {
    SourceScope scope = SourceScope::replay(sources, &used);
    result = compileChain(path, std::move(result));
  }
  result.sources = std::move(used);
  return result;
}

BundleRead readPolicyBundle(const std::string& path) {
  BundleRead out;
  CompileResult compiled = compilePolicyFile(path);
  // The codes of a file that is missing or could not be read as text; the
  // rest (syntax, schema, semantics) is the compilation's business.
  static const char* const kReadErrors[] = {"file-unreadable", "extends-missing", "file-too-large", "not-text"};
  for (const Diagnostic& d : compiled.diagnostics.all()) {
    if (d.severity != DiagnosticSeverity::kError) continue;
    if (std::find(std::begin(kReadErrors), std::end(kReadErrors), d.code) == std::end(kReadErrors)) continue;
    out.diagnostics.error(d.where, d.code, d.message).notes = d.notes;
  }
  if (out.diagnostics.hasErrors()) return out;
  out.bundle = PolicyBundle{path, std::move(compiled.sources)};
  return out;
}

}  // namespace portvakt::policy
