// libFuzzer target for what hostapd (or whatever sits on its socket) sends
// portvakt: the input is the whole datagram for parseEvent() and
// parseStationReply(), and, split at NUL bytes, a sequence of event
// datagrams applied to a SessionTable. Checks beyond "no crash": every
// accepted event of a known kind names a unicast-or-multicast MAC that
// round-trips, a parsed STA reply keeps within its limits, the table stays
// within its bound per port. Seeds: tests/control/dot1x/fuzz_corpus/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/dot1x/hostapd_messages.h"
#include "control/dot1x/session_table.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portvakt::dot1x;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto event = parseEvent(input);
  if (event) {
    check(event->name.size() <= kMaxEventNameBytes);
    check(event->level >= 0 && event->level <= 9);
    if (event->kind != HostapdEventKind::kOther) {
      check(portvakt::tables::MacAddress::parse(event->mac.toString()) == event->mac);
    }
  } else {
    check(!event.error().message.empty());
  }

  auto station = parseStationReply(input);
  if (station) {
    check(station->fields.size() < kMaxStaLines);
    for (const auto& [key, value] : station->fields) {
      check(!key.empty() && key.size() <= kMaxStaKeyBytes && value.size() <= kMaxStaValueBytes);
    }
  }

  SessionTable table;
  size_t start = 0;
  int tick = 0;
  while (start <= input.size()) {
    size_t end = input.find('\0', start);
    if (end == std::string_view::npos) end = input.size();
    auto one = parseEvent(input.substr(start, end - start));
    if (one) {
      const std::string port = (tick % 2 == 0) ? "p1" : "p2";
      (void)table.apply(port, *one, WallTime{} + std::chrono::seconds(++tick));
      if (tick % 7 == 0) (void)table.endPort(port, "hostapd restarted", WallTime{} + std::chrono::seconds(tick));
    }
    start = end + 1;
  }
  check(table.size() <= 2 * kMaxSessionsPerPort);
  return 0;
}
