#pragma once
// The per-flow cache in front of the classifier: remembers the verdict (rule
// index) for recently seen FlowKeys so a flow's later packets skip the lookup.
//
// Shape: a set-associative table of 4-way sets, sized once at construction and
// never reallocated, so a lookup is one hash, one set (two or three cache lines)
// and no allocation. The key is the whole FlowKey, i.e. everything a rule can
// distinguish (zone, EtherType, addresses, protocol, ports, MACs), so a cached
// verdict is exactly the classifier's answer for that key.
//
// Invalidation: every entry carries the generation() of the classifier that
// produced it, and a lookup only accepts entries of the classifier it is given.
// Swapping in a new policy therefore invalidates the whole cache at once, with no
// flush and no window in which an old verdict can be returned; stale entries are
// simply reused first.
//
// Eviction: a new flow takes, in its set, an empty or stale way if there is one,
// else the way after the one replaced last (FIFO per set). Simple and
// predictable; a flood of new flows can only push out flows that share its sets.
//
// Threads: not thread-safe. Each dataplane thread owns its own FlowCache; the
// Classifier it is given may be shared.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "dataplane/classify/classifier.h"
#include "dataplane/classify/rule.h"

namespace portvakt::classify {

struct FlowCacheOptions {
  size_t maxEntries = 1 << 16;  // rounded down to a power of two, at least one set
  size_t maxBytes = 0;          // if non-zero, also caps entries so memoryBytes() <= maxBytes
};

struct FlowCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;  // live entries (current generation) pushed out
};

class FlowCache {
 public:
  static constexpr size_t kWays = 4;

  explicit FlowCache(const FlowCacheOptions& options = {});

  // The classifier's answer for key, from the cache when this classifier's
  // verdict for key is cached, else from classifier.lookup (then remembered).
  int32_t lookup(const Classifier& classifier, const FlowKey& key) noexcept {
    uint64_t h = hash(key);
    if (const Entry* e = find(classifier.generation(), key, h)) {
      ++stats_.hits;
      return e->rule;
    }
    ++stats_.misses;
    int32_t rule = classifier.lookup(key);
    insert(classifier.generation(), key, h, rule);
    return rule;
  }

  // The lower-level pair, for callers with their own classifier: a cached verdict
  // of generation `generation` for key, and remembering one.
  std::optional<int32_t> find(uint64_t generation, const FlowKey& key) const noexcept {
    const Entry* e = find(generation, key, hash(key));
    return e ? std::optional<int32_t>(e->rule) : std::nullopt;
  }
  void insert(uint64_t generation, const FlowKey& key, int32_t rule) noexcept {
    insert(generation, key, hash(key), rule);
  }

  void clear() noexcept;
  size_t capacity() const { return sets_ * kWays; }
  size_t entries(uint64_t generation) const;  // live entries of that generation
  size_t memoryBytes() const { return sizeof(*this) + capacity() * sizeof(Entry) + sets_; }
  const FlowCacheStats& stats() const { return stats_; }
  static uint64_t hash(const FlowKey& key) noexcept;

 private:
  struct Entry {
    uint64_t generation = 0;  // 0: empty (classifier generations start at 1)
    uint32_t tag = 0;         // high bits of the hash, to skip most key compares
    int32_t rule = kNoMatch;
    FlowKey key;
  };

  const Entry* find(uint64_t generation, const FlowKey& key, uint64_t h) const noexcept;
  void insert(uint64_t generation, const FlowKey& key, uint64_t h, int32_t rule) noexcept;

  size_t sets_ = 1;
  std::unique_ptr<Entry[]> table_;
  std::unique_ptr<uint8_t[]> next_;  // per set: the way to replace next
  FlowCacheStats stats_;
};

}  // namespace portvakt::classify
