#include "control/cli/cli_options.h"

#include <iostream>

#include "control/cli/commands.h"

namespace portvakt::cli {

std::optional<int> parseOptions(const std::vector<std::string>& args, const std::string& usage,
                                po::options_description& options, const po::positional_options_description& positional,
                                po::variables_map& vm) {
  options.add_options()("help,h", "show this help");
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << "usage: " << usage << "\n\n" << options;
      return kExitOk;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "portvakt: " << e.what() << "\nusage: " << usage << "\n(see --help)\n";
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace portvakt::cli
