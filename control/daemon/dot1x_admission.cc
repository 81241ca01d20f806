#include "control/daemon/dot1x_admission.h"

#include <poll.h>

#include <algorithm>
#include <ctime>
#include <iostream>
#include <set>
#include <sstream>

#include "control/daemon/dataplane_runner.h"
#include "control/link/link_watcher.h"
#include "control/metrics/metrics.h"
#include "control/store/store.h"
#include "dataplane/fingerprint/device_classifier.h"

namespace portvakt::control {

namespace {

// Why a minute: a supplicant with a bad certificate retries every few
// seconds; the service desk needs to hear once that it fails, not each try.
constexpr auto kFailureAlertHold = std::chrono::seconds(60);
constexpr size_t kMaxFailureEntries = 4096;
constexpr auto kRadiusWatchInterval = std::chrono::seconds(2);
constexpr auto kAgeingInterval = std::chrono::seconds(1);
constexpr int kHousekeepingTurnMs = 250;  // how soon a link event or a stop is taken
constexpr size_t kMaxAgedOut = 4096;
constexpr size_t kMaxSeenSessions =
    8192;  // the sessions kept for devices show and evidence       // stations remembered for NEW_STA after ageing

int64_t wallMs(dot1x::WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A time for the store's functions (its rows keep Unix ms).
store::TimeMs storeTime(dot1x::WallTime t) { return std::chrono::floor<std::chrono::milliseconds>(t); }

std::string timeOfDay(dot1x::WallTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%SZ", &tm);
  return buf;
}

// Whatever decides where a station on `port` is placed, as text: a push that
// changes it for a station ends that station's session (deauthentication),
// so the admission is decided again under the new policy.
std::string placement(const tables::CompiledPolicy& p, const std::string& port, const tables::MacAddress& mac) {
  std::ostringstream o;
  auto it = std::find_if(p.ports.begin(), p.ports.end(), [&](const tables::Port& x) { return x.interface == port; });
  if (it == p.ports.end()) return "no port";
  o << "auth " << tables::toString(it->authentication) << " default " << p.zoneName(it->defaultZone) << " zones";
  for (tables::ZoneId z : it->zones) o << ' ' << p.zoneName(z);
  const tables::InventoryDevice* inv = fingerprint::findInventory(p, mac);
  o << " asset " << (inv ? inv->assetId : "-");
  const tables::Pin* pin = fingerprint::findPin(p, mac);
  o << " pin " << (pin ? pin->deviceClass + "/" + (pin->zone == tables::kNoZone ? "-" : p.zoneName(pin->zone)) : "-");
  for (const tables::DeviceClass& c : p.classes) {
    if (c.dot1x) o << " class " << c.name << '/' << p.zoneName(c.zone) << '/' << c.priority;
  }
  o << " fallback " << (p.dot1x.unreachableZone == tables::kNoZone ? "-" : p.zoneName(p.dot1x.unreachableZone));
  return o.str();
}

bool holdsAStation(dot1x::SessionState s) {
  return s == dot1x::SessionState::kStarted || s == dot1x::SessionState::kAuthorised || s == dot1x::SessionState::kFailed;
}

std::string describe(const dot1x::Dot1xConfig& c) {
  std::ostringstream o;
  o << c.nasIdentifier << ' ' << c.ownIpAddress;
  for (const auto& s : c.servers) o << " server " << s.address << ':' << s.port;
  for (const auto& p : c.ports) o << " port " << p.interface << ' ' << p.reauthPeriod.count();
  return o.str();
}

}  // namespace

Dot1xAdmission::Dot1xAdmission(Dot1xOptions options, DataplaneRunner* dataplane, Metrics* metrics, Raise raise,
                               store::Store* store)
    : options_(std::move(options)), dataplane_(dataplane), metrics_(metrics), raise_(std::move(raise)), store_(store) {
  if (!store_) return;
  // The hostapds of a previous portvaktd died with it (PR_SET_PDEATHSIG):
  // its sessions ended then, whatever the table still says.
  if (auto closed = store_->endOpenDot1xSessions(storeTime(std::chrono::system_clock::now()), "portvaktd restarted");
      !closed) {
    std::cerr << "portvaktd: 802.1X audit: " << closed.error().message << "\n";
  }
}

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

void Dot1xAdmission::checkRadius(std::map<std::string, dot1x::RadiusCounters>& last) {
  bool answered = false, timedOut = false;
  std::vector<std::string> ports;
  for (const auto& p : supervisor_->ports()) ports.push_back(p.port);
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
  if (!changed) return;
  publish();
  if (nowUnreachable) {
    raise_(tables::EventType::kRadiusUnreachable, "", "",
           "no RADIUS server answers hostapd's requests (they time out); authorised sessions stay, devices that "
           "cannot authenticate go to the policy's radius_unreachable_zone");
  } else {
    std::cerr << "portvaktd: 802.1X: a RADIUS server answers again\n";
  }
}

void Dot1xAdmission::deauthenticate(const std::string& port, const tables::MacAddress& mac, const std::string& reason) {
  auto done = supervisor_->deauthenticate(port, mac, reason);
  std::cerr << "portvaktd: 802.1X " << port << " " << mac.toString() << " deauthenticated (" << reason << ")"
            << (done ? std::string() : ": " + done.error().message) << "\n";
}

// Stations the dataplane has not seen for stationAgeing go; one that was
// sent away for that and talks again is asked to authenticate.
void Dot1xAdmission::checkAgeing() {
  if (!dataplane_) return;
  std::map<tables::MacAddress, std::pair<std::string, int64_t>> seen;  // MAC -> (port, last seen ns)
  for (const DeviceSnapshot& d : dataplane_->devices()) seen[d.evidence.mac] = {d.port, d.lastSeenNs};
  const auto now = std::chrono::system_clock::now();
  const int64_t nowNs = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const int64_t ageingNs = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.stationAgeing).count();
  for (const dot1x::Session& s : supervisor_->sessions()) {
    const StationKey key{s.port, s.mac};
    auto device = seen.find(s.mac);
    const int64_t deviceNs = device != seen.end() && device->second.first == s.port ? device->second.second : 0;
    if (!holdsAStation(s.state)) {
      auto aged = agedOut_.find(key);
      const int64_t freedNs =
          aged == agedOut_.end()
              ? 0
              : aged->second + std::chrono::duration_cast<std::chrono::nanoseconds>(kReauthenticateAfterDeauth).count();
      if (aged != agedOut_.end() && s.state == dot1x::SessionState::kEnded && deviceNs > aged->second &&
          nowNs >= freedNs) {
        agedOut_.erase(aged);
        auto asked = supervisor_->startAuthentication(s.port, s.mac);
        std::cerr << "portvaktd: 802.1X " << s.port << " " << s.mac.toString()
                  << " talks again after ageing out: asked to authenticate (NEW_STA)"
                  << (asked ? std::string() : ": " + asked.error().message) << "\n";
      }
      continue;
    }
    auto nanos = [](dot1x::WallTime t) {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    };
    const int64_t lastActive = std::max({deviceNs, nanos(s.since), nanos(s.lastAuthenticated)});
    if (nowNs - lastActive <= ageingNs) continue;
    deauthenticate(s.port, s.mac, "MAC aged out");
    if (agedOut_.size() >= kMaxAgedOut) agedOut_.erase(agedOut_.begin());
    agedOut_[key] = nowNs;
  }
}

void Dot1xAdmission::housekeep(std::vector<std::string> ports) {
  std::unique_ptr<link::LinkWatcher> links;
  if (auto opened = link::LinkWatcher::open(ports)) {
    links = std::move(opened.value());
  } else {
    std::cerr << "portvaktd: 802.1X: link changes are not watched, stations are not deauthenticated on link down: "
              << opened.error().message << "\n";
  }
  std::map<std::string, dot1x::RadiusCounters> lastCounters;
  auto nextRadius = std::chrono::steady_clock::now() + kRadiusWatchInterval;
  auto nextAgeing = std::chrono::steady_clock::now() + kAgeingInterval;
  while (true) {
    if (links) {
      pollfd pfd{links->fd(), POLLIN, 0};
      (void)::poll(&pfd, 1, kHousekeepingTurnMs);  // only a wait: the links are read below either way
    }
    {
      std::unique_lock lock(watchMutex_);
      if (!links) watchWake_.wait_for(lock, std::chrono::milliseconds(kHousekeepingTurnMs), [&] { return watchStop_; });
      if (watchStop_) return;
    }
    if (links) {
      std::vector<link::LinkEvent> changes;
      if (links->poll(changes)) {
        for (const link::LinkEvent& e : changes) {
          if (e.kind == link::LinkEvent::Kind::kUp) continue;
          for (const dot1x::Session& s : supervisor_->sessions()) {
            if (s.port == e.name && holdsAStation(s.state)) deauthenticate(s.port, s.mac, "link down");
          }
          std::erase_if(agedOut_, [&](const auto& a) { return a.first.first == e.name; });
          std::erase_if(reauthenticateAt_, [&](const auto& a) { return a.first.first == e.name; });
        }
      }
    }
    std::vector<Deauth> queued;
    {
      std::lock_guard lock(mutex_);
      queued.swap(pendingDeauth_);
    }
    const auto now = std::chrono::steady_clock::now();
    for (const Deauth& d : queued) {
      deauthenticate(d.port, d.mac, d.reason);
      if (d.reauthenticate) reauthenticateAt_[{d.port, d.mac}] = now + kReauthenticateAfterDeauth;
    }
    for (auto it = reauthenticateAt_.begin(); it != reauthenticateAt_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      auto asked = supervisor_->startAuthentication(it->first.first, it->first.second);
      std::cerr << "portvaktd: 802.1X " << it->first.first << " " << it->first.second.toString()
                << " asked to authenticate again (NEW_STA)" << (asked ? std::string() : ": " + asked.error().message)
                << "\n";
      it = reauthenticateAt_.erase(it);
    }
    if (now >= nextAgeing) {
      checkAgeing();
      nextAgeing = now + kAgeingInterval;
    }
    if (now >= nextRadius) {
      checkRadius(lastCounters);
      nextRadius = now + kRadiusWatchInterval;
    }
  }
}

void Dot1xAdmission::stop() { stopSupervisor("portvaktd stopped"); }

void Dot1xAdmission::stopSupervisor(const std::string& reason) {
  stopWatch();
  supervisor_.reset();  // its hostapds are gone: every session ended now
  runningConfig_.clear();
  reauthenticateAt_.clear();
  agedOut_.clear();
  std::vector<StationKey> ended;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, identity] : authorised_) ended.push_back(key);
    authorised_.clear();
    radiusUnreachable_ = false;
    pendingDeauth_.clear();
    const auto now = std::chrono::system_clock::now();
    for (auto& [key, session] : seen_) {
      if (!holdsAStation(session.state)) continue;
      session.state = dot1x::SessionState::kEnded;
      session.since = now;
      session.endReason = reason;
      lastEnded_[key] = session;
    }
  }
  for (const StationKey& key : ended) {
    std::cerr << "portvaktd: 802.1X " << key.first << " " << key.second.toString() << " ended (" << reason << ")\n";
    if (store_) {
      if (auto done = store_->endDot1xSession(key.first, key.second.toString(),
                                              storeTime(std::chrono::system_clock::now()), reason);
          !done && done.error().code != store::ErrorCode::kNotFound) {
        std::cerr << "portvaktd: 802.1X audit: " << done.error().message << "\n";
      }
    }
  }
  publish();
}

