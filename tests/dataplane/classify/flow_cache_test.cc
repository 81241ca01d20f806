// The flow cache: verdicts always equal the linear reference of the policy in
// force, across swaps (single thread and with a concurrent swapper), and the
// cache stays within its bounds with the documented eviction order.
#include "dataplane/classify/flow_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "dataplane/classify/linear_classifier.h"

namespace portvakt::classify {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 4;
#else
constexpr int kScale = 1;
#endif

tables::Prefix v4(uint32_t a, int len) {
  tables::Prefix p;
  a &= len == 0 ? 0 : ~uint32_t{0} << (32 - len);
  for (int i = 0; i < 4; ++i) p.addr[i] = static_cast<uint8_t>(a >> (24 - 8 * i));
  p.length = static_cast<uint8_t>(len);
  return p;
}

struct Policy {
  ClassifierPtr fast;
  LinearClassifierPtr reference;
};

// Policies over one small address space, so the same flows get different
// verdicts under different policies (a cache that ignored the swap would fail).
Policy randomPolicy(std::mt19937_64& rng, int n) {
  std::vector<Rule> rules;
  for (int i = 0; i < n; ++i) {
    Rule r;
    if (rng() % 2) r.zone = static_cast<tables::ZoneId>(rng() % 3);
    if (rng() % 4) r.src = v4(0x0a000000 | static_cast<uint32_t>(rng() % 4096), static_cast<int>(20 + rng() % 13));
    if (rng() % 4) r.dst = v4(0xc0a80000 | static_cast<uint32_t>(rng() % 256), static_cast<int>(24 + rng() % 9));
    if (rng() % 2) r.protocol = rng() % 2 ? 6 : 17;
    uint16_t p = static_cast<uint16_t>(rng() % 64);
    if (rng() % 2) r.dstPorts = {p, static_cast<uint16_t>(p + rng() % 16)};
    rules.push_back(r);
  }
  auto fast = Classifier::build(rules);
  auto ref = LinearClassifier::build(rules);
  EXPECT_TRUE(fast && ref);
  return {*fast, *ref};
}

std::vector<FlowKey> flowPool(std::mt19937_64& rng, int n) {
  std::vector<FlowKey> keys;
  for (int i = 0; i < n; ++i)
    keys.push_back(FlowKey::ipv4(static_cast<tables::ZoneId>(rng() % 3), 0x0a000000 | static_cast<uint32_t>(rng() % 4096),
                                 0xc0a80000 | static_cast<uint32_t>(rng() % 256), rng() % 2 ? 6 : 17,
                                 static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng() % 80)));
  return keys;
}

