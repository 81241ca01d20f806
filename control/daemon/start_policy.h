#pragma once
// Which policy portvaktd runs when it starts:
//   --policy FILE                 that file, read by the daemon (the one place
//                                 it opens a policy file: the operator's own);
//   --initial-policy FILE         that file, but only when the state directory
//                                 holds no policy yet (the first start);
//   neither (or a later start)    the last version pushed, rebuilt from the
//                                 files recorded with it, not from disk.
// A start file whose tables equal the last recorded version resumes it (no
// new history entry); any other is pushed as a new version by the daemon's
// uid, and refused when it cannot be recorded: the daemon never runs an
// unrecorded policy.

#include <optional>

#include "control/daemon/daemon_options.h"

namespace portvakt::control {

class PolicyManager;

// Installs the start policy in `policies`. Returns why the daemon cannot
// start, or nullopt; lines that do not stop the start go to stderr.
std::optional<DaemonError> installStartPolicy(PolicyManager& policies, const DaemonOptions& options);

}  // namespace portvakt::control
