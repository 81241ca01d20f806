// Hostile clients against the management API's socket (issue 14, R7): the
// real UnixSocketServer on a real Unix socket in a temp dir, driven from one
// thread the way portvaktd's control loop drives it. While a client drips one
// byte every 200 ms, one says nothing, 600 hold connections (far beyond the
// limit) and one asks for a large answer and never reads it, normal requests
// must be answered, correctly and within a generous bound; the dripping and
// the silent client are cut off at the request deadline with an error line,
// the connections beyond the limit get "busy", the non-reader is closed at the
// answer deadline. The bounds are functional ("answers at all"), not speed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control/api/unix_socket.h"
#include "tests/control/store/temp_dir.h"

namespace portvakt::api {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

int64_t msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// A connected client socket; non-blocking connect so that a server that does
// not accept (a full backlog) shows as a failure here instead of a hang.
int connectTo(const std::string& path, bool nonBlocking) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonBlocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the server sends until it closes, or until `timeoutMs` passes
// without it closing (then nullopt).
std::optional<std::string> readUntilClosed(int fd, int timeoutMs) {
  std::string data;
  const auto start = Clock::now();
  char buf[65536];
  while (msSince(start) < timeoutMs) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) data.append(buf, static_cast<size_t>(n));
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) return data;
  }
  return std::nullopt;
}

constexpr size_t kBigAnswerBytes = 8u << 20;  // far more than a socket buffer holds
constexpr int kHeld = 600;

class ServerThread {
 public:
  explicit ServerThread(const std::string& path, ServerLimits limits = {}) {
    auto listening = UnixSocketServer::listen(path, "no-such-group", server_, limits);
    if (!listening) {
      error_ = listening.error().message;
      return;
    }
    thread_ = std::thread([this] {
      while (!stop_) server_.serveOnce(&ServerThread::handle, std::chrono::milliseconds(200));
    });
  }
  ~ServerThread() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const std::optional<std::string>& error() const { return error_; }

