#include "control/api/unix_socket.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

namespace portvakt::api {
namespace {

bool fillAddress(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// The client's side: reads until a newline, EOF, the size limit or a read
// that waits longer than `timeout`.
std::optional<std::string> readLine(int fd, size_t limit, std::chrono::milliseconds timeout, bool& tooLong) {
  std::string data;
  char buf[65536];
  tooLong = false;
  size_t searched = 0;  // a large answer is scanned once, not once per read
  while (true) {
    size_t nl = data.find('\n', searched);
    if (nl != std::string::npos) return data.substr(0, nl);
    searched = data.size();
    if (data.size() > limit) {
      tooLong = true;
      return std::nullopt;
    }
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) return std::nullopt;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return data.empty() ? std::nullopt : std::optional<std::string>(data);
    data.append(buf, static_cast<size_t>(n));
  }
}

using Clock = std::chrono::steady_clock;

std::string sizeText(size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string durationText(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// The client's side (callDaemon) blocks; the server never calls this.
bool writeAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Status UnixSocketServer::listen(const std::string& path, const std::string& group, UnixSocketServer& out,
                                ServerLimits limits) {
  sockaddr_un addr;
  if (!fillAddress(path, addr)) return Error{"socket path too long: " + path};
  // Non-blocking: a turn accepts until the queue is empty and must not wait there.
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Error{std::string("socket: ") + std::strerror(errno)};
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      ::close(fd);
      return Error{path + " exists and is not a socket; refusing to replace it"};
    }
    ::unlink(path.c_str());  // a stale socket from a previous run
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Error e{"bind " + path + ": " + std::strerror(errno)};
    ::close(fd);
    return e;
  }
  ::chmod(path.c_str(), 0660);
  if (struct group* g = ::getgrnam(group.c_str())) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      // Not fatal: root still reaches it; the operator guide explains the group.
    }
  }
  if (::listen(fd, SOMAXCONN) != 0) {
    Error e{std::string("listen: ") + std::strerror(errno)};
    ::close(fd);
    return e;
  }
  out.fd_ = fd;
  out.path_ = path;
  out.limits_ = limits;
  return {};
}

// ---- the server: one event loop turn per serveOnce() ----

struct UnixSocketServer::Connection {
  enum class State {
    kReading,  // waiting for the request line
    kReady,    // the request is complete; the handler runs this turn
    kWriting,  // the answer is queued; waiting for the socket to take it
    kClosed,
  };
  int fd = -1;
  Caller caller;
  Clock::time_point accepted;
  Clock::time_point deadline;  // reading: request deadline; writing: answer deadline
  State state = State::kReading;
  std::string in;   // what arrived so far (reading), the request (ready)
  std::string out;  // the answer line
  size_t sent = 0;

  ~Connection() {
    if (fd >= 0) ::close(fd);
  }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    state = State::kClosed;
  }
};

UnixSocketServer::UnixSocketServer() = default;

UnixSocketServer::~UnixSocketServer() {
  connections_.clear();
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

size_t UnixSocketServer::connectionCount() const { return connections_.size(); }

// A transport-level refusal: one best-effort, non-blocking write of the error
// line (an empty socket buffer always takes it), then close. What the client
// sent and we did not read stays unread: the kernel still delivers our line
// before it reports the reset.
void UnixSocketServer::refuse(Connection& c, const std::string& error) {
  const std::string line = nlohmann::json{{"ok", false}, {"error", error}}.dump() + "\n";
  (void)::send(c.fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);  // best effort: closed next
  c.close();
}

void UnixSocketServer::admit(std::unique_ptr<Connection> c) {
  const std::string busy = "portvaktd is busy: more than " + std::to_string(limits_.maxConnections) +
                           " API connections at once, and the client process holding the most of them "
                           "loses its oldest waiting one; try again";
  auto connectionsOf = [this](pid_t pid) {
    size_t n = 0;
    for (const auto& other : connections_) n += other->caller.pid == pid ? 1 : 0;
    return n;
  };
  while (connections_.size() >= limits_.maxConnections) {
    // The process holding the most connections pays for the next one: a client
    // that holds connections open cannot evict an operator's single call,
    // however fast it connects (by age alone it could: a call the CLI had not
    // written yet when 64 newer ones arrived was the oldest). Among that
    // process's connections, the oldest still waiting for its request goes
    // first, else the oldest still taking its answer. A request that is
    // complete is answered this turn and never evicted; a candidate is read
    // once more first, so a client whose request arrived since the last read
    // is not taken for a slow one.
    Connection* victim = nullptr;
    size_t victimHolds = 0;  // how many connections the victim's process holds
    for (Connection::State wanted : {Connection::State::kReading, Connection::State::kWriting}) {
      for (auto& other : connections_) {
        if (other->state != wanted) continue;
        const size_t holds = connectionsOf(other->caller.pid);
        if (!victim || holds > victimHolds || (holds == victimHolds && other->accepted < victim->accepted)) {
          victim = other.get();
          victimHolds = holds;
        }
      }
      if (victim) break;
    }
    if (!victim) {
      refuse(*c, busy);
      return;
    }
    if (victim->state == Connection::State::kReading) {
      readFrom(*victim);
      if (victim->state == Connection::State::kReading) refuse(*victim, busy);
    } else {
      victim->close();  // in the middle of its answer: a line now would corrupt it
    }
    std::erase_if(connections_, [](const auto& x) { return x->state == Connection::State::kClosed; });
  }
  Connection& added = *connections_.emplace_back(std::move(c));
  // A normal client has sent its request before we accept it: read it now so
  // it is answered this turn, whatever else is connecting.
  readFrom(added);
}

void UnixSocketServer::acceptPending(Clock::time_point now) {
  for (int i = 0; i < kMaxAcceptsPerTurn; ++i) {
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) return;  // EAGAIN: none left; anything else (EMFILE...): next turn
    auto c = std::make_unique<Connection>();
    c->fd = client;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) continue;  // no credentials, no service
    c->caller = Caller{};
    c->caller.uid = cred.uid;
    c->caller.gid = cred.gid;
    c->caller.pid = cred.pid;
    c->accepted = now;
    c->deadline = now + limits_.requestDeadline;
    admit(std::move(c));
  }
}

