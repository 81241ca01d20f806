#include "control/api/unix_socket.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace portvakt::api {
namespace {

bool fillAddress(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// Reads until a newline, EOF, the size limit or the deadline.
std::optional<std::string> readLine(int fd, size_t limit, int timeoutMs, bool& tooLong) {
  std::string data;
  char buf[4096];
  tooLong = false;
  while (true) {
    size_t nl = data.find('\n');
    if (nl != std::string::npos) return data.substr(0, nl);
    if (data.size() > limit) {
      tooLong = true;
      return std::nullopt;
    }
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, timeoutMs);
    if (ready <= 0) return std::nullopt;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return data.empty() ? std::nullopt : std::optional<std::string>(data);
    data.append(buf, static_cast<size_t>(n));
  }
}

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

std::optional<std::string> UnixSocketServer::listen(const std::string& path, const std::string& group,
                                                    UnixSocketServer& out) {
  sockaddr_un addr;
  if (!fillAddress(path, addr)) return "socket path too long: " + path;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      ::close(fd);
      return path + " exists and is not a socket; refusing to replace it";
    }
    ::unlink(path.c_str());  // a stale socket from a previous run
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string e = "bind " + path + ": " + std::strerror(errno);
    ::close(fd);
    return e;
  }
  ::chmod(path.c_str(), 0660);
  if (struct group* g = ::getgrnam(group.c_str())) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0) {
      // Not fatal: root still reaches it; the operator guide explains the group.
    }
  }
  if (::listen(fd, 16) != 0) {
    std::string e = std::string("listen: ") + std::strerror(errno);
    ::close(fd);
    return e;
  }
  out.fd_ = fd;
  out.path_ = path;
  return std::nullopt;
}

UnixSocketServer::~UnixSocketServer() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

void UnixSocketServer::serveOnce(const Handler& handler, int timeoutMs) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeoutMs) <= 0) return;
  while (true) {
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) return;
    ucred cred{};
    socklen_t len = sizeof cred;
    Caller caller;
    if (::getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      caller = {cred.uid, cred.gid, cred.pid};
    } else {
      ::close(client);
      continue;  // no credentials, no service
    }
    bool tooLong = false;
    auto request = readLine(client, kMaxRequestBytes, 5000, tooLong);
    std::string response;
    if (tooLong) {
      response = R"({"ok":false,"error":"request larger than 1 MiB"})";
    } else if (!request) {
      ::close(client);
      continue;
    } else {
      response = handler(*request, caller);
    }
    writeAll(client, response + "\n");
    ::close(client);
    // Serve what else is already waiting, but never block here.
    pollfd again{fd_, POLLIN, 0};
    if (::poll(&again, 1, 0) <= 0) return;
  }
}

std::optional<std::string> callDaemon(const std::string& path, const std::string& request, std::string& error,
                                      int timeoutMs) {
  sockaddr_un addr;
  if (!fillAddress(path, addr)) {
    error = "socket path too long: " + path;
    return std::nullopt;
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error = "cannot reach portvaktd at " + path + ": " + std::strerror(errno) + " (is it running? --socket?)";
    ::close(fd);
    return std::nullopt;
  }
  // A failed send may still have an answer waiting (the daemon refuses an
  // oversized request before reading all of it): read before giving up.
  bool sent = writeAll(fd, request + "\n");
  bool tooLong = false;
  auto line = readLine(fd, 64u << 20, timeoutMs, tooLong);
  ::close(fd);
  if (!line) error = sent ? "portvaktd did not answer" : "could not send the request to portvaktd";
  return line;
}

}  // namespace portvakt::api
