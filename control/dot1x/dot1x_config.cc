#include "control/dot1x/dot1x_config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>

#include "control/dot1x/hostapd_messages.h"

namespace portvakt::dot1x {
namespace {

constexpr size_t kMaxSecretBytes = 128;
constexpr size_t kMaxInterfaceBytes = 15;  // IFNAMSIZ - 1
constexpr size_t kMaxNasIdentifierBytes = 64;
// The longest socket path under it is the client's,
// <dir>/client/portvakt-<pid>-<n> (36 bytes more), in sun_path's 107.
constexpr size_t kMaxRuntimeDirBytes = 64;

bool isPrintableAscii(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Linux accepts almost any byte in an interface name; portvakt accepts the
// ones interfaces are actually named with, which are also safe in a config
// line, a file name and a RADIUS attribute. The error says what is wrong
// with the name ("is empty"); the caller says which name it is.
ConfigResult<void> checkInterfaceName(const std::string& name) {
  if (name.empty()) return ConfigError{"is empty"};
  for (unsigned char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return ConfigError{"contains a byte other than letters, digits, '-', '_', '.'"};
  }
  if (name.size() > kMaxInterfaceBytes) return ConfigError{"is longer than 15 bytes"};
  if (name == "." || name == "..") return ConfigError{"is not an interface name"};
  return {};
}

bool isIpLiteral(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// Like checkInterfaceName: the error completes "the shared secret ...".
ConfigResult<void> checkSecret(const std::string& secret) {
  if (secret.empty()) return ConfigError{"is empty"};
  if (secret.size() > kMaxSecretBytes) return ConfigError{"is longer than " + std::to_string(kMaxSecretBytes) + " bytes"};
  if (!isPrintableAscii(secret))
    return ConfigError{"contains a byte outside printable ASCII (a line break, a control byte)"};
  if (secret.front() == ' ' || secret.back() == ' ') return ConfigError{"starts or ends with a space"};
  return {};
}

void collectProblems(const Dot1xConfig& config, std::vector<std::string>& problems) {
  if (config.runtimeDir.size() > kMaxRuntimeDirBytes) {
    problems.push_back("runtime directory \"" + escapeForMessage(config.runtimeDir) + "\" is longer than " +
                       std::to_string(kMaxRuntimeDirBytes) +
                       " bytes (the Unix socket paths under it must fit in 108 bytes)");
  } else if (config.runtimeDir.empty() || config.runtimeDir.front() != '/') {
    problems.push_back("runtime directory \"" + escapeForMessage(config.runtimeDir) + "\" is not an absolute path");
  } else if (!isPrintableAscii(config.runtimeDir) || config.runtimeDir.find(' ') != std::string::npos) {
    problems.push_back("runtime directory \"" + escapeForMessage(config.runtimeDir) +
                       "\" contains a space or a byte outside printable ASCII");
  }
  if (config.nasIdentifier.empty() || config.nasIdentifier.size() > kMaxNasIdentifierBytes ||
      !isPrintableAscii(config.nasIdentifier)) {
    problems.push_back("NAS identifier \"" + escapeForMessage(config.nasIdentifier) +
                       "\" must be 1 to 64 bytes of printable ASCII");
  }
  if (!isIpLiteral(config.ownIpAddress)) {
    problems.push_back("own IP address \"" + escapeForMessage(config.ownIpAddress) + "\" is not an IP address");
  }
  if (config.servers.empty()) problems.push_back("no RADIUS server");
  for (size_t i = 0; i < config.servers.size(); ++i) {
    const RadiusServer& server = config.servers[i];
    const std::string name = "RADIUS server " + std::to_string(i + 1) + " (" + escapeForMessage(server.address) + ")";
    if (!isIpLiteral(server.address)) problems.push_back(name + ": address is not an IP address");
    if (server.port == 0) problems.push_back(name + ": port 0");
    if (auto secret = checkSecret(server.sharedSecret); !secret) {
      problems.push_back(name + ": shared secret " + secret.error().message);
    }
  }
  if (config.ports.empty()) problems.push_back("no 802.1X port");
  std::set<std::string> seen;
  for (const Dot1xPort& port : config.ports) {
    const std::string name = "port \"" + escapeForMessage(port.interface) + "\"";
    if (auto interface = checkInterfaceName(port.interface); !interface) {
      problems.push_back(name + ": interface name " + interface.error().message);
    } else if (!seen.insert(port.interface).second) {
      problems.push_back(name + ": listed twice");
    }
    const auto period = port.reauthPeriod.count();
    if (period != 0 && (period < 60 || period > 7 * 86400)) {
      problems.push_back(name + ": re-authentication period " + std::to_string(period) +
                         " s is outside 60 s to 7 days (0 turns it off)");
    }
  }
}

}  // namespace

ConfigResult<std::string> loadSharedSecret(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return ConfigError{"RADIUS secret file " + path + ": " +
                       (errno == ELOOP ? std::string("is a symlink") : std::string(std::strerror(errno)))};
  }
  struct stat info {};
  std::string text;
  std::string problem;
  if (::fstat(fd, &info) != 0) {
    problem = std::strerror(errno);
  } else if (!S_ISREG(info.st_mode)) {
    problem = "is not a regular file";
  } else if ((info.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    problem = std::string("has mode ") + mode + "; group and others must have no access (chmod 600)";
  } else if (info.st_uid != 0 && info.st_uid != ::geteuid()) {
    problem = "is owned by uid " + std::to_string(info.st_uid) + ", not by root or this process's user";
  } else if (info.st_size > static_cast<off_t>(kMaxSecretBytes + 1)) {
    problem = "is longer than " + std::to_string(kMaxSecretBytes) + " bytes and a newline";
  } else {
    char buffer[kMaxSecretBytes + 2];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      problem = std::strerror(errno);
    } else {
      text.assign(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (!problem.empty()) return ConfigError{"RADIUS secret file " + path + ": " + problem};
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.find('\n') != std::string::npos) {
    return ConfigError{"RADIUS secret file " + path + ": has more than one line; it must hold only the secret"};
  }
  if (auto secret = checkSecret(text); !secret) {
    return ConfigError{"RADIUS secret file " + path + ": the secret " + secret.error().message};
  }
  return text;
}

ConfigResult<void> validate(const Dot1xConfig& config) {
  std::vector<std::string> problems;
  collectProblems(config, problems);
  if (problems.empty()) return {};
  std::string message = "802.1X configuration refused:";
  for (const std::string& problem : problems) message += "\n  " + problem;
  return ConfigError{message};
}

std::string hostapdConfigPath(const Dot1xConfig& config, const std::string& interface) {
  return config.runtimeDir + "/hostapd-" + interface + ".conf";
}
std::string hostapdLogPath(const Dot1xConfig& config, const std::string& interface) {
  return config.runtimeDir + "/hostapd-" + interface + ".log";
}
std::string hostapdControlDir(const Dot1xConfig& config) { return config.runtimeDir + "/ctrl"; }
std::string hostapdControlSocket(const Dot1xConfig& config, const std::string& interface) {
  return hostapdControlDir(config) + "/" + interface;
}
std::string clientSocketDir(const Dot1xConfig& config) { return config.runtimeDir + "/client"; }

ConfigResult<std::string> hostapdConfigText(const Dot1xConfig& config, const Dot1xPort& port) {
  if (auto valid = validate(config); !valid) return valid.error();
  std::ostringstream out;
  out << "# Written by portvaktd for access port " << port.interface << "; rewritten at every start.\n"
      << "interface=" << port.interface << "\n"
      << "driver=wired\n"
      << "logger_syslog=-1\nlogger_syslog_level=2\nlogger_stdout=-1\nlogger_stdout_level=2\n"
      << "ctrl_interface=" << hostapdControlDir(config) << "\n"
      << "ctrl_interface_group=0\n"
      << "ieee8021x=1\n"
      << "eapol_version=2\n"
      // Unicast EAPOL: with the PAE group address, hostapd multicasts its
      // EAP requests and two supplicants behind one port answer each other's
      // (docs/dot1x.md; DESIGN.md field notes).
      << "use_pae_group_addr=0\n"
      << "eap_reauth_period=" << port.reauthPeriod.count() << "\n"
      << "own_ip_addr=" << config.ownIpAddress << "\n"
      << "nas_identifier=" << config.nasIdentifier
      << "\n"
      // NAS-Port-Type = Ethernet (15); without it hostapd says Wireless-802.11.
      << "radius_auth_req_attr=61:d:15\n"
      // NAS-Port-Id = the access port.
      << "radius_auth_req_attr=87:s:" << port.interface << "\n";
  for (const RadiusServer& server : config.servers) {
    out << "auth_server_addr=" << server.address << "\n"
        << "auth_server_port=" << server.port << "\n"
        << "auth_server_shared_secret=" << server.sharedSecret << "\n";
  }
  // Go back to the primary after a failover once it answers again.
  out << "radius_retry_primary_interval=60\n";
  return out.str();
}

ConfigResult<void> writeHostapdConfigs(const Dot1xConfig& config) {
  if (auto valid = validate(config); !valid) return valid.error();
  for (const std::string& dir : {config.runtimeDir, hostapdControlDir(config), clientSocketDir(config)}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return ConfigError{"cannot create directory " + dir + ": " + std::strerror(errno)};
    }
    struct stat info {};
    if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
      return ConfigError{dir + " exists and is not a directory"};
    }
    if (::chmod(dir.c_str(), 0700) != 0) return ConfigError{"cannot chmod 0700 " + dir + ": " + std::strerror(errno)};
  }
  for (const Dot1xPort& port : config.ports) {
    auto text = hostapdConfigText(config, port);
    if (!text) return text.error();
    const std::string path = hostapdConfigPath(config, port.interface);
    const std::string temporary = path + ".new";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return ConfigError{"cannot write " + temporary + ": " + std::strerror(errno)};
    const std::string& body = *text;
    const bool written = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
    const int writeError = errno;
    ::close(fd);
    if (!written) {
      ::unlink(temporary.c_str());
      return ConfigError{"cannot write " + temporary + ": " + std::strerror(writeError)};
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
      return ConfigError{"cannot rename " + temporary + " to " + path + ": " + std::strerror(errno)};
    }
  }
  return {};
}

}  // namespace portvakt::dot1x
