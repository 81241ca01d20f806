#include "policy/compiler/inventory_csv.h"

#include <algorithm>

#include "policy/compiler/source_file.h"

namespace portvakt::policy {
namespace {

struct Field {
  std::string text;
  int column = 1;
};

// Splits one record (RFC 4180 quoting; quoted fields do not span lines here,
// an asset register has no multi-line cells). Returns false on a broken quote.
bool splitRecord(std::string_view line, char sep, std::vector<Field>& out, int& badColumn) {
  out.clear();
  size_t i = 0;
  while (true) {
    Field f;
    f.column = static_cast<int>(i) + 1;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          badColumn = f.column;
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            f.text += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        f.text += line[i++];
      }
      if (i < line.size() && line[i] != sep) {
        badColumn = static_cast<int>(i) + 1;
        return false;
      }
    } else {
      while (i < line.size() && line[i] != sep) f.text += line[i++];
      while (!f.text.empty() && (f.text.back() == ' ' || f.text.back() == '\t')) f.text.pop_back();
      size_t lead = f.text.find_first_not_of(" \t");
      f.text = lead == std::string::npos ? "" : f.text.substr(lead);
    }
    out.push_back(std::move(f));
    if (i >= line.size()) return true;
    ++i;  // separator
  }
}

}  // namespace

std::vector<InventoryEntry> readInventoryCsv(const std::string& path, const std::string& display, Diagnostics& diags) {
  std::vector<InventoryEntry> out;
  auto text = readTextFile(path, display, diags);
  if (!text) return out;
  std::string_view all = *text;
  if (all.substr(0, 3) == "\xEF\xBB\xBF") all.remove_prefix(3);  // Excel's UTF-8 BOM
  int lineNo = 0;
  char sep = ',';
  int macCol = -1, assetCol = -1, hostCol = -1;
  bool header = true;
  std::vector<Field> fields;
  size_t pos = 0;
  while (pos <= all.size()) {
    size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) end = all.size();
    std::string_view line = all.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      if (end == all.size()) break;
      continue;
    }
    if (header) {
      sep = line.find(';') != std::string_view::npos && line.find(',') == std::string_view::npos ? ';' : ',';
    }
    int badColumn = 0;
    if (!splitRecord(line, sep, fields, badColumn)) {
      diags.error({display, lineNo, badColumn}, "csv-syntax", "unterminated or misplaced quote");
      continue;
    }
    if (header) {
      header = false;
      for (size_t c = 0; c < fields.size(); ++c) {
        std::string name = fields[c].text;
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (name == "mac") macCol = static_cast<int>(c);
        else if (name == "asset_id") assetCol = static_cast<int>(c);
        else if (name == "hostname") hostCol = static_cast<int>(c);
      }
      if (macCol < 0 || assetCol < 0 || hostCol < 0) {
        diags.error({display, lineNo, 1}, "csv-header",
                    "the header row must name the columns mac, asset_id and hostname");
        return out;
      }
      continue;
    }
    size_t needed = static_cast<size_t>(std::max({macCol, assetCol, hostCol})) + 1;
    if (fields.size() < needed) {
      diags.error(
          {display, lineNo, static_cast<int>(line.size()) + 1}, "csv-columns",
          "row has " + std::to_string(fields.size()) + " columns; the header has at least " + std::to_string(needed));
      continue;
    }
    InventoryEntry e;
    e.mac = Text{fields[macCol].text, {display, lineNo, fields[macCol].column}};
    e.assetId = fields[assetCol].text;
    e.hostname = fields[hostCol].text;
    out.push_back(std::move(e));
    if (out.size() > 100000) {
      diags.error({display, lineNo, 1}, "csv-too-many-rows", "more than 100000 devices; is this the right file?");
      break;
    }
  }
  if (header) diags.error({display, 1, 1}, "csv-header", "the inventory file is empty; it needs a header row");
  return out;
}

}  // namespace portvakt::policy
