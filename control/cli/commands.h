#pragma once
// The CLI's command table. Each command is one function in its own file
// (cmd_<name>.cc); runCli dispatches on the first one or two words.

#include <string>
#include <vector>

namespace portvakt::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // policy invalid, check or test failed
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRuntime = 3;  // could not read/write a file, reach the daemon

struct Command {
  const char* path;     // "policy check"
  const char* summary;  // one line for the overview
  int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& commandTable();
int runCli(int argc, char** argv);

}  // namespace portvakt::cli
