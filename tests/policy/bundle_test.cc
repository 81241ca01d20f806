// A policy bundle (the site file and every file it names, with their texts,
// as a client sends it to portvaktd) compiles without touching the disk: a
// file the policy names that is not in the bundle is an error naming it,
// whatever path it is given (absolute, with ".."), and diagnostics never
// quote more than one line of a file, even of a file that is not a policy.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "policy/compiler/compiler.h"

namespace portvakt::policy {
namespace {

namespace fs = std::filesystem;

// Like /etc/shadow: user:hash:dates, every line a secret.
std::string shadowLike(int lines) {
  std::string out;
  for (int i = 0; i < lines; ++i) {
    out += "user" + std::to_string(i) + ":$y$j9T$Secret" + std::to_string(i * 7919) +
           "SaltXyZ$HashAbCdEf0123456789:19700:0:99999:7:::\n";
  }
  return out;
}

// How many of `secret`'s lines appear in `answer`, whole or as their part
// before the last ':' (a YAML key drops the trailing colon).
int quotedLines(const std::string& secret, const std::string& answer) {
  std::istringstream in(secret);
  std::string line;
  int found = 0;
  while (std::getline(in, line)) {
    std::string key = line.substr(0, line.find(":19700"));
    if (answer.find(key) != std::string::npos) ++found;
  }
  return found;
}

std::vector<SourceText> relabel(std::vector<SourceText> files, const std::string& from, const std::string& to) {
  for (SourceText& f : files) {
    if (f.path.rfind(from, 0) == 0) f.path = to + f.path.substr(from.size());
  }
  return files;
}

// Requirements: R11
TEST(PolicyBundle, ReadsTheSiteAndEveryFileItNames) {
  BundleRead read = readPolicyBundle("examples/vardcentral-karlstad.yaml");
  ASSERT_TRUE(read.bundle) << read.diagnostics.format();
  EXPECT_EQ(read.bundle->site, "examples/vardcentral-karlstad.yaml");
  std::vector<std::string> paths;
  for (const SourceText& s : read.bundle->files) paths.push_back(s.path);
  EXPECT_EQ(paths.front(), "examples/vardcentral-karlstad.yaml");
  EXPECT_NE(std::find(paths.begin(), paths.end(), "examples/region-base.yaml"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "examples/vardcentral-karlstad-inventory.csv"), paths.end());
}

TEST(PolicyBundle, CompilesWithoutTheDisk) {
  BundleRead read = readPolicyBundle("examples/vardcentral-karlstad.yaml");
  ASSERT_TRUE(read.bundle);
  CompileResult onDisk = compilePolicyFile("examples/vardcentral-karlstad.yaml");
  ASSERT_TRUE(onDisk.ok());
  // The same texts under names that exist nowhere: only the bundle is read.
  auto files = relabel(read.bundle->files, "examples/", "/no/such/dir/");
  CompileResult fromBundle = compilePolicySources("/no/such/dir/vardcentral-karlstad.yaml", files);
  ASSERT_TRUE(fromBundle.ok()) << fromBundle.diagnostics.format();
  EXPECT_EQ(fromBundle.policy->contentHash, onDisk.policy->contentHash);
  EXPECT_EQ(fromBundle.sources.size(), files.size()) << "the sources are the files used";
}

TEST(PolicyBundle, AFileNotInTheBundleIsNamed) {
  BundleRead read = readPolicyBundle("examples/vardcentral-karlstad.yaml");
  ASSERT_TRUE(read.bundle);
  std::vector<SourceText> siteOnly{read.bundle->files.front()};
  CompileResult r = compilePolicySources(read.bundle->site, siteOnly);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.diagnostics.format().find(
                "error[extends-missing]: base policy 'region-base.yaml' is not in the bundle (it holds no file "
                "examples/region-base.yaml)"),
            std::string::npos)
      << r.diagnostics.format();
  // The base is there but the inventory CSV is not.
  std::vector<SourceText> noCsv;
  for (const SourceText& s : read.bundle->files) {
    if (s.path.find(".csv") == std::string::npos) noCsv.push_back(s);
  }
  r = compilePolicySources(read.bundle->site, noCsv);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.diagnostics.format().find("inventory file 'vardcentral-karlstad-inventory.csv' is not in the bundle"),
            std::string::npos)
      << r.diagnostics.format();
}

