#pragma once
// The api module's result type: the control plane's one error tier
// (control/control_result.h), a message for the operator that names the
// file, address or request field and what is wrong. The aliases keep call
// sites short (api::Result<T>) without a second, identical Error type.

#include "control/control_result.h"

namespace portvakt::api {

using control::Error;
using control::Result;
using control::Status;

}  // namespace portvakt::api
