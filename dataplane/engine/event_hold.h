#pragma once
// Storm control at the source, the one table for it: an event is raised once
// per key per hold (kEventHoldNs), its repeats within the hold are counted and
// dropped before anyone builds their text. The alert feed folds further.
//
// A fixed number of slots, chosen at construction; a key lives in slot
// key % slots. The PolicyDecider hashes (event, source MAC) into 256 slots (two
// keys may share one: then each evicts the other and both are raised, never
// both held); SwitchDropEvents uses one slot per (port, reason), key = slot,
// so nothing collides. No allocation after construction: admit() runs per
// frame on the attack paths (floods of random MACs, rogue DHCP, ARP claims).
//
// Times are the caller's (capture time offline, the wall clock live). A time
// before the slot's last admission (the clock went back) admits, so a clock
// step never silences an event for longer than one hold.
//
// Not thread-safe: one per dataplane thread, like the decider that owns it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace portvakt::engine {

inline constexpr int64_t kEventHoldNs = 10'000'000'000;  // 10 s

class EventHold {
 public:
  explicit EventHold(size_t slots, int64_t holdNs = kEventHoldNs) : holdNs_(holdNs), slots_(std::max<size_t>(slots, 1)) {}

  struct Admission {
    bool admitted = false;
    uint64_t heldBefore = 0;  // repeats of this key held since its last admission (when admitted)
  };

  // Admits `key` at nowNs unless its slot admitted the same key less than
  // the hold before; records the admission (the hold runs from it, repeats do
  // not extend it) or counts the repeat.
  Admission admit(uint64_t key, int64_t nowNs) {
    Slot& s = slots_[key % slots_.size()];
    if (s.used && s.key == key && nowNs >= s.admittedNs && nowNs - s.admittedNs < holdNs_) {
      ++s.held;
      ++held_;
      return {false, 0};
    }
    const uint64_t before = s.used && s.key == key ? s.held : 0;
    s = {key, nowNs, 0, true};
    return {true, before};
  }

  uint64_t held() const { return held_; }  // repeats held, all keys, since construction
  size_t slots() const { return slots_.size(); }

 private:
  struct Slot {
    uint64_t key = 0;
    int64_t admittedNs = 0;
    uint64_t held = 0;
    bool used = false;
  };
  int64_t holdNs_;
  uint64_t held_ = 0;
  std::vector<Slot> slots_;
};

}  // namespace portvakt::engine
