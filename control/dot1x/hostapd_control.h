#pragma once
// A client for hostapd's control interface: the wpa_ctrl protocol, one
// datagram per request and per reply, over Unix datagram sockets. hostapd
// listens on <ctrl_interface>/<ifname>; the client binds a socket of its own
// in a directory it owns (hostapd answers to the sender's address), and
// connects, so only that hostapd's datagrams are received.
//
// One HostapdControl is one connection. portvakt uses two per hostapd, the
// way hostapd_cli does: a command connection (request/reply) and a monitor
// connection that sends ATTACH and then receives unsolicited events
// ("<3>AP-STA-CONNECTED ..."). Keeping them apart means a reply is never
// confused with an event, and a slow command never delays events.
//
// Timeouts: request() waits at most `timeout` for the reply. A reply that
// comes later would be taken as the reply to the next request, so after a
// timeout the next request first drains whatever is queued.
//
// Threads: request() locks an internal mutex, so any thread may call it.
// readEvents() is for the one thread that polls fd(). Nothing throws.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "control/dot1x/hostapd_messages.h"
#include "policy/tables/expected.h"

namespace portvakt::dot1x {

enum class ControlErrorCode : uint8_t {
  kSocket,       // socket(), bind() or connect() failed (no such hostapd socket, permission)
  kPathTooLong,  // a socket path longer than sun_path holds
  kTimeout,      // no reply within the timeout
  kClosed,       // hostapd went away (ECONNREFUSED on send or receive)
  kRefused,      // hostapd answered FAIL or UNKNOWN COMMAND, or not what the command expects
};

struct ControlError {
  ControlErrorCode code = ControlErrorCode::kSocket;
  std::string message;  // names the socket path and what failed
};
template <typename T>
using ControlResult = portvakt::Expected<T, ControlError>;

class HostapdControl {
 public:
  // Connects to hostapd's socket `serverPath`. The local socket is created in
  // `localDir` (which must exist and be writable only by us) and unlinked by
  // the destructor.
  static ControlResult<std::unique_ptr<HostapdControl>> open(const std::string& serverPath, const std::string& localDir);
  ~HostapdControl();
  HostapdControl(const HostapdControl&) = delete;
  HostapdControl& operator=(const HostapdControl&) = delete;

  // Sends `command`, returns hostapd's reply (unsolicited events that arrive
  // meanwhile are kept for readEvents()).
  ControlResult<std::string> request(const std::string& command, std::chrono::milliseconds timeout);

  // PING -> PONG.
  ControlResult<void> ping(std::chrono::milliseconds timeout);
  // ATTACH / DETACH -> OK. After attach, events arrive on fd().
  ControlResult<void> attach(std::chrono::milliseconds timeout);
  ControlResult<void> detach(std::chrono::milliseconds timeout);
  // STA <mac>, parsed. kRefused when hostapd has no such station or the reply does not parse.
  ControlResult<StationInfo> station(const tables::MacAddress& mac, std::chrono::milliseconds timeout);
  // NEW_STA <mac>: hostapd adds the station and sends it an EAP
  // Request/Identity (authentication starts without waiting for an
  // EAPOL-Start). DEAUTHENTICATE <mac>: hostapd drops the station
  // (AP-STA-DISCONNECTED follows if it was authorised). Both expect OK.
  ControlResult<void> newStation(const tables::MacAddress& mac, std::chrono::milliseconds timeout);
  ControlResult<void> deauthenticate(const tables::MacAddress& mac, std::chrono::milliseconds timeout);

  // For poll(): readable when a datagram is waiting.
  int fd() const { return fd_; }

  struct Received {
    std::vector<HostapdEvent> events;
    std::vector<ParseError> rejected;  // datagrams that were not well-formed events
    bool closed = false;               // hostapd is gone (the socket reported ECONNREFUSED)
  };
  // Reads every datagram waiting (never blocks) plus events queued by
  // request(), and parses them.
  Received readEvents();

  const std::string& serverPath() const { return serverPath_; }

 private:
  HostapdControl(int fd, std::string serverPath, std::string localPath);
  ControlResult<void> expectOk(const std::string& command, std::chrono::milliseconds timeout);
  ControlError makeError(ControlErrorCode code, const std::string& what) const;

  int fd_ = -1;
  std::string serverPath_;
  std::string localPath_;
  std::mutex requestMutex_;
  bool drainBeforeRequest_ = false;
  std::mutex queuedMutex_;
  std::vector<std::string> queuedEvents_;  // events seen by request(), for readEvents()
};

}  // namespace portvakt::dot1x
