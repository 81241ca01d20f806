// The hostapd config writer: what each port's config says, values that
// would inject config lines, and the root-only secret file.
#include "control/dot1x/dot1x_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

#include "control/dot1x/hostapd_messages.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::dot1x {
namespace {

Dot1xConfig labConfig(const std::string& runtimeDir) {
  Dot1xConfig config;
  config.runtimeDir = runtimeDir;
  config.nasIdentifier = "vc-karlstad";
  config.servers = {RadiusServer{"10.1.0.10", 1812, "primary-secret"}, RadiusServer{"10.1.0.11", 1645, "second"}};
  config.ports = {Dot1xPort{"acc1", std::chrono::seconds(3600)}, Dot1xPort{"acc2", std::chrono::seconds(0)}};
  return config;
}

bool hasLine(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l == line) return true;
  }
  return false;
}

TEST(HostapdConfig, OnePortsConfig) {
  const Dot1xConfig config = labConfig("/run/portvakt/dot1x");
  auto text = hostapdConfigText(config, config.ports[0]);
  ASSERT_TRUE(text) << text.error().message;
  for (const char* line :
       {"interface=acc1", "driver=wired", "ieee8021x=1", "eapol_version=2", "use_pae_group_addr=0",
        "eap_reauth_period=3600", "nas_identifier=vc-karlstad", "radius_auth_req_attr=61:d:15",
        "radius_auth_req_attr=87:s:acc1", "ctrl_interface=/run/portvakt/dot1x/ctrl", "auth_server_addr=10.1.0.10",
        "auth_server_port=1812", "auth_server_shared_secret=primary-secret", "auth_server_addr=10.1.0.11",
        "auth_server_port=1645", "auth_server_shared_secret=second"}) {
    EXPECT_TRUE(hasLine(*text, line)) << "missing: " << line << "\n" << *text;
  }
  // The primary comes first: hostapd fails over in file order.
  EXPECT_LT(text->find("10.1.0.10"), text->find("10.1.0.11"));
  auto second = hostapdConfigText(config, config.ports[1]);
  ASSERT_TRUE(second);
  EXPECT_TRUE(hasLine(*second, "eap_reauth_period=0"));
  EXPECT_TRUE(hasLine(*second, "radius_auth_req_attr=87:s:acc2"));
}

// Requirements: R1a
TEST(HostapdConfig, InjectionThroughAnyValueIsRefusedAndNamed) {
  const struct {
    const char* description;
    void (*spoil)(Dot1xConfig&);
    const char* messagePart;
  } cases[] = {
      {"newline in interface", [](Dot1xConfig& c) { c.ports[0].interface = "acc1\nctrl_interface=/tmp"; },
       "interface name contains"},
      {"space in interface", [](Dot1xConfig& c) { c.ports[0].interface = "acc 1"; }, "interface name contains"},
      {"slash in interface", [](Dot1xConfig& c) { c.ports[0].interface = "../x"; }, "interface name contains"},
      {"long interface", [](Dot1xConfig& c) { c.ports[0].interface = "abcdefghijklmnop"; }, "longer than 15"},
      {"empty interface", [](Dot1xConfig& c) { c.ports[0].interface = ""; }, "is empty"},
      {"duplicate port", [](Dot1xConfig& c) { c.ports[1].interface = "acc1"; }, "listed twice"},
      {"newline in secret", [](Dot1xConfig& c) { c.servers[0].sharedSecret = "s\nauth_server_addr=203.0.113.9"; },
       "RADIUS server 1 (10.1.0.10): shared secret contains a byte outside printable ASCII"},
      {"empty secret", [](Dot1xConfig& c) { c.servers[1].sharedSecret = ""; }, "RADIUS server 2"},
      {"secret with a trailing space", [](Dot1xConfig& c) { c.servers[0].sharedSecret = "abc "; }, "space"},
      {"server name, not address", [](Dot1xConfig& c) { c.servers[0].address = "radius.region.se"; },
       "not an IP address"},
      {"newline in address", [](Dot1xConfig& c) { c.servers[0].address = "10.1.0.10\nx=y"; }, "not an IP address"},
      {"newline in NAS identifier", [](Dot1xConfig& c) { c.nasIdentifier = "vc\nieee8021x=0"; }, "NAS identifier"},
      {"relative runtime dir", [](Dot1xConfig& c) { c.runtimeDir = "run/x"; }, "not an absolute path"},
      {"newline in runtime dir", [](Dot1xConfig& c) { c.runtimeDir = "/run/x\ndriver=nl80211"; }, "runtime directory"},
      {"runtime dir too long for socket paths", [](Dot1xConfig& c) { c.runtimeDir = "/" + std::string(70, 'r'); },
       "must fit in 108 bytes"},
      {"no server", [](Dot1xConfig& c) { c.servers.clear(); }, "no RADIUS server"},
      {"no port", [](Dot1xConfig& c) { c.ports.clear(); }, "no 802.1X port"},
      {"reauth too short", [](Dot1xConfig& c) { c.ports[0].reauthPeriod = std::chrono::seconds(5); },
       "outside 60 s to 7 days"},
  };
  for (const auto& c : cases) {
    Dot1xConfig config = labConfig("/run/portvakt/dot1x");
    c.spoil(config);
    auto valid = validate(config);
    ASSERT_FALSE(valid) << c.description;
    EXPECT_NE(valid.error().message.find(c.messagePart), std::string::npos)
        << c.description << ": " << valid.error().message;
    if (!config.ports.empty()) {
      EXPECT_FALSE(hostapdConfigText(config, config.ports[0])) << c.description;
    }
  }
}

