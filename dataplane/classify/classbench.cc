#include "dataplane/classify/classbench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <istream>
#include <ostream>

#include "dataplane/classify/classifier.h"
#include "dataplane/classify/linear_classifier.h"

namespace portvakt::classify {

namespace {

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

tables::Prefix ipv4Prefix(const unsigned a[4], unsigned length) {
  tables::Prefix p;
  uint32_t v = (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
  uint32_t mask = length == 0 ? 0 : ~uint32_t{0} << (32 - length);
  v &= mask;
  p.addr[0] = static_cast<uint8_t>(v >> 24);
  p.addr[1] = static_cast<uint8_t>(v >> 16);
  p.addr[2] = static_cast<uint8_t>(v >> 8);
  p.addr[3] = static_cast<uint8_t>(v);
  p.length = static_cast<uint8_t>(length);
  return p;
}

Error lineError(long line, const std::string& what) { return Error{"line " + std::to_string(line) + ": " + what, line}; }

}  // namespace

Expected<std::vector<Rule>> parseClassbenchRules(std::istream& in) {
  std::vector<Rule> rules;
  std::string line;
  long lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (blank(line)) continue;
    unsigned s[4], d[4], sl, dl, spLo, spHi, dpLo, dpHi, proto, protoMask;
    int used = 0;
    int n =
        std::sscanf(line.c_str(), " @%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x%n", &s[0], &s[1], &s[2], &s[3],
                    &sl, &d[0], &d[1], &d[2], &d[3], &dl, &spLo, &spHi, &dpLo, &dpHi, &proto, &protoMask, &used);
    if (n != 16) return lineError(lineNo, "not a ClassBench rule: " + line);
    for (unsigned octet : {s[0], s[1], s[2], s[3], d[0], d[1], d[2], d[3]})
      if (octet > 255) return lineError(lineNo, "address octet out of range");
    if (sl > 32 || dl > 32) return lineError(lineNo, "prefix length out of range");
    if (spLo > spHi || dpLo > dpHi || spHi > 65535 || dpHi > 65535) return lineError(lineNo, "bad port range");
    if (proto > 255 || (protoMask != 0 && protoMask != 0xff))
      return lineError(lineNo, "unsupported protocol value/mask (only 0x00 and 0xFF masks)");
    Rule r;
    r.src = ipv4Prefix(s, sl);
    r.dst = ipv4Prefix(d, dl);
    r.srcPorts = {static_cast<uint16_t>(spLo), static_cast<uint16_t>(spHi)};
    r.dstPorts = {static_cast<uint16_t>(dpLo), static_cast<uint16_t>(dpHi)};
    if (protoMask == 0xff) r.protocol = static_cast<uint8_t>(proto);
    r.value = static_cast<uint32_t>(rules.size());
    rules.push_back(r);
  }
  if (in.bad()) return Error{"read error"};
  return rules;
}

Expected<std::vector<ClassbenchHeader>> parseClassbenchTrace(std::istream& in) {
  std::vector<ClassbenchHeader> headers;
  std::string line;
  long lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (blank(line)) continue;
    unsigned long src, dst, sport, dport, proto;
    long first;
    int n = std::sscanf(line.c_str(), "%lu %lu %lu %lu %lu %ld", &src, &dst, &sport, &dport, &proto, &first);
    if (n != 6) return lineError(lineNo, "not a ClassBench trace line: " + line);
    if (src > 0xffffffffUL || dst > 0xffffffffUL || sport > 65535 || dport > 65535 || proto > 255 || first < -1 ||
        first > INT32_MAX)
      return lineError(lineNo, "field out of range");
    ClassbenchHeader h;
    h.key = FlowKey::ipv4(0, static_cast<uint32_t>(src), static_cast<uint32_t>(dst), static_cast<uint8_t>(proto),
                          static_cast<uint16_t>(sport), static_cast<uint16_t>(dport));
    h.firstRule = static_cast<int32_t>(first);
    headers.push_back(h);
  }
  if (in.bad()) return Error{"read error"};
  return headers;
}

