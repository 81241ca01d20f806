#pragma once
// The one reader of Fingerbank's v1 `dhcp_fingerprints.conf` format, shared by
// the policy compiler (fingerprint data a policy names, compiled into
// CompiledPolicy::dhcpFingerprints: policy/compiler/fingerprint_data.h) and
// the dataplane's knowledge base (`portvakt simulate --fingerprints`, the
// project's own supplement: dataplane/fingerprint/fingerprint_db.h). It lives
// beside the compiled tables because both link them and neither may link the
// other (tests/arch/layering.sh); it is plain text parsing, no YAML, no packets.
//
// The format is INI-like: `[class N]` sections (description,
// members=100-199[,A-B...]) group `[os N]` sections (description, vendor_id,
// fingerprints); multi-line values are here-documents `key=<<EOT` ... `EOT`;
// `#` starts a comment line, also inside a here-document. Class and OS ids are
// scoped to their file.
//
// Bounded: line length, OS entries and lists are capped (FingerbankLimits),
// every list is checked (option codes 0-255, at most 255 of them). The first
// problem rejects the whole text, with its line; the callers add the file.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/tables/expected.h"

namespace portvakt::tables {

struct FingerbankLimits {
  size_t maxLineLength = 4096;
  size_t maxEntries = 200000;  // [os N] sections; Fingerbank's own file has ~700
  size_t maxLists = 100000;    // option-55 lists; Fingerbank's own file has ~2000
};

// One `[os N]` entry, in file order.
struct FingerbankOs {
  uint32_t id = 0;
  std::string description;                  // "Microsoft Windows 10/11"
  std::vector<std::string> categories;      // descriptions of the classes whose members include id ("Windows")
  std::vector<std::string> vendorIds;       // vendor_id values (DHCP option 60)
  std::vector<std::vector<uint8_t>> lists;  // fingerprints: option-55 lists, in file order
};

struct FingerbankError {
  size_t line = 0;  // 1-based
  std::string message;
};

Expected<std::vector<FingerbankOs>, FingerbankError> parseFingerbank(std::string_view text,
                                                                     const FingerbankLimits& limits = {});

}  // namespace portvakt::tables
