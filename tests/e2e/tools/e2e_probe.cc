// portvakt_e2e_probe: the helpers the e2e scripts need and a fresh Debian does
// not have (no python3, no jq, no nc):
//
//   webhook-receiver PORT LOG [READY]   a real HTTP server (cpp-httplib) on
//       127.0.0.1:PORT that answers every POST with 200 after appending the
//       request's Idempotency-Key (one per line) to LOG; writes READY once it
//       listens. Runs until killed.
//   json POINTER [FIELD]                reads JSON on stdin and prints the value
//       at the JSON pointer (strings raw); with FIELD, the value must be an
//       array and each element's FIELD is printed on its own line. Exit 1 when
//       the input is not JSON or the pointer names nothing.
//   spool DB SINK                       the daemon's alert spool, read-only: one
//       line per alert that has a delivery row for SINK: "ID STATE EVENT".
//       Exit 3 when the database cannot be read.
//   api-hold SOCKET N SECONDS           hostile API clients (issue 14): keeps N
//       connections to the daemon's socket open that never send anything,
//       opening again every 500 ms those the daemon closed, for SECONDS; then
//       prints "opened O busy B deadline D other X connect-failed F" (what the
//       daemon said when it closed them). Exit 0.
//   api-drip SOCKET SECONDS             one client that sends one byte every
//       200 ms and never a newline, reconnecting when the daemon closes it,
//       for SECONDS; then prints "cut C after-ms A1,A2,... last LINE" (how often
//       and how long after its connect the daemon cut it off, and its last words).
//   udp-count PORT SECONDS [READY]      a real UDP socket on 0.0.0.0:PORT:
//       counts the datagrams it receives for SECONDS, then prints the count.
//       Writes READY once it is bound.
//   rows DB                             the daemon's table sizes, read-only:
//       "devices N alerts M". Exit 3 when the database cannot be read.
//   metrics HOST PORT                   GET /metrics from the daemon's
//       Prometheus endpoint and print it. Exit 3 when it does not answer.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <httplib.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "control/store/store.h"

