// portvakt policy test FILE...: runs the expected outcomes written in each
// policy through the same code the dataplane runs: device traits through the
// device classifier, flows through the compiled flow classifier. Exit 1 when a
// case fails (or the policy is invalid), so engineers can run it in their CI.
#include <iostream>

#include "control/cli/cli_options.h"
#include "control/cli/commands.h"
#include "dataplane/classify/policy_rules.h"
#include "dataplane/fingerprint/device_classifier.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {
namespace {

using tables::ExpectedOutcome;

uint8_t ipProtocol(tables::Protocol p) {
  switch (p) {
    case tables::Protocol::kTcp: return 6;
    case tables::Protocol::kUdp: return 17;
    case tables::Protocol::kIcmp: return 1;
    case tables::Protocol::kIcmpv6: return 58;
    case tables::Protocol::kAny: return 6;  // any protocol: a TCP packet stands for it
  }
  return 6;
}

std::pair<bool, std::string> runFlowTest(const tables::CompiledPolicy& policy, const classify::PolicyClassifier& flows,
                                         const ExpectedOutcome& t) {
  classify::FlowQuery q;
  q.srcZone = t.from;
  if (t.toAddress) {
    q.v6 = t.toAddress->v6;
    q.dst = t.toAddress->addr;
    q.dstZone = policy.zoneContaining(t.toAddress->v6, t.toAddress->addr.data());
  } else {
    q.dstZone = t.toZone;
  }
  q.ipProto = ipProtocol(t.protocol);
  q.dstPort = t.port;
  classify::PolicyVerdict v = flows.verdict(q);
  bool passed = v.action == t.expectAction;
  std::string rule = v.ruleIndex == classify::kDefaultDeny
                         ? "default deny"
                         : "flow '" + policy.flows[static_cast<size_t>(v.ruleIndex)].name + "'";
  return {passed, std::string("expected ") + tables::toString(t.expectAction) + ", got " + tables::toString(v.action) +
                      " by " + rule + (v.mode == tables::Mode::kMonitor ? " (monitor mode)" : "") + "; " + q.toString()};
}

}  // namespace

int cmdPolicyTest(const std::vector<std::string>& args) {
  po::options_description options("policy test options");
  options.add_options()("file", po::value<std::vector<std::string>>()->required(), "policy files with tests")(
      "verbose,v", "explain passing cases too");
  po::positional_options_description positional;
  positional.add("file", -1);
  po::variables_map vm;
  if (auto exit = parseOptions(args, "portvakt policy test FILE... [-v]", options, positional, vm)) return *exit;
  int passed = 0, failed = 0;
  bool invalid = false;
  for (const std::string& file : vm["file"].as<std::vector<std::string>>()) {
    policy::CompileResult compiled = policy::compilePolicyFile(file);
    if (!compiled.ok()) {
      std::cerr << compiled.diagnostics.format();
      invalid = true;
      continue;
    }
    const tables::CompiledPolicy& p = *compiled.policy;
    auto flows = classify::PolicyClassifier::build(p);
    if (!flows) {
      std::cerr << file << ": cannot build the flow classifier: " << flows.error().message << "\n";
      invalid = true;
      continue;
    }
    const tables::ZoneId defaultZone = fingerprint::commonAccessDefaultZone(p);
    for (const ExpectedOutcome& t : p.control.tests) {
      bool ok;
      std::string message;
      if (t.kind == ExpectedOutcome::Kind::kDevice) {
        fingerprint::DeviceTestResult r = fingerprint::runDeviceTest(p, t, defaultZone);
        ok = r.passed;
        message = r.message;
      } else {
        std::tie(ok, message) = runFlowTest(p, **flows, t);
      }
      (ok ? passed : failed) += 1;
      if (!ok || vm.count("verbose")) {
        std::cout << (ok ? "PASS  " : "FAIL  ") << file << ": " << t.name << "\n      " << message << "\n";
      } else {
        std::cout << "PASS  " << file << ": " << t.name << "\n";
      }
    }
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  if (invalid) return kExitInvalid;
  return failed > 0 ? kExitInvalid : kExitOk;
}

}  // namespace portvakt::cli
