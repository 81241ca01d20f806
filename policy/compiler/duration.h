#pragma once
// Durations as policies write them: a whole number and a unit, "90s", "5m",
// "2h", "1d" (mac_mobility, retention). Callers check their own ranges.

#include <cstdint>
#include <optional>
#include <string_view>

namespace portvakt::policy {

// Nanoseconds, or nullopt when the text is not such a duration or does not
// fit in int64_t nanoseconds (about 292 years).
std::optional<int64_t> parseDurationNs(std::string_view text);

}  // namespace portvakt::policy
