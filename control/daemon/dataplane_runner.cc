#include "control/daemon/dataplane_runner.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "control/daemon/thread_priority.h"
#include "control/link/link_manager.h"
#include "policy/tables/wall_clock.h"

namespace portvakt::control {

struct DataplaneRunner::Plane {
  std::unique_ptr<link::LinkWatcher> links;  // link up/down of the policy's ports (libnl)
  std::vector<std::unique_ptr<io::LivePort>> receivers;
  std::vector<std::unique_ptr<io::PacketSocketSink>> senders;
  std::unique_ptr<engine::PolicyDecider> decider;
  std::unique_ptr<forward::VlanSwitch> vlanSwitch;
  std::unique_ptr<engine::SwitchDropEvents> drops;  // VLAN hopping and MAC-limit drops as events
  std::unique_ptr<forward::ForwardLoop> loop;
  // This switch's drop counters as last added to the metrics (a new plane starts at 0).
  std::array<uint64_t, forward::kDropReasonCount> dropsReported{}, wouldDropsReported{};
};

namespace {

// Same ports and zones: the switch can keep running and only the decider changes.
bool samePlane(const tables::CompiledPolicy& a, const tables::CompiledPolicy& b) {
  if (a.zones.size() != b.zones.size() || a.ports.size() != b.ports.size()) return false;
  for (size_t i = 0; i < a.zones.size(); ++i) {
    if (a.zones[i].vlan != b.zones[i].vlan || a.zones[i].name != b.zones[i].name) return false;
  }
  for (size_t i = 0; i < a.ports.size(); ++i) {
    const tables::Port &p = a.ports[i], &q = b.ports[i];
    if (p.interface != q.interface || p.role != q.role || p.zones != q.zones || p.defaultZone != q.defaultZone ||
        p.mode != q.mode || p.optional != q.optional) {
      return false;
    }
  }
  return true;
}

std::vector<link::PortRequest> portRequests(const tables::CompiledPolicy& policy) {
  std::vector<link::PortRequest> requests;
  for (const tables::Port& p : policy.ports) requests.push_back({p.interface, p.optional});
  return requests;
}

}  // namespace

DataplaneRunner::DataplaneRunner(PolicyManager& policies, Metrics* metrics) : policies_(policies), metrics_(metrics) {}

Result<std::unique_ptr<DataplaneRunner::Plane>> DataplaneRunner::open(tables::CompiledPolicyPtr policy,
                                                                      std::unique_ptr<engine::PolicyDecider>& decider) {
  auto plane = std::make_unique<Plane>();
  forward::SwitchConfig config = forward::switchConfigFromPolicy(*policy);
  if (auto valid = forward::validate(config); !valid) {
    return Error{"the policy's ports do not make a switch: " + valid.error().message};
  }
  if (!decider) {
    // Fingerprint knowledge as data (Windows 10/11 DHCP fingerprints); without
    // it the profiler still classifies by the policy's own rules.
    auto db = std::make_shared<fingerprint::FingerprintDb>();
    std::error_code ec;
    const char* path = std::filesystem::exists(PORTVAKT_INSTALLED_FINGERPRINT_DATA, ec)
                           ? PORTVAKT_INSTALLED_FINGERPRINT_DATA
                           : PORTVAKT_FINGERPRINT_DATA;
    if (auto loaded = db->addFingerbankFile(path); !loaded) {
      // Said, not swallowed: classes that need this data (fingerprint
      // matches) will not match until it is there again.
      std::cerr << "portvaktd: the built-in fingerprint data is not used: " << loaded.error().message
                << "; devices are classified by the policy's own rules only\n";
    }
    decider = std::make_unique<engine::PolicyDecider>(policy, fingerprint::ProfilerConfig{}, db);
  } else decider->setPolicy(policy, wallClockNs());
  // The ports must exist (optional ones may be missing) and be up and
  // promiscuous before libpcap opens them (libnl, control/link).
  auto links = link::LinkManager::open();
  if (!links) {
    return Error{"cannot manage the ports: " + links.error().message};
  }
  auto resolved = links.value()->resolve(portRequests(*policy));
  if (!resolved) {
    return Error{resolved.error().message};
  }
  for (const std::string& name : resolved->missingOptional) {
    std::cerr << "portvaktd: warning: optional port " << name << " does not exist; it stays down until a restart or "
              << "a push that changes the ports\n";
  }
  for (const link::LinkInfo& found : resolved->found) {
    if (auto prepared = links.value()->preparePort(found.name); !prepared) {
      return Error{"port " + found.name + ": " + prepared.error().message};
    }
  }
  // The decider stays the caller's until every port is open: a failed open
  // hands it back with its devices' evidence.
  plane->vlanSwitch = std::make_unique<forward::VlanSwitch>(std::move(config), *decider);
  plane->drops = std::make_unique<engine::SwitchDropEvents>(*decider, plane->vlanSwitch->config(), /*liveClock=*/true);
  plane->vlanSwitch->setEvents(plane->drops.get());
  plane->loop = std::make_unique<forward::ForwardLoop>(*plane->vlanSwitch);
  for (size_t i = 0; i < policy->ports.size(); ++i) {
    const std::string& name = policy->ports[i].interface;
    if (std::find(resolved->missingOptional.begin(), resolved->missingOptional.end(), name) !=
        resolved->missingOptional.end()) {
      plane->vlanSwitch->setPortUp(static_cast<forward::PortIndex>(i), false);
      continue;
    }
    auto rx = io::LivePort::open(name, static_cast<uint16_t>(i));
    if (!rx) {
      return Error{"port " + name + ": " + rx.error().message};
    }
    auto tx = io::PacketSocketSink::open(name);
    if (!tx) {
      return Error{"port " + name + ": " + tx.error().message};
    }
    plane->vlanSwitch->attach(static_cast<forward::PortIndex>(i), tx.value().get());
    plane->loop->addBatchingSink(*tx.value(),
                                 static_cast<forward::PortIndex>(i));  // its drops count as egress_busy on the port
    if (!plane->loop->addSource(static_cast<forward::PortIndex>(i), *rx.value(), rx.value()->selectableFd(), name)) {
      return Error{plane->loop->error()};
    }
    plane->receivers.push_back(std::move(rx.value()));
    plane->senders.push_back(std::move(tx.value()));
  }
  std::vector<std::string> names;
  for (const tables::Port& p : policy->ports) names.push_back(p.interface);
  if (auto watcher = link::LinkWatcher::open(names)) plane->links = std::move(watcher.value());
  plane->decider = std::move(decider);
  return plane;
}

Status DataplaneRunner::checkPorts(const tables::CompiledPolicy& policy) {
  auto links = link::LinkManager::open();
  if (!links) return Error{"cannot check the ports: " + links.error().message};
  if (auto resolved = links.value()->resolve(portRequests(policy)); !resolved) return Error{resolved.error().message};
  return {};
}

Result<std::unique_ptr<DataplaneRunner>> DataplaneRunner::start(PolicyManager& policies, Metrics* metrics,
                                                                const std::vector<DeviceSeed>& seeds) {
  std::unique_ptr<DataplaneRunner> runner(new DataplaneRunner(policies, metrics));
  runner->applied_ = policies.current();
  std::unique_ptr<engine::PolicyDecider> decider;
  auto plane = open(runner->applied_, decider);
  if (!plane) return plane.error();
  runner->plane_ = std::move(plane.value());
  runner->status_.policyHash = runner->applied_->contentHash;
  runner->restore(seeds);
  runner->publish(true);
  runner->thread_ = std::thread([r = runner.get()] { r->run(); });
  return runner;
}

DataplaneRunner::~DataplaneRunner() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void DataplaneRunner::restore(const std::vector<DeviceSeed>& seeds) {
  std::vector<const DeviceSeed*> order;
  for (const DeviceSeed& s : seeds) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(),
                   [](const DeviceSeed* a, const DeviceSeed* b) { return a->lastSeenNs < b->lastSeenNs; });
  const int64_t now = wallClockNs();
  uint64_t notRestored = 0;
  for (const DeviceSeed* s : order) {
    bool restored = false;
    for (size_t i = 0; i < applied_->ports.size(); ++i) {
      if (applied_->ports[i].interface != s->port) continue;
      restored = plane_->decider->profiler().restore(s->evidence, static_cast<uint16_t>(i), s->firstSeenNs, s->lastSeenNs,
                                                     now) != nullptr;
    }
    if (!restored) ++notRestored;
  }
  if (notRestored == 0) return;
  // Not an error (the policy changed while the daemon was down), but said:
  // those devices start over in quarantine at their next frame.
  std::cerr << "portvaktd: " << notRestored << " of " << seeds.size()
            << " stored devices not placed again at start: their port is no longer an access port of the "
               "policy (or the same MAC came twice); they are profiled again at their next frame\n";
  std::lock_guard lock(mutex_);
  status_.seedsNotRestored = notRestored;
}