TEST(HostapdConfig, EveryProblemIsReportedAtOnce) {
  Dot1xConfig config = labConfig("/run/portvakt/dot1x");
  config.ports[0].interface = "a\nb";
  config.servers[1].sharedSecret = "";
  auto valid = validate(config);
  ASSERT_FALSE(valid);
  EXPECT_NE(valid.error().message.find("port \"a\\x0ab\""), std::string::npos) << valid.error().message;
  EXPECT_NE(valid.error().message.find("RADIUS server 2"), std::string::npos) << valid.error().message;
}

TEST(HostapdConfig, WritesOneFilePerPortReadableOnlyByOwner) {
  portvakt::testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const Dot1xConfig config = labConfig(dir.file("rt"));
  auto written = writeHostapdConfigs(config);
  ASSERT_TRUE(written) << written.error().message;
  for (const char* port : {"acc1", "acc2"}) {
    struct stat info {};
    ASSERT_EQ(::stat(hostapdConfigPath(config, port).c_str(), &info), 0) << port;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << port;
    std::ifstream in(hostapdConfigPath(config, port));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_TRUE(hasLine(text, std::string("interface=") + port));
  }
  struct stat info {};
  ASSERT_EQ(::stat(hostapdControlDir(config).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
}

class SecretFile : public ::testing::Test {
 protected:
  std::string write(const std::string& content, mode_t mode) {
    const std::string path = dir_.file("secret");
    ::unlink(path.c_str());
    std::ofstream(path) << content;
    ::chmod(path.c_str(), mode);
    return path;
  }
  portvakt::testing::TempDir dir_;
};

TEST_F(SecretFile, ReadsTheFirstLine) {
  auto secret = loadSharedSecret(write("s3cret-Region!\n", 0600));
  ASSERT_TRUE(secret) << secret.error().message;
  EXPECT_EQ(*secret, "s3cret-Region!");
  auto noNewline = loadSharedSecret(write("abc", 0400));
  ASSERT_TRUE(noNewline) << noNewline.error().message;
  EXPECT_EQ(*noNewline, "abc");
}

TEST_F(SecretFile, RefusesWhatOthersCouldReadOrWhatIsNotOneSecret) {
  const struct {
    std::string content;
    mode_t mode;
    const char* messagePart;
  } cases[] = {
      {"abc\n", 0644, "has mode 0644; group and others must have no access"},
      {"abc\n", 0620, "has mode 0620"},
      {"abc\nauth_server_addr=203.0.113.9\n", 0600, "more than one line"},
      {"\n", 0600, "is empty"},
      {"", 0600, "is empty"},
      {"ab\tc\n", 0600, "outside printable ASCII"},
      {std::string(200, 'x') + "\n", 0600, "longer than 128"},
  };
  for (const auto& c : cases) {
    const std::string path = write(c.content, c.mode);
    auto secret = loadSharedSecret(path);
    ASSERT_FALSE(secret) << escapeForMessage(c.content);
    EXPECT_NE(secret.error().message.find(path), std::string::npos) << secret.error().message;
    EXPECT_NE(secret.error().message.find(c.messagePart), std::string::npos) << secret.error().message;
  }
}

TEST_F(SecretFile, RefusesSymlinksAndMissingFiles) {
  const std::string target = write("abc\n", 0600);
  const std::string link = dir_.file("link");
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  auto viaLink = loadSharedSecret(link);
  ASSERT_FALSE(viaLink);
  EXPECT_NE(viaLink.error().message.find("symlink"), std::string::npos) << viaLink.error().message;
  auto missing = loadSharedSecret(dir_.file("nothing"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos) << missing.error().message;
}

}  // namespace
}  // namespace portvakt::dot1x
