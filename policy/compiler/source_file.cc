#include "policy/compiler/source_file.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace portvakt::policy {
namespace {

// Returns the byte offset of the first invalid UTF-8 sequence or NUL, or npos.
size_t findNonText(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 0;
    if (extra == 0 || c == 0xc0 || c == 0xc1 || c > 0xf4 || i + extra >= s.size()) return i;
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return i;
    }
    i += extra + 1;
  }
  return std::string::npos;
}

SourceLocation locationOf(const std::string& text, size_t offset, const std::string& display) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {display, line, column};
}

// Nesting depth of block indentation, "- " sequence entries and flow brackets,
// scanned line by line. Quoted scalars are skipped so a '[' in a string is text.
std::optional<SourceLocation> findExcessiveNesting(const std::string& text, const std::string& display) {
  std::vector<size_t> indents;
  int flowDepth = 0;
  int line = 1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    size_t i = pos;
    while (i < end && text[i] == ' ') ++i;
    size_t indent = i - pos;
    bool blank = i == end || text[i] == '#' || text[i] == '\r';
    if (!blank && flowDepth == 0) {
      while (!indents.empty() && indents.back() > indent) indents.pop_back();
      if (indents.empty() || indents.back() < indent) indents.push_back(indent);
    }
    int dashes = 0;
    char quote = 0;
    for (size_t k = i; k < end; ++k) {
      char c = text[k];
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '#' && (k == pos || text[k - 1] == ' ')) break;
      if (c == '"' || c == '\'') {
        quote = c;
        continue;
      }
      if (c == '-' && k + 1 < end && text[k + 1] == ' ' && (k == i || text[k - 1] == ' ')) ++dashes;
      if (c == '[' || c == '{') ++flowDepth;
      if (c == ']' || c == '}') flowDepth = flowDepth > 0 ? flowDepth - 1 : 0;
      int depth = static_cast<int>(indents.size()) + dashes + flowDepth;
      if (depth > kMaxNestingDepth) {
        return SourceLocation{display, line, static_cast<int>(k - pos) + 1};
      }
    }
    ++line;
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

namespace {
thread_local std::vector<SourceText>* tRecording = nullptr;
thread_local const std::vector<SourceText>* tReplaying = nullptr;

std::string normalPath(const std::string& path) { return std::filesystem::path(path).lexically_normal().string(); }

const SourceText* replayed(const std::string& path) {
  const std::string wanted = normalPath(path);
  for (const SourceText& s : *tReplaying) {
    if (s.path == path || normalPath(s.path) == wanted) return &s;
  }
  return nullptr;
}
}  // namespace

SourceScope::SourceScope(std::vector<SourceText>* record, const std::vector<SourceText>* replay) {
  tRecording = record;
  tReplaying = replay;
}

SourceScope::~SourceScope() {
  tRecording = nullptr;
  tReplaying = nullptr;
}

bool sourceFileExists(const std::string& path) {
  if (tReplaying) return replayed(path) != nullptr;
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

std::string sourceMissingText(const std::string& path) {
  if (tReplaying) return "is not in the bundle (it holds no file " + normalPath(path) + ")";
  return "not found (looked for " + path + ")";
}

std::string sourceIdentity(const std::string& path) {
  if (tReplaying) return normalPath(path);
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

static std::optional<std::string> readTextFromDisk(const std::string& path, const std::string& display,
                                                   Diagnostics& diags);
static bool checkText(const std::string& text, const std::string& display, Diagnostics& diags);

std::optional<std::string> readTextFile(const std::string& path, const std::string& display, Diagnostics& diags) {
  std::optional<std::string> text;
  if (tReplaying) {
    const SourceText* s = replayed(path);
    if (!s) {
      diags.error({display, 0, 0}, "file-unreadable", "'" + path + "' is not in the bundle");
      return std::nullopt;
    }
    if (!checkText(s->text, display, diags)) return std::nullopt;
    text = s->text;
  } else {
    text = readTextFromDisk(path, display, diags);
  }
  if (text && tRecording) tRecording->push_back({path, *text});
  return text;
}

// The size cap and the text check, for a file read from disk and for a text
// sent in a bundle alike.
static bool checkText(const std::string& text, const std::string& display, Diagnostics& diags) {
  if (text.size() > kMaxPolicyFileBytes) {
    diags.error({display, 1, 1}, "file-too-large",
                "file is " + std::to_string(text.size()) + " bytes; a policy or inventory file may be at most " +
                    std::to_string(kMaxPolicyFileBytes) + " bytes");
    return false;
  }
  if (size_t bad = findNonText(text); bad != std::string::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(text[bad]));
    diags.error(locationOf(text, bad, display), "not-text",
                std::string("not a UTF-8 text file: byte ") + byte + " at offset " + std::to_string(bad));
    return false;
  }
  return true;
}

static std::optional<std::string> readTextFromDisk(const std::string& path, const std::string& display,
                                                   Diagnostics& diags) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    diags.error(
        {display, 0, 0}, "file-unreadable",
        std::filesystem::exists(path, ec) ? "'" + path + "' is not a regular file" : "'" + path + "' does not exist");
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    // The OS's reason: "Permission denied" when the caller may not read it.
    diags.error({display, 0, 0}, "file-unreadable",
                "cannot open '" + path + "'" + (errno ? std::string(": ") + std::strerror(errno) : std::string()));
    return std::nullopt;
  }
  auto size = static_cast<long long>(in.tellg());
  if (size < 0) {
    diags.error({display, 0, 0}, "file-unreadable", "cannot read '" + path + "' (not a regular file?)");
    return std::nullopt;
  }
  if (static_cast<size_t>(size) > kMaxPolicyFileBytes) {
    diags.error({display, 1, 1}, "file-too-large",
                "file is " + std::to_string(size) + " bytes; a policy or inventory file may be at most " +
                    std::to_string(kMaxPolicyFileBytes) + " bytes");
    return std::nullopt;
  }
  std::string text(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(text.data(), size);
  if (in.gcount() != size) {
    diags.error({display, 0, 0}, "file-unreadable", "short read from '" + path + "'");
    return std::nullopt;
  }
  if (!checkText(text, display, diags)) return std::nullopt;
  return text;
}

std::optional<YAML::Node> parseYaml(const std::string& text, const std::string& display, Diagnostics& diags) {
  if (auto deep = findExcessiveNesting(text, display)) {
    diags.error(*deep, "too-deep",
                "nesting deeper than " + std::to_string(kMaxNestingDepth) + " levels; the policy schema needs far fewer");
    return std::nullopt;
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    SourceLocation where{display, e.mark.line >= 0 ? e.mark.line + 1 : 1, e.mark.column >= 0 ? e.mark.column + 1 : 1};
    diags.error(where, "yaml-syntax", e.msg.empty() ? "invalid YAML" : e.msg);
  } catch (const std::exception& e) {
    diags.error({display, 1, 1}, "yaml-syntax", std::string("invalid YAML: ") + e.what());
  }
  return std::nullopt;
}

}  // namespace portvakt::policy