namespace {

int usage() {
  std::cerr << "usage: portvakt_e2e_probe webhook-receiver PORT LOG [READY] | json POINTER [FIELD] | spool DB SINK"
               " | api-hold SOCKET N SECONDS | api-drip SOCKET SECONDS | udp-count PORT SECONDS [READY]"
               " | rows DB | metrics HOST PORT\n";
  return 2;
}

std::string scalar(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

int webhookReceiver(int port, const std::string& logPath, const std::string& readyPath) {
  int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log < 0) {
    std::perror(logPath.c_str());
    return 3;
  }
  httplib::Server server;
  server.Post(R"(.*)", [log](const httplib::Request& req, httplib::Response& res) {
    std::string line = req.get_header_value("Idempotency-Key");
    if (line.empty()) line = "-";
    line += "\n";
    // One write(2) per request, before the 200: what the daemon saw acknowledged is in the log.
    if (::write(log, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      res.status = 500;
      return;
    }
    res.status = 200;
    res.set_content("{}", "application/json");
  });
  if (!server.bind_to_port("127.0.0.1", port)) {
    std::cerr << "portvakt_e2e_probe: cannot listen on 127.0.0.1:" << port << "\n";
    return 3;
  }
  if (!readyPath.empty()) {
    if (FILE* f = std::fopen(readyPath.c_str(), "w")) std::fclose(f);
  }
  server.listen_after_bind();
  return 0;
}

int json(const std::string& pointer, const char* field) {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    std::cerr << "portvakt_e2e_probe: input is not JSON\n";
    return 1;
  }
  try {
    const nlohmann::json& v = doc.at(nlohmann::json::json_pointer(pointer));
    if (!field) {
      std::cout << scalar(v) << "\n";
      return 0;
    }
    if (!v.is_array()) return 1;
    for (const auto& e : v) {
      if (!e.is_object() || !e.contains(field)) return 1;
      std::cout << scalar(e[field]) << "\n";
    }
    return 0;
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "portvakt_e2e_probe: " << pointer << ": " << e.what() << "\n";
    return 1;
  }
}

int spool(const std::string& path, const std::string& sink) {
  portvakt::store::OpenOptions options;
  options.readOnly = true;
  options.quickCheck = false;
  auto db = portvakt::store::Store::open(path, options);
  if (!db) {
    std::cerr << "portvakt_e2e_probe: " << db.error().message << "\n";
    return 3;
  }
  auto alerts = db.value()->recentAlerts(1000000);
  if (!alerts) {
    std::cerr << "portvakt_e2e_probe: " << alerts.error().message << "\n";
    return 3;
  }
  for (const auto& a : *alerts) {
    auto rows = db.value()->deliveries(a.id);
    if (!rows) {
      std::cerr << "portvakt_e2e_probe: " << rows.error().message << "\n";
      return 3;
    }
    for (const auto& d : *rows) {
      if (d.sink == sink) std::cout << a.id << " " << portvakt::store::toString(d.state) << " " << a.event << "\n";
    }
  }
  return 0;
}

using Clock = std::chrono::steady_clock;

int64_t msSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// Non-blocking: a daemon that does not accept shows as a failed connect, not a hang.
int connectTo(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
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

// What the daemon sent before closing `fd`: nullopt while it is still open.
std::optional<std::string> closedWith(int fd, std::string& said) {
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      said.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return std::nullopt;
    return said;
  }
}

int apiHold(const std::string& path, int count, int seconds) {
  struct Held {
    int fd = -1;
    std::string said;
  };
  std::vector<Held> held(static_cast<size_t>(count));
  int opened = 0, busy = 0, deadline = 0, other = 0, failed = 0;
  const auto start = Clock::now();
  while (msSince(start) < seconds * 1000) {
    for (Held& h : held) {
      if (h.fd >= 0) {
        auto said = closedWith(h.fd, h.said);
        if (!said) continue;
        if (said->find("busy") != std::string::npos) ++busy;
        else if (said->find("no complete request") != std::string::npos) ++deadline;
        else ++other;
        ::close(h.fd);
        h = Held{};
      }
      h.fd = connectTo(path);
      if (h.fd >= 0) ++opened;
      else ++failed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  for (Held& h : held) {
    if (h.fd >= 0) ::close(h.fd);
  }
  std::cout << "opened " << opened << " busy " << busy << " deadline " << deadline << " other " << other
            << " connect-failed " << failed << "\n";
  return 0;
}

int apiDrip(const std::string& path, int seconds) {
  int cut = 0;
  std::string afterMs, last;
  const auto start = Clock::now();
  while (msSince(start) < seconds * 1000) {
    int fd = connectTo(path);
    if (fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    const auto connected = Clock::now();
    std::string said;
    while (msSince(start) < seconds * 1000) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 200) > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the rest of its line
        if (auto words = closedWith(fd, said)) {
          ++cut;
          afterMs += (afterMs.empty() ? "" : ",") + std::to_string(msSince(connected));
          last = *words;
          break;
        }
      }
      if (::send(fd, "x", 1, MSG_NOSIGNAL) != 1 && errno != EAGAIN) {
        (void)closedWith(fd, said);
        ++cut;
        afterMs += (afterMs.empty() ? "" : ",") + std::to_string(msSince(connected));
        last = said;
        break;
      }
    }
    ::close(fd);
  }
  while (!last.empty() && last.back() == '\n') last.pop_back();
  std::cout << "cut " << cut << " after-ms " << (afterMs.empty() ? "-" : afterMs) << " last " << last << "\n";
  return 0;
}

int udpCount(int port, int seconds, const std::string& readyPath) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("portvakt_e2e_probe: udp-count");
    return 3;
  }
  if (!readyPath.empty()) {
    if (FILE* f = std::fopen(readyPath.c_str(), "w")) std::fclose(f);
  }
  timespec start{};
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  const long deadlineMs = long{start.tv_sec} * 1000 + start.tv_nsec / 1'000'000 + long{seconds} * 1000;
  long count = 0;
  for (;;) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const long left = deadlineMs - (long{now.tv_sec} * 1000 + now.tv_nsec / 1'000'000);
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[2048];
    while (::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) >= 0) ++count;
  }
  std::cout << count << "\n";
  return 0;
}

int rows(const std::string& path) {
  portvakt::store::OpenOptions options;
  options.readOnly = true;
  options.quickCheck = false;
  auto db = portvakt::store::Store::open(path, options);
  if (!db) {
    std::cerr << "portvakt_e2e_probe: " << db.error().message << "\n";
    return 3;
  }
  auto devices = db.value()->deviceCount();
  auto alerts = db.value()->recentAlerts(1000000);
  if (!devices || !alerts) {
    std::cerr << "portvakt_e2e_probe: cannot count rows\n";
    return 3;
  }
  std::cout << "devices " << *devices << " alerts " << alerts->size() << "\n";
  return 0;
}

int metrics(const std::string& host, int port) {
  httplib::Client client(host, port);
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) {
    std::cerr << "portvakt_e2e_probe: no metrics from " << host << ":" << port << "\n";
    return 3;
  }
  std::cout << res->body;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string command = argv[1];
  if (command == "webhook-receiver" && (argc == 4 || argc == 5)) {
    return webhookReceiver(std::atoi(argv[2]), argv[3], argc == 5 ? argv[4] : "");
  }
  if (command == "json" && (argc == 3 || argc == 4)) return json(argv[2], argc == 4 ? argv[3] : nullptr);
  if (command == "spool" && argc == 4) return spool(argv[2], argv[3]);
  if (command == "api-hold" && argc == 5) return apiHold(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  if (command == "api-drip" && argc == 4) return apiDrip(argv[2], std::atoi(argv[3]));
  if (command == "udp-count" && (argc == 4 || argc == 5)) {
    return udpCount(std::atoi(argv[2]), std::atoi(argv[3]), argc == 5 ? argv[4] : "");
  }
  if (command == "rows" && argc == 3) return rows(argv[2]);
  if (command == "metrics" && argc == 4) return metrics(argv[2], std::atoi(argv[3]));
  return usage();
}
