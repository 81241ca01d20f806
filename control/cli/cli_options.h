#pragma once
// Shared option parsing for CLI commands: Boost.Program_options with --help on
// every command and usage errors mapped to exit code 2.

#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <vector>

namespace portvakt::cli {

namespace po = boost::program_options;

// Parses `args` against `options` (+ positional). Prints help and returns
// kExitOk when --help is given, prints the error and returns kExitUsage on bad
// usage; returns nullopt when the command should go on.
std::optional<int> parseOptions(const std::vector<std::string>& args, const std::string& usage,
                                po::options_description& options, const po::positional_options_description& positional,
                                po::variables_map& vm);

}  // namespace portvakt::cli
