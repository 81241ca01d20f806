#include "control/dot1x/session_table.h"

namespace portvakt::dot1x {

const char* toString(SessionState state) {
  switch (state) {
    case SessionState::kNone: return "none";
    case SessionState::kStarted: return "started";
    case SessionState::kAuthorised: return "authorised";
    case SessionState::kFailed: return "failed";
    case SessionState::kEnded: return "ended";
  }
  return "none";
}

void SessionTable::evictIfFull(const std::string& port) {
  if (perPort_[port] < kMaxSessionsPerPort) return;
  // The oldest entry of this port that is not authorised.
  auto oldest = sessions_.end();
  for (auto it = sessions_.lower_bound(Key{port, tables::MacAddress{}}); it != sessions_.end() && it->first.first == port;
       ++it) {
    if (it->second.state == SessionState::kAuthorised) continue;
    if (oldest == sessions_.end() || it->second.since < oldest->second.since) oldest = it;
  }
  if (oldest != sessions_.end()) {
    sessions_.erase(oldest);
    --perPort_[port];
  }
}

Session& SessionTable::entry(const std::string& port, const tables::MacAddress& mac, WallTime now) {
  auto it = sessions_.find(Key{port, mac});
  if (it != sessions_.end()) return it->second;
  evictIfFull(port);
  Session session;
  session.port = port;
  session.mac = mac;
  session.since = now;
  ++perPort_[port];
  return sessions_.emplace(Key{port, mac}, std::move(session)).first->second;
}

std::optional<SessionChange> SessionTable::apply(const std::string& port, const HostapdEvent& event, WallTime now) {
  if (event.kind == HostapdEventKind::kOther) return std::nullopt;
  // A disconnect of a station we never saw changes nothing worth an entry.
  if (event.kind == HostapdEventKind::kStationDisconnected && !sessions_.count(Key{port, event.mac})) {
    return std::nullopt;
  }
  Session& session = entry(port, event.mac, now);
  const SessionState previous = session.state;
  auto moveTo = [&](SessionState next) {
    if (session.state != next) session.since = now;
    session.state = next;
  };
  switch (event.kind) {
    case HostapdEventKind::kEapStarted:
      session.reauthenticationWanted = false;
      session.pendingEndReason.clear();
      // A re-authentication keeps an authorised port authorised.
      if (session.state != SessionState::kAuthorised) {
        moveTo(SessionState::kStarted);
        session.endReason.clear();
      }
      break;
    case HostapdEventKind::kEapSuccess:
    case HostapdEventKind::kStationConnected:
      if (event.kind == HostapdEventKind::kEapSuccess) session.lastAuthenticated = now;
      session.reauthenticationWanted = false;
      session.endReason.clear();
      moveTo(SessionState::kAuthorised);
      break;
    case HostapdEventKind::kEapFailure:
      ++session.failures;
      moveTo(SessionState::kFailed);
      session.since = now;  // every failure restarts the clock, also a repeated one
      break;
    case HostapdEventKind::kStationDisconnected:
      if (session.state == SessionState::kEnded) return std::nullopt;
      moveTo(SessionState::kEnded);
      session.endReason = session.pendingEndReason.empty() ? "disconnected" : session.pendingEndReason;
      session.pendingEndReason.clear();
      break;
    case HostapdEventKind::kOther: break;
  }
  if (session.state == previous && event.kind != HostapdEventKind::kEapFailure &&
      event.kind != HostapdEventKind::kEapSuccess) {
    return std::nullopt;
  }
  return SessionChange{session, previous};
}

void SessionTable::setIdentity(const std::string& port, const tables::MacAddress& mac, const std::string& identity) {
  auto it = sessions_.find(Key{port, mac});
  if (it != sessions_.end()) it->second.identity = identity;
}

void SessionTable::noteEndReason(const std::string& port, const tables::MacAddress& mac, const std::string& reason) {
  auto it = sessions_.find(Key{port, mac});
  if (it != sessions_.end()) it->second.pendingEndReason = reason;
}

std::vector<SessionChange> SessionTable::endPort(const std::string& port, const std::string& reason, WallTime now) {
  std::vector<SessionChange> changes;
  for (auto it = sessions_.lower_bound(Key{port, tables::MacAddress{}}); it != sessions_.end() && it->first.first == port;
       ++it) {
    Session& session = it->second;
    if (session.state != SessionState::kStarted && session.state != SessionState::kAuthorised) continue;
    const SessionState previous = session.state;
    session.state = SessionState::kEnded;
    session.since = now;
    session.endReason = reason;
    session.reauthenticationWanted = true;
    changes.push_back(SessionChange{session, previous});
  }
  return changes;
}

std::vector<tables::MacAddress> SessionTable::awaitingReauthentication(const std::string& port) const {
  std::vector<tables::MacAddress> macs;
  for (auto it = sessions_.lower_bound(Key{port, tables::MacAddress{}}); it != sessions_.end() && it->first.first == port;
       ++it) {
    if (it->second.reauthenticationWanted) macs.push_back(it->second.mac);
  }
  return macs;
}

std::optional<Session> SessionTable::find(const std::string& port, const tables::MacAddress& mac) const {
  auto it = sessions_.find(Key{port, mac});
  if (it == sessions_.end()) return std::nullopt;
  return it->second;
}

std::vector<Session> SessionTable::snapshot() const {
  std::vector<Session> all;
  all.reserve(sessions_.size());
  for (const auto& [key, session] : sessions_) all.push_back(session);
  return all;
}

}  // namespace portvakt::dot1x
