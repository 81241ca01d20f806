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
//   rows DB                             the daemon's table sizes, read-only:
//       "devices N alerts M". Exit 3 when the database cannot be read.
//   metrics HOST PORT                   GET /metrics from the daemon's
//       Prometheus endpoint and print it. Exit 3 when it does not answer.
#include <fcntl.h>
#include <unistd.h>

#include <httplib.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "control/store/store.h"

namespace {

int usage() {
  std::cerr << "usage: portvakt_e2e_probe webhook-receiver PORT LOG [READY] | json POINTER [FIELD] | spool DB SINK | "
               "rows DB | metrics HOST PORT\n";
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
  if (command == "rows" && argc == 3) return rows(argv[2]);
  if (command == "metrics" && argc == 4) return metrics(argv[2], std::atoi(argv[3]));
  return usage();
}
