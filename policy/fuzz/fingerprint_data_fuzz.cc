// libFuzzer target for the DHCP fingerprint data a policy names
// (`fingerprints:`, Fingerbank format): arbitrary bytes as that file, parsed
// by the compiler directly and through a bundle whose policy names it (what
// portvaktd compiles from a client's request). Every input must end with a
// table or diagnostics, never a crash; an input that fails must say why.
#include <cstdint>
#include <string>
#include <vector>

#include "policy/compiler/compiler.h"
#include "policy/compiler/fingerprint_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = size > 0 ? std::string(reinterpret_cast<const char*>(data), size) : std::string();
  portvakt::policy::Diagnostics diags;
  const auto table = portvakt::policy::parseFingerbankText(text, "fp.conf", diags);
  if (!table.empty() && diags.hasErrors()) __builtin_trap();  // on error nothing of the file is kept
  const std::vector<portvakt::policy::SourceText> bundle{
      {"site.yaml",
       "portvakt: 1\nname: fuzz\nfingerprints: [fp.conf]\nzones:\n  printers: {vlan: 40}\n"
       "  quarantine: {vlan: 999, quarantine: true}\nclasses:\n  printer:\n    zone: printers\n"
       "    match:\n      mdns: {services: [_ipp._tcp]}\n      dhcp: {fingerprint: [Printers]}\n"},
      {"fp.conf", text}};
  portvakt::policy::CompileResult result = portvakt::policy::compilePolicySources("site.yaml", bundle);
  if (!result.ok() && result.diagnostics.errorCount() == 0) __builtin_trap();
  return 0;
}
