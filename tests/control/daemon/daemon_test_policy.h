#pragma once
// A small site policy for the daemon's own tests: an uplink, two wall jacks,
// one flow, a JSON-lines sink in the test's directory, and the parts the
// alert feed is built from (sinks, routes, maintenance) with a knob each, so
// a test can change one and keep the rest.

#include <gtest/gtest.h>

#include <string>

#include "policy/compiler/compiler.h"

namespace portvakt::testing {

struct DaemonTestPolicy {
  std::string sinkPath;  // where the jsonl sink writes
  std::string flowProto = "icmp";
  std::string routedEvent = "device_new";
  std::string maintenanceFrom = "21:00";

  std::string text() const {
    return "portvakt: 1\n"
           "name: daemon-test\n"
           "mode: enforce\n"
           "zones:\n"
           "  region: {vlan: 10, purpose: \"nothing is admitted here in this test\"}\n"
           "  quarantine: {vlan: 999, quarantine: true, purpose: \"unknown devices reach nothing\"}\n"
           "destinations:\n"
           "  rdnet: {prefixes: [10.0.0.0/8]}\n"
           "ports:\n"
           "  - {name: rdnet-uplink, interfaces: eth0, role: uplink, zones: [region]}\n"
           "  - {name: wall-jacks, interfaces: \"eth[1-2]\", role: access, zones: [region, quarantine], "
           "default_zone: quarantine}\n"
           "flows:\n"
           "  - {name: region-traffic, from: region, to: rdnet, proto: " +
           flowProto +
           "}\n"
           "sinks:\n"
           "  log: {type: jsonl, path: \"" +
           sinkPath +
           "\"}\n"
           "alerts:\n"
           "  - {event: " +
           routedEvent +
           ", severity: info, sinks: [log]}\n"
           "maintenance:\n"
           "  - name: service-window\n"
           "    days: [tue]\n"
           "    from: \"" +
           maintenanceFrom +
           "\"\n"
           "    to: \"23:00\"\n";
  }

  tables::CompiledPolicyPtr compile() const {
    policy::CompileResult compiled = policy::compilePolicySources("daemon-test.yaml", {{"daemon-test.yaml", text()}});
    EXPECT_TRUE(compiled.ok()) << compiled.diagnostics.format();
    return compiled.policy;
  }
};

}  // namespace portvakt::testing
