#pragma once
// What every command against a running portvaktd shares: the --socket and
// --json options, one request/answer round trip with its error reporting,
// and how times are printed.

#include <boost/program_options.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <ostream>
#include <variant>
#include <vector>

namespace portvakt::cli {

namespace po = boost::program_options;

// --socket (default $PORTVAKT_SOCKET or /run/portvakt/portvakt.sock) and --json.
void addDaemonOptions(po::options_description& options);

// Sends `request` (the api version is added). With --json prints the answer
// as is. Returns the answer when it says ok, else an exit code after printing
// the daemon's error: kExitInvalid when the daemon refused, kExitRuntime when
// it could not be reached or answered nonsense.
std::variant<nlohmann::json, int> callDaemon(const po::variables_map& vm, nlohmann::json request);

std::string timeText(int64_t unixSeconds);

// Rows of cells printed as left-aligned columns, two spaces apart; the first
// row is the header.
void printTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows);  // local time, "2026-11-27 06:01:02"; "-" for 0

}  // namespace portvakt::cli
