#pragma once
// The management API's request handler: one JSON request in, one JSON response
// out (docs/operations.md lists every command). Requests look like
// {"api":1,"command":"status"}; "policy.plan" {bundle}, "policy.push" {bundle,
// plan_id?}, "policy.rollback" {version?}, "policy.history", "devices" {evidence?},
// "devices.show" {mac}, "devices.forget" {mac}, "alerts" {limit?, unacked?},
// "alerts.ack" {id}, "ports". Responses always carry "ok"; failures carry
// "error" and change nothing. Over the Unix socket, mutating commands need
// uid 0 or membership in the configured group (default "portvakt"); the
// caller's uid comes from SO_PEERCRED and goes into the policy history and the
// alert's ack. Over HTTPS the caller's role decides (roleAllows) and its
// certificate subject goes there instead.
//
// A bundle is {"site": NAME, "files": [{"path": NAME, "text": TEXT}, ...]}:
// the client read the files with its own rights and sends their texts. The
// daemon, running as root, never opens a path a client names (a "path" field
// is refused), compiles the bundle without touching the disk, and answers
// with diagnostics that quote at most the offending line of a file. Every
// field is type-checked: a wrong type is an error naming the field, never a
// silent default.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/api/unix_socket.h"
#include "control/daemon/dataplane_runner.h"
#include "control/daemon/policy_manager.h"
#include "control/metrics/metrics.h"

namespace portvakt::store {
class Store;
}

namespace portvakt::control {

class Dot1xAdmission;

class ApiHandler {
 public:
  // `dataplane` is null when the daemon does not forward, `store` when it
  // keeps no database (tests); the commands that need them say so.
  ApiHandler(PolicyManager& policies, std::string adminGroup, WallTime startedAt, Metrics* metrics = nullptr,
             DataplaneRunner* dataplane = nullptr, store::Store* store = nullptr)
      : policies_(policies),
        adminGroup_(std::move(adminGroup)),
        startedAt_(startedAt),
        metrics_(metrics),
        dataplane_(dataplane),
        store_(store) {}

  // 802.1X sessions for `devices show` (null: none). Call it under the same
  // lock as handle(): the HTTPS workers may already be serving.
  void setDot1x(const Dot1xAdmission* dot1x) { dot1x_ = dot1x; }

  // Whether a remote caller with `role` may use `command`: monitor reads the
  // status; servicedesk also the policy history, devices, alerts and ports,
  // and acks alerts; engineer may use every command.
  static bool roleAllows(const std::string& role, const std::string& command);

  std::string handle(const std::string& request, const api::Caller& caller, WallTime now);
  // Pushes and rollbacks refused since the last call, one line each (who and
  // why): the daemon raises policy_rejected for them.
  std::vector<std::string> takeRejections() { return std::exchange(rejections_, {}); }

 private:
  bool mayChange(const api::Caller& caller) const;
  nlohmann::json status(WallTime now) const;
  nlohmann::json plan(const nlohmann::json& req, const std::string& command) const;
  nlohmann::json changePolicy(const std::string& command, const nlohmann::json& req, const api::Caller& caller,
                              WallTime now);
  // With evidence: each device also carries its evidence and explanation, as
  // devices.show gives them (the status page's devices by zone).
  nlohmann::json devices(bool withEvidence) const;
  nlohmann::json showDevice(const std::string& mac) const;
  void addDot1x(const tables::MacAddress& mac, nlohmann::json& device) const;
  nlohmann::json forgetDevice(const std::string& mac);
  nlohmann::json alerts(const nlohmann::json& req) const;
  nlohmann::json ackAlert(const std::string& id, const api::Caller& caller, WallTime now);
  nlohmann::json ports() const;

  PolicyManager& policies_;
  std::string adminGroup_;
  WallTime startedAt_;
  Metrics* metrics_;
  DataplaneRunner* dataplane_;
  store::Store* store_;
  const Dot1xAdmission* dot1x_ = nullptr;
  std::vector<std::string> rejections_;
};

}  // namespace portvakt::control
