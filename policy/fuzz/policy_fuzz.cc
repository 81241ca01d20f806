// libFuzzer target for the policy front end: arbitrary bytes as a policy file,
// and the same bytes as the site file of a bundle (what portvaktd compiles
// from a client's request, without the disk). The compiler must end every
// input with diagnostics or a policy, never crash, and stay within its limits
// (size, depth, node budget).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "policy/compiler/compiler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The compiler reads files (it resolves `extends:` and CSV paths relative to
  // them), so the input goes through a private temporary file.
  static const std::string path = "/tmp/portvakt-policy-fuzz-" + std::to_string(::getpid()) + ".yaml";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  if (size > 0) std::fwrite(data, 1, size, f);  // data may be null for an empty input
  std::fclose(f);
  portvakt::policy::CompileResult result = portvakt::policy::compilePolicyFile(path);
  if (!result.ok() && result.diagnostics.errorCount() == 0) __builtin_trap();  // invalid must say why
  std::remove(path.c_str());
  const std::vector<portvakt::policy::SourceText> bundle{
      {"site.yaml", size > 0 ? std::string(reinterpret_cast<const char*>(data), size) : std::string()}};
  portvakt::policy::CompileResult fromBundle = portvakt::policy::compilePolicySources("site.yaml", bundle);
  if (!fromBundle.ok() && fromBundle.diagnostics.errorCount() == 0) __builtin_trap();
  return 0;
}
