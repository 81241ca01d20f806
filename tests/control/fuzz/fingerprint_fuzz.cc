// libFuzzer target for fingerprint data files in Fingerbank's format (third
// party data the daemon and `simulate --fingerprints` load): arbitrary bytes
// as one file. The load either succeeds or fails with a message, adds nothing
// on failure, and stays within the knowledge limits; lookups afterwards work.
#include <cstdint>
#include <string_view>

#include "dataplane/fingerprint/fingerprint_db.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  portvakt::fingerprint::FingerprintDb db;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = db.addFingerbankText(text, "fuzz.conf");
  if (!loaded) {
    if (db.osCount() != 0 || db.listCount() != 0) __builtin_trap();  // a failed file adds nothing
    return 0;
  }
  if (db.listCount() > loaded->lists) __builtin_trap();
  const uint8_t windows[] = {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252};
  (void)db.lookup(windows);
  (void)db.lookupVendorClass("MSFT 5.0");
  return 0;
}
