#include "control/dot1x/hostapd_control.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace portvakt::dot1x {
namespace {

constexpr size_t kSunPathMax = sizeof(sockaddr_un{}.sun_path) - 1;

bool fillAddress(sockaddr_un& address, const std::string& path) {
  if (path.size() > kSunPathMax) return false;
  std::memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  return true;
}

std::string errnoText(int error) { return std::strerror(error); }

std::atomic<unsigned> localCounter{0};

}  // namespace

HostapdControl::HostapdControl(int fd, std::string serverPath, std::string localPath)
    : fd_(fd), serverPath_(std::move(serverPath)), localPath_(std::move(localPath)) {}

HostapdControl::~HostapdControl() {
  if (fd_ >= 0) ::close(fd_);
  if (!localPath_.empty()) ::unlink(localPath_.c_str());
}

ControlError HostapdControl::makeError(ControlErrorCode code, const std::string& what) const {
  return ControlError{code, "hostapd control socket " + serverPath_ + ": " + what};
}

ControlResult<std::unique_ptr<HostapdControl>> HostapdControl::open(const std::string& serverPath,
                                                                    const std::string& localDir) {
  sockaddr_un server{};
  if (!fillAddress(server, serverPath)) {
    return ControlError{ControlErrorCode::kPathTooLong, "hostapd control socket path " + serverPath + " is longer than " +
                                                            std::to_string(kSunPathMax) + " bytes"};
  }
  const std::string localPath =
      localDir + "/portvakt-" + std::to_string(::getpid()) + "-" + std::to_string(localCounter.fetch_add(1));
  sockaddr_un local{};
  if (!fillAddress(local, localPath)) {
    return ControlError{ControlErrorCode::kPathTooLong, "local control socket path " + localPath + " is longer than " +
                                                            std::to_string(kSunPathMax) + " bytes"};
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return ControlError{ControlErrorCode::kSocket, "socket(AF_UNIX): " + errnoText(errno)};
  ::unlink(localPath.c_str());  // a leftover of an earlier process with our pid
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
    const int error = errno;
    ::close(fd);
    return ControlError{ControlErrorCode::kSocket, "bind " + localPath + ": " + errnoText(error)};
  }
  // The object owns fd and the local path from here on (its destructor
  // cleans up on the error paths below).
  std::unique_ptr<HostapdControl> control(new HostapdControl(fd, serverPath, localPath));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
    const int error = errno;
    return control->makeError(error == ECONNREFUSED ? ControlErrorCode::kClosed : ControlErrorCode::kSocket,
                              "connect: " + errnoText(error));
  }
  return control;
}

ControlResult<std::string> HostapdControl::request(const std::string& command, std::chrono::milliseconds timeout) {
  std::lock_guard lock(requestMutex_);
  char buffer[kMaxControlMessageBytes + 1];
  if (drainBeforeRequest_) {
    // A late reply to a request that timed out: not the answer to this one.
    while (::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
    }
    drainBeforeRequest_ = false;
  }
  if (::send(fd_, command.data(), command.size(), 0) != static_cast<ssize_t>(command.size())) {
    const int error = errno;
    return makeError(error == ECONNREFUSED || error == ENOENT ? ControlErrorCode::kClosed : ControlErrorCode::kSocket,
                     "send " + command.substr(0, command.find(' ')) + ": " + errnoText(error));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      drainBeforeRequest_ = true;
      return makeError(ControlErrorCode::kTimeout, "no reply to " + command.substr(0, command.find(' ')) + " within " +
                                                       std::to_string(timeout.count()) + " ms");
    }
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) return makeError(ControlErrorCode::kSocket, "poll: " + errnoText(errno));
    if (ready <= 0) continue;
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      const int error = errno;
      return makeError(error == ECONNREFUSED ? ControlErrorCode::kClosed : ControlErrorCode::kSocket,
                       "recv: " + errnoText(error));
    }
    if (static_cast<size_t>(n) > kMaxControlMessageBytes) {
      return makeError(ControlErrorCode::kRefused, "reply of " + std::to_string(n) +
                                                       " bytes is longer than the limit of " +
                                                       std::to_string(kMaxControlMessageBytes));
    }
    std::string reply(buffer, static_cast<size_t>(n));
    if (isUnsolicited(reply)) {
      std::lock_guard queued(queuedMutex_);
      if (queuedEvents_.size() < 1024) queuedEvents_.push_back(std::move(reply));
      continue;
    }
    return reply;
  }
}

ControlResult<void> HostapdControl::expectOk(const std::string& command, std::chrono::milliseconds timeout) {
  auto reply = request(command, timeout);
  if (!reply) return reply.error();
  if (*reply != "OK\n" && *reply != "OK") {
    return makeError(ControlErrorCode::kRefused,
                     command.substr(0, command.find(' ')) + " answered \"" + escapeForMessage(*reply) + "\"");
  }
  return {};
}

ControlResult<void> HostapdControl::ping(std::chrono::milliseconds timeout) {
  auto reply = request("PING", timeout);
  if (!reply) return reply.error();
  if (*reply != "PONG\n" && *reply != "PONG") {
    return makeError(ControlErrorCode::kRefused, "PING answered \"" + escapeForMessage(*reply) + "\"");
  }
  return {};
}

ControlResult<void> HostapdControl::attach(std::chrono::milliseconds timeout) { return expectOk("ATTACH", timeout); }
ControlResult<void> HostapdControl::detach(std::chrono::milliseconds timeout) { return expectOk("DETACH", timeout); }

ControlResult<StationInfo> HostapdControl::station(const tables::MacAddress& mac, std::chrono::milliseconds timeout) {
  auto reply = request("STA " + mac.toString(), timeout);
  if (!reply) return reply.error();
  auto parsed = parseStationReply(*reply);
  if (!parsed) return makeError(ControlErrorCode::kRefused, "STA " + mac.toString() + ": " + parsed.error().message);
  if (parsed->mac != mac) {
    return makeError(ControlErrorCode::kRefused,
                     "STA " + mac.toString() + " answered for another station " + parsed->mac.toString());
  }
  return std::move(*parsed);
}

ControlResult<void> HostapdControl::newStation(const tables::MacAddress& mac, std::chrono::milliseconds timeout) {
  return expectOk("NEW_STA " + mac.toString(), timeout);
}

ControlResult<void> HostapdControl::deauthenticate(const tables::MacAddress& mac, std::chrono::milliseconds timeout) {
  return expectOk("DEAUTHENTICATE " + mac.toString(), timeout);
}

HostapdControl::Received HostapdControl::readEvents() {
  Received received;
  std::vector<std::string> datagrams;
  {
    std::lock_guard queued(queuedMutex_);
    datagrams.swap(queuedEvents_);
  }
  char buffer[kMaxControlMessageBytes + 1];
  // Bounded per call so one flooding peer cannot keep the caller here.
  for (int i = 0; i < 256; ++i) {
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == ECONNREFUSED || errno == ENOTCONN) received.closed = true;
      break;
    }
    if (static_cast<size_t>(n) > kMaxControlMessageBytes) {
      received.rejected.push_back(ParseError{"datagram of " + std::to_string(n) + " bytes is longer than the limit of " +
                                             std::to_string(kMaxControlMessageBytes)});
      continue;
    }
    datagrams.emplace_back(buffer, static_cast<size_t>(n));
  }
  for (const std::string& datagram : datagrams) {
    auto event = parseEvent(datagram);
    if (event) {
      received.events.push_back(std::move(*event));
    } else {
      received.rejected.push_back(event.error());
    }
  }
  return received;
}

}  // namespace portvakt::dot1x
