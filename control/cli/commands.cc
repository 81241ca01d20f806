#include "control/cli/commands.h"

#include <iostream>

#include "control/version.h"

namespace portvakt::cli {

int cmdPolicyCheck(const std::vector<std::string>& args);
int cmdPolicyCompile(const std::vector<std::string>& args);
int cmdPolicyDiff(const std::vector<std::string>& args);
int cmdPolicyGraph(const std::vector<std::string>& args);
int cmdClassbench(const std::vector<std::string>& args);
int cmdStatus(const std::vector<std::string>& args);
int cmdSimulate(const std::vector<std::string>& args);
int cmdTrace(const std::vector<std::string>& args);
int cmdPolicyTest(const std::vector<std::string>& args);
int cmdPolicyPlan(const std::vector<std::string>& args);
int cmdPolicyPush(const std::vector<std::string>& args);
int cmdPolicyRollback(const std::vector<std::string>& args);
int cmdPolicyHistory(const std::vector<std::string>& args);
int cmdDevices(const std::vector<std::string>& args);
int cmdDevicesShow(const std::vector<std::string>& args);
int cmdDevicesForget(const std::vector<std::string>& args);
int cmdAlerts(const std::vector<std::string>& args);
int cmdAlertsAck(const std::vector<std::string>& args);
int cmdPorts(const std::vector<std::string>& args);

const std::vector<Command>& commandTable() {
  static const std::vector<Command> kCommands = {
      {"policy check", "validate policy files and print every problem", cmdPolicyCheck},
      {"policy compile", "compile a policy; print or write the compiled tables", cmdPolicyCompile},
      {"policy diff", "semantic difference between two policies", cmdPolicyDiff},
      {"policy graph", "draw zones, ports and allowed flows (DOT or SVG)", cmdPolicyGraph},
      {"policy test", "run the expected outcomes written in policies", cmdPolicyTest},
      {"simulate", "run the dataplane over a capture: devices, verdicts, alerts", cmdSimulate},
      {"trace", "explain one frame of a capture, stage by stage", cmdTrace},
      {"classbench", "run a ClassBench rule set and trace through the classifier", cmdClassbench},
      {"status", "the running daemon: policy, uptime, ports", cmdStatus},
      {"policy plan", "what a push would change against the running policy", cmdPolicyPlan},
      {"policy push", "validate, compile and swap in a policy (atomically)", cmdPolicyPush},
      {"policy rollback", "return to an earlier policy version", cmdPolicyRollback},
      {"policy history", "who pushed what, when, with which hash", cmdPolicyHistory},
      {"devices", "the devices the daemon knows: port, class, zone, last seen", cmdDevices},
      {"devices show", "one device with its evidence and why it is where it is", cmdDevicesShow},
      {"devices forget", "drop a device; its next frame starts it over", cmdDevicesForget},
      {"alerts", "alert history with delivery state per sink", cmdAlerts},
      {"alerts ack", "acknowledge an alert (your uid is recorded)", cmdAlertsAck},
      {"ports", "ports with link state, switch and kernel counters", cmdPorts},
  };
  return kCommands;
}

namespace {

void printOverview(std::ostream& out) {
  out << "usage: portvakt <command> [options]   (portvakt <command> --help for details)\n\n"
         "commands:\n";
  for (const Command& c : commandTable()) {
    out << "  " << c.path << std::string(18 - std::min<size_t>(17, std::string(c.path).size()), ' ') << c.summary << "\n";
  }
  out << "\nportvakt --version prints the version (" << kVersion
      << ").\n"
         "exit codes: 0 ok, 1 policy invalid or check failed, 2 usage error, 3 runtime failure\n";
}

}  // namespace

int runCli(int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (!words.empty() && (words[0] == "--version" || words[0] == "version")) {
    std::cout << "portvakt " << kVersion << "\n";
    return kExitOk;
  }
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    printOverview(words.empty() ? std::cerr : std::cout);
    return words.empty() ? kExitUsage : kExitOk;
  }
  // Longest command path that prefixes the arguments wins.
  const Command* best = nullptr;
  size_t bestWords = 0;
  for (const Command& c : commandTable()) {
    std::vector<std::string> path;
    std::string p = c.path;
    for (size_t start = 0, end; start <= p.size(); start = end + 1) {
      end = p.find(' ', start);
      if (end == std::string::npos) end = p.size();
      path.push_back(p.substr(start, end - start));
    }
    if (path.size() > words.size() || path.size() <= bestWords) continue;
    if (std::equal(path.begin(), path.end(), words.begin())) {
      best = &c;
      bestWords = path.size();
    }
  }
  if (!best) {
    std::cerr << "portvakt: unknown command '" << words[0] << (words.size() > 1 ? " " + words[1] : "") << "'\n\n";
    printOverview(std::cerr);
    return kExitUsage;
  }
  std::vector<std::string> rest(words.begin() + static_cast<long>(bestWords), words.end());
  try {
    return best->run(rest);
  } catch (const std::exception& e) {
    std::cerr << "portvakt " << best->path << ": " << e.what() << "\n";
    return kExitRuntime;
  }
}

}  // namespace portvakt::cli
