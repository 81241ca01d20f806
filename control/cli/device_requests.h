#pragma once
// What the devices commands share: a request about one MAC (devices show,
// forget) and the classification confidence as printed (devices, show).

#include <nlohmann/json.hpp>
#include <string>
#include <variant>

namespace portvakt::cli {

// "0.85"
std::string confidenceText(double c);

// One MAC argument: the shared shape of show and forget.
std::variant<nlohmann::json, int> macCommand(const std::vector<std::string>& args, const char* command,
                                             const char* usage);

}  // namespace portvakt::cli
