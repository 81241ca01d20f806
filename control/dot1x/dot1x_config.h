#pragma once
// What the 802.1X part needs to know, as a plain struct (the policy keys
// that fill it come in a later step), and the hostapd configuration written
// from it: one file per access port.
//
// Every value that ends up in a hostapd config line is checked first:
// hostapd's config format is one key=value per line, so a newline in an
// interface name, an identifier or a shared secret would add lines of the
// caller's choosing (another auth_server_addr, a ctrl_interface elsewhere).
// Such values are refused with an error that says which value and why;
// nothing is escaped or dropped silently.
//
// The shared secret never comes from the policy: it is read from a file
// that only its owner (root, or the daemon's own user) can read.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "policy/tables/expected.h"

namespace portvakt::dot1x {

struct ConfigError {
  std::string message;  // names the value (port, server, file) and what is wrong with it
};
template <typename T>
using ConfigResult = portvakt::Expected<T, ConfigError>;

struct RadiusServer {
  std::string address;  // IPv4 or IPv6 literal
  uint16_t port = 1812;
  std::string sharedSecret;  // from loadSharedSecret(), never from the policy
};

struct Dot1xPort {
  std::string interface;  // the access port; also sent as NAS-Port-Id
  // hostapd re-authenticates each station this often; 0 = never.
  std::chrono::seconds reauthPeriod{3600};
};

struct Dot1xConfig {
  // portvaktd's runtime directory for 802.1X (e.g. /run/portvakt/dot1x):
  // hostapd configs, logs, hostapd's control sockets (ctrl/), ours (client/).
  std::string runtimeDir;
  std::string nasIdentifier = "portvakt";  // NAS-Identifier on every request
  std::string ownIpAddress = "127.0.0.1";  // NAS-IP-Address; RADIUS is sent from it
  std::vector<RadiusServer> servers;       // primary first; hostapd fails over in order
  std::vector<Dot1xPort> ports;
};

// Reads a RADIUS shared secret: the file's first line (a trailing newline is
// dropped). Refused: a file that group or others may read or write, a file
// not owned by root or by the calling user, a symlink, more than one line,
// an empty secret, more than 128 bytes, bytes outside printable ASCII,
// leading or trailing spaces.
ConfigResult<std::string> loadSharedSecret(const std::string& path);

// Checks the whole configuration (every port, every server) and returns
// every problem found, one per line, or nothing.
ConfigResult<void> validate(const Dot1xConfig& config);

// The text of hostapd's config for one port (validate() first; this checks
// again and refuses what validate() would).
ConfigResult<std::string> hostapdConfigText(const Dot1xConfig& config, const Dot1xPort& port);

// Where things live under the runtime directory.
std::string hostapdConfigPath(const Dot1xConfig& config, const std::string& interface);
std::string hostapdLogPath(const Dot1xConfig& config, const std::string& interface);
std::string hostapdControlDir(const Dot1xConfig& config);  // hostapd's ctrl_interface
std::string hostapdControlSocket(const Dot1xConfig& config, const std::string& interface);
std::string clientSocketDir(const Dot1xConfig& config);

// Creates the runtime directories (mode 0700) and writes one config per port
// (mode 0600: it holds the secret), replacing each file atomically.
ConfigResult<void> writeHostapdConfigs(const Dot1xConfig& config);

}  // namespace portvakt::dot1x
