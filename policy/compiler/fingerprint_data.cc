#include "policy/compiler/fingerprint_data.h"

#include <charconv>
#include <map>

namespace portvakt::policy {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parseNumber(std::string_view s, unsigned& out) {
  s = trim(s);
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Why these caps: Fingerbank's file holds ~700 entries and ~2000 lists; a
// policy's data is at most the compiler's 8 MiB file limit.
constexpr size_t kMaxLineLength = 4096;
constexpr size_t kMaxLists = 100000;

struct Range {
  unsigned low = 0, high = 0;
};

}  // namespace

std::vector<tables::DhcpFingerprint> parseFingerbankText(std::string_view text, const std::string& display,
                                                         Diagnostics& diags) {
  enum class Section { kNone, kClass, kOs };
  Section section = Section::kNone;
  std::map<unsigned, std::pair<std::string, std::vector<Range>>> classes;  // id -> description, members
  struct Os {
    unsigned id = 0;
    std::string description;
    std::vector<std::vector<uint8_t>> lists;
  };
  std::vector<Os> entries;
  std::map<unsigned, int> osLine;
  unsigned currentClass = 0;
  size_t listCount = 0;

  size_t pos = 0;
  int lineNo = 0;
  auto nextLine = [&](std::string_view& line) {
    if (pos >= text.size()) return false;
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    return true;
  };
  auto fail = [&](int line, const std::string& message) {
    diags.error({display, line, 1}, "fingerprint-syntax", message);
    return std::vector<tables::DhcpFingerprint>{};
  };

  std::string_view raw;
  while (nextLine(raw)) {
    if (raw.size() > kMaxLineLength) return fail(lineNo, "line longer than " + std::to_string(kMaxLineLength) + " bytes");
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      const std::string_view inner = line.back() == ']' ? trim(line.substr(1, line.size() - 2)) : std::string_view();
      const size_t space = inner.find(' ');
      unsigned id = 0;
      if (space == std::string_view::npos || !parseNumber(inner.substr(space + 1), id))
        return fail(lineNo, "a section header is [class N] or [os N]");
      const std::string_view kind = inner.substr(0, space);
      if (kind == "class") {
        if (classes.count(id)) return fail(lineNo, "class " + std::to_string(id) + " is defined twice");
        section = Section::kClass;
        currentClass = id;
        classes[id];
      } else if (kind == "os") {
        if (auto [it, fresh] = osLine.emplace(id, lineNo); !fresh)
          return fail(lineNo, "os " + std::to_string(id) + " is defined twice (first at line " + std::to_string(it->second) + ")");
        section = Section::kOs;
        entries.push_back({id, {}, {}});
      } else {
        return fail(lineNo, "unknown section '" + std::string(kind) + "' (expected class or os)");
      }
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return fail(lineNo, "expected key=value, a [section] or a # comment");
    if (section == Section::kNone) return fail(lineNo, "key outside a [class N] or [os N] section");
    const std::string_view key = trim(line.substr(0, eq));
    const std::string_view value = trim(line.substr(eq + 1));
    std::vector<std::pair<std::string_view, int>> values;  // a here-document's lines, or the one value
    if (value.substr(0, 2) == "<<") {
      const std::string_view marker = trim(value.substr(2));
      if (marker.empty()) return fail(lineNo, "here-document without an end marker");
      const int start = lineNo;
      bool closed = false;
      while (nextLine(raw)) {
        if (raw.size() > kMaxLineLength) return fail(lineNo, "line longer than " + std::to_string(kMaxLineLength) + " bytes");
        const std::string_view v = trim(raw);
        if (v == marker) {
          closed = true;
          break;
        }
        if (!v.empty() && v.front() != '#') values.emplace_back(v, lineNo);
      }
      if (!closed) return fail(start, "here-document '" + std::string(key) + "' is not closed by " + std::string(marker));
    } else {
      values.emplace_back(value, lineNo);
    }

    if (section == Section::kClass) {
      auto& [description, members] = classes[currentClass];
      if (key == "description") {
        description = values.empty() ? "" : std::string(values.front().first);
      } else if (key == "members") {
        for (auto [v, at] : values) {
          for (size_t p = 0; p <= v.size();) {
            size_t comma = v.find(',', p);
            if (comma == std::string_view::npos) comma = v.size();
            const std::string_view item = trim(v.substr(p, comma - p));
            const size_t dash = item.find('-');
            Range r;
            const bool ok = dash == std::string_view::npos
                                ? parseNumber(item, r.low) && ((r.high = r.low), true)
                                : parseNumber(item.substr(0, dash), r.low) && parseNumber(item.substr(dash + 1), r.high);
            if (!ok || r.high < r.low) return fail(at, "members are ids or ranges like 100-199, not '" + std::string(item.substr(0, 40)) + "'");
            members.push_back(r);
            p = comma + 1;
          }
        }
      } else {
        return fail(lineNo, "unknown key '" + std::string(key.substr(0, 40)) + "' in a class (expected description, members)");
      }
      continue;
    }
    Os& os = entries.back();
    if (key == "description") {
      os.description = values.empty() ? "" : std::string(values.front().first);
    } else if (key == "vendor_id") {
      // Known and not needed: classes match option 60 themselves (dhcp.vendor_class).
    } else if (key == "fingerprints") {
      for (auto [v, at] : values) {
        std::vector<uint8_t> codes;
        for (size_t p = 0; p <= v.size();) {
          size_t comma = v.find(',', p);
          if (comma == std::string_view::npos) comma = v.size();
          unsigned code = 0;
          if (!parseNumber(v.substr(p, comma - p), code) || code > 255)
            return fail(at, "a fingerprint is DHCP option codes 0-255 separated by commas, not '" + std::string(v.substr(0, 80)) + "'");
          if (codes.size() == 255) return fail(at, "a fingerprint has more than 255 option codes");
          codes.push_back(static_cast<uint8_t>(code));
          p = comma + 1;
        }
        if (++listCount > kMaxLists) return fail(at, "more than " + std::to_string(kMaxLists) + " fingerprints");
        os.lists.push_back(std::move(codes));
      }
    } else {
      return fail(lineNo, "unknown key '" + std::string(key.substr(0, 40)) + "' in an os entry (expected description, vendor_id, fingerprints)");
    }
  }

  std::vector<tables::DhcpFingerprint> out;
  for (Os& os : entries) {
    std::vector<std::string> categories;
    for (const auto& [id, cls] : classes) {
      for (const Range& r : cls.second) {
        if (os.id >= r.low && os.id <= r.high) {
          categories.push_back(cls.first);
          break;
        }
      }
    }
    for (auto& codes : os.lists) out.push_back({std::move(codes), os.description, categories});
  }
  return out;
}

}  // namespace portvakt::policy
