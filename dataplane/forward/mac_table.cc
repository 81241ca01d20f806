#include "dataplane/forward/mac_table.h"

#include <bit>

namespace portvakt::forward {

MacTable::MacTable(size_t maxEntries, int64_t ageingNs)
    : maxEntries_(maxEntries == 0 ? 1 : maxEntries), ageingNs_(ageingNs) {
  // Why twice the limit: linear probing stays short below a load of 1/2.
  size_t capacity = std::bit_ceil(maxEntries_ * 2);
  if (capacity < 16) capacity = 16;
  slots_.resize(capacity);
  mask_ = capacity - 1;
}

MacAddress MacTable::macOf(uint64_t key) {
  MacAddress mac;
  for (int i = 0; i < 6; ++i) mac.bytes[i] = static_cast<uint8_t>(key >> (8 * (5 - i)));
  return mac;
}

MacTable::LearnResult MacTable::learn(ZoneId zone, const MacAddress& mac, PortIndex port, int64_t nowNs,
                                      PortIndex& previousPort) {
  uint64_t key = makeKey(zone, mac);
  previousPort = kNoPort;
  size_t i = home(key);
  for (;; i = (i + 1) & mask_) {
    Slot& s = slots_[i];
    if (!s.used) break;
    if (s.key != key) continue;
    s.lastSeenNs = nowNs;
    if (s.port == port) return LearnResult::kRefreshed;
    previousPort = s.port;
    s.port = port;
    return LearnResult::kMoved;
  }
  if (size_ >= maxEntries_) return LearnResult::kFull;
  slots_[i] = Slot{key, nowNs, port, true};
  ++size_;
  return LearnResult::kLearned;
}

bool MacTable::erase(ZoneId zone, const MacAddress& mac) {
  size_t i = find(makeKey(zone, mac));
  if (i == kNpos) return false;
  eraseAt(i);
  return true;
}

void MacTable::eraseAt(size_t i) {
  // Backward-shift: move later entries of the probe run into the hole when
  // their home is not between the hole and themselves (cyclically).
  slots_[i].used = false;
  --size_;
  size_t hole = i;
  for (size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
    size_t h = home(slots_[j].key);
    bool between = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
    if (between) continue;
    slots_[hole] = slots_[j];
    slots_[j].used = false;
    hole = j;
  }
}

}  // namespace portvakt::forward