std::string Dot1xAdmission::apply(const tables::CompiledPolicyPtr& policy) {
  tables::CompiledPolicyPtr previous;
  {
    std::lock_guard lock(mutex_);
    previous = std::exchange(policy_, policy);
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
    if (supervisor_) stopSupervisor("policy change: no 802.1X ports");
    return "";
  }
  std::string secret;
  if (options_.secretFile.empty()) {
    stopSupervisor("802.1X stopped");
    return "the policy asks for 802.1X on " + std::to_string(config.ports.size()) +
           " ports but portvaktd has no --dot1x-secret-file: those ports admit nobody to the zones 802.1X guards";
  }
  auto loaded = dot1x::loadSharedSecret(options_.secretFile);
  if (!loaded) {
    stopSupervisor("802.1X stopped");
    return "802.1X is not running: " + loaded.error().message;
  }
  for (const auto& s : policy->dot1x.radiusServers) config.servers.push_back({s.address, s.port, *loaded});
  const std::string text = describe(config);
  if (supervisor_ && text == runningConfig_) {
    publish();  // port indices may have moved with the new policy
    if (previous && previous != policy) {
      // Same hostapds, new policy: a station whose placement the push
      // changed starts again, so its admission is decided afresh.
      std::vector<Deauth> changed;
      for (const dot1x::Session& s : supervisor_->sessions()) {
        if (!holdsAStation(s.state)) continue;
        if (placement(*previous, s.port, s.mac) != placement(*policy, s.port, s.mac)) {
          changed.push_back({s.port, s.mac, "policy change", true});
        }
      }
      if (!changed.empty()) {
        std::lock_guard lock(mutex_);
        pendingDeauth_.insert(pendingDeauth_.end(), changed.begin(), changed.end());
      }
    }
    return "";
  }
  stopSupervisor(supervisor_ ? "policy change: 802.1X configuration" : "802.1X restarted");
  dot1x::SupervisorOptions so;
  so.hostapdBinary = options_.hostapdBinary;
  auto started = dot1x::HostapdSupervisor::start(config, so, [this](const dot1x::SupervisorNotice& n) { onNotice(n); });
  if (!started) return "802.1X is not running: " + started.error().message;
  supervisor_ = std::move(started.value());
  runningConfig_ = text;
  std::vector<std::string> ports;
  for (const auto& p : config.ports) ports.push_back(p.interface);
  watch_ = std::thread([this, ports] { housekeep(ports); });
  return "";
}

