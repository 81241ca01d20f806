#pragma once
// What every command against a running portvaktd shares: the --socket and
// --json options, one request/answer round trip with its error reporting,
// and how times are printed.
//
// A remote appliance is reached over HTTPS with mutual TLS instead of the
// socket: --server https://HOST:PORT with --cert, --key (the engineer's own
// client certificate and key) and --ca (the CA that signed the appliance's
// server certificate), or --profile NAME, a section of the profiles file
// ($PORTVAKT_PROFILES, else ~/.config/portvakt/profiles.ini):
//   [clinic-mora]
//   server = https://192.0.2.10:8443
//   cert = /home/eva/.config/portvakt/eva.crt
//   key = /home/eva/.config/portvakt/eva.key
//   ca = /home/eva/.config/portvakt/region-ca.crt
// Options given on the command line win over the profile's.

#include <boost/program_options.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <ostream>
#include <variant>
#include <vector>

namespace portvakt::cli {

namespace po = boost::program_options;

// --socket (default $PORTVAKT_SOCKET or /run/portvakt/portvakt.sock), --json,
// and --server, --cert, --key, --ca, --profile, --profiles for HTTPS.
void addDaemonOptions(po::options_description& options);

// Sends `request` (the api version is added). With --json prints the answer
// as is. Returns the answer when it says ok, else an exit code after printing
// the daemon's error: kExitInvalid when the daemon refused, kExitRuntime when
// it could not be reached or answered nonsense.
std::variant<nlohmann::json, int> callDaemon(const po::variables_map& vm, nlohmann::json request);

// A command that only asks the daemon (`command`, no arguments of its own):
// parses `args` (the daemon options; `title` names them in --help) and calls
// it. Returns the answer to print for people, or the exit code to return:
// also kExitOk after --help and after --json, which callDaemon printed.
std::variant<nlohmann::json, int> queryDaemon(const std::vector<std::string>& args, const std::string& title,
                                              const std::string& usage, const std::string& command);

// Local time, "2026-11-27 06:01:02"; "-" for 0.
std::string timeText(int64_t unixSeconds);

// Rows of cells printed as left-aligned columns, two spaces apart; the first
// row is the header.
void printTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows);

}  // namespace portvakt::cli
