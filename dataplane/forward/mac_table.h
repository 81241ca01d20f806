#pragma once
// The learning table: (zone, MAC) -> port, with ageing, bounded in size.
//
// How it works. Learning is per zone, so the same MAC can be known in two
// zones (a device moved from quarantine to its zone keeps no stale state in
// the other), and a lookup in one zone never finds a port learned in another:
// this is what keeps unicast from crossing zones. The key packs the 16-bit
// zone and the 48-bit MAC into one uint64_t; the table is open addressing
// with linear probing over a power-of-two array allocated once, at twice the
// entry limit so probe runs stay short. Deletion shifts entries back
// (no tombstones), so lookups never degrade after churn.
//
// Ageing: an entry not refreshed for `ageingNs` is treated as absent by
// lookup() at once, and is removed by sweep(), which the switch runs about
// once a second from the frame path (O(capacity), ~10 µs for 16K slots).
//
// Bounded: when `maxEntries` are present, learn() refuses new keys and
// returns kFull; the switch then floods to that destination instead (safe,
// just slower) and counts it. Per-port limits are the switch's business.
//
// No allocation after construction; one thread.

#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/packet/types.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::forward {

using tables::ZoneId;
using MacAddress = tables::MacAddress;
using PortIndex = uint16_t;
inline constexpr PortIndex kNoPort = 0xffff;

class MacTable {
 public:
  enum class LearnResult : uint8_t { kRefreshed, kLearned, kMoved, kFull };

  MacTable(size_t maxEntries, int64_t ageingNs);

  // The port `mac` was learned on in `zone`, or kNoPort (unknown or aged out).
  PortIndex lookup(ZoneId zone, const MacAddress& mac, int64_t nowNs) const;

  // kLearned: a new entry; kRefreshed: present on the same port (aged or
  // not); kMoved: present on another port, now `port` (`previousPort` says
  // where it was); kFull: not present and the table is at maxEntries.
  LearnResult learn(ZoneId zone, const MacAddress& mac, PortIndex port, int64_t nowNs, PortIndex& previousPort);

  // True when (zone, mac) is present and not aged out.
  bool contains(ZoneId zone, const MacAddress& mac, int64_t nowNs) const { return lookup(zone, mac, nowNs) != kNoPort; }

  // Refreshes a present entry's time (aged out or not); false if absent.
  bool touch(ZoneId zone, const MacAddress& mac, int64_t nowNs);

  // What learn() does for an entry present on `port` (kRefreshed), in one
  // probe: refreshes its time and returns true. Anything else (absent, on
  // another port) changes nothing and returns false. The switch's learning
  // step for a device it knows already (nearly every frame).
  bool refreshIfOn(ZoneId zone, const MacAddress& mac, PortIndex port, int64_t nowNs);

  // The port of a present entry, aged out or not (kNoPort if absent).
  PortIndex peek(ZoneId zone, const MacAddress& mac) const;

  // Removes one entry; false if absent.
  bool erase(ZoneId zone, const MacAddress& mac);

  // Calls fn(zone, mac, port) for each entry just before removing it; fn
  // must not modify the table.
  template <typename Fn>
  size_t sweep(int64_t nowNs, Fn&& fn) {
    return removeIf([&](const Slot& s) { return nowNs - s.lastSeenNs > ageingNs_; }, fn);
  }
  template <typename Fn>
  size_t flushPort(PortIndex port, Fn&& fn) {
    return removeIf([&](const Slot& s) { return s.port == port; }, fn);
  }
  template <typename Fn>
  void forEach(Fn&& fn) const {
    for (const Slot& s : slots_)
      if (s.used) fn(zoneOf(s.key), macOf(s.key), s.port, s.lastSeenNs);
  }

  size_t size() const { return size_; }
  size_t maxEntries() const { return maxEntries_; }
  int64_t ageingNs() const { return ageingNs_; }

  // Inline, one load and a byte swap: it is computed four or five times per
  // forwarded frame (MAC limit, learning, destination lookup), and the
  // out-of-line byte loop it replaced cost ~45 instructions a call (callgrind,
  // bench/callgrind_per_frame.sh).
  static uint64_t makeKey(ZoneId zone, const MacAddress& mac) { return (uint64_t{zone} << 48) | packMac48(mac); }
  // The MAC as a 48-bit big-endian number (first byte highest).
  static uint64_t packMac48(const MacAddress& mac) {
    uint64_t v = 0;
    std::memcpy(&v, mac.bytes.data(), 6);
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap64(v) >> 16;
    return v >> 16;
  }
  static ZoneId zoneOf(uint64_t key) { return static_cast<ZoneId>(key >> 48); }
  static MacAddress macOf(uint64_t key);

 private:
  struct Slot {
    uint64_t key = 0;
    int64_t lastSeenNs = 0;
    PortIndex port = kNoPort;
    bool used = false;
  };

  static constexpr size_t kNpos = static_cast<size_t>(-1);
  // Inline: probed two to four times per forwarded frame (MAC limit,
  // learning, destination lookup).
  size_t home(uint64_t key) const {
    // Fibonacci hashing: the MAC's low bytes (NIC serial) are well spread, the
    // OUI bytes are not; multiplying mixes every bit into the top ones.
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 32) & mask_;
  }
  size_t find(uint64_t key) const {  // slot index or kNpos
    for (size_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (!s.used) return kNpos;
      if (s.key == key) return i;
    }
  }
  void eraseAt(size_t i);

  template <typename Pred, typename Fn>
  size_t removeIf(Pred&& pred, Fn& fn) {
    size_t removed = 0;
    // Backward-shift deletion moves later entries into slot i, so the same
    // slot is checked again after an erase; entries only ever move to the
    // hole or cyclically later, so nothing unvisited lands behind i.
    for (size_t i = 0; i < slots_.size();) {
      if (slots_[i].used && pred(slots_[i])) {
        fn(zoneOf(slots_[i].key), macOf(slots_[i].key), slots_[i].port);
        eraseAt(i);
        ++removed;
      } else {
        ++i;
      }
    }
    return removed;
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t maxEntries_ = 0;
  int64_t ageingNs_ = 0;
};

inline PortIndex MacTable::lookup(ZoneId zone, const MacAddress& mac, int64_t nowNs) const {
  const size_t i = find(makeKey(zone, mac));
  if (i == kNpos) return kNoPort;
  const Slot& s = slots_[i];
  return nowNs - s.lastSeenNs > ageingNs_ ? kNoPort : s.port;
}

inline bool MacTable::touch(ZoneId zone, const MacAddress& mac, int64_t nowNs) {
  const size_t i = find(makeKey(zone, mac));
  if (i == kNpos) return false;
  slots_[i].lastSeenNs = nowNs;
  return true;
}

inline bool MacTable::refreshIfOn(ZoneId zone, const MacAddress& mac, PortIndex port, int64_t nowNs) {
  const size_t i = find(makeKey(zone, mac));
  if (i == kNpos || slots_[i].port != port) return false;
  slots_[i].lastSeenNs = nowNs;
  return true;
}

inline PortIndex MacTable::peek(ZoneId zone, const MacAddress& mac) const {
  const size_t i = find(makeKey(zone, mac));
  return i == kNpos ? kNoPort : slots_[i].port;
}

}  // namespace portvakt::forward
