#include "control/policy_views/policy_diff.h"

#include <map>
#include <sstream>

namespace portvakt::control {
namespace {

// section -> key -> canonical text, read back from the canonical dump. Indented
// lines belong to the item above them; flow rules are grouped by flow name.
using Items = std::map<std::string, std::map<std::string, std::string>>;

Items itemsOf(const tables::CompiledPolicy& policy) {
  Items items;
  std::istringstream in(policy.dumpCanonical());
  std::string line;
  std::string* last = nullptr;
  while (std::getline(in, line)) {
    if (line.rfind("  ", 0) == 0) {
      if (last) *last += "\n" + line;
      continue;
    }
    std::istringstream words(line);
    std::string section, key;
    words >> section >> key;
    if (section == "portvakt-compiled-policy") continue;
    if (section == "flow") {
      if (key == "default") continue;
      // "flow <index> "<name>" ...": group by name, drop the index.
      std::string rest;
      std::getline(words, rest);
      size_t nameEnd = rest.find('"', 2);
      std::string name = nameEnd == std::string::npos ? rest : rest.substr(2, nameEnd - 2);
      std::string& text = items[section][name];
      text += (text.empty() ? "" : "\n") + rest.substr(1);
      last = &text;
      continue;
    }
    if (section == "name" || section == "mode") {
      items["policy"][section] = line;
      last = nullptr;
      continue;
    }
    if (!key.empty() && key[0] == '"') {
      // A quoted name ("test \"an eKlient lands in region\" ..."): the key is the whole quote.
      size_t open = line.find('"');
      size_t close = line.find('"', open + 1);
      key = line.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
    }
    std::string& text = items[section][key];
    text = line;
    last = &text;
  }
  return items;
}

}  // namespace

std::vector<PolicyChange> diffPolicies(const tables::CompiledPolicy& before, const tables::CompiledPolicy& after) {
  Items a = itemsOf(before), b = itemsOf(after);
  std::vector<PolicyChange> changes;
  std::map<std::string, bool> sections;
  for (const auto& [s, v] : a) sections[s] = true;
  for (const auto& [s, v] : b) sections[s] = true;
  for (const auto& [section, unused] : sections) {
    const auto& oldItems = a[section];
    const auto& newItems = b[section];
    for (const auto& [key, text] : oldItems) {
      auto it = newItems.find(key);
      if (it == newItems.end()) changes.push_back({PolicyChange::Kind::kRemoved, section, key, text, ""});
      else if (it->second != text) changes.push_back({PolicyChange::Kind::kChanged, section, key, text, it->second});
    }
    for (const auto& [key, text] : newItems) {
      if (!oldItems.count(key)) changes.push_back({PolicyChange::Kind::kAdded, section, key, "", text});
    }
  }
  return changes;
}

std::string formatChanges(const std::vector<PolicyChange>& changes) {
  std::string out;
  auto indented = [](const std::string& prefix, const std::string& text) {
    std::string result;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) result += prefix + line + "\n";
    return result;
  };
  for (const PolicyChange& c : changes) {
    switch (c.kind) {
      case PolicyChange::Kind::kAdded: out += "+ " + c.section + " " + c.key + "\n" + indented("    + ", c.after); break;
      case PolicyChange::Kind::kRemoved:
        out += "- " + c.section + " " + c.key + "\n" + indented("    - ", c.before);
        break;
      case PolicyChange::Kind::kChanged:
        out += "~ " + c.section + " " + c.key + "\n" + indented("    - ", c.before) + indented("    + ", c.after);
        break;
    }
  }
  if (changes.empty()) out = "no semantic changes\n";
  return out;
}

}  // namespace portvakt::control