TEST(FlowCache, SwapsUnderTrafficNeverServeAnOldVerdict) {
  std::mt19937_64 rng(42);
  std::vector<Policy> policies;
  for (int i = 0; i < 4; ++i) policies.push_back(randomPolicy(rng, 300));
  std::vector<FlowKey> flows = flowPool(rng, 3000);
  FlowCacheOptions opt;
  opt.maxEntries = 2048;  // smaller than the flow pool: evictions happen too
  FlowCache cache(opt);
  ClassifierSlot slot;
  size_t current = 0;
  slot.swap(policies[current].fast);
  std::map<int, int> differs;  // does the swap change verdicts at all?
  int wrong = 0;
  const int packets = 400000 / kScale;
  for (int i = 0; i < packets; ++i) {
    if (i % 5000 == 4999) {
      current = (current + 1) % policies.size();
      slot.swap(policies[current].fast);
    }
    // Zipf-like locality: most packets from a few flows.
    size_t f =
        static_cast<size_t>(std::min<double>(flows.size() - 1, std::exp(std::uniform_real_distribution<>(0, 8.0)(rng))));
    const FlowKey& k = flows[f];
    ClassifierPtr c = slot.current();
    int32_t got = cache.lookup(*c, k);
    int32_t want = policies[current].reference->lookup(k);
    if (got != want && ++wrong <= 3)
      ADD_FAILURE() << "packet " << i << " policy " << current << ": cache says " << got << ", reference " << want;
    if (want != policies[(current + 1) % policies.size()].reference->lookup(k)) ++differs[0];
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(differs[0], packets / 10) << "policies too alike for the test to mean anything";
  EXPECT_GT(cache.stats().hits, static_cast<uint64_t>(packets / 2));
  EXPECT_GT(cache.stats().misses, 0u);
  EXPECT_EQ(cache.stats().hits + cache.stats().misses, static_cast<uint64_t>(packets));
}

TEST(FlowCache, ConcurrentSwapperAndReader) {
  std::mt19937_64 rng(99);
  std::vector<Policy> policies;
  for (int i = 0; i < 3; ++i) policies.push_back(randomPolicy(rng, 200));
  std::map<uint64_t, LinearClassifierPtr> byGeneration;
  for (const Policy& p : policies) byGeneration[p.fast->generation()] = p.reference;
  std::vector<FlowKey> flows = flowPool(rng, 500);
  ClassifierSlot slot;
  slot.swap(policies[0].fast);
  std::atomic<bool> stop{false};
  std::atomic<int> swaps{0};
  std::thread swapper([&] {
    for (size_t i = 1; !stop.load(); ++i) {
      slot.swap(policies[i % policies.size()].fast);
      swaps.fetch_add(1);
      std::this_thread::yield();
    }
  });
  FlowCache cache;
  int wrong = 0;
  std::set<uint64_t> seen;
  const int packets = 200000 / kScale;
  // Read on until a swap has been seen: on a loaded machine the swapper thread
  // may not run at all during the first `packets` lookups.
  for (int i = 0; i < packets || (seen.size() < 2 && i < packets * 1000); ++i) {
    ClassifierPtr c = slot.current();  // the policy in force for this packet
    seen.insert(c->generation());
    const FlowKey& k = flows[static_cast<size_t>(i) % flows.size()];
    int32_t got = cache.lookup(*c, k);
    if (got != byGeneration.at(c->generation())->lookup(k)) ++wrong;
  }
  stop = true;
  swapper.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(swaps.load(), 0);
  EXPECT_GT(seen.size(), 1u) << "the reader never saw a swap";
}

TEST(FlowCache, BoundsAndCapacity) {
  FlowCacheOptions opt;
  opt.maxEntries = 1000;
  FlowCache a(opt);
  EXPECT_EQ(a.capacity(), 512u);  // rounded down to a power of two
  opt.maxEntries = 1;
  EXPECT_EQ(FlowCache(opt).capacity(), FlowCache::kWays);  // at least one set
  opt.maxEntries = 1 << 20;
  opt.maxBytes = 100000;
  FlowCache b(opt);
  EXPECT_LE(b.memoryBytes(), 100000u);
  EXPECT_GT(b.memoryBytes(), 25000u);

  std::mt19937_64 rng(1);
  auto policy = randomPolicy(rng, 50);
  for (const FlowKey& k : flowPool(rng, 5000)) (void)b.lookup(*policy.fast, k);
  EXPECT_LE(b.entries(policy.fast->generation()), b.capacity());
  EXPECT_GT(b.stats().evictions, 0u);
  b.clear();
  EXPECT_EQ(b.entries(policy.fast->generation()), 0u);
  EXPECT_EQ(b.stats().hits, 0u);
}

TEST(FlowCache, FifoEvictionWithinASetAndStaleEntriesGoFirst) {
  FlowCacheOptions opt;
  opt.maxEntries = FlowCache::kWays;  // one set: every key lands in it
  FlowCache cache(opt);
  std::vector<FlowKey> k;
  for (uint32_t i = 0; i < 6; ++i) k.push_back(FlowKey::ipv4(0, i, 1, 6, 1, 2));
  for (int i = 0; i < 4; ++i) cache.insert(7, k[i], i);
  EXPECT_EQ(cache.stats().evictions, 0u);
  cache.insert(7, k[4], 4);  // evicts k0, the first in
  cache.insert(7, k[5], 5);  // evicts k1
  EXPECT_EQ(cache.stats().evictions, 2u);
  EXPECT_FALSE(cache.find(7, k[0]));
  EXPECT_FALSE(cache.find(7, k[1]));
  for (int i = 2; i < 6; ++i) EXPECT_EQ(cache.find(7, k[i]), std::optional<int32_t>(i));
  cache.insert(7, k[3], 33);  // re-insert updates in place
  EXPECT_EQ(cache.find(7, k[3]), std::optional<int32_t>(33));
  EXPECT_EQ(cache.stats().evictions, 2u);
  // A new generation: old entries are invisible and are reused without evicting.
  EXPECT_FALSE(cache.find(8, k[2]));
  for (int i = 0; i < 4; ++i) cache.insert(8, k[i], 100 + i);
  EXPECT_EQ(cache.stats().evictions, 2u);
  EXPECT_EQ(cache.entries(7), 0u);
  EXPECT_EQ(cache.entries(8), 4u);
  EXPECT_EQ(cache.find(8, k[0]), std::optional<int32_t>(100));
}

}  // namespace
}  // namespace portvakt::classify
