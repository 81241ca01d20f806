#include "control/daemon/event_pump.h"

#include "control/daemon/alert_feed.h"
#include "control/daemon/dataplane_runner.h"
#include "control/daemon/dot1x_admission.h"
#include "control/daemon/policy_manager.h"

namespace portvakt::control {

void EventPump::start() {
  thread_ = std::thread([this] {
    while (true) {
      const bool last = stopping_.load();  // one more round after the stop: nothing queued is lost
      pumpOnce();
      if (last) return;
      std::this_thread::sleep_for(kEventTick);
    }
  });
}

void EventPump::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void EventPump::pumpOnce() {
  auto running = policies_.current();
  for (const engine::EngineEvent& e : dataplane_.takeEvents()) {
    const bool noDevice = e.mac == tables::MacAddress{};  // link events concern a port, not a device
    feed_.raise(e.event, e.port < running->ports.size() ? running->ports[e.port].interface : "",
                noDevice ? std::string() : e.mac.toString(),
                noDevice ? e.detail : dot1x_.annotate(e.event, e.mac.toString(), e.detail));
  }
}

}  // namespace portvakt::control