std::vector<dot1x::Session> Dot1xAdmission::sessions() const {
  std::lock_guard lock(mutex_);
  std::vector<dot1x::Session> all;
  all.reserve(seen_.size());
  for (const auto& [key, session] : seen_) all.push_back(session);
  return all;
}

std::string Dot1xAdmission::describeMac(const tables::MacAddress& mac) const {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& [key, s] : seen_) {
    if (key.second != mac) continue;
    if (!out.empty()) out += "; ";
    out += s.port + " " + dot1x::toString(s.state);
    // A started session's identity is the previous one's until STA says otherwise.
    const bool showIdentity = !s.identity.empty() && s.state != dot1x::SessionState::kStarted;
    if (s.state == dot1x::SessionState::kEnded) {
      out += " (" + s.endReason + ") at " + timeOfDay(s.since);
      if (showIdentity) out += " as " + s.identity;
    } else {
      if (showIdentity) out += " as " + s.identity;
      out += " since " + timeOfDay(s.since);
      // How the session before it ended (a logoff, a link down): the evidence
      // that the MAC talks on after its authenticated session was over.
      if (auto last = lastEnded_.find(key); last != lastEnded_.end() && last->second.since <= s.since) {
        out += ", after a session" + (last->second.identity.empty() ? "" : " as " + last->second.identity) + " ended (" +
               last->second.endReason + ") at " + timeOfDay(last->second.since);
      }
    }
    if (s.failures > 0) out += ", " + std::to_string(s.failures) + " failures";
  }
  return out.empty() ? "no 802.1X session" : out;
}

