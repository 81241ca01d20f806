#include "policy/compiler/duration.h"

#include <charconv>
#include <limits>

namespace portvakt::policy {

std::optional<int64_t> parseDurationNs(std::string_view text) {
  if (text.size() < 2) return std::nullopt;
  int64_t unitSeconds = 0;
  switch (text.back()) {
    case 's': unitSeconds = 1; break;
    case 'm': unitSeconds = 60; break;
    case 'h': unitSeconds = 3600; break;
    case 'd': unitSeconds = 86400; break;
    default: return std::nullopt;
  }
  text.remove_suffix(1);
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  constexpr int64_t kNsPerSecond = 1'000'000'000;
  if (int64_t{n} > std::numeric_limits<int64_t>::max() / (unitSeconds * kNsPerSecond)) return std::nullopt;
  return int64_t{n} * unitSeconds * kNsPerSecond;
}

}  // namespace portvakt::policy
