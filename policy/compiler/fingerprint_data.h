#pragma once
// DHCP fingerprint data a policy names (`fingerprints:`), in Fingerbank's
// v1 format (`dhcp_fingerprints.conf`, the format `portvakt simulate
// --fingerprints` reads): `[class N]` sections (description, members=100-199
// [,A-B...]) group `[os N]` sections (description, vendor_id, fingerprints);
// multi-line values are here-documents `key=<<EOT` ... `EOT`; `#` starts a
// comment line, also inside a here-document.
//
// Why the compiler reads it, not the daemon: the policy bundle carries every
// file a policy names (readTextFile records it), so the daemon never opens a
// path a client gave, and a policy version is rebuilt exactly as pushed. The
// lists are compiled into the policy (CompiledPolicy::dhcpFingerprints) with
// the categories (class descriptions) each belongs to. A bad file is an
// error at its own line: `error[fingerprint-syntax]`. The reader itself is
// shared with the dataplane's FingerprintDb: policy/tables/fingerbank.h.

#include <string>
#include <string_view>
#include <vector>

#include "policy/compiler/diagnostics.h"
#include "policy/tables/compiled_policy.h"

namespace portvakt::policy {

// Parses one file's text. Errors go to `diags` at `display`:line; on error
// the result holds nothing of this file.
std::vector<tables::DhcpFingerprint> parseFingerbankText(std::string_view text, const std::string& display,
                                                         Diagnostics& diags);

}  // namespace portvakt::policy
