#pragma once
// Line and header helpers for the text protocols (SIP, SSDP). Internal to
// dataplane/packet; every read still goes through a Cursor.

#include <cstdint>
#include <string_view>

#include "dataplane/packet/cursor.h"

namespace portvakt::packet::text {

// One line ending in LF, without the LF or a CR before it. When the window
// has no LF the rest of the window is the line and `terminated` is false.
// False only when the window is empty.
inline bool readLine(Cursor& c, std::string_view& line, bool& terminated) {
  if (c.empty()) return false;
  terminated = c.readUntil('\n', line);
  if (!terminated) (void)c.readText(c.remaining(), line);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

inline bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// "Name: value" -> name, trimmed value. False when there is no colon.
inline bool splitHeader(std::string_view line, std::string_view& name, std::string_view& value) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  name = trim(line.substr(0, colon));
  value = trim(line.substr(colon + 1));
  return true;
}

// Parses a 3-digit status code at the start of `s`.
inline bool parseStatus(std::string_view s, uint16_t& code) {
  if (s.size() < 3) return false;
  if (s.size() > 3 && s[3] != ' ') return false;
  uint16_t v = 0;
  for (size_t i = 0; i < 3; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = static_cast<uint16_t>(v * 10 + (s[i] - '0'));
  }
  code = v;
  return true;
}

}  // namespace portvakt::packet::text
