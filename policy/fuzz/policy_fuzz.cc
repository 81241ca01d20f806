// libFuzzer target for the policy front end: arbitrary bytes as a policy file.
// The compiler must end every input with diagnostics or a policy, never crash,
// and stay within its limits (size, depth, node budget).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

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
  return 0;
}
