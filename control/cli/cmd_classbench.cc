// portvakt classbench RULES TRACE: compile a ClassBench rule set with the
// policy's classifier compiler, replay the trace, check every answer.
// Exit: 0 all lookups match, 1 any mismatch, 2 usage error, 3 a file cannot be read.
#include <boost/program_options.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "control/cli/commands.h"
#include "dataplane/classify/classbench.h"

namespace portvakt::cli {

namespace po = boost::program_options;

int cmdClassbench(const std::vector<std::string>& args) {
  classify::ClassbenchOptions options;
  po::options_description visible(
      "usage: portvakt classbench RULES TRACE [options]\n\n"
      "Compiles a ClassBench rule set (rule i = line i, 0-based, highest priority first)\n"
      "with the classifier the policy uses, replays the trace and checks every lookup\n"
      "against the rule the trace names. The last line is always\n"
      "  lookups=N mismatches=M mlookups_per_s=X build_ms=Y bytes_per_rule=Z\n"
      "Exit codes: 0 all match, 1 any mismatch, 2 usage error, 3 a file cannot be read.\n\n"
      "options");
  visible.add_options()("help,h", "show this help")("replays", po::value<int>(&options.replays)->default_value(3),
                                                    "whole-trace replays timed; the median rate is reported")(
      "linear", po::bool_switch(&options.linear), "replay through the linear reference instead")(
      "describe", po::bool_switch(&options.describe), "print the classifier's shape")(
      "show-mismatches", po::value<int>(&options.showMismatches)->default_value(10),
      "mismatching headers printed before the summary");
  po::options_description hidden;
  hidden.add_options()("files", po::value<std::vector<std::string>>(), "RULES TRACE");
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("files", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "portvakt classbench: " << e.what() << "\n\n" << visible << "\n";
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << visible << "\n";
    return kExitOk;
  }
  std::vector<std::string> files =
      vm.count("files") ? vm["files"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 2 || options.replays < 1 || options.showMismatches < 0) {
    std::cerr << "portvakt classbench: expected RULES and TRACE (and --replays >= 1)\n\n" << visible << "\n";
    return kExitUsage;
  }
  int rc = classify::runClassbench(files[0], files[1], std::cout, std::cerr, options);
  switch (rc) {
    case classify::kClassbenchOk: return kExitOk;
    case classify::kClassbenchMismatch: return kExitInvalid;
    default: return kExitRuntime;
  }
}

}  // namespace portvakt::cli
