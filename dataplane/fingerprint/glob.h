#pragma once
// Glob patterns for device-class matchers: `*` matches any run of characters
// (also none), `?` exactly one; everything else is literal. There is no
// escape and no character class, because the policy language promises only
// these two (docs/policy.md, "patterns are globs with * and ?").
//
// The matcher is the classic two-pointer backtracking one: on a mismatch it
// retries from the last `*`, so it runs in O(pattern * text) at worst, with no
// recursion and no allocation. Texts it sees are bounded (kMaxTraitText).

#include <string_view>

namespace portvakt::fingerprint {

enum class GlobCase : bool { kSensitive, kInsensitive };

// True when `text` matches `pattern` as a whole. Case folding is ASCII only:
// the strings matched here (host names, User-Agents, vendor classes) are
// ASCII on the wire, and a locale-dependent fold would make a decision depend
// on the host's configuration.
bool globMatch(std::string_view pattern, std::string_view text, GlobCase mode = GlobCase::kSensitive);

// ASCII case-insensitive equality.
bool equalsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace portvakt::fingerprint
