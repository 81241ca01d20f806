// portvakt: the command-line tool. Exit codes: 0 ok, 1 policy invalid or a
// check failed, 2 usage error, 3 runtime failure (file, socket, daemon).
#include "control/cli/commands.h"

int main(int argc, char** argv) { return portvakt::cli::runCli(argc, argv); }