void DataplaneRunner::applyPolicy(tables::CompiledPolicyPtr policy, WallTimeNs now) {
  if (plane_ && policy->contentHash == applied_->contentHash) {
    // Only the control plane's settings changed (a webhook, a maintenance
    // window): the tables are the same, so no device is decided again and
    // nothing counts as a reload. The decider keeps the tables it has.
    applied_ = std::move(policy);
    std::lock_guard lock(mutex_);
    ++status_.settingsOnly;
    return;
  }
  if (plane_ && samePlane(*applied_, *policy)) {
    plane_->decider->setPolicy(policy, unixNs(now));
    applied_ = std::move(policy);
    std::lock_guard lock(mutex_);
    ++status_.reloads;
    status_.lastReloadUs =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now() - policies_.currentSince())
            .count();
    status_.policyHash = applied_->contentHash;
    return;
  }
  reopen(std::move(policy));
}

void DataplaneRunner::reopen(tables::CompiledPolicyPtr policy) {
  // Ports or zones changed (or none are open): close the old ports first (the
  // same interfaces are reopened), keep the decider and its device evidence.
  std::unique_ptr<engine::PolicyDecider> decider = plane_ ? std::move(plane_->decider) : std::move(parked_);
  if (plane_) {
    heldBySwitchBefore_ += plane_->drops->suppressed();
    plane_.reset();
  }
  auto opened = open(policy, decider);
  if (opened) {
    plane_ = std::move(opened.value());
    applied_ = std::move(policy);
    refused_ = nullptr;
    {
      std::lock_guard lock(mutex_);
      ++status_.reloads;
      ++status_.portReopens;
      status_.lastReloadUs = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now() -
                                                                                   policies_.currentSince())
                                 .count();
    }
    noteState({});
    return;
  }
  // The new ports cannot be opened (an interface vanished after the push was
  // checked): go back to the ports and tables that worked, and do not retry
  // this policy every turn.
  std::string message =
      "the pushed policy " + policy->contentHash + " could not open its ports (" + opened.error().message + ")";
  refused_ = std::move(policy);
  if (refused_ != applied_) {
    auto previous = open(applied_, decider);
    if (previous) {
      plane_ = std::move(previous.value());
      noteState(Error{message + "; forwarding continues with " + applied_->contentHash});
      return;
    }
    message +=
        "; the ports of the policy before it, " + applied_->contentHash + ", neither (" + previous.error().message + ")";
  }
  // Nothing forwards. The decider waits with its devices; run() tries again
  // every kPortRetryMs and at once when another policy is pushed.
  parked_ = std::move(decider);
  noteState(
      Error{message + ": not forwarding; retrying every " + std::to_string(kPortRetryMs) + " ms and at the next push"});
}

