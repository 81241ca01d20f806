#pragma once
// The classify module's result type: the dataplane's one Error
// (dataplane/expected.h), a message and, where it applies, the index of the
// rule or line at fault.

#include "dataplane/expected.h"

namespace portvakt::classify {

using Error = dataplane::Error;

template <class T>
using Expected = dataplane::Expected<T>;

}  // namespace portvakt::classify
