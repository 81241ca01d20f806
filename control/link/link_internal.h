#pragma once
// Shared by link_manager.cc and link_watcher.cc only: libnl types stay out
// of the public headers so the rest of control/ does not need libnl's
// include path.

#include <string>

#include "control/link/link_manager.h"

struct rtnl_link;

namespace portvakt::link::internal {

LinkInfo toLinkInfo(rtnl_link* link);
// "link eth3: <what>: <libnl message>", with the code the libnl error maps to.
Error nlError(const std::string& name, const std::string& what, int nlErr);

}  // namespace portvakt::link::internal
