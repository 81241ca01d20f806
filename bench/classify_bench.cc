// Classifier benchmarks: for acl1/fw1/ipc1 at 1K and 10K rules, lookups/s and
// time per lookup of the fast classifier and the linear reference on the
// ClassBench trace and on a uniform-random trace over the same rules, build
// time and bytes per rule, and the flow cache's hit path and hit rate.
//
//   build-dir/bench/portvakt_classify_bench            (from the project root)
//   PORTVAKT_CLASSBENCH_DIR=/elsewhere ... to point at other data
//
// Counters: lookups_per_s (rate), time_per_lookup (seconds, inverted rate),
// bytes_per_rule, build_ms, and for the cache hit_rate and cache_bytes.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "dataplane/classify/classbench.h"
#include "dataplane/classify/classifier.h"
#include "dataplane/classify/flow_cache.h"
#include "dataplane/classify/linear_classifier.h"

namespace classify = portvakt::classify;

namespace {

struct Dataset {
  std::vector<classify::Rule> rules;
  std::vector<classify::FlowKey> trace;
  std::vector<classify::FlowKey> uniform;
  classify::ClassifierPtr fast;
  classify::LinearClassifierPtr linear;
};

const char* const kSets[] = {"acl1_1K", "fw1_1K", "ipc1_1K", "acl1_10K", "fw1_10K", "ipc1_10K"};

std::filesystem::path dataDir() {
  if (const char* d = std::getenv("PORTVAKT_CLASSBENCH_DIR")) return d;
  return std::filesystem::path(PORTVAKT_SOURCE_DIR) / ".." / "shared" / "classbench";
}

std::map<std::string, Dataset>& datasets() {
  static std::map<std::string, Dataset> sets;
  return sets;
}

bool load(const std::string& name) {
  auto rules = classify::loadClassbenchRules((dataDir() / (name + ".rules")).string());
  auto trace = classify::loadClassbenchTrace((dataDir() / (name + ".trace")).string());
  if (!rules || !trace) {
    std::cerr << "classify_bench: skipping " << name << ": " << (!rules ? rules.error().message : trace.error().message)
              << "\n";
    return false;
  }
  Dataset d;
  d.rules = *rules;
  for (const auto& h : *trace) d.trace.push_back(h.key);
  // Uniform over the whole header space the rules use: no locality at all.
  std::mt19937_64 rng(12345);
  for (size_t i = 0; i < d.trace.size(); ++i) {
    uint8_t proto = rng() % 4 == 0 ? 17 : 6;
    d.uniform.push_back(classify::FlowKey::ipv4(0, static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()), proto,
                                                static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng())));
  }
  auto fast = classify::Classifier::build(d.rules);
  auto linear = classify::LinearClassifier::build(d.rules);
  if (!fast || !linear) {
    std::cerr << "classify_bench: " << name << ": cannot build\n";
    return false;
  }
  d.fast = *fast;
  d.linear = *linear;
  datasets()[name] = std::move(d);
  return true;
}

void setRate(benchmark::State& state, size_t lookups) {
  double n = static_cast<double>(lookups) * static_cast<double>(state.iterations());
  state.counters["lookups_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["time_per_lookup"] = benchmark::Counter(n, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

template <class C>
void replay(benchmark::State& state, const C& c, const std::vector<classify::FlowKey>& keys, size_t limit) {
  size_t n = std::min(limit, keys.size());
  for (auto _ : state) {
    for (size_t i = 0; i < n; ++i) benchmark::DoNotOptimize(c.lookup(keys[i]));
  }
  setRate(state, n);
}

void fastTrace(benchmark::State& state, const std::string& name) {
  const Dataset& d = datasets().at(name);
  replay(state, *d.fast, d.trace, d.trace.size());
  state.counters["bytes_per_rule"] = double(d.fast->stats().bytes) / double(d.rules.size());
  state.counters["build_ms"] = d.fast->stats().buildMs;
}

void fastUniform(benchmark::State& state, const std::string& name) {
  const Dataset& d = datasets().at(name);
  replay(state, *d.fast, d.uniform, d.uniform.size());
}

// The linear scan is ~1000x slower; 10K headers are enough for a stable rate.
void linearTrace(benchmark::State& state, const std::string& name) {
  const Dataset& d = datasets().at(name);
  replay(state, *d.linear, d.trace, 10000);
  state.counters["bytes_per_rule"] = double(d.linear->memoryBytes()) / double(d.rules.size());
}

void linearUniform(benchmark::State& state, const std::string& name) {
  const Dataset& d = datasets().at(name);
  replay(state, *d.linear, d.uniform, 10000);
}

void build(benchmark::State& state, const std::string& name) {
  const Dataset& d = datasets().at(name);
  size_t bytes = 0;
  for (auto _ : state) {
    auto c = classify::Classifier::build(d.rules);
    bytes = (*c)->stats().bytes;
    benchmark::DoNotOptimize(c);
  }
  state.counters["rules"] = double(d.rules.size());
  state.counters["bytes_per_rule"] = double(bytes) / double(d.rules.size());
}

// Cache in front of the classifier, replaying the trace (which has locality):
// the first pass warms it, the timed passes measure the mix of hits and misses
// the trace produces; hit_rate says how much of that is the hit path.
void cachedTrace(benchmark::State& state, const std::string& name) {
  const Dataset& d = datasets().at(name);
  classify::FlowCache cache;  // default: 65536 entries
  for (const auto& k : d.trace) benchmark::DoNotOptimize(cache.lookup(*d.fast, k));
  auto before = cache.stats();
  for (auto _ : state) {
    for (const auto& k : d.trace) benchmark::DoNotOptimize(cache.lookup(*d.fast, k));
  }
  setRate(state, d.trace.size());
  auto after = cache.stats();
  double hits = double(after.hits - before.hits), misses = double(after.misses - before.misses);
  state.counters["hit_rate"] = hits / std::max(1.0, hits + misses);
  state.counters["cache_bytes"] = double(cache.memoryBytes());
}

// Cold cache, first pass only: the hit rate a trace gets from its own locality.
void cacheColdHitRate(benchmark::State& state, const std::string& name) {
  const Dataset& d = datasets().at(name);
  double rate = 0;
  for (auto _ : state) {
    classify::FlowCache cache;
    for (const auto& k : d.trace) benchmark::DoNotOptimize(cache.lookup(*d.fast, k));
    rate = double(cache.stats().hits) / double(d.trace.size());
  }
  setRate(state, d.trace.size());
  state.counters["hit_rate"] = rate;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  int loaded = 0;
  for (const char* set : kSets) {
    if (!load(set)) continue;
    ++loaded;
    std::string s = set;
    benchmark::RegisterBenchmark(("fast/trace/" + s).c_str(), fastTrace, s)->UseRealTime();
    benchmark::RegisterBenchmark(("linear/trace/" + s).c_str(), linearTrace, s)->UseRealTime();
    benchmark::RegisterBenchmark(("fast/uniform/" + s).c_str(), fastUniform, s)->UseRealTime();
    benchmark::RegisterBenchmark(("linear/uniform/" + s).c_str(), linearUniform, s)->UseRealTime();
    benchmark::RegisterBenchmark(("build/" + s).c_str(), build, s)->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("cache/trace_warm/" + s).c_str(), cachedTrace, s)->UseRealTime();
    benchmark::RegisterBenchmark(("cache/trace_cold/" + s).c_str(), cacheColdHitRate, s)->UseRealTime();
  }
  if (!loaded) {
    std::cerr << "classify_bench: no ClassBench data under " << dataDir() << " (set PORTVAKT_CLASSBENCH_DIR)\n";
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
