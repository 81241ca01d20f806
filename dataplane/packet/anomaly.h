#pragma once
// Decode anomalies: what was wrong with a frame, by a stable dotted name.
//
// Like Suricata's decode events and Zeek's "weirds", every way a frame can be
// malformed has a name (`decode.<protocol>.<what>`) that never changes once
// released, because operators alert and graph on it. The name list is data
// (allAnomalies()), so the docs and the metrics endpoint enumerate it instead
// of copying it. A frame with an anomaly is still returned with everything
// parsed before the anomaly; the parser stops only the layer it was in.
//
// Counters count frames: a frame with twelve bad DHCP options adds one to
// `decode.dhcp.option_overrun`, not twelve. AnomalyCounters is a plain value
// with no synchronisation: keep one per dataplane thread and sum them when
// reporting.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace portvakt::packet {

struct ParsedFrame;

// Order is not part of the contract (names are); new entries go anywhere.
enum class Anomaly : uint8_t {
  kEthTruncated,
  kEthTooManyTags,
  kEthVlanTruncated,
  kEthLlcTruncated,
  kArpTruncated,
  kArpUnsupportedFormat,
  kIpv4Truncated,
  kIpv4BadVersion,
  kIpv4BadHeaderLength,
  kIpv4BadTotalLength,
  kIpv4TotalLengthOverrun,
  kIpv4OptionOverrun,
  kIpv6Truncated,
  kIpv6BadVersion,
  kIpv6PayloadLengthOverrun,
  kIpv6ExtTruncated,
  kIpv6TooManyExtHeaders,
  kIpv6IncompleteHeaderChain,
  kIcmpTruncated,
  kIcmpv6Truncated,
  kIcmpv6NdOptionOverrun,
  kIcmpv6NdOptionZeroLength,
  kIcmpv6TooManyNdOptions,
  kTcpTruncated,
  kTcpBadHeaderLength,
  kUdpTruncated,
  kUdpBadLength,
  kUdpLengthOverrun,
  kDhcpTruncated,
  kDhcpBadCookie,
  kDhcpOptionOverrun,
  kDhcpBadOptionLength,
  kDhcpTooManyOptions,
  kDhcpv6Truncated,
  kDhcpv6OptionOverrun,
  kDhcpv6BadOptionLength,
  kDhcpv6TooManyOptions,
  kDhcpv6TooManyRelays,
  kLldpTruncated,
  kLldpTlvOverrun,
  kLldpBadTlvLength,
  kLldpTooManyTlvs,
  kLldpMissingMandatory,
  kCdpTruncated,
  kCdpTlvOverrun,
  kCdpBadTlvLength,
  kCdpTooManyTlvs,
  kEapolTruncated,
  kEapolLengthOverrun,
  kEapTruncated,
  kSipBadStartLine,
  kSipTooManyHeaders,
  kSipHeaderNotTerminated,
  kDnsTruncated,
  kDnsNameOverrun,
  kDnsBadLabel,
  kDnsNameTooLong,
  kDnsPointerLoop,
  kDnsTooManyRecords,
  kDnsRdataOverrun,
  kSsdpBadStartLine,
  kSsdpTooManyHeaders,
  kSsdpHeaderNotTerminated,
};

struct AnomalyInfo {
  Anomaly id;
  std::string_view name;         // stable: decode.<protocol>.<what>
  std::string_view description;  // one line for docs and `portvakt trace`
};

inline constexpr size_t kAnomalyCount = static_cast<size_t>(Anomaly::kSsdpHeaderNotTerminated) + 1;

// Every anomaly, indexed by its enum value.
std::span<const AnomalyInfo> allAnomalies();
std::string_view anomalyName(Anomaly a);
std::optional<Anomaly> anomalyFromName(std::string_view name);

// A set of anomalies seen in one frame, plus the first one (the one that
// explains the verdict in a trace).
class AnomalySet {
 public:
  void add(Anomaly a) {
    size_t i = static_cast<size_t>(a);
    if (count_ == 0) first_ = a;
    uint64_t bit = uint64_t{1} << (i % 64);
    if ((bits_[i / 64] & bit) == 0) {
      bits_[i / 64] |= bit;
      ++count_;
    }
  }
  bool contains(Anomaly a) const {
    size_t i = static_cast<size_t>(a);
    return (bits_[i / 64] >> (i % 64)) & 1;
  }
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  std::optional<Anomaly> first() const { return count_ == 0 ? std::nullopt : std::optional(first_); }
  void clear() { *this = AnomalySet{}; }
  template <typename F>
  void forEach(F&& f) const {
    for (size_t i = 0; i < kAnomalyCount; ++i) {
      if ((bits_[i / 64] >> (i % 64)) & 1) f(static_cast<Anomaly>(i));
    }
  }

 private:
  std::array<uint64_t, (kAnomalyCount + 63) / 64> bits_{};
  uint16_t count_ = 0;
  Anomaly first_ = Anomaly::kEthTruncated;
};

class AnomalyCounters {
 public:
  void add(Anomaly a, uint64_t n = 1) { counts_[static_cast<size_t>(a)] += n; }
  // Adds one for each anomaly of the frame.
  void record(const AnomalySet& set) {
    set.forEach([this](Anomaly a) { add(a); });
  }
  void merge(const AnomalyCounters& other) {
    for (size_t i = 0; i < kAnomalyCount; ++i) counts_[i] += other.counts_[i];
  }
  uint64_t count(Anomaly a) const { return counts_[static_cast<size_t>(a)]; }
  uint64_t total() const {
    uint64_t sum = 0;
    for (uint64_t c : counts_) sum += c;
    return sum;
  }

 private:
  std::array<uint64_t, kAnomalyCount> counts_{};
};

}  // namespace portvakt::packet
