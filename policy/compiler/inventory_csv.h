#pragma once
// The eKlient inventory as exported from the region's asset register: a CSV
// file with a header row naming at least the columns mac, asset_id and
// hostname (any order, other columns ignored), separated by ',' or ';' (the
// Swedish spreadsheet default). Errors carry the CSV's own line numbers.

#include <string>
#include <vector>

#include "policy/compiler/ast.h"

namespace portvakt::policy {

std::vector<InventoryEntry> readInventoryCsv(const std::string& path, const std::string& display, Diagnostics& diags);

}  // namespace portvakt::policy