std::string Dot1xAdmission::annotate(tables::EventType event, const std::string& mac, const std::string& detail) const {
  using tables::EventType;
  if (event != EventType::kMacSpoofSuspect && event != EventType::kMacFlapping && event != EventType::kDeviceMoved &&
      event != EventType::kDot1xFailure) {
    return detail;
  }
  auto parsed = tables::MacAddress::parse(mac);
  if (!parsed) return detail;
  return detail + (detail.empty() ? "" : "; ") + "802.1X: " + describeMac(*parsed);
}

void Dot1xAdmission::record(const dot1x::Session& s, dot1x::SessionState previous, bool identityChanged) {
  if (!store_) return;
  const std::string mac = s.mac.toString();
  store::Status done;
  if (s.state == dot1x::SessionState::kAuthorised && (previous != dot1x::SessionState::kAuthorised || identityChanged)) {
    const int64_t at = wallMs(s.lastAuthenticated.time_since_epoch().count() ? s.lastAuthenticated : s.since);
    done = store_->openDot1xSession({0, s.port, mac, s.identity, at, at, 0, ""});
  } else if (s.state == dot1x::SessionState::kAuthorised) {
    done = store_->touchDot1xSession(s.port, mac, storeTime(s.lastAuthenticated));
  } else if (previous == dot1x::SessionState::kAuthorised) {
    const std::string reason = s.state == dot1x::SessionState::kFailed ? "re-authentication refused" : s.endReason;
    done = store_->endDot1xSession(s.port, mac, storeTime(s.since), reason.empty() ? "ended" : reason);
  } else {
    return;
  }
  if (!done && done.error().code != store::ErrorCode::kNotFound) {
    std::cerr << "portvaktd: 802.1X audit: " << done.error().message << "\n";
  }
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
  bool identityChanged = false;
  {
    std::lock_guard lock(mutex_);
    const auto key = std::make_pair(s.port, s.mac);
    if (seen_.size() >= kMaxSeenSessions && !seen_.count(key)) {
      // Bounded like the supervisor's table: the oldest entry without a station goes.
      auto oldest = seen_.end();
      for (auto it = seen_.begin(); it != seen_.end(); ++it) {
        if (!holdsAStation(it->second.state) && (oldest == seen_.end() || it->second.since < oldest->second.since)) {
          oldest = it;
        }
      }
      auto gone = oldest != seen_.end() ? oldest : seen_.begin();
      lastEnded_.erase(gone->first);
      seen_.erase(gone);
    }
    seen_[key] = s;
    if (s.state == dot1x::SessionState::kEnded) lastEnded_[key] = s;
    if (s.state == dot1x::SessionState::kAuthorised) {
      auto [it, inserted] = authorised_.try_emplace(key, s.identity);
      changed = inserted || it->second != s.identity;
      identityChanged = !inserted && it->second != s.identity;
      it->second = s.identity;
      const tables::InventoryDevice* inv = policy_ ? fingerprint::findInventory(*policy_, s.mac) : nullptr;
      if (changed && (!inv || inv->assetId != s.identity)) {
        mismatch = "802.1X identity \"" + s.identity + "\" on " + s.port + " is " +
                   (inv ? "not the inventory asset of this MAC (" + inv->assetId + ")"
                        : "on a MAC the inventory does not list") +
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
  record(s, n.change.previous, identityChanged);
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
