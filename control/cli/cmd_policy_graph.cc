// portvakt policy graph FILE: zones, ports and allowed flows as DOT or SVG
// (offline, no daemon).
#include <fstream>
#include <iostream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "control/cli/policy_files.h"
#include "control/policy_views/policy_graph.h"
#include "dataplane/classify/policy_rules.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {

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
