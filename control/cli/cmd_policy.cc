// portvakt policy check | compile | diff | graph: offline work on policy files.
#include <fstream>
#include <iostream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/policy_views/policy_diff.h"
#include "control/policy_views/policy_graph.h"
#include "dataplane/classify/policy_rules.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {
namespace {

bool writeFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return static_cast<bool>(out);
}

// Compiles one file; on errors prints the diagnostics to stderr.
std::shared_ptr<const tables::CompiledPolicy> compileOrReport(const std::string& file) {
  policy::CompileResult result = policy::compilePolicyFile(file);
  if (!result.ok() || result.diagnostics.warningCount() > 0) std::cerr << result.diagnostics.format();
  return result.policy;
}

}  // namespace

int cmdPolicyCheck(const std::vector<std::string>& args) {
  po::options_description options("policy check options");
  options.add_options()("file", po::value<std::vector<std::string>>()->required(), "policy files (site or base)")(
      "warnings-as-errors,W", "fail on warnings too");
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy check FILE... [-W]", options, positional, vm)) return *exit;
  int errors = 0, warnings = 0;
  auto files = vm["file"].as<std::vector<std::string>>();
  for (const std::string& file : files) {
    policy::CompileResult result = policy::compilePolicyFile(file);
    std::string text = result.diagnostics.format();
    // The per-file summary line is replaced by one for all files below.
    text.erase(text.size() - result.diagnostics.summary().size() - 1);
    std::cout << text;
    errors += result.diagnostics.errorCount();
    warnings += result.diagnostics.warningCount();
    if (result.ok()) {
      std::cout << file << ": ok, " << result.policy->contentHash << " (settings " << result.policy->control.settingsHash
                << ")\n";
    }
  }
  std::cout << errors << " error" << (errors == 1 ? "" : "s") << ", " << warnings << " warning"
            << (warnings == 1 ? "" : "s") << " in " << files.size() << " file" << (files.size() == 1 ? "" : "s") << "\n";
  if (errors > 0 || (warnings > 0 && vm.count("warnings-as-errors"))) return kExitInvalid;
  return kExitOk;
}

int cmdPolicyCompile(const std::vector<std::string>& args) {
  po::options_description options("policy compile options");
  options.add_options()("file", po::value<std::string>()->required(), "the site (or base) policy file")(
      "dump", "print the compiled tables in their canonical, readable form")(
      "output,o", po::value<std::string>(), "write the compiled tables (canonical form) to this file");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy compile FILE [--dump] [-o OUT]", options, positional, vm))
    return *exit;
  auto compiled = compileOrReport(vm["file"].as<std::string>());
  if (!compiled) return kExitInvalid;
  std::string canonical = compiled->dumpCanonical();
  if (vm.count("output") && !writeFile(vm["output"].as<std::string>(), canonical)) {
    std::cerr << "portvakt: cannot write " << vm["output"].as<std::string>() << "\n";
    return kExitRuntime;
  }
  if (vm.count("dump")) {
    std::cout << canonical << "hash " << compiled->contentHash << "\n"
              << "settings_hash " << compiled->control.settingsHash << "\n";
    // The shape of what the dataplane will run (not part of the hashed form).
    auto flows = classify::PolicyClassifier::build(*compiled);
    if (!flows) {
      std::cerr << "portvakt: the flow classifier cannot be built: " << flows.error().message << "\n";
      return kExitInvalid;
    }
    std::cout << "\n# flow classifier (derived from the flows above, not hashed)\n" << (*flows)->describe();
  } else {
    std::cout << "compiled " << compiled->name << " (format " << compiled->formatVersion
              << "): " << compiled->zones.size() << " zones, " << compiled->ports.size() << " ports, "
              << compiled->classes.size() << " classes, " << compiled->inventory.size() << " inventory devices, "
              << compiled->flows.size() << " flow rules, " << compiled->invariants.size() << " invariants\n"
              << "hash " << compiled->contentHash << "\n"
              << "settings_hash " << compiled->control.settingsHash << "\n";
  }
  return kExitOk;
}

int cmdPolicyDiff(const std::vector<std::string>& args) {
  po::options_description options("policy diff options");
  options.add_options()("old", po::value<std::string>()->required(), "the policy in force")(
      "new", po::value<std::string>()->required(), "the proposed policy");
  po::positional_options_description positional;
  positional.add("old", 1).add("new", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy diff OLD NEW   (exit 0: same, 1: different or invalid)", options,
                               positional, vm)) {
    return *exit;
  }
  auto before = compileOrReport(vm["old"].as<std::string>());
  auto after = compileOrReport(vm["new"].as<std::string>());
  if (!before || !after) return kExitInvalid;
  auto changes = control::diffPolicies(*before, *after);
  std::cout << control::formatChanges(changes);
  return changes.empty() ? kExitOk : kExitInvalid;
}

int cmdPolicyGraph(const std::vector<std::string>& args) {
  po::options_description options("policy graph options");
  options.add_options()("file", po::value<std::string>()->required(), "the policy file")(
      "format,f", po::value<std::string>()->default_value("dot"), "dot or svg")("output,o", po::value<std::string>(),
                                                                                "write to this file instead of stdout");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy graph FILE [--format dot|svg] [-o OUT]", options, positional, vm)) {
    return *exit;
  }
  const std::string format = vm["format"].as<std::string>();
  if (format != "dot" && format != "svg") {
    std::cerr << "portvakt: --format must be dot or svg\n";
    return kExitUsage;
  }
  auto compiled = compileOrReport(vm["file"].as<std::string>());
  if (!compiled) return kExitInvalid;
  std::string text = control::policyToDot(*compiled);
  if (format == "svg") {
    auto svg = control::renderSvg(text);
    if (!svg) {
      std::cerr << "portvakt: " << svg.error().message << "\n";
      return kExitRuntime;
    }
    text = std::move(svg.value());
  }
  if (vm.count("output")) {
    if (!writeFile(vm["output"].as<std::string>(), text)) {
      std::cerr << "portvakt: cannot write " << vm["output"].as<std::string>() << "\n";
      return kExitRuntime;
    }
  } else {
    std::cout << text;
  }
  return kExitOk;
}

}  // namespace portvakt::cli
