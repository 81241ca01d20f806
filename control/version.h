#pragma once
// The product's one version: project(VERSION) in the top-level CMakeLists.txt,
// passed by the build (control/CMakeLists.txt). Shown by `portvakt --version`,
// `portvaktd --version`, the status API and the CEF header.

#include <string_view>

namespace portvakt {

inline constexpr std::string_view kVersion = PORTVAKT_VERSION;

}  // namespace portvakt