TEST(PolicyBundle, AbsolutePathsAndDotDotEscapeNothing) {
  // Files that exist on this host: a bundle naming them gets "not in the
  // bundle", never their content.
  for (const std::string& target : {std::string("/etc/passwd"), std::string("../../../../../../etc/passwd")}) {
    std::vector<SourceText> files{{"site/site.yaml", "portvakt: 1\nname: s\nextends: " + target + "\n"}};
    CompileResult r = compilePolicySources("site/site.yaml", files);
    ASSERT_FALSE(r.ok()) << target;
    const std::string text = r.diagnostics.format();
    EXPECT_NE(text.find("is not in the bundle"), std::string::npos) << text;
    EXPECT_EQ(text.find("root:"), std::string::npos) << text;
  }
  std::vector<SourceText> csv{{"s.yaml", "portvakt: 1\nname: s\ninventory:\n  csv: /etc/passwd\n"}};
  CompileResult r = compilePolicySources("s.yaml", csv);
  EXPECT_EQ(r.diagnostics.format().find("root:"), std::string::npos) << r.diagnostics.format();
  // ".." inside the bundle is resolved among its names, not on the disk.
  std::vector<SourceText> dotted{{"a/b/site.yaml", "portvakt: 1\nname: s\nextends: ../base.yaml\n"},
                                 {"a/base.yaml", "portvakt: 1\nname: base\n"}};
  r = compilePolicySources("a/b/site.yaml", dotted);
  EXPECT_EQ(r.diagnostics.format().find("not in the bundle"), std::string::npos) << r.diagnostics.format();
}

TEST(PolicyBundle, AFileThatIsNotAPolicyIsNotQuoted) {
  const std::string secret = shadowLike(32);
  for (const std::string& site : {secret, std::string("portvakt: 1\nname: s\nextends: shadow\n")}) {
    std::vector<SourceText> files{{"site.yaml", site}, {"shadow", secret}};
    CompileResult r = compilePolicySources("site.yaml", files);
    ASSERT_FALSE(r.ok());
    const std::string text = r.diagnostics.format();
    EXPECT_EQ(quotedLines(secret, text), 0) << text;
    EXPECT_NE(text.find("error[not-a-policy]"), std::string::npos) << text;
  }
  // As an inventory CSV: its header is wrong, nothing of it is quoted.
  std::vector<SourceText> files{{"site.yaml", "portvakt: 1\nname: s\ninventory:\n  csv: shadow\n"}, {"shadow", secret}};
  CompileResult r = compilePolicySources("site.yaml", files);
  EXPECT_LE(quotedLines(secret, r.diagnostics.format()), 1) << r.diagnostics.format();
}

TEST(PolicyBundle, AValueSpanningLinesIsNotQuoted) {
  // A policy whose values fold several lines into one (plain, quoted, block).
  const std::string secret = shadowLike(6);
  std::string indented;
  std::istringstream in(secret);
  for (std::string line; std::getline(in, line);) indented += "  " + line.substr(0, line.size() - 3) + "\n";
  for (const std::string& value : {"\n" + indented, std::string(" |\n") + indented,
                                   " \"" + secret.substr(0, 40) + "\\n" + secret.substr(70, 40) + "\"\n"}) {
    std::vector<SourceText> files{{"site.yaml", "portvakt: 1\nname: s\nmode:" + value}};
    CompileResult r = compilePolicySources("site.yaml", files);
    ASSERT_FALSE(r.ok());
    const std::string text = r.diagnostics.format();
    EXPECT_NE(text.find("error[multi-line]: 'mode' must be on one line"), std::string::npos) << text;
    EXPECT_LE(quotedLines(secret, text), 0) << text;
  }
}

// What readPolicyBundle says about a file, read as the unprivileged user
// `nobody` (65534): as root, a child process drops to it first, since root
// reads every file (the CLI runs with the engineer's rights, never root's).
std::string readAsNobody(const std::string& path) {
  auto describe = [](const BundleRead& read) { return read.bundle ? std::string("READ") : read.diagnostics.format(); };
  if (::geteuid() != 0) return describe(readPolicyBundle(path));
  int pipeFds[2];
  if (::pipe(pipeFds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipeFds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(2);
    }
    const std::string out = describe(readPolicyBundle(path));
    const ssize_t written = ::write(pipeFds[1], out.data(), out.size());
    ::_exit(written == static_cast<ssize_t>(out.size()) ? 0 : 3);
  }
  ::close(pipeFds[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipeFds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<size_t>(n));
  ::close(pipeFds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "the child could not drop to nobody or report";
  return out;
}

TEST(PolicyBundle, AFileTheCallerMayNotReadIsTheOsError) {
  const std::string said = readAsNobody("/etc/shadow");
  EXPECT_NE(said, "READ") << "nobody read /etc/shadow";
  EXPECT_NE(said.find("cannot open '/etc/shadow': Permission denied"), std::string::npos) << said;
}

TEST(PolicyBundle, BundleTextsGetTheSameChecksAsFiles) {
  std::vector<SourceText> files{{"site.yaml", std::string("portvakt: 1\nname: s\0x\n", 22)}};
  CompileResult r = compilePolicySources("site.yaml", files);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.diagnostics.format().find("error[not-text]"), std::string::npos) << r.diagnostics.format();
  files = {{"site.yaml", "portvakt: 1\n" + std::string(kMaxPolicyFileBytes, '#')}};
  r = compilePolicySources("site.yaml", files);
  EXPECT_NE(r.diagnostics.format().find("error[file-too-large]"), std::string::npos) << r.diagnostics.format();
}

}  // namespace
}  // namespace portvakt::policy