void DataplaneRunner::noteState(const Status& state) {
  std::lock_guard lock(mutex_);
  status_.forwarding = plane_ != nullptr;
  status_.policyHash = plane_ ? applied_->contentHash : "";
  status_.refusedHash = refused_ ? refused_->contentHash : "";
  if (!plane_) snapshot_.clear();  // no port is open: no counters to show
  if (state) {
    // Forwarding what was pushed: an earlier refusal is history.
    if (plane_ && !refused_) lastError_.clear();
    return;
  }
  // Said once, not every retry.
  if (state.error().message != lastError_) std::cerr << "portvaktd: " << state.error().message << "\n";
  lastError_ = state.error().message;
}

void DataplaneRunner::run() {
  pthread_setname_np(pthread_self(), "pv-forward");  // what top -H and ps -L show
  auto lastPublish = std::chrono::steady_clock::now();
  auto lastDevices = lastPublish;
  auto lastLinkPoll = lastPublish;
  constexpr auto kLinkPollInterval = std::chrono::milliseconds(50);
  while (!stop_) {
    if (const int nice = wantedNice_.load(); nice != kNiceUnset && nice != appliedNice_) {
      appliedNice_ = nice;
      if (auto set = setCallingThreadNice(nice))
        std::cerr << "portvaktd: the forwarding thread runs at nice " << nice << "\n";
      else
        std::cerr << "portvaktd: warning: the forwarding thread keeps nice " << callingThreadNice() << ": "
                  << set.error().message << "\n";
    }
    std::vector<tables::MacAddress> forget;
    {
      std::lock_guard lock(mutex_);
      forget.swap(forgetQueue_);
    }
    for (const tables::MacAddress& mac : forget) {
      // false: the profiler had no record (never seen, or expired since the
      // API answered): there is nothing left to forget.
      if (plane_) (void)plane_->decider->profiler().forget(mac);
      else if (parked_) (void)parked_->profiler().forget(mac);
    }
    fingerprint::Dot1xSnapshotPtr dot1x;
    {
      std::lock_guard lock(mutex_);
      dot1x = dot1x_;
    }
    if (plane_ && dot1x != plane_->decider->profiler().dot1x())
      plane_->decider->setDot1x(std::move(dot1x), wallClockNs());
    if (!plane_) {
      // No ports open: a later push, or the ports coming back, must end it.
      auto current = policies_.current();
      if (auto t = std::chrono::steady_clock::now(); current != refused_ || t >= nextRetry_) {
        nextRetry_ = t + std::chrono::milliseconds(kPortRetryMs);
        reopen(std::move(current));
      }
      if (!plane_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
    }
    if (plane_->loop->runOnce(100) < 0) {
      std::lock_guard lock(mutex_);
      lastError_ = plane_->loop->error();
    }
    // Link events are polled at most every 50 ms, not on every wake-up: at
    // idle each frame wakes the loop, and an empty netlink read per frame was
    // one of three system calls per forwarded frame (strace).
    if (auto t = std::chrono::steady_clock::now(); plane_ && plane_->links && t - lastLinkPoll >= kLinkPollInterval) {
      watchLinks();
      lastLinkPoll = t;
    }
    if (auto current = policies_.current(); current != applied_ && current != refused_) {
      applyPolicy(std::move(current), wallNowNs());
    }
    if (auto t = std::chrono::steady_clock::now(); t - lastPublish >= std::chrono::milliseconds(500) || !forget.empty()) {
      const bool withDevices = t - lastDevices >= std::chrono::milliseconds(kDevicePublishMs) || !forget.empty();
      publish(withDevices);
      lastPublish = t;
      if (withDevices) lastDevices = t;
    }
  }
}

void DataplaneRunner::watchLinks() {
  std::vector<link::LinkEvent> changes;
  if (!plane_->links->poll(changes)) return;
  for (const link::LinkEvent& e : changes) {
    for (size_t i = 0; i < applied_->ports.size(); ++i) {
      if (applied_->ports[i].interface != e.name) continue;
      const bool up = e.kind == link::LinkEvent::Kind::kUp;
      const int64_t nowNs = wallClockNs();
      // Down: the switch forgets the port's MACs and leaves it out of flooding
      // until the link comes up, or a frame received after now shows it is up.
      plane_->vlanSwitch->setPortUp(static_cast<forward::PortIndex>(i), up, nowNs);
      plane_->decider->report({up ? tables::EventType::kLinkUp : tables::EventType::kLinkDown, tables::MacAddress{},
                               static_cast<uint16_t>(i), nowNs, "port " + e.name + " " + link::toString(e.kind)});
    }
  }
}

namespace {

DeviceSnapshot snapshotOf(const fingerprint::DeviceRecord& r, const tables::CompiledPolicy& policy) {
  DeviceSnapshot d;
  d.evidence = r.evidence;
  d.port = r.port < policy.ports.size() ? policy.ports[r.port].interface : "";
  d.deviceClass = std::string(r.committed.className);
  d.zone = r.zone == tables::kNoZone ? "" : std::string(policy.zoneName(r.zone));
  d.source = fingerprint::toString(r.committed.source);
  d.explanation = r.committed.explain(policy);
  d.spoofReasons = r.spoofReasons ? fingerprint::spoofReasonsToString(r.spoofReasons) : "";
  d.confidence = r.committed.confidence;
  d.pinned = r.committed.pinned;
  d.inventoried = r.inventoried;
  d.randomized = r.randomized;
  d.quarantinedAsSuspect = r.quarantinedAsSuspect;
  d.firstSeenNs = r.firstSeenNs;
  d.lastSeenNs = r.lastSeenNs;
  d.frames = r.frames;
  return d;
}

}  // namespace

void DataplaneRunner::publish(bool withDevices) {
  if (!plane_) return;
  std::vector<DeviceSnapshot> devices;
  if (withDevices) {
    // Off the per-frame path: once a second, bounded by the profiler's table.
    const fingerprint::DeviceProfiler& profiler = plane_->decider->profiler();
    devices.reserve(profiler.size());
    profiler.forEach([&](const fingerprint::DeviceRecord& r) { devices.push_back(snapshotOf(r, *applied_)); });
  }
  std::vector<PortSnapshot> ports;
  for (size_t i = 0; i < plane_->vlanSwitch->portCount(); ++i) {
    const auto& c = plane_->vlanSwitch->portCounters(static_cast<forward::PortIndex>(i));
    ports.push_back({plane_->vlanSwitch->config().ports[i].name,
                     plane_->vlanSwitch->portUp(static_cast<forward::PortIndex>(i)), c.rxFrames, c.rxDropped, c.txFrames,
                     c.txErrors, c.rxBytes, c.txBytes, c.learnedMacs});
    // pcap_stats is one getsockopt, once a publish (not per frame).
    if (i < plane_->receivers.size()) ports.back().ringDropped = plane_->receivers[i]->stats().kernelDropped;
    ports.back().moderated = plane_->loop->moderated(static_cast<forward::PortIndex>(i));
    if (metrics_) {
      metrics_->setPortModerated(ports.back().interface, ports.back().moderated);
      metrics_->setFrameCount(ports.back().interface, "ring_full", ports.back().ringDropped);
      metrics_->setFrameCount(ports.back().interface, "received", c.rxFrames);
      metrics_->setFrameCount(ports.back().interface, "dropped", c.rxDropped);
      // Under load (issue 18): of `dropped`, those dropped unread because the
      // switch was behind; and frames for this port its busy link refused.
      metrics_->setFrameCount(ports.back().interface, "overload", c.rxOverload);
      metrics_->setFrameCount(ports.back().interface, "egress_busy", c.txBusy);
      metrics_->setPortBytes(ports.back().interface, "rx", c.rxBytes);
      metrics_->setPortBytes(ports.back().interface, "tx", c.txBytes);
    }
  }
  // Never-classified devices idle past the profiler's timeout go even when no
  // frame arrives to expire them.
  // How many went is not needed here: the profiler's size is published below.
  (void)plane_->decider->profiler().expireUnclassified(wallClockNs());
  std::vector<engine::EngineEvent> fresh;
  engine::EngineEvent e;
  while (plane_->decider->popEvent(e)) fresh.push_back(std::move(e));
  const fingerprint::ProfilerStats& ps = plane_->decider->profiler().stats();
  const engine::DeciderCounters& dc = plane_->decider->counters();
  if (metrics_) {
    for (const forward::DropReasonInfo& r : forward::allDropReasons()) {
      const size_t i = static_cast<size_t>(r.reason);
      const std::string name(r.name);
      if (uint64_t n = plane_->vlanSwitch->drops().get(r.reason); n > plane_->dropsReported[i]) {
        metrics_->addFramesDropped(name, n - plane_->dropsReported[i]);
        plane_->dropsReported[i] = n;
      }
      if (uint64_t n = plane_->vlanSwitch->wouldDrops().get(r.reason); n > plane_->wouldDropsReported[i]) {
        metrics_->addFramesWouldDrop(name, n - plane_->wouldDropsReported[i]);
        plane_->wouldDropsReported[i] = n;
      }
    }
    const forward::LoadCounters& load = plane_->loop->loadCounters();
    metrics_->setForwardWakeups(load.behindWakeups, load.overloadedWakeups);
    const packet::AnomalyCounters& anomalies = plane_->decider->decoder().counters();
    for (const packet::AnomalyInfo& a : packet::allAnomalies()) {
      if (uint64_t n = anomalies.count(a.id); n > 0) metrics_->setAnomalyCount(std::string(a.name), n);
    }
    metrics_->setDeviceTable(static_cast<int64_t>(plane_->decider->profiler().size()),
                             static_cast<int64_t>(plane_->decider->profiler().probationSize()), -1);
  }
  std::lock_guard lock(mutex_);
  for (const PortSnapshot& now : ports) {
    // Said when it begins and ends, not every publish.
    auto before = std::find_if(snapshot_.begin(), snapshot_.end(),
                               [&](const PortSnapshot& s) { return s.interface == now.interface; });
    const bool was = before != snapshot_.end() && before->moderated;
    if (now.moderated && !was)
      std::cerr << "portvaktd: port "
                << now.interface << ": nearly every frame it sends is dropped (a flood): read every "
                << plane_->loop->loadOptions().moderatedReadEveryNs / 1'000'000 << " ms, not on each frame\n";
    else if (!now.moderated && was) std::cerr << "portvaktd: port " << now.interface << ": read on each frame again\n";
  }
  snapshot_ = std::move(ports);
  if (withDevices) {
    // A forget queued while this snapshot was being taken must not bring the device back.
    std::erase_if(devices, [&](const DeviceSnapshot& d) {
      return std::find(forgetQueue_.begin(), forgetQueue_.end(), d.evidence.mac) != forgetQueue_.end();
    });
    devices_ = std::move(devices);
  }
  loss_.profilerRingFull = ps.eventsDropped;
  loss_.deciderQueueFull = dc.eventsDropped;
  loss_.repeatHeld = dc.eventsSuppressed + heldBySwitchBefore_ + plane_->drops->suppressed();
  queueEvents(events_, fresh, loss_, announced_, wallNowNs());
  if (metrics_) {
    auto add = [&](const char* reason, uint64_t now, uint64_t& before) {
      if (now > before) metrics_->addEventsDropped(reason, now - before);
      before = now;
    };
    add("profiler_ring_full", loss_.profilerRingFull, reported_.profilerRingFull);
    add("decider_queue_full", loss_.deciderQueueFull, reported_.deciderQueueFull);
    add("runner_queue_full", loss_.runnerQueueFull, reported_.runnerQueueFull);
    add("repeat_held", loss_.repeatHeld, reported_.repeatHeld);
  }
}

void queueEvents(std::vector<engine::EngineEvent>& queue, std::vector<engine::EngineEvent>& fresh, EventLoss& loss,
                 EventLoss& announced, WallTimeNs now, size_t bound) {
  for (auto& f : fresh) {
    if (queue.size() < bound) queue.push_back(std::move(f));
    else ++loss.runnerQueueFull;
  }
  // Lost events are an event themselves (R7: never silent): one per call
  // while the losses grow, in a slot kept beyond the bound; when even that is
  // taken, a later one reports the losses since the last one that got in.
  auto lostIn = [](const EventLoss& l) { return l.profilerRingFull + l.deciderQueueFull + l.runnerQueueFull; };
  if (lostIn(loss) <= lostIn(announced) || queue.size() > bound) return;
  queue.push_back({tables::EventType::kEventsLost, tables::MacAddress{}, kNoPortEvent, unixNs(now),
                   std::to_string(lostIn(loss) - lostIn(announced)) + " dataplane events lost (profiler ring full " +
                       std::to_string(loss.profilerRingFull - announced.profilerRingFull) + ", decider queue full " +
                       std::to_string(loss.deciderQueueFull - announced.deciderQueueFull) + ", runner queue full " +
                       std::to_string(loss.runnerQueueFull - announced.runnerQueueFull) +
                       "); totals in portvakt_events_dropped_total"});
  announced = loss;
}

EventLoss DataplaneRunner::eventLoss() const {
  std::lock_guard lock(mutex_);
  return loss_;
}

std::vector<PortSnapshot> DataplaneRunner::ports() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

std::vector<DeviceSnapshot> DataplaneRunner::devices() const {
  std::lock_guard lock(mutex_);
  return devices_;
}

DataplaneStatus DataplaneRunner::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void DataplaneRunner::setDot1x(fingerprint::Dot1xSnapshotPtr snapshot) {
  std::lock_guard lock(mutex_);
  dot1x_ = std::move(snapshot);
}

void DataplaneRunner::forget(const tables::MacAddress& mac) {
  std::lock_guard lock(mutex_);
  forgetQueue_.push_back(mac);
  std::erase_if(devices_, [&](const DeviceSnapshot& d) { return d.evidence.mac == mac; });
}

std::vector<engine::EngineEvent> DataplaneRunner::takeEvents() {
  std::lock_guard lock(mutex_);
  return std::exchange(events_, {});
}

std::string DataplaneRunner::lastError() const {
  std::lock_guard lock(mutex_);
  return lastError_;
}

}  // namespace portvakt::control
