#pragma once
// Text into HTML. Everything the status page shows that it did not write
// itself goes through htmlEscape: device host names, DHCP vendor classes,
// SIP user agents and alert evidence come from the network (any device on a
// wall jack chooses them), policy names and certificate subjects from people.
// One function for element text and quoted attribute values alike, so no
// caller has to know which context needs which characters.

#include <cstdint>
#include <string>
#include <string_view>

namespace portvakt::api {

// & < > " ' become character references; C0 controls other than tab and
// newline, and DEL, become U+FFFD (they have no business on a page and some
// browsers treat NUL specially). Valid UTF-8 passes unchanged.
std::string htmlEscape(std::string_view text);

// Unix time (seconds) as "2026-12-06 16:34:04 UTC"; "–" for 0 or less.
std::string utcTime(int64_t unixSeconds);

}  // namespace portvakt::api
