#include "control/alerts/syslog_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>

namespace portvakt::alerts {

namespace {

// RFC 5426 recommends receivers accept 2048 bytes; messages are bounded well
// below that by the evidence limits, this is the last guard.
constexpr size_t kMaxUdpMessage = 2048;

std::string errnoText(const char* what) { return std::string(what) + ": " + strerror(errno); }

store::Error ioError(std::string message) { return store::Error{store::ErrorCode::kIo, std::move(message)}; }

store::Status sendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError(errnoText("send"));
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

// True if the peer closed or reset the connection (readable with EOF/error).
bool peerGone(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP | POLLRDHUP)) return true;
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

}  // namespace

store::Result<std::unique_ptr<SyslogSink>> SyslogSink::create(std::string name, const std::string& target,
                                                              Transport transport, const SinkOptions& options,
                                                              tables::SinkFormat format) {
  using store::Error;
  using store::ErrorCode;
  std::string host, port;
  if (!target.empty() && target[0] == '[') {
    size_t close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':')
      return Error{ErrorCode::kInvalid, "sink '" + name + "': syslog target '" + target + "' is not [addr]:port"};
    host = target.substr(1, close - 1);
    port = target.substr(close + 2);
  } else {
    size_t colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return Error{ErrorCode::kInvalid, "sink '" + name + "': syslog target '" + target + "' is not host:port"};
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
  }
  int portNumber = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), portNumber);
  if (ec != std::errc() || p != port.data() + port.size() || portNumber < 1 || portNumber > 65535)
    return Error{ErrorCode::kInvalid, "sink '" + name + "': bad port in syslog target '" + target + "'"};
  return std::unique_ptr<SyslogSink>(new SyslogSink(std::move(name), host, port, transport, options, format));
}

SyslogSink::SyslogSink(std::string name, std::string host, std::string port, Transport transport,
                       const SinkOptions& options, tables::SinkFormat format)
    : Sink(std::move(name)),
      host_(std::move(host)),
      port_(std::move(port)),
      transport_(transport),
      options_(options),
      messageFormat_(format) {
  format_.hostname = options.hostname.empty() ? localHostname() : options.hostname;
  format_.procId = std::to_string(getpid());
  cef_.hostname = format_.hostname;
}

SyslogSink::~SyslogSink() { reopen(); }

void SyslogSink::reopen() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

store::Status SyslogSink::connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = transport_ == Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host_.c_str(), port_.c_str(), &hints, &res); rc != 0)
    return ioError("resolve " + host_ + ": " + gai_strerror(rc));
  std::string error = "no address for " + host_;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      error = errnoText("socket");
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, options_.connectTimeoutMs);
      int soError = 0;
      socklen_t len = sizeof soError;
      if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len) == 0 && soError == 0) {
        rc = 0;
      } else {
        errno = rc == 0 ? ETIMEDOUT : soError;
        rc = -1;
      }
    }
    if (rc == 0) {
      // Blocking from here: a send waits for buffer space rather than failing.
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      timeval tv{options_.requestTimeoutMs / 1000, (options_.requestTimeoutMs % 1000) * 1000};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      fd_ = fd;
      freeaddrinfo(res);
      return {};
    }
    error = "connect " + host_ + ":" + port_ + ": " + strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  return ioError(error);
}

DeliveryResult SyslogSink::deliver(const Alert& alert) {
  std::string msg =
      messageFormat_ == tables::SinkFormat::kCef ? toSyslogCef(alert, format_, cef_) : toRfc5424(alert, format_);
  if (transport_ == Transport::kTcp && fd_ >= 0 && peerGone(fd_)) reopen();
  if (fd_ < 0) {
    if (auto connected = connect(); !connected) return {DeliveryOutcome::kRetry, connected.error().message};
  }
  if (transport_ == Transport::kTcp) {
    std::string framed = std::to_string(msg.size()) + " " + msg;
    if (auto sent = sendAll(fd_, framed); !sent) {
      reopen();
      return {DeliveryOutcome::kRetry, sent.error().message};
    }
  } else {
    if (msg.size() > kMaxUdpMessage) msg.resize(kMaxUdpMessage);
    // A connected UDP socket reports an earlier ICMP port-unreachable as
    // ECONNREFUSED here: the collector is down, so retry.
    if (::send(fd_, msg.data(), msg.size(), MSG_NOSIGNAL) < 0) {
      std::string error = errnoText("send");
      reopen();
      return {DeliveryOutcome::kRetry, error};
    }
  }
  return {DeliveryOutcome::kAcked, ""};
}

}  // namespace portvakt::alerts
