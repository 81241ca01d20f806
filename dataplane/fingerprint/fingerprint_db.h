#pragma once
// Fingerprint knowledge as data: DHCP option-55 lists mapped to an OS or
// device description, and IEEE OUIs mapped to vendor names. Nothing here
// decides a device's class (the policy does that, device_classifier.h); this
// knowledge explains evidence ("1,3,6,15,...: Microsoft Windows 10/11,
// category Windows") and feeds spoof detection (an inventoried eKlient whose
// option-55 list is known as Linux or a phone).
//
// Sources (docs/fingerprinting.md says where each comes from and its licence):
//  - Fingerbank v1 `dhcp_fingerprints.conf` (ODbL 1.0 / DbCL 1.0): read at
//    run time from a configured path; tests use ../shared/fingerprints/.
//  - portvakt's own supplement in the same format
//    (dataplane/fingerprint/data/portvakt_dhcp_fingerprints.conf): lists
//    Fingerbank's 2014 snapshot predates, e.g. Windows 10/11.
//  - The IEEE MA-L registry `oui.txt` (Debian package ieee-data,
//    /usr/share/ieee-data/oui.txt).
//
// The Fingerbank format is INI-like: `[class N]` sections (description,
// members=100-199[,A-B...]) group `[os N]` sections (description, vendor_id,
// fingerprints); multi-line values are here-documents `key=<<EOT` ... `EOT`;
// `#` starts a comment line, also inside a here-document. Class and OS ids
// are scoped to their file, so several files can be loaded side by side. The
// reader is the policy compiler's too: policy/tables/fingerbank.h.
//
// Bounded parsing: each file is capped in bytes, line length and entries
// (Limits), and every list is checked (option codes 0-255, at most 255 of
// them). A bad file is rejected whole, with the file and line of the first
// problem; what earlier files loaded stays.
//
// Thread-safety: load once, then share read-only (lookups are const and do
// not allocate).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/fingerprint/expected.h"

namespace portvakt::fingerprint {

struct KnowledgeLimits {
  size_t maxFileBytes = 16u << 20;  // oui.txt is ~5 MiB, dhcp_fingerprints.conf ~50 KiB
  size_t maxLineLength = 4096;
  size_t maxEntries = 200000;       // OS entries or OUIs per file
  size_t maxListsPerFile = 100000;  // option-55 lists per file
};

// One `[os N]` entry.
struct OsFingerprint {
  uint32_t id = 0;                      // scoped to its file
  std::string description;              // "Microsoft Windows 10/11"
  std::vector<std::string> categories;  // descriptions of the classes whose members include id ("Windows")
  std::vector<std::string> vendorIds;   // DHCP option 60 values seen with it
  std::string source;                   // file name it came from
};

struct FingerprintLoadStats {
  size_t osEntries = 0;
  size_t lists = 0;
  size_t duplicateLists = 0;  // lists an earlier entry or file already owns (the first owner wins)
};

class FingerprintDb {
 public:
  // Adds one Fingerbank-format file. On error nothing of this file is added.
  Expected<FingerprintLoadStats> addFingerbankFile(const std::string& path, const KnowledgeLimits& limits = {});
  // The same for text in memory; `sourceName` names it in errors.
  Expected<FingerprintLoadStats> addFingerbankText(std::string_view text, std::string_view sourceName,
                                                   const KnowledgeLimits& limits = {});

  // The entry whose fingerprints include exactly this option-55 list (order
  // matters), or nullptr.
  const OsFingerprint* lookup(std::span<const uint8_t> parameterList) const;
  // The first entry that lists this DHCP vendor class (option 60), or nullptr.
  const OsFingerprint* lookupVendorClass(std::string_view vendorClass) const;

  size_t osCount() const { return os_.size(); }
  size_t listCount() const { return lists_.size(); }
  bool empty() const { return os_.empty(); }

 private:
  std::vector<OsFingerprint> os_;
  // Sorted by key (the list's bytes); value indexes os_.
  std::vector<std::pair<std::string, uint32_t>> lists_;
  std::vector<std::pair<std::string, uint32_t>> vendorIds_;
};

// True when the entry belongs to a category (class description), ASCII
// case-insensitive: inCategory(os, "Linux").
bool inCategory(const OsFingerprint& os, std::string_view category);

// The IEEE MA-L registry: 24-bit OUI -> organisation name.
class OuiRegistry {
 public:
  // Reads oui.txt ("00-04-F2   (hex)\t\tPolycom" lines; the other lines are
  // addresses and are skipped). A malformed "(hex)" line is an error.
  Expected<size_t> loadFile(const std::string& path, const KnowledgeLimits& limits = {});
  Expected<size_t> loadText(std::string_view text, std::string_view sourceName, const KnowledgeLimits& limits = {});

  std::string_view vendor(uint32_t oui) const;  // "" when unknown
  size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<uint32_t, std::string>> entries_;  // sorted by OUI
};

// Where Debian's ieee-data package puts the registry.
inline constexpr std::string_view kDefaultOuiPath = "/usr/share/ieee-data/oui.txt";

// Reads a whole file into `out`, refusing more than maxBytes (exposed for the
// loaders and tests).
Expected<std::string> readBoundedFile(const std::string& path, size_t maxBytes);

}  // namespace portvakt::fingerprint
