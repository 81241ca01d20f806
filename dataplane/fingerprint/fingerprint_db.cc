#include "dataplane/fingerprint/fingerprint_db.h"
#include "policy/tables/line_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "dataplane/fingerprint/glob.h"
#include "policy/tables/fingerbank.h"

namespace portvakt::fingerprint {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

Expected<std::string> readBoundedFile(const std::string& path, size_t maxBytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return LoadError{path, 0, "cannot read: " + ec.message()};
  if (size > maxBytes)
    return LoadError{path, 0,
                     "file is " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(maxBytes)};
  std::ifstream in(path, std::ios::binary);
  if (!in) return LoadError{path, 0, "cannot open"};
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (static_cast<size_t>(in.gcount()) != size) return LoadError{path, 0, "short read"};
  return text;
}

Expected<FingerprintLoadStats> FingerprintDb::addFingerbankFile(const std::string& path, const KnowledgeLimits& limits) {
  auto text = readBoundedFile(path, limits.maxFileBytes);
  if (!text) return text.error();
  return addFingerbankText(*text, path, limits);
}

Expected<FingerprintLoadStats> FingerprintDb::addFingerbankText(std::string_view text, std::string_view sourceName,
                                                                const KnowledgeLimits& limits) {
  const std::string source(sourceName);
  if (text.size() > limits.maxFileBytes) return LoadError{source, 0, "text is larger than the limit"};
  auto parsed = tables::parseFingerbank(
      text, {.maxLineLength = limits.maxLineLength, .maxEntries = limits.maxEntries, .maxLists = limits.maxListsPerFile});
  if (!parsed) return LoadError{source, parsed.error().line, parsed.error().message};

  // Everything parsed: commit.
  std::vector<OsFingerprint> osEntries;
  std::vector<std::pair<std::vector<uint8_t>, size_t>> lists;  // list, index into osEntries
  const std::string file = std::filesystem::path(source).filename().string();
  for (tables::FingerbankOs& entry : *parsed) {
    for (auto& codes : entry.lists) lists.emplace_back(std::move(codes), osEntries.size());
    osEntries.push_back(
        {entry.id, std::move(entry.description), std::move(entry.categories), std::move(entry.vendorIds), file});
  }
  FingerprintLoadStats stats;
  const uint32_t base = static_cast<uint32_t>(os_.size());
  for (size_t i = 0; i < osEntries.size(); ++i) {
    for (const std::string& v : osEntries[i].vendorIds) vendorIds_.emplace_back(v, base + static_cast<uint32_t>(i));
    os_.push_back(std::move(osEntries[i]));
  }
  stats.osEntries = osEntries.size();
  for (auto& [codes, index] : lists) {
    lists_.emplace_back(std::string(codes.begin(), codes.end()), base + static_cast<uint32_t>(index));
    ++stats.lists;
  }
  // Stable: among equal lists the earliest loaded (earlier file, earlier
  // entry) stays first and wins.
  std::stable_sort(lists_.begin(), lists_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const size_t before = lists_.size();
  lists_.erase(std::unique(lists_.begin(), lists_.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
               lists_.end());
  stats.duplicateLists = before - lists_.size();
  std::stable_sort(vendorIds_.begin(), vendorIds_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return stats;
}

const OsFingerprint* FingerprintDb::lookup(std::span<const uint8_t> parameterList) const {
  const std::string_view key(reinterpret_cast<const char*>(parameterList.data()), parameterList.size());
  auto it = std::lower_bound(lists_.begin(), lists_.end(), key,
                             [](const auto& entry, std::string_view k) { return std::string_view(entry.first) < k; });
  if (it == lists_.end() || it->first != key) return nullptr;
  return &os_[it->second];
}

const OsFingerprint* FingerprintDb::lookupVendorClass(std::string_view vendorClass) const {
  auto it = std::lower_bound(vendorIds_.begin(), vendorIds_.end(), vendorClass,
                             [](const auto& entry, std::string_view k) { return std::string_view(entry.first) < k; });
  if (it == vendorIds_.end() || it->first != vendorClass) return nullptr;
  return &os_[it->second];
}

bool inCategory(const OsFingerprint& os, std::string_view category) {
  for (const std::string& c : os.categories) {
    if (equalsIgnoreCase(c, category)) return true;
  }
  return false;
}

Expected<size_t> OuiRegistry::loadFile(const std::string& path, const KnowledgeLimits& limits) {
  auto text = readBoundedFile(path, limits.maxFileBytes);
  if (!text) return text.error();
  return loadText(*text, path, limits);
}

Expected<size_t> OuiRegistry::loadText(std::string_view text, std::string_view sourceName,
                                       const KnowledgeLimits& limits) {
  const std::string source(sourceName);
  std::vector<std::pair<uint32_t, std::string>> entries;
  tables::LineReader reader(text, limits.maxLineLength);
  std::string_view line;
  bool tooLong = false;
  while (reader.next(line, tooLong)) {
    if (tooLong)
      return LoadError{source, reader.number(), "line longer than " + std::to_string(limits.maxLineLength) + " bytes"};
    const size_t hex = line.find("(hex)");
    if (hex == std::string_view::npos) continue;
    std::string_view prefix = trim(line.substr(0, hex));
    uint32_t oui = 0;
    bool ok = prefix.size() == 8 && prefix[2] == '-' && prefix[5] == '-';
    for (size_t i = 0; ok && i < prefix.size(); ++i) {
      if (i == 2 || i == 5) continue;
      const char c = prefix[i];
      const int v = (c >= '0' && c <= '9')   ? c - '0'
                    : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                    : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                             : -1;
      if (v < 0) ok = false;
      else oui = (oui << 4) | static_cast<uint32_t>(v);
    }
    if (!ok)
      return LoadError{source, reader.number(),
                       "expected an OUI like 00-04-F2 before (hex), not '" + std::string(prefix.substr(0, 40)) + "'"};
    if (entries.size() >= limits.maxEntries) return LoadError{source, reader.number(), "more OUI entries than the limit"};
    entries.emplace_back(oui, std::string(trim(line.substr(hex + 5))));
  }
  if (entries.empty()) return LoadError{source, 0, "no OUI entries (lines like '00-04-F2   (hex)  Polycom')"};
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  entries.erase(
      std::unique(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
      entries.end());
  entries_ = std::move(entries);
  return entries_.size();
}

std::string_view OuiRegistry::vendor(uint32_t oui) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), oui,
                             [](const auto& entry, uint32_t k) { return entry.first < k; });
  return it != entries_.end() && it->first == oui ? std::string_view(it->second) : std::string_view();
}

}  // namespace portvakt::fingerprint
