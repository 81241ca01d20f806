// portvakt policy compile FILE: compile a policy; print or write the compiled
// tables (offline, no daemon).
#include <fstream>
#include <iostream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/policy_files.h"
#include "dataplane/classify/policy_rules.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {

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

}  // namespace portvakt::cli
