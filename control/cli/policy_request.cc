#include "control/cli/policy_request.h"

#include <filesystem>
#include <iostream>

#include "control/api/unix_socket.h"
#include "control/cli/commands.h"
#include "policy/compiler/compiler.h"

namespace portvakt::cli {

using nlohmann::json;

namespace {

std::string absolutePath(const std::string& path) { return std::filesystem::absolute(path).lexically_normal().string(); }

}  // namespace

std::variant<json, int> policyRequest(const std::string& command, const std::string& file) {
  policy::BundleRead read = policy::readPolicyBundle(absolutePath(file));
  if (!read.bundle) {
    std::cerr << read.diagnostics.format();
    return kExitRuntime;
  }
  json files = json::array();
  size_t textBytes = 0;
  for (const policy::SourceText& s : read.bundle->files) {
    files.push_back({{"path", s.path}, {"text", s.text}});
    textBytes += s.text.size();
  }
  json request = {
      {"command", command}, {"api", api::kApiVersion}, {"bundle", {{"site", read.bundle->site}, {"files", files}}}};
  const size_t size = request.dump(-1, ' ', false, json::error_handler_t::replace).size() + 1;  // + newline
  if (size > api::kMaxRequestBytes) {
    std::cerr << "portvakt: the policy bundle (" << files.size() << " files, " << textBytes << " bytes of text, " << size
              << " bytes as a request) is larger than the " << api::kMaxRequestBytes
              << " bytes (1 MiB) portvaktd accepts per request\n";
    return kExitInvalid;
  }
  return request;
}

int reportInstalled(const po::variables_map& vm, const std::variant<json, int>& answer) {
  if (auto* code = std::get_if<int>(&answer)) return *code;
  if (vm.count("json")) return kExitOk;
  const json& v = std::get<json>(answer)["version"];
  std::cout << "running version " << v.value("version", 0) << " " << v.value("hash", "") << " (" << v.value("summary", "")
            << ")\n";
  return kExitOk;
}

}  // namespace portvakt::cli
