#include "dataplane/classify/flow_cache.h"

#include <algorithm>

namespace portvakt::classify {

FlowCache::FlowCache(const FlowCacheOptions& options) {
  size_t entries = options.maxEntries;
  if (options.maxBytes) {
    size_t fixed = sizeof(*this);
    size_t per = sizeof(Entry) + 1;  // an entry plus its share of the per-set byte, rounded up
    entries = std::min(entries, options.maxBytes > fixed ? (options.maxBytes - fixed) / per : 0);
  }
  size_t sets = 1;
  while (sets * 2 * kWays <= entries) sets *= 2;
  sets_ = sets;
  table_ = std::make_unique<Entry[]>(sets_ * kWays);
  next_ = std::make_unique<uint8_t[]>(sets_);
}

uint64_t FlowCache::hash(const FlowKey& key) noexcept {
  // Multiply-xorshift over the 17 words: cheap, and every input bit reaches the
  // high bits that pick the set and the tag.
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (uint32_t w : key.f) {
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 29;
  }
  return h ^ (h >> 32);
}

const FlowCache::Entry* FlowCache::find(uint64_t generation, const FlowKey& key, uint64_t h) const noexcept {
  const Entry* set = &table_[(h & (sets_ - 1)) * kWays];
  uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (size_t w = 0; w < kWays; ++w) {
    const Entry& e = set[w];
    if (e.generation == generation && e.tag == tag && e.key == key) return &e;
  }
  return nullptr;
}

void FlowCache::insert(uint64_t generation, const FlowKey& key, uint64_t h, int32_t rule) noexcept {
  size_t s = h & (sets_ - 1);
  Entry* set = &table_[s * kWays];
  uint32_t tag = static_cast<uint32_t>(h >> 32);
  Entry* slot = nullptr;
  for (size_t w = 0; w < kWays && !slot; ++w) {
    if (set[w].generation == generation && set[w].tag == tag && set[w].key == key) slot = &set[w];
  }
  for (size_t w = 0; w < kWays && !slot; ++w) {
    if (set[w].generation != generation) slot = &set[w];  // empty or from an old policy
  }
  if (!slot) {
    slot = &set[next_[s]];
    next_[s] = static_cast<uint8_t>((next_[s] + 1) % kWays);
    ++stats_.evictions;
  }
  slot->generation = generation;
  slot->tag = tag;
  slot->rule = rule;
  slot->key = key;
}

void FlowCache::clear() noexcept {
  for (size_t i = 0; i < capacity(); ++i) table_[i] = Entry{};
  for (size_t s = 0; s < sets_; ++s) next_[s] = 0;
  stats_ = {};
}

size_t FlowCache::entries(uint64_t generation) const {
  size_t n = 0;
  for (size_t i = 0; i < capacity(); ++i) n += table_[i].generation == generation;
  return n;
}

}  // namespace portvakt::classify
