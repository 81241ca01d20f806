// libFuzzer target for the eKlient inventory CSV (exported from the region's
// asset register, not written by the project): arbitrary bytes as the CSV of
// a small site policy, compiled from a bundle as portvaktd does for a push.
// Every input ends in a policy or in diagnostics with at least one error.
#include <cstdint>
#include <string>
#include <vector>

#include "policy/compiler/compiler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string kSite =
      "portvakt: 1\n"
      "name: inventory-fuzz\n"
      "mode: enforce\n"
      "zones:\n"
      "  eklient: {vlan: 10, purpose: \"region PCs\"}\n"
      "  quarantine: {vlan: 999, quarantine: true, purpose: \"unknown devices\"}\n"
      "ports:\n"
      "  - {name: jack, interfaces: eth0, role: access, zones: [eklient, quarantine], default_zone: quarantine}\n"
      "  - {name: up, interfaces: eth1, role: uplink, zones: [eklient]}\n"
      "inventory:\n"
      "  csv: inventory.csv\n";
  const std::vector<portvakt::policy::SourceText> bundle{
      {"site.yaml", kSite},
      {"inventory.csv", size > 0 ? std::string(reinterpret_cast<const char*>(data), size) : std::string()}};
  portvakt::policy::CompileResult result = portvakt::policy::compilePolicySources("site.yaml", bundle);
  if (!result.ok() && result.diagnostics.errorCount() == 0) __builtin_trap();  // invalid must say why
  return 0;
}
