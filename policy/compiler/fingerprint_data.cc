#include "policy/compiler/fingerprint_data.h"

#include "policy/tables/fingerbank.h"

namespace portvakt::policy {

std::vector<tables::DhcpFingerprint> parseFingerbankText(std::string_view text, const std::string& display,
                                                         Diagnostics& diags) {
  // The compiler's 8 MiB file limit bounds the text; lines, entries and lists
  // are bounded by the reader's own limits.
  auto parsed = tables::parseFingerbank(text);
  if (!parsed) {
    diags.error({display, static_cast<int>(parsed.error().line), 1}, "fingerprint-syntax", parsed.error().message);
    return {};
  }
  std::vector<tables::DhcpFingerprint> out;
  for (tables::FingerbankOs& os : *parsed) {
    for (auto& codes : os.lists) out.push_back({std::move(codes), os.description, os.categories});
  }
  return out;
}

}  // namespace portvakt::policy