void UnixSocketServer::readFrom(Connection& c) {
  char buf[65536];
  while (c.state == Connection::State::kReading) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {
      // End of input: a request without its newline still counts (a client
      // that shut down its side after writing); nothing at all is a hang-up.
      if (n == 0 && !c.in.empty()) c.state = Connection::State::kReady;
      else c.close();
      return;
    }
    const size_t searchFrom = c.in.size();
    c.in.append(buf, static_cast<size_t>(n));
    if (size_t nl = c.in.find('\n', searchFrom); nl != std::string::npos) {
      c.in.resize(nl);  // one request per connection: anything after it is ignored
      c.state = Connection::State::kReady;
    }
    if (c.in.size() > limits_.maxRequestBytes) {
      refuse(c, "request larger than " + sizeText(limits_.maxRequestBytes));
      return;
    }
  }
}

void UnixSocketServer::writeTo(Connection& c) {
  while (c.sent < c.out.size()) {
    ssize_t n = ::send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) break;  // the client went away
    c.sent += static_cast<size_t>(n);
  }
  c.close();  // answered (or gone): one request per connection
}

void UnixSocketServer::serveOnce(const Handler& handler, std::chrono::milliseconds timeout) {
  const Clock::time_point started = Clock::now();
  std::vector<pollfd> fds;
  fds.reserve(connections_.size() + 1);
  fds.push_back({fd_, POLLIN, 0});
  auto wait = std::max(timeout, std::chrono::milliseconds(0));
  for (const auto& c : connections_) {
    fds.push_back({c->fd, static_cast<short>(c->state == Connection::State::kWriting ? POLLOUT : POLLIN), 0});
    // Rounded up: waking a millisecond early would only poll again.
    const auto untilDeadline = std::chrono::ceil<std::chrono::milliseconds>(c->deadline - started);
    wait = std::min(wait, std::max(untilDeadline, std::chrono::milliseconds(0)));
  }
  int ready = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
  if (ready < 0 && errno != EINTR) ready = 0;
  const Clock::time_point polled = Clock::now();
  // The connections polled are the first fds.size() - 1; accepting below only
  // appends (and evicts, so the I/O comes first).
  if (ready > 0) {
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Connection& c = *connections_[i - 1];
      if (c.state == Connection::State::kReading) readFrom(c);
      else if (c.state == Connection::State::kWriting) writeTo(c);
    }
    if (fds[0].revents & POLLIN) acceptPending(polled);
  }
  // Requests in the order they were accepted, one at a time on this thread.
  for (size_t i = 0; i < connections_.size(); ++i) {
    Connection& c = *connections_[i];
    if (c.state != Connection::State::kReady) continue;
    c.out = handler(c.in, c.caller) + "\n";
    std::string().swap(c.in);
    c.state = Connection::State::kWriting;
    // The deadline to take the answer starts now: a slow handler (a policy
    // compile) does not eat into it.
    c.deadline = Clock::now() + limits_.answerDeadline;
    writeTo(c);
  }
  // Deadlines against the time of the poll, not after the handlers: a request
  // that arrived while a long one was handled is read next turn, not refused.
  for (auto& c : connections_) {
    if (c->state == Connection::State::kReading && polled >= c->deadline) {
      refuse(*c, "no complete request within " + durationText(limits_.requestDeadline) +
                     " of connecting (one JSON line of at most " + sizeText(limits_.maxRequestBytes) + ")");
    } else if (c->state == Connection::State::kWriting && polled >= c->deadline) {
      c->close();  // the answer was not taken in time
    }
  }
  std::erase_if(connections_, [](const auto& x) { return x->state == Connection::State::kClosed; });
}

Result<std::string> callDaemon(const std::string& path, const std::string& request, std::chrono::milliseconds timeout) {
  sockaddr_un addr;
  if (!fillAddress(path, addr)) {
    return Error{"socket path too long: " + path};
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Error{std::string("socket: ") + std::strerror(errno)};
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Error unreachable{"cannot reach portvaktd at " + path + ": " + std::strerror(errno) + " (is it running? --socket?)"};
    ::close(fd);
    return unreachable;
  }
  // A failed send may still have an answer waiting (the daemon refuses an
  // oversized request before reading all of it): read before giving up.
  bool sent = writeAll(fd, request + "\n");
  bool tooLong = false;
  auto line = readLine(fd, 64u << 20, timeout, tooLong);
  ::close(fd);
  if (!line) return Error{sent ? "portvaktd did not answer" : "could not send the request to portvaktd"};
  return std::move(*line);
}

}  // namespace portvakt::api
