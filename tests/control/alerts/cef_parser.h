#pragma once
// A CEF reader written from the format's rules, independent of the writer in
// control/alerts/cef.cc: the header is seven fields split on unescaped '|'
// (escapes \| and \\), the extension is key=value pairs where a key is the
// word before an unescaped '=' and a value runs to the space before the next
// key (escapes \=, \\, \n, \r). Tests read what the sinks wrote with it.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace portvakt::testing {

struct CefRecord {
  std::vector<std::string> header;  // CEF:Version, vendor, product, version, signature id, name, severity
  std::map<std::string, std::string> ext;
  std::vector<std::string> keys;  // in order
};

inline std::string cefUnescapeValue(const std::string& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      char n = v[++i];
      out += n == 'n' ? '\n' : n == 'r' ? '\r' : n;
    } else {
      out += v[i];
    }
  }
  return out;
}

inline std::optional<CefRecord> parseCef(const std::string& line) {
  if (line.rfind("CEF:", 0) != 0) return std::nullopt;
  CefRecord r;
  std::string field;
  size_t i = 0;
  for (; i < line.size() && r.header.size() < 7; ++i) {
    char c = line[i];
    if (c == '\\') {
      if (i + 1 >= line.size()) return std::nullopt;
      char n = line[++i];
      if (n != '\\' && n != '|') return std::nullopt;  // the only escapes a header has
      field += n;
    } else if (c == '|') {
      r.header.push_back(field);
      field.clear();
    } else if (c == '\n' || c == '\r') {
      return std::nullopt;
    } else {
      field += c;
    }
  }
  if (r.header.size() != 7) return std::nullopt;
  const std::string ext = line.substr(i);
  if (ext.find('\n') != std::string::npos || ext.find('\r') != std::string::npos) return std::nullopt;
  // Unescaped '=' positions.
  std::vector<size_t> eq;
  for (size_t j = 0; j < ext.size(); ++j) {
    if (ext[j] == '\\') {
      ++j;
      continue;
    }
    if (ext[j] == '=') eq.push_back(j);
  }
  std::vector<std::pair<size_t, size_t>> keySpans;  // [start, end) of each key
  size_t floor = 0;
  for (size_t p : eq) {
    size_t start = p;
    while (start > floor && ext[start - 1] != ' ') --start;
    if (start == p) return std::nullopt;                           // "=" without a key
    if (!keySpans.empty() && start == floor) return std::nullopt;  // a key must follow a space
    keySpans.push_back({start, p});
    floor = p + 1;
  }
  if (!keySpans.empty() && keySpans[0].first != 0) return std::nullopt;
  for (size_t k = 0; k < keySpans.size(); ++k) {
    std::string key = ext.substr(keySpans[k].first, keySpans[k].second - keySpans[k].first);
    for (char c : key) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return std::nullopt;
    }
    size_t valueStart = keySpans[k].second + 1;
    size_t valueEnd = k + 1 < keySpans.size() ? keySpans[k + 1].first - 1 : ext.size();
    if (r.ext.count(key)) return std::nullopt;  // a key appears once
    r.keys.push_back(key);
    r.ext[key] = cefUnescapeValue(ext.substr(valueStart, valueEnd - valueStart));
  }
  return r;
}

}  // namespace portvakt::testing
