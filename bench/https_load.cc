// portvakt_https_load: requests per second and latency percentiles of one
// management API call, over HTTPS with mutual TLS (one kept-alive connection
// per client thread, cpp-httplib's client as the CLI uses it) or over the Unix
// socket (one connection per request: the socket's protocol is one request
// line per connection). Run by bench/https_fleet_bench.sh, which sets up the
// daemon; prints one line:
//   https GET /api/v1/devices clients 1 requests 2000 errors 0 rps 812 p50_us 1180 p99_us 2210 bytes 96512
//
//   portvakt_https_load https HOST PORT PATH CERT KEY CA REQUESTS CLIENTS
//   portvakt_https_load unix SOCKET COMMAND REQUESTS CLIENTS
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  std::vector<int64_t> latenciesUs;
  size_t errors = 0;
  size_t lastBytes = 0;
};

void httpsClient(const std::string& host, int port, const std::string& path, const std::string& cert,
                 const std::string& key, const std::string& ca, int requests, Result& out) {
  httplib::SSLClient client(host, port, cert, key);
  client.set_ca_cert_path(ca.c_str());
  client.enable_server_certificate_verification(true);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(20, 0);
  for (int i = 0; i < requests; ++i) {
    const auto start = Clock::now();
    auto res = client.Get(path);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    if (!res || res->status != 200) {
      ++out.errors;
      continue;
    }
    out.lastBytes = res->body.size();
    out.latenciesUs.push_back(us);
  }
}

bool unixCall(const std::string& socketPath, const std::string& line, std::string& answer) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socketPath.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  size_t sent = 0;
  while (sent < line.size()) {
    ssize_t n = ::write(fd, line.data() + sent, line.size() - sent);
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  answer.clear();
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return answer.find("\"ok\":true") != std::string::npos;
}

void unixClient(const std::string& socketPath, const std::string& command, int requests, Result& out) {
  const std::string line = "{\"api\":1,\"command\":\"" + command + "\"}\n";
  std::string answer;
  for (int i = 0; i < requests; ++i) {
    const auto start = Clock::now();
    const bool ok = unixCall(socketPath, line, answer);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    if (!ok) {
      ++out.errors;
      continue;
    }
    out.lastBytes = answer.size();
    out.latenciesUs.push_back(us);
  }
}

int64_t percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

int usage() {
  std::fprintf(stderr,
               "usage: portvakt_https_load https HOST PORT PATH CERT KEY CA REQUESTS CLIENTS\n"
               "       portvakt_https_load unix SOCKET COMMAND REQUESTS CLIENTS\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string mode = argv[1];
  int requests = 0, clients = 0;
  std::string label;
  std::vector<Result> results;
  std::vector<std::thread> threads;
  Clock::time_point start;
  if (mode == "https" && argc == 10) {
    requests = std::atoi(argv[8]);
    clients = std::atoi(argv[9]);
    if (requests < 1 || clients < 1) return usage();
    results.resize(static_cast<size_t>(clients));
    label = std::string("https GET ") + argv[4];
    start = Clock::now();
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back(httpsClient, std::string(argv[2]), std::atoi(argv[3]), std::string(argv[4]),
                           std::string(argv[5]), std::string(argv[6]), std::string(argv[7]), requests / clients,
                           std::ref(results[static_cast<size_t>(c)]));
    }
  } else if (mode == "unix" && argc == 6) {
    requests = std::atoi(argv[4]);
    clients = std::atoi(argv[5]);
    if (requests < 1 || clients < 1) return usage();
    results.resize(static_cast<size_t>(clients));
    label = std::string("unix ") + argv[3];
    start = Clock::now();
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back(unixClient, std::string(argv[2]), std::string(argv[3]), requests / clients,
                           std::ref(results[static_cast<size_t>(c)]));
    }
  } else {
    return usage();
  }
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<int64_t> all;
  size_t errors = 0, bytes = 0;
  for (const Result& r : results) {
    all.insert(all.end(), r.latenciesUs.begin(), r.latenciesUs.end());
    errors += r.errors;
    bytes = std::max(bytes, r.lastBytes);
  }
  std::sort(all.begin(), all.end());
  std::printf("%s clients %d requests %zu errors %zu rps %.0f p50_us %lld p99_us %lld bytes %zu\n", label.c_str(),
              clients, all.size() + errors, errors, static_cast<double>(all.size()) / seconds,
              static_cast<long long>(percentile(all, 0.50)), static_cast<long long>(percentile(all, 0.99)), bytes);
  return errors == 0 ? 0 : 1;
}
