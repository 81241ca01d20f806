#include "control/api/connection_deadlines.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>

namespace portvakt::api {

namespace {

constexpr auto kWatchEvery = std::chrono::milliseconds(100);
// A dripping client is reported on stderr at most this often (with a count).
constexpr auto kReportEvery = std::chrono::seconds(60);

std::string peerOf(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  char text[INET6_ADDRSTRLEN] = "?";
  if (address.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address)->sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

int ConnectionDeadlines::exIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &ConnectionDeadlines::onSslFree);
  return index;
}

void ConnectionDeadlines::onSslFree(void* parent, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  if (ptr) static_cast<ConnectionDeadlines*>(ptr)->forget(static_cast<SSL*>(parent));
}

ConnectionDeadlines::ConnectionDeadlines() {
  (void)exIndex();  // registers the index before the first handshake; the value is read where used
  watchdog_ = std::thread([this] { watch(); });
}

ConnectionDeadlines::~ConnectionDeadlines() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watchdog_.join();
  // Connections still known here belong to SSL objects not yet freed: the
  // server is stopped first (https_server.cc), so there are none; but their
  // ex_data must not point at a destroyed object either way.
  std::lock_guard lock(mutex_);
  for (auto& [ssl, connection] : connections_) SSL_set_ex_data(ssl, exIndex(), nullptr);
}

void ConnectionDeadlines::arm(SSL* ssl, std::chrono::milliseconds within) { arm(ssl, within, false); }
void ConnectionDeadlines::armIfNew(SSL* ssl, std::chrono::milliseconds within) { arm(ssl, within, true); }

void ConnectionDeadlines::arm(SSL* ssl, std::chrono::milliseconds within, bool onlyIfNew) {
  if (!ssl) return;
  std::lock_guard lock(mutex_);
  auto it = connections_.find(ssl);
  if (it == connections_.end()) {
    const int fd = SSL_get_fd(ssl);
    if (fd < 0) return;
    it = connections_.emplace(ssl, Connection{fd, peerOf(fd), {}, false, false}).first;
    SSL_set_ex_data(ssl, exIndex(), this);
  } else if (onlyIfNew) {
    return;
  }
  it->second.deadline = std::chrono::steady_clock::now() + within;
  it->second.paused = false;
}

void ConnectionDeadlines::pause(SSL* ssl) {
  std::lock_guard lock(mutex_);
  if (auto it = connections_.find(ssl); it != connections_.end()) it->second.paused = true;
}

void ConnectionDeadlines::forget(SSL* ssl) {
  std::lock_guard lock(mutex_);
  connections_.erase(ssl);
}

uint64_t ConnectionDeadlines::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void ConnectionDeadlines::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kWatchEvery);
    const auto now = std::chrono::steady_clock::now();
    for (auto& [ssl, c] : connections_) {
      if (c.paused || c.cut || now < c.deadline) continue;
      // The socket is still open: it is closed only after its SSL is freed,
      // and freeing it removes it from this map under this mutex.
      ::shutdown(c.fd, SHUT_RDWR);
      c.cut = true;
      ++closed_;
      ++unreported_;
      lastPeer_ = c.peer;
    }
    if (unreported_ > 0 && now - lastReport_ >= kReportEvery) {
      std::fprintf(stderr,
                   "portvaktd: HTTPS: closed %llu connection(s) that did not complete a request or take an answer "
                   "in time (slow or stalled clients; the last from %s)\n",
                   static_cast<unsigned long long>(unreported_), lastPeer_.c_str());
      unreported_ = 0;
      lastReport_ = now;
    }
  }
}

}  // namespace portvakt::api
