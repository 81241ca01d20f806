#include "policy/tables/fingerbank.h"
#include "policy/tables/line_reader.h"

#include <charconv>
#include <map>
#include <utility>

namespace portvakt::tables {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool parseNumber(std::string_view s, uint32_t& out) {
  s = trim(s);
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

struct Range {
  uint32_t low = 0, high = 0;
};
struct ParsedClass {
  std::string description;
  std::vector<Range> members;
};

}  // namespace

Expected<std::vector<FingerbankOs>, FingerbankError> parseFingerbank(std::string_view text,
                                                                     const FingerbankLimits& limits) {
  auto fail = [](size_t line, std::string message) { return FingerbankError{line, std::move(message)}; };
  const std::string tooLongLine = "line longer than " + std::to_string(limits.maxLineLength) + " bytes";

  enum class Section { kNone, kClass, kOs };
  Section section = Section::kNone;
  std::map<uint32_t, ParsedClass> classes;
  std::vector<FingerbankOs> entries;
  std::map<uint32_t, size_t> osLine;
  uint32_t currentId = 0;
  size_t listCount = 0;

  tables::LineReader reader(text, limits.maxLineLength);
  std::string_view raw;
  bool tooLong = false;
  while (reader.next(raw, tooLong)) {
    const size_t lineNo = reader.number();
    if (tooLong) return fail(lineNo, tooLongLine);
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;

    if (line.front() == '[') {
      if (line.back() != ']') return fail(lineNo, "section header without ']'");
      const std::string_view inner = trim(line.substr(1, line.size() - 2));
      const size_t space = inner.find(' ');
      const std::string_view kind = inner.substr(0, space);
      uint32_t id = 0;
      if (space == std::string_view::npos || !parseNumber(inner.substr(space + 1), id))
        return fail(lineNo, "a section header must be [class N] or [os N]");
      if (kind == "class") {
        if (classes.count(id)) return fail(lineNo, "class " + std::to_string(id) + " is defined twice");
        section = Section::kClass;
        classes[id];
      } else if (kind == "os") {
        if (auto [it, fresh] = osLine.emplace(id, lineNo); !fresh)
          return fail(lineNo, "os " + std::to_string(id) + " is defined twice (first at line " +
                                  std::to_string(it->second) + ")");
        if (entries.size() >= limits.maxEntries)
          return fail(lineNo, "more than " + std::to_string(limits.maxEntries) + " os entries (the limit)");
        section = Section::kOs;
        entries.emplace_back().id = id;
      } else {
        return fail(lineNo, "unknown section '" + std::string(kind.substr(0, 40)) + "' (expected class or os)");
      }
      currentId = id;
      continue;
    }

    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return fail(lineNo, "expected key=value, a [section] or a # comment");
    if (section == Section::kNone) return fail(lineNo, "key outside a [class N] or [os N] section");
    const std::string_view key = trim(line.substr(0, eq));
    const std::string_view value = trim(line.substr(eq + 1));

    // A value is one line, or a here-document of lines up to its end marker.
    std::vector<std::pair<std::string_view, size_t>> values;
    if (value.substr(0, 2) == "<<") {
      const std::string_view marker = trim(value.substr(2));
      if (marker.empty()) return fail(lineNo, "here-document without an end marker");
      bool closed = false;
      while (reader.next(raw, tooLong)) {
        if (tooLong) return fail(reader.number(), tooLongLine);
        const std::string_view v = trim(raw);
        if (v == marker) {
          closed = true;
          break;
        }
        if (!v.empty() && v.front() != '#') values.emplace_back(v, reader.number());
      }
      if (!closed)
        return fail(lineNo, "here-document '" + std::string(key.substr(0, 40)) + "' is not closed by " +
                                std::string(marker.substr(0, 40)));
    } else {
      values.emplace_back(value, lineNo);
    }

    if (section == Section::kClass) {
      ParsedClass& c = classes[currentId];
      if (key == "description") {
        c.description = std::string(values.empty() ? std::string_view() : values.front().first);
      } else if (key == "members") {
        for (auto [v, at] : values) {
          for (size_t pos = 0; pos <= v.size();) {
            size_t comma = v.find(',', pos);
            if (comma == std::string_view::npos) comma = v.size();
            const std::string_view item = trim(v.substr(pos, comma - pos));
            const size_t dash = item.find('-');
            Range r;
            const bool ok = dash == std::string_view::npos
                                ? parseNumber(item, r.low) && ((r.high = r.low), true)
                                : parseNumber(item.substr(0, dash), r.low) && parseNumber(item.substr(dash + 1), r.high);
            if (!ok || r.high < r.low)
              return fail(at,
                          "members must be ids or ranges like 100-199, not '" + std::string(item.substr(0, 40)) + "'");
            c.members.push_back(r);
            pos = comma + 1;
          }
        }
      } else {
        return fail(lineNo,
                    "unknown key '" + std::string(key.substr(0, 40)) + "' in a class (expected description, members)");
      }
      continue;
    }

    FingerbankOs& os = entries.back();
    if (key == "description") {
      os.description = std::string(values.empty() ? std::string_view() : values.front().first);
    } else if (key == "vendor_id") {
      for (auto [v, at] : values) os.vendorIds.emplace_back(v);
    } else if (key == "fingerprints") {
      for (auto [v, at] : values) {
        std::vector<uint8_t> codes;
        for (size_t pos = 0; pos <= v.size();) {
          size_t comma = v.find(',', pos);
          if (comma == std::string_view::npos) comma = v.size();
          uint32_t code = 0;
          if (!parseNumber(v.substr(pos, comma - pos), code) || code > 255)
            return fail(at, "a fingerprint is DHCP option codes 0-255 separated by commas, not '" +
                                std::string(v.substr(0, 80)) + "'");
          if (codes.size() == 255) return fail(at, "a fingerprint has more than 255 option codes");
          codes.push_back(static_cast<uint8_t>(code));
          pos = comma + 1;
        }
        if (++listCount > limits.maxLists)
          return fail(at, "more than " + std::to_string(limits.maxLists) + " fingerprints (the limit)");
        os.lists.push_back(std::move(codes));
      }
    } else {
      return fail(lineNo, "unknown key '" + std::string(key.substr(0, 40)) +
                              "' in an os entry (expected description, vendor_id, fingerprints)");
    }
  }

  // Categories: the descriptions of this file's classes whose members include the entry.
  for (FingerbankOs& os : entries) {
    for (const auto& [id, c] : classes) {
      for (const Range& r : c.members) {
        if (os.id >= r.low && os.id <= r.high) {
          os.categories.push_back(c.description);
          break;
        }
      }
    }
  }
  return entries;
}

}  // namespace portvakt::tables
