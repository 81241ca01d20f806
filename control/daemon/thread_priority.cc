#include "control/daemon/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace portvakt::control {
namespace {
id_t callingThreadId() { return static_cast<id_t>(::syscall(SYS_gettid)); }
}  // namespace

Status setCallingThreadNice(int nice) {
  if (nice < kMinNice || nice > kMaxNice)
    return Error{"nice value " + std::to_string(nice) + " is outside " + std::to_string(kMinNice) + ".." +
                 std::to_string(kMaxNice)};
  if (::setpriority(PRIO_PROCESS, callingThreadId(), nice) == 0) return {};
  const int e = errno;
  std::string why = std::string("setpriority(") + std::to_string(nice) + "): " + std::strerror(e);
  if (e == EACCES || e == EPERM)
    why += " (needs CAP_SYS_NICE or RLIMIT_NICE, e.g. LimitNICE=" + std::to_string(nice) + " in the systemd unit)";
  return Error{why};
}

int callingThreadNice() {
  errno = 0;
  return ::getpriority(PRIO_PROCESS, callingThreadId());
}

}  // namespace portvakt::control
