#include "control/daemon/dot1x_admission.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "control/daemon/dataplane_runner.h"
#include "control/metrics/metrics.h"
#include "dataplane/fingerprint/device_classifier.h"

namespace portvakt::control {

namespace {

// Why a minute: a supplicant with a bad certificate retries every few
// seconds; the service desk needs to hear once that it fails, not each try.
constexpr auto kFailureAlertHold = std::chrono::seconds(60);
constexpr size_t kMaxFailureEntries = 4096;
constexpr auto kRadiusWatchInterval = std::chrono::seconds(2);

std::string describe(const dot1x::Dot1xConfig& c) {
  std::ostringstream o;
  o << c.nasIdentifier << ' ' << c.ownIpAddress;
  for (const auto& s : c.servers) o << " server " << s.address << ':' << s.port;
  for (const auto& p : c.ports) o << " port " << p.interface << ' ' << p.reauthPeriod.count();
  return o.str();
}

}  // namespace

Dot1xAdmission::Dot1xAdmission(Dot1xOptions options, DataplaneRunner* dataplane, Metrics* metrics, Raise raise)
    : options_(std::move(options)), dataplane_(dataplane), metrics_(metrics), raise_(std::move(raise)) {}

void Dot1xAdmission::updateMetrics() const {
  if (!metrics_ || !supervisor_) return;
  std::map<std::string, int64_t> byState;
  for (const dot1x::Session& s : supervisor_->sessions()) ++byState[dot1x::toString(s.state)];
  metrics_->setDot1xSessions(byState);
}

Dot1xAdmission::~Dot1xAdmission() { stop(); }

void Dot1xAdmission::stopWatch() {
  {
    std::lock_guard lock(watchMutex_);
    watchStop_ = true;
  }
  watchWake_.notify_all();
  if (watch_.joinable()) watch_.join();
  std::lock_guard lock(watchMutex_);
  watchStop_ = false;
}

void Dot1xAdmission::watchRadius(std::vector<std::string> ports) {
  std::map<std::string, dot1x::RadiusCounters> last;
  while (true) {
    {
      std::unique_lock lock(watchMutex_);
      if (watchWake_.wait_for(lock, kRadiusWatchInterval, [&] { return watchStop_; })) return;
    }
    bool answered = false, timedOut = false;
    for (const std::string& port : ports) {
      auto counters = supervisor_->radiusCounters(port);
      if (!counters) continue;  // hostapd restarting: its counters start again
      auto it = last.find(port);
      if (it != last.end() && counters->responses >= it->second.responses && counters->timeouts >= it->second.timeouts) {
        answered |= counters->responses > it->second.responses;
        timedOut |= counters->timeouts > it->second.timeouts;
      }
      last[port] = *counters;
    }
    bool changed = false, nowUnreachable = false;
    {
      std::lock_guard lock(mutex_);
      if (answered && radiusUnreachable_) changed = true, radiusUnreachable_ = false;
      else if (!answered && timedOut && !radiusUnreachable_) changed = true, radiusUnreachable_ = true;
      nowUnreachable = radiusUnreachable_;
    }
    if (!changed) continue;
    publish();
    if (nowUnreachable) {
      raise_(tables::EventType::kRadiusUnreachable, "", "",
             "no RADIUS server answers hostapd's requests (they time out); authorised sessions stay, devices that "
             "cannot authenticate go to the policy's radius_unreachable_zone");
    } else {
      std::cerr << "portvaktd: 802.1X: a RADIUS server answers again\n";
    }
  }
}

void Dot1xAdmission::stop() {
  stopWatch();
  supervisor_.reset();
  runningConfig_.clear();
  {
    std::lock_guard lock(mutex_);
    authorised_.clear();
    radiusUnreachable_ = false;
  }
  publish();
}

std::string Dot1xAdmission::apply(const tables::CompiledPolicyPtr& policy) {
  {
    std::lock_guard lock(mutex_);
    policy_ = policy;
  }
  dot1x::Dot1xConfig config;
  config.runtimeDir = options_.runtimeDir;
  config.nasIdentifier = policy->dot1x.nasIdentifier;
  config.ownIpAddress = options_.ownIpAddress;
  for (const tables::Port& p : policy->ports) {
    if (p.authentication == tables::Authentication::kNone) continue;
    config.ports.push_back({p.interface, std::chrono::seconds(p.reauthPeriodSeconds)});
  }
  if (config.ports.empty()) {
    if (supervisor_) stop();
    return "";
  }
  std::string secret;
  if (options_.secretFile.empty()) {
    stop();
    return "the policy asks for 802.1X on " + std::to_string(config.ports.size()) +
           " ports but portvaktd has no --dot1x-secret-file: those ports admit nobody to the zones 802.1X guards";
  }
  auto loaded = dot1x::loadSharedSecret(options_.secretFile);
  if (!loaded) {
    stop();
    return "802.1X is not running: " + loaded.error().message;
  }
  for (const auto& s : policy->dot1x.radiusServers) config.servers.push_back({s.address, s.port, *loaded});
  const std::string text = describe(config);
  if (supervisor_ && text == runningConfig_) {
    publish();  // port indices may have moved with the new policy
    return "";
  }
  stop();
  dot1x::SupervisorOptions so;
  so.hostapdBinary = options_.hostapdBinary;
  auto started = dot1x::HostapdSupervisor::start(config, so, [this](const dot1x::SupervisorNotice& n) { onNotice(n); });
  if (!started) return "802.1X is not running: " + started.error().message;
  supervisor_ = std::move(started.value());
  runningConfig_ = text;
  std::vector<std::string> ports;
  for (const auto& p : config.ports) ports.push_back(p.interface);
  watch_ = std::thread([this, ports] { watchRadius(ports); });
  return "";
}

std::vector<dot1x::Session> Dot1xAdmission::sessions() const {
  return supervisor_ ? supervisor_->sessions() : std::vector<dot1x::Session>{};
}

void Dot1xAdmission::onNotice(const dot1x::SupervisorNotice& n) {
  using Kind = dot1x::SupervisorNotice::Kind;
  if (n.kind == Kind::kProblem || n.kind == Kind::kHostapdExited || n.kind == Kind::kHostapdStarted) {
    std::cerr << "portvaktd: 802.1X " << n.port << ": " << dot1x::toString(n.kind)
              << (n.message.empty() ? "" : ": " + n.message) << "\n";
    return;
  }
  if (n.kind != Kind::kSessionChanged) return;
  const dot1x::Session& s = n.change.session;
  const std::string mac = s.mac.toString();
  bool changed = false;
  std::string mismatch;
  bool failureAlert = false;
  {
    std::lock_guard lock(mutex_);
    const auto key = std::make_pair(s.port, s.mac);
    if (s.state == dot1x::SessionState::kAuthorised) {
      auto [it, inserted] = authorised_.try_emplace(key, s.identity);
      changed = inserted || it->second != s.identity;
      it->second = s.identity;
      const tables::InventoryDevice* inv = policy_ ? fingerprint::findInventory(*policy_, s.mac) : nullptr;
      if (changed && (!inv || inv->assetId != s.identity)) {
        mismatch = "802.1X identity \"" + s.identity + "\" on " + s.port + " is " +
                   (inv ? "not the inventory asset of this MAC (" + inv->assetId + ")" : "on a MAC the inventory does not list") +
                   "; not admitted by 802.1X";
      }
    } else {
      changed = authorised_.erase(key) > 0;
    }
    if (s.state == dot1x::SessionState::kFailed && metrics_) metrics_->addDot1xFailures(1);
    if (s.state == dot1x::SessionState::kFailed) {
      const auto now = std::chrono::steady_clock::now();
      auto it = lastFailureAlert_.find(s.mac);
      if (it == lastFailureAlert_.end() || now - it->second >= kFailureAlertHold) {
        if (lastFailureAlert_.size() >= kMaxFailureEntries) lastFailureAlert_.clear();
        lastFailureAlert_[s.mac] = now;
        failureAlert = true;
      }
    }
  }
  if (changed) {
    // The audit trail of admissions: one line per authorisation and per end.
    std::cerr << "portvaktd: 802.1X " << s.port << " " << mac << " " << dot1x::toString(s.state)
              << (s.identity.empty() ? "" : " identity " + s.identity)
              << (s.endReason.empty() ? "" : " (" + s.endReason + ")") << "\n";
    publish();
  }
  if (!mismatch.empty()) raise_(tables::EventType::kDot1xIdentityMismatch, s.port, mac, mismatch);
  if (failureAlert) {
    raise_(tables::EventType::kDot1xFailure, s.port, mac,
           "EAP failure" + (s.identity.empty() ? std::string() : " for identity \"" + s.identity + "\"") + " (" +
               std::to_string(s.failures) + " so far); the RADIUS server's log says why");
  }
}

void Dot1xAdmission::publish() {
  if (!dataplane_) return;
  auto snapshot = std::make_shared<fingerprint::Dot1xSnapshot>();
  // Built and handed over under the lock: two threads publishing at once
  // (the supervisor's, the RADIUS watch) cannot leave the older one in place.
  std::lock_guard lock(mutex_);
  snapshot->radiusUnreachable = radiusUnreachable_;
  if (policy_) {
    for (const auto& [key, identity] : authorised_) {
      for (size_t i = 0; i < policy_->ports.size(); ++i) {
        if (policy_->ports[i].interface == key.first) {
          snapshot->sessions.push_back({key.second, static_cast<uint16_t>(i), identity});
          break;
        }
      }
    }
  }
  std::sort(snapshot->sessions.begin(), snapshot->sessions.end(),
            [](const fingerprint::Dot1xAuthorisation& a, const fingerprint::Dot1xAuthorisation& b) {
              return std::tie(a.mac, a.port) < std::tie(b.mac, b.port);
            });
  dataplane_->setDot1x(std::move(snapshot));
}

}  // namespace portvakt::control
