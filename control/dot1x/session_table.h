#pragma once
// The 802.1X session table: per access port and MAC, what hostapd last said
// about that station. It is what the admission check (next step) will read:
// a MAC is admitted by 802.1X only while its state is kAuthorised.
//
//   none --EAP-STARTED--> started --EAP-SUCCESS2 / AP-STA-CONNECTED--> authorised
//                            |                                          |
//                            +--EAP-FAILURE2--> failed (failures + 1)   |
//   authorised --AP-STA-DISCONNECTED / hostapd restarted--> ended       |
//   authorised --EAP-STARTED (re-authentication)--> stays authorised <--+
//   authorised --EAP-FAILURE2 (re-authentication refused)--> failed
//
// A re-authentication keeps the port authorised until the server refuses,
// as 802.1X-2004 does. When hostapd dies it forgets every station, so every
// started or authorised session of its port ends (reason "hostapd
// restarted") and is marked for re-authentication; the supervisor asks the
// new hostapd to start with those MACs (NEW_STA).
//
// The table is bounded per port (kMaxSessionsPerPort): a flood of EAPOL-Starts
// from made-up MACs evicts the oldest entry that is not authorised, never an
// authorised one. Not thread-safe; the supervisor guards it.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "control/dot1x/hostapd_messages.h"
#include "policy/tables/addresses.h"

namespace portvakt::dot1x {

inline constexpr size_t kMaxSessionsPerPort = 1024;

enum class SessionState : uint8_t { kNone, kStarted, kAuthorised, kFailed, kEnded };
const char* toString(SessionState state);

using WallTime = std::chrono::system_clock::time_point;

struct Session {
  std::string port;
  tables::MacAddress mac;
  SessionState state = SessionState::kNone;
  std::string identity;                 // dot1xAuthSessionUserName from STA, "" until known
  WallTime since{};                     // when the current state began
  WallTime lastAuthenticated{};         // the last EAP success (also re-authentications)
  uint32_t failures = 0;                // EAP failures since the entry was made
  std::string endReason;                // for kEnded: "disconnected", "hostapd restarted", "link down", ...
  std::string pendingEndReason;         // why portvaktd asked hostapd to deauthenticate it: the next disconnect's reason
  bool reauthenticationWanted = false;  // ended by a hostapd restart, not yet started again
};

struct SessionChange {
  Session session;  // the entry after the change
  SessionState previous = SessionState::kNone;
};

class SessionTable {
 public:
  // Applies one hostapd event of `port`; returns the change, or nothing when
  // the event does not concern a station or changes nothing.
  std::optional<SessionChange> apply(const std::string& port, const HostapdEvent& event, WallTime now);

  // Sets the identity that STA reported (only for an existing entry).
  void setIdentity(const std::string& port, const tables::MacAddress& mac, const std::string& identity);

  // portvaktd is about to deauthenticate (port, mac) because of `reason`
  // ("link down", "MAC aged out", "policy change"): the AP-STA-DISCONNECTED
  // that follows ends the session with that reason instead of
  // "disconnected". Only for an existing entry; cleared by EAP-STARTED.
  void noteEndReason(const std::string& port, const tables::MacAddress& mac, const std::string& reason);

  // hostapd of `port` died: every started or authorised session ends with
  // `reason` and is marked for re-authentication. Returns the ended sessions.
  std::vector<SessionChange> endPort(const std::string& port, const std::string& reason, WallTime now);

  // MACs of `port` marked for re-authentication (cleared by the next EAP-STARTED).
  std::vector<tables::MacAddress> awaitingReauthentication(const std::string& port) const;

  std::optional<Session> find(const std::string& port, const tables::MacAddress& mac) const;
  std::vector<Session> snapshot() const;
  size_t size() const { return sessions_.size(); }

 private:
  using Key = std::pair<std::string, tables::MacAddress>;
  Session& entry(const std::string& port, const tables::MacAddress& mac, WallTime now);
  void evictIfFull(const std::string& port);

  std::map<Key, Session> sessions_;
  std::map<std::string, size_t> perPort_;
};

}  // namespace portvakt::dot1x
