#pragma once
// The management API's request handler: one JSON request in, one JSON response
// out. Requests: {"api":1,"command":"status"}, "policy.plan" {path},
// "policy.push" {path, plan_id?}, "policy.rollback" {version?},
// "policy.history". Responses always carry "ok"; failures carry "error" and
// change nothing. Mutating commands need uid 0 or membership in the
// configured group (default "portvakt"); the caller's uid comes from
// SO_PEERCRED and goes into the policy history.

#include <cstdint>
#include <string>

#include "control/api/unix_socket.h"
#include "control/daemon/dataplane_runner.h"
#include "control/daemon/policy_manager.h"
#include "control/metrics/metrics.h"

namespace portvakt::control {

class ApiHandler {
 public:
  ApiHandler(PolicyManager& policies, std::string adminGroup, int64_t startedAt, Metrics* metrics = nullptr,
             const DataplaneRunner* dataplane = nullptr)
      : policies_(policies), adminGroup_(std::move(adminGroup)), startedAt_(startedAt), metrics_(metrics),
        dataplane_(dataplane) {}

  std::string handle(const std::string& request, const api::Caller& caller, int64_t now);

 private:
  bool mayChange(const api::Caller& caller) const;

  PolicyManager& policies_;
  std::string adminGroup_;
  int64_t startedAt_;
  Metrics* metrics_;
  const DataplaneRunner* dataplane_;  // null when the daemon does not forward
};

}  // namespace portvakt::control
