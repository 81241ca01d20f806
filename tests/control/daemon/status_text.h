#pragma once
// A control::Status as gtest shows it: the error's message, or nullopt when
// ok, so ASSERT_EQ(errorOf(manager.push(...)), std::nullopt) prints why.

#include <optional>
#include <string>

#include "control/control_result.h"

namespace portvakt::control {

inline std::optional<std::string> errorOf(const Status& status) {
  if (status) return std::nullopt;
  return status.error().message;
}

}  // namespace portvakt::control
