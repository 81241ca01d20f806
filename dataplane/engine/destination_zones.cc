#include "dataplane/engine/destination_zones.h"

namespace portvakt::engine {
namespace {

uint64_t loadBe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// The top `bits` of a `width`-bit word set (bits may be 0 or width).
uint64_t topBits(int bits, int width) {
  if (bits <= 0) return 0;
  const uint64_t all = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  return bits >= width ? all : all & ~((uint64_t{1} << (width - bits)) - 1);
}

}  // namespace

DestinationZones::DestinationZones(const tables::CompiledPolicy& policy) {
  for (size_t z = 0; z < policy.zones.size(); ++z) {
    for (const tables::Prefix& p : policy.zones[z].prefixes) {
      const auto zone = static_cast<tables::ZoneId>(z);
      if (!p.v6) {
        const auto mask = static_cast<uint32_t>(topBits(p.length, 32));
        v4_.push_back({static_cast<uint32_t>(loadBe(p.addr.data(), 4)) & mask, mask, zone});
      } else {
        V6Entry e;
        e.zone = zone;
        for (int half = 0; half < 2; ++half) {
          e.mask[half] = topBits(p.length - 64 * half, 64);
          e.network[half] = loadBe(p.addr.data() + 8 * half, 8) & e.mask[half];
        }
        v6_.push_back(e);
      }
    }
  }
}

tables::ZoneId DestinationZones::zoneOfV4(const uint8_t* address) const {
  if (v4_.empty()) return tables::kNoZone;
  const auto a = static_cast<uint32_t>(loadBe(address, 4));
  for (const V4Entry& e : v4_) {
    if ((a & e.mask) == e.network) return e.zone;
  }
  return tables::kNoZone;
}

tables::ZoneId DestinationZones::zoneOfV6(const uint8_t* address) const {
  if (v6_.empty()) return tables::kNoZone;
  const uint64_t hi = loadBe(address, 8), lo = loadBe(address + 8, 8);
  for (const V6Entry& e : v6_) {
    if ((hi & e.mask[0]) == e.network[0] && (lo & e.mask[1]) == e.network[1]) return e.zone;
  }
  return tables::kNoZone;
}

}  // namespace portvakt::engine
