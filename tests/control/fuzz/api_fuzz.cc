// libFuzzer target for the management API: arbitrary bytes as one request to
// ApiHandler::handle, as the Unix socket hands it over (any local user may
// connect). The daemon runs a real policy (the Karlstad example) without a
// dataplane or store; the first byte chooses the caller (root, or a user
// outside the admin group), so both the refusals and the changing commands
// (push, rollback, forget, ack) are reached. Every answer must be one JSON
// object with a boolean "ok"; anything thrown is a crash.
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "control/daemon/api_handler.h"
#include "control/daemon/policy_manager.h"
#include "policy/compiler/compiler.h"

namespace {

portvakt::control::PolicyManager& manager() {
  static auto* policies = [] {
    auto* p = new portvakt::control::PolicyManager();
    portvakt::policy::BundleRead read =
        portvakt::policy::readPolicyBundle(PORTVAKT_SOURCE_DIR "/examples/vardcentral-karlstad.yaml");
    if (!read.bundle || !p->push(*read.bundle, 0, "", portvakt::control::fromUnixSeconds(1'700'000'000)))
      __builtin_trap();
    return p;
  }();
  return *policies;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static portvakt::control::ApiHandler handler(manager(), "portvakt-admin",
                                               portvakt::control::fromUnixSeconds(1'700'000'000));
  portvakt::api::Caller caller;
  if (size > 0 && (data[0] & 1)) caller.uid = caller.gid = 4242;  // not root, not in the group
  const std::string request(reinterpret_cast<const char*>(data), size);
  const std::string answer = handler.handle(request, caller, portvakt::control::fromUnixSeconds(1'700'000'100));
  const nlohmann::json parsed = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object() || !parsed.contains("ok") || !parsed["ok"].is_boolean()) __builtin_trap();
  (void)handler.takeRejections();
  return 0;
}
