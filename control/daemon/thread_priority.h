#pragma once
// The forwarding thread's share of the CPU. On an appliance the one thread
// that moves frames competes with the daemon's own threads (API, alerts,
// housekeeping), hostapd and whatever else runs on the box; a voice frame
// waits for whichever of them the scheduler picked. Like Suricata's
// `threading: ... prio: high` and Open vSwitch's PMD threads, portvaktd gives
// that one thread a lower nice value and leaves every other thread at the
// process's (docs/forwarding.md, "Under load").
//
// setpriority(PRIO_PROCESS, tid) changes one thread on Linux. Lowering the
// nice value needs CAP_SYS_NICE or an RLIMIT_NICE that allows it: the
// systemd unit's LimitNICE=-10 (images/systemd/portvaktd.service).

#include <string>

#include "control/control_result.h"

namespace portvakt::control {

inline constexpr int kDefaultForwardingNice = -10;
inline constexpr int kMinNice = -20;
inline constexpr int kMaxNice = 19;

// Sets the calling thread's nice value (kMinNice..kMaxNice), or says why not
// (naming setpriority, the errno text and what would allow it).
Status setCallingThreadNice(int nice);

// The calling thread's nice value.
int callingThreadNice();

}  // namespace portvakt::control