Expected<std::vector<Rule>> loadClassbenchRules(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{path + ": cannot open"};
  auto r = parseClassbenchRules(in);
  if (!r) return Error{path + ":" + r.error().message, r.error().index};
  return r;
}

Expected<std::vector<ClassbenchHeader>> loadClassbenchTrace(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{path + ": cannot open"};
  auto r = parseClassbenchTrace(in);
  if (!r) return Error{path + ":" + r.error().message, r.error().index};
  return r;
}

namespace {

// Replays the trace `replays` times through `lookup`; returns the median
// lookups per second and fills answers from the last replay.
template <class Lookup>
double replay(const std::vector<ClassbenchHeader>& trace, int replays, Lookup&& lookup, std::vector<int32_t>& answers) {
  answers.assign(trace.size(), kNoMatch);
  std::vector<double> rates;
  for (int r = 0; r < std::max(1, replays); ++r) {
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < trace.size(); ++i) answers[i] = lookup(trace[i].key);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(s > 0 ? double(trace.size()) / s : 0);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int runClassbench(const std::string& rulesPath, const std::string& tracePath, std::ostream& out, std::ostream& err,
                  const ClassbenchOptions& options, ClassbenchResult* result) {
  auto rules = loadClassbenchRules(rulesPath);
  if (!rules) {
    err << "classbench: " << rules.error().message << "\n";
    return kClassbenchUnreadable;
  }
  auto trace = loadClassbenchTrace(tracePath);
  if (!trace) {
    err << "classbench: " << trace.error().message << "\n";
    return kClassbenchUnreadable;
  }
  ClassbenchResult res;
  std::vector<int32_t> answers;
  size_t nRules = rules->size();
  if (options.linear) {
    auto start = std::chrono::steady_clock::now();
    auto lin = LinearClassifier::build(std::move(*rules));
    res.buildMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!lin) {
      err << "classbench: " << rulesPath << ": " << lin.error().message << "\n";
      return kClassbenchUnreadable;
    }
    const LinearClassifier& c = **lin;
    res.bytesPerRule = nRules ? double(c.memoryBytes()) / double(nRules) : 0;
    res.mlookupsPerS = replay(
                           *trace, options.replays, [&](const FlowKey& k) { return c.lookup(k); }, answers) /
                       1e6;
    if (options.describe) out << "linear reference: " << nRules << " rules\n";
  } else {
    auto built = Classifier::build(std::move(*rules));
    if (!built) {
      err << "classbench: " << rulesPath << ": " << built.error().message << "\n";
      return kClassbenchUnreadable;
    }
    const Classifier& c = **built;
    res.buildMs = c.stats().buildMs;
    res.bytesPerRule = nRules ? double(c.stats().bytes) / double(nRules) : 0;
    res.mlookupsPerS = replay(
                           *trace, options.replays, [&](const FlowKey& k) { return c.lookup(k); }, answers) /
                       1e6;
    if (options.describe) out << c.describe() << "\n";
  }
  res.lookups = trace->size();
  for (size_t i = 0; i < trace->size(); ++i) {
    int32_t want = (*trace)[i].firstRule;
    if (answers[i] == want) continue;
    if (static_cast<int>(res.mismatches) < options.showMismatches)
      out << "mismatch: trace line " << i + 1 << " (" << (*trace)[i].key.toString() << "): got rule " << answers[i]
          << ", trace names " << want << "\n";
    ++res.mismatches;
  }
  char line[256];
  std::snprintf(line, sizeof line, "lookups=%zu mismatches=%zu mlookups_per_s=%.2f build_ms=%.1f bytes_per_rule=%.1f\n",
                res.lookups, res.mismatches, res.mlookupsPerS, res.buildMs, res.bytesPerRule);
  out << line;
  if (result) *result = res;
  return res.mismatches ? kClassbenchMismatch : kClassbenchOk;
}

}  // namespace portvakt::classify
