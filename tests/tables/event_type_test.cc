// The alert event types are one list (policy/tables/event_type.h): names are
// unique and round-trip, and docs/alerts.md's table lists exactly them, each
// with its CEF name and a test that exists and raises it.
#include "policy/tables/event_type.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace portvakt::tables {
namespace {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct DocRow {
  std::string cefName;
  std::string test;
};

// The rows of the "## Alert types" table: `type` | CEF name | raised by | `test`.
std::map<std::string, DocRow> documentedTypes(const std::string& doc, std::vector<std::string>& duplicates) {
  std::map<std::string, DocRow> rows;
  std::istringstream in(doc);
  std::string line;
  bool inSection = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) inSection = line == "## Alert types";
    if (!inSection || line.rfind("| `", 0) != 0) continue;
    std::vector<std::string> cells;
    std::string cell;
    for (size_t i = 1; i < line.size(); ++i) {
      if (line[i] == '|') {
        while (!cell.empty() && cell.back() == ' ') cell.pop_back();
        while (!cell.empty() && cell.front() == ' ') cell.erase(cell.begin());
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += line[i];
      }
    }
    if (cells.size() != 4) {
      ADD_FAILURE() << "docs/alerts.md: a row of the alert types table without 4 cells: " << line;
      continue;
    }
    auto unquote = [](std::string s) {
      if (s.size() >= 2 && s.front() == '`' && s.back() == '`') s = s.substr(1, s.size() - 2);
      return s;
    };
    const std::string type = unquote(cells[0]);
    if (rows.count(type)) duplicates.push_back(type);
    rows[type] = {cells[1], unquote(cells[3])};
  }
  return rows;
}

// "EventType::kRogueDhcp" for "rogue_dhcp".
std::string enumName(std::string_view name) {
  std::string out = "EventType::k";
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// The source text of `Suite.Name` (a TEST or TEST_F under tests/), or "".
std::string testBody(const std::filesystem::path& tests, const std::string& suiteAndName) {
  const size_t dot = suiteAndName.find('.');
  if (dot == std::string::npos) return "";
  const std::string suite = suiteAndName.substr(0, dot), name = suiteAndName.substr(dot + 1);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(tests)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".cc") continue;
    const std::string text = readFile(entry.path());
    for (const char* macro : {"TEST(", "TEST_F("}) {
      const size_t at = text.find(std::string(macro) + suite + ", " + name + ")");
      if (at == std::string::npos) continue;
      const size_t end = text.find("\nTEST", at + 1);
      return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    }
  }
  return "";
}

TEST(EventTypes, NamesAreUniqueSnakeCaseAndRoundTrip) {
  std::set<std::string_view> names, cefNames;
  for (const EventTypeInfo& info : kEventTypes) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_TRUE(cefNames.insert(info.cefName).second) << info.cefName;
    for (char c : info.name) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') << info.name;
    ASSERT_TRUE(eventTypeFromName(info.name).has_value()) << info.name;
    EXPECT_EQ(*eventTypeFromName(info.name), info.type);
    EXPECT_EQ(toString(info.type), info.name);
  }
  EXPECT_FALSE(eventTypeFromName("invariant:voice-never-region").has_value());
  EXPECT_FALSE(eventTypeFromName("").has_value());
}

TEST(EventTypes, DocsListEveryTypeAndNoOther) {
  const std::filesystem::path root = PORTVAKT_SOURCE_DIR;
  const std::string doc = readFile(root / "docs/alerts.md");
  ASSERT_FALSE(doc.empty()) << "cannot read docs/alerts.md";
  std::vector<std::string> duplicates;
  const std::map<std::string, DocRow> documented = documentedTypes(doc, duplicates);
  EXPECT_TRUE(duplicates.empty()) << "listed twice in docs/alerts.md: " << duplicates.front();
  for (const EventTypeInfo& info : kEventTypes) {
    auto row = documented.find(std::string(info.name));
    if (row == documented.end()) {
      ADD_FAILURE() << info.name << " is raised but not in docs/alerts.md's table of alert types";
      continue;
    }
    EXPECT_EQ(row->second.cefName, info.cefName) << info.name << ": the CEF name in docs/alerts.md";
    const std::string& test = row->second.test;
    if (test.ends_with(".sh")) {
      const std::string script = readFile(root / "tests" / test);
      EXPECT_FALSE(script.empty()) << info.name << ": no script tests/" << test;
      EXPECT_NE(script.find(info.name), std::string::npos) << info.name << ": tests/" << test << " never mentions it";
    } else {
      const std::string body = testBody(root / "tests", test);
      EXPECT_FALSE(body.empty()) << info.name << ": no test " << test << " under tests/";
      // The name as a whole string or the first word of one ("rogue_dhcp 02:00:..."), or the enumerator.
      const std::string quoted = "\"" + std::string(info.name);
      EXPECT_TRUE(body.find(quoted + "\"") != std::string::npos || body.find(quoted + " ") != std::string::npos ||
                  body.find(enumName(info.name)) != std::string::npos)
          << info.name << ": " << test << " does not check for it (neither \"" << info.name << "\" nor "
          << enumName(info.name) << ")";
    }
  }
  for (const auto& [type, row] : documented) {
    EXPECT_TRUE(eventTypeFromName(type).has_value())
        << "docs/alerts.md lists " << type << ", which is no event type (policy/tables/event_type.h)";
  }
}

}  // namespace
}  // namespace portvakt::tables