 private:
  // Echoes the request; "big" gets an answer far larger than a socket buffer,
  // "slow" takes longer than the shortest request deadline used here.
  static std::string handle(const std::string& request, const Caller& caller) {
    // (built by hand: a JSON library escaping 8 MiB under ASan takes seconds of handler time)
    if (request == "big") return R"({"ok":true,"filler":")" + std::string(kBigAnswerBytes, 'b') + R"("})";
    if (request == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return json{{"ok", true}, {"echo", request}, {"uid", caller.uid}}.dump();
  }
  UnixSocketServer server_;
  std::optional<std::string> error_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Requirements: R7
TEST(UnixSocketHostileClients, NormalRequestsAreAnsweredWhileClientsDripHoldAndRefuseToRead) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("api.sock");
  ServerThread server(path);
  ASSERT_FALSE(server.error()) << *server.error();

  // 600 connections that say nothing, opened first: the limit (64) is far exceeded.
  std::vector<int> held;
  int connectFailures = 0;
  for (int i = 0; i < kHeld; ++i) {
    int fd = connectTo(path, true);
    if (fd < 0) ++connectFailures;
    else held.push_back(fd);
  }
  EXPECT_EQ(connectFailures, 0) << "connections not even queued: the listen backlog is full";

  // A silent client, a dripping one, and one that asks for a large answer and never reads it.
  const auto hostileStart = Clock::now();
  int silent = connectTo(path, false);
  ASSERT_GE(silent, 0);
  std::atomic<bool> stopDrip{false};
  std::string dripAnswer;
  int64_t dripCutAfterMs = -1;
  std::jthread drip([&] {
    int fd = connectTo(path, false);
    if (fd < 0) return;
    const auto start = Clock::now();
    while (!stopDrip && msSince(start) < 20000) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 200) > 0) {  // the server said something (and closes): read it all
        dripAnswer = readUntilClosed(fd, 2000).value_or("");
        dripCutAfterMs = msSince(start);
        break;
      }
      if (::send(fd, "x", 1, MSG_NOSIGNAL) != 1) break;  // one byte every 200 ms, never a newline
    }
    ::close(fd);
  });
  // On a failed assertion below: the dripping client stops at once (the
  // jthread then joins) and the held connections are closed.
  struct OnExit {
    std::function<void()> run;
    ~OnExit() { run(); }
  } cleanup{[&] {
    stopDrip = true;
    for (int& fd : held) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }};
  int nonReader = connectTo(path, false);
  ASSERT_GE(nonReader, 0);
  ASSERT_EQ(::send(nonReader, "big\n", 4, MSG_NOSIGNAL), 4);
  const auto nonReaderAsked = Clock::now();

  // Meanwhile normal requests, one every 300 ms for 7 s: each answered, correctly, within 2 s.
  int normal = 0;
  while (msSince(hostileStart) < 7000) {
    const std::string request = json{{"command", "status"}, {"n", normal}}.dump();
    const auto t = Clock::now();
    auto answer = callDaemon(path, request, std::chrono::seconds(3));
    const int64_t tookMs = msSince(t);
    ASSERT_TRUE(answer) << "request " << normal << " after " << msSince(hostileStart)
                        << " ms: " << answer.error().message;
    json parsed = json::parse(*answer, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << *answer;
    EXPECT_EQ(parsed.value("echo", std::string()), request) << *answer;
    EXPECT_LT(tookMs, 2000) << "request " << normal;
    ++normal;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_GE(normal, 10);

  // The dripping client was cut off at the request deadline (5 s after its
  // connect) with an error line; it was never answered as a request.
  drip.join();  // (a jthread: a failed assertion above still joins it, within 20 s)
  EXPECT_GE(dripCutAfterMs, kRequestDeadline.count() - 500) << dripAnswer;
  EXPECT_LT(dripCutAfterMs, kRequestDeadline.count() + 3000) << dripAnswer;
  EXPECT_NE(dripAnswer.find("\"ok\":false"), std::string::npos) << dripAnswer;
  EXPECT_NE(dripAnswer.find("no complete request within 5 s"), std::string::npos) << dripAnswer;

  // The silent client too (it is past its deadline by now).
  auto silentAnswer = readUntilClosed(silent, 3000);
  ASSERT_TRUE(silentAnswer) << "the silent client is still connected " << msSince(hostileStart) << " ms after connecting";
  EXPECT_NE(silentAnswer->find("no complete request within 5 s"), std::string::npos) << *silentAnswer;
  ::close(silent);

  // Every held connection was closed: most at once with "busy" (beyond the
  // limit), the rest at the deadline with the timeout error.
  int busy = 0, timedOut = 0, stillOpen = 0;
  for (int& fd : held) {
    auto said = readUntilClosed(fd, 1000);
    if (!said) ++stillOpen;
    else if (said->find("busy") != std::string::npos) ++busy;
    else if (said->find("no complete request") != std::string::npos) ++timedOut;
    ::close(fd);
    fd = -1;
  }
  EXPECT_EQ(stillOpen, 0);
  EXPECT_GE(busy, kHeld - static_cast<int>(kMaxConnections));
  EXPECT_EQ(busy + timedOut + stillOpen, kHeld);

  // The client that never read: the server gave up on it at the answer
  // deadline (10 s after its answer was ready), long after everyone else was
  // served. It waits for the hang-up without reading (POLLRDHUP consumes
  // nothing), then finds a cut answer.
  pollfd hangup{nonReader, POLLRDHUP, 0};
  ASSERT_EQ(::poll(&hangup, 1, static_cast<int>(kAnswerDeadline.count()) + 10000), 1)
      << "the non-reading client is still connected";
  EXPECT_GE(msSince(nonReaderAsked), kAnswerDeadline.count() - 500) << "closed before the answer deadline";
  auto partial = readUntilClosed(nonReader, 5000);
  ASSERT_TRUE(partial) << "the non-reading client is still connected";
  EXPECT_LT(partial->size(), kBigAnswerBytes) << "the server waited for the whole large answer to be read";
  ::close(nonReader);
}

// A request that arrives while another is being handled for longer than the
// request deadline (a long policy compile) is answered, not refused: a
// deadline is judged by what had arrived when the server last looked.
TEST(UnixSocketHostileClients, ASlowHandlerDoesNotExpireRequestsThatArrivedMeanwhile) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("api.sock");
  ServerLimits limits;
  limits.requestDeadline = std::chrono::milliseconds(1000);  // shorter than the 1.5 s "slow" request
  ServerThread server(path, limits);
  ASSERT_FALSE(server.error()) << *server.error();
  int waiting = connectTo(path, false);  // accepted now, its request comes later
  ASSERT_GE(waiting, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::optional<Result<std::string>> slowAnswer;
  std::jthread slow([&] { slowAnswer = callDaemon(path, "slow", std::chrono::seconds(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the slow one is being handled
  ASSERT_EQ(::send(waiting, "quick\n", 6, MSG_NOSIGNAL), 6);
  auto answer = readUntilClosed(waiting, 10000);
  ::close(waiting);
  slow.join();
  ASSERT_TRUE(slowAnswer && *slowAnswer) << (slowAnswer ? slowAnswer->error().message : "no answer");
  ASSERT_TRUE(answer);
  EXPECT_NE(answer->find("\"echo\":\"quick\""), std::string::npos) << *answer;
}

// A client that shuts down its side after the request, without the newline
// (as `printf '{...}' | socat - UNIX:...` does), is answered all the same.
TEST(UnixSocketHostileClients, ARequestEndedByShutdownInsteadOfNewlineIsAnswered) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("api.sock");
  ServerThread server(path);
  ASSERT_FALSE(server.error()) << *server.error();
  int fd = connectTo(path, false);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::send(fd, "no-newline", 10, MSG_NOSIGNAL), 10);
  ASSERT_EQ(::shutdown(fd, SHUT_WR), 0);
  auto answer = readUntilClosed(fd, 5000);
  ::close(fd);
  ASSERT_TRUE(answer);
  EXPECT_NE(answer->find("\"echo\":\"no-newline\""), std::string::npos) << *answer;
}

// One process opening connections as fast as it can must not evict another
// process's call that was accepted before its request line arrived (the CLI
// under load: connect, then a pause, then the request). By age alone the
// operator's call was the oldest waiting one once 64 newer connections had
// arrived; the process holding the most connections pays instead.
TEST(UnixSocketHostileClients, AProcessHoldingConnectionsCannotEvictAnotherProcesssCall) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.file("api.sock");
  ServerThread server(path);
  ASSERT_FALSE(server.error()) << *server.error();

  std::vector<int> held;
  for (size_t i = 0; i < kMaxConnections; ++i) {  // the table is full before the call
    int fd = connectTo(path, true);
    ASSERT_GE(fd, 0);
    held.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // The other process: connects, waits 600 ms (meanwhile this one opens
  // about 120 more connections), then asks. Only system calls after fork.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int fd = connectTo(path, false);
    if (fd < 0) ::_exit(3);
    ::usleep(600 * 1000);
    if (::send(fd, "operator\n", 9, MSG_NOSIGNAL) != 9) ::_exit(4);
    char answer[4096];
    size_t got = 0;
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) ::_exit(5);
      ssize_t n = ::recv(fd, answer + got, sizeof answer - 1 - got, 0);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
      if (got == sizeof answer - 1) break;
    }
    answer[got] = '\0';
    if (std::strstr(answer, "\"echo\":\"operator\"")) ::_exit(0);
    ::_exit(std::strstr(answer, "busy") ? 1 : 2);
  }
  const auto start = Clock::now();
  while (msSince(start) < 1200) {
    int fd = connectTo(path, true);
    if (fd >= 0) held.push_back(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  for (int fd : held) ::close(fd);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the other process's call was "
                                    << (WEXITSTATUS(status) == 1 ? "closed as busy" : "not answered") << " (exit "
                                    << WEXITSTATUS(status) << ")";
}

}  // namespace
}  // namespace portvakt::api
