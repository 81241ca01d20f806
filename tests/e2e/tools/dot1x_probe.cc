// portvakt_dot1x_probe: runs the 802.1X supervisor (control/dot1x) on its own,
// for tests/e2e/dot1x.sh, until SIGTERM or SIGINT.
//
//   portvakt_dot1x_probe --runtime-dir DIR --secret-file FILE --server ADDR[:PORT]...
//                        --port IF... --state FILE [--reauth SECONDS] [--hostapd PATH]
//                        [--ping-interval MS] [--request-timeout MS]
//
// stdout, one line per notice of the supervisor:
//   event PORT NAME MAC                     a hostapd event with a station
//   session PORT MAC PREVIOUS->STATE identity=ID failures=N reason=R
//   hostapd-started PORT pid=PID
//   hostapd-exited PORT MESSAGE
//   problem PORT MESSAGE
// FILE (--state) is rewritten (atomically) whenever it changes:
//   port PORT pid=PID attached=0|1 starts=N
//   session PORT MAC STATE identity=ID failures=N reason=R
// stdin, one command a line: "deauth PORT MAC", "new-sta PORT MAC",
// "sta PORT MAC" (prints "sta PORT MAC identity=ID authorized=0|1" or
// "sta-error PORT MAC MESSAGE").
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "control/dot1x/hostapd_supervisor.h"

namespace {

volatile sig_atomic_t stopRequested = 0;
void onSignal(int) { stopRequested = 1; }

std::mutex outputMutex;
void say(const std::string& line) {
  std::lock_guard lock(outputMutex);
  std::cout << line << std::endl;
}

int usage(const std::string& why) {
  std::cerr << "portvakt_dot1x_probe: " << why
            << "\nusage: portvakt_dot1x_probe --runtime-dir DIR --secret-file FILE --server ADDR[:PORT]... --port IF..."
               " --state FILE [--reauth SECONDS] [--hostapd PATH] [--ping-interval MS] [--request-timeout MS]\n";
  return 2;
}

std::string describe(const portvakt::dot1x::Session& session) {
  return "identity=" + (session.identity.empty() ? std::string("-") : session.identity) +
         " failures=" + std::to_string(session.failures) +
         " reason=" + (session.endReason.empty() ? std::string("-") : session.endReason);
}

std::string stateText(const portvakt::dot1x::HostapdSupervisor& supervisor) {
  std::ostringstream out;
  for (const auto& port : supervisor.ports()) {
    out << "port " << port.port << " pid=" << port.pid << " attached=" << (port.attached ? 1 : 0)
        << " starts=" << port.starts << "\n";
  }
  for (const auto& session : supervisor.sessions()) {
    out << "session " << session.port << " " << session.mac.toString() << " " << toString(session.state) << " "
        << describe(session) << "\n";
  }
  return out.str();
}

void runCommand(portvakt::dot1x::HostapdSupervisor& supervisor, const std::string& line) {
  std::istringstream in(line);
  std::string verb, port, macText;
  in >> verb >> port >> macText;
  const auto mac = portvakt::tables::MacAddress::parse(macText);
  if (!mac) {
    say("command-error bad MAC in: " + line);
    return;
  }
  if (verb == "deauth" || verb == "new-sta") {
    auto done = verb == "deauth" ? supervisor.deauthenticate(port, *mac) : supervisor.startAuthentication(port, *mac);
    say(done ? verb + "-ok " + port + " " + mac->toString() : verb + "-error " + port + " " + done.error().message);
  } else if (verb == "sta") {
    auto station = supervisor.station(port, *mac);
    if (station) {
      say("sta " + port + " " + mac->toString() + " identity=" + station->identity +
          " authorized=" + (station->authorized ? "1" : "0"));
    } else {
      say("sta-error " + port + " " + mac->toString() + " " + station.error().message);
    }
  } else {
    say("command-error unknown command: " + line);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace portvakt::dot1x;
  Dot1xConfig config;
  config.nasIdentifier = "portvakt-lab";
  SupervisorOptions options;
  std::string secretFile, statePath;
  std::vector<std::pair<std::string, uint16_t>> servers;
  long reauth = 3600;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage("missing value after " + arg);
    const std::string value = argv[++i];
    if (arg == "--runtime-dir") {
      config.runtimeDir = value;
    } else if (arg == "--secret-file") {
      secretFile = value;
    } else if (arg == "--server") {
      const size_t colon = value.rfind(':');
      if (colon == std::string::npos || value.find(':') != colon) {
        servers.emplace_back(value, 1812);
      } else {
        servers.emplace_back(value.substr(0, colon), static_cast<uint16_t>(std::stoi(value.substr(colon + 1))));
      }
    } else if (arg == "--port") {
      config.ports.push_back(Dot1xPort{value, {}});
    } else if (arg == "--state") {
      statePath = value;
    } else if (arg == "--reauth") {
      reauth = std::stol(value);
    } else if (arg == "--hostapd") {
      options.hostapdBinary = value;
    } else if (arg == "--ping-interval") {
      options.pingInterval = std::chrono::milliseconds(std::stol(value));
    } else if (arg == "--request-timeout") {
      options.requestTimeout = std::chrono::milliseconds(std::stol(value));
    } else {
      return usage("unknown option " + arg);
    }
  }
  if (statePath.empty() || secretFile.empty()) return usage("--state and --secret-file are required");
  for (auto& port : config.ports) port.reauthPeriod = std::chrono::seconds(reauth);
  auto secret = loadSharedSecret(secretFile);
  if (!secret) {
    std::cerr << "portvakt_dot1x_probe: " << secret.error().message << "\n";
    return 1;
  }
  for (const auto& [address, port] : servers) config.servers.push_back(RadiusServer{address, port, *secret});

  struct sigaction action {};
  action.sa_handler = onSignal;  // no SA_RESTART: poll() returns on the signal
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto supervisor = HostapdSupervisor::start(config, options, [](const SupervisorNotice& notice) {
    switch (notice.kind) {
      case SupervisorNotice::Kind::kEvent:
        if (notice.event.kind != HostapdEventKind::kOther) {
          say("event " + notice.port + " " + notice.event.name + " " + notice.event.mac.toString());
        }
        break;
      case SupervisorNotice::Kind::kSessionChanged:
        say("session " + notice.port + " " + notice.change.session.mac.toString() + " " +
            toString(notice.change.previous) + "->" + toString(notice.change.session.state) + " " +
            describe(notice.change.session));
        break;
      case SupervisorNotice::Kind::kHostapdStarted:
        say("hostapd-started " + notice.port + " pid=" + std::to_string(notice.pid));
        break;
      case SupervisorNotice::Kind::kHostapdExited: say("hostapd-exited " + notice.port + " " + notice.message); break;
      case SupervisorNotice::Kind::kProblem: say("problem " + notice.port + " " + notice.message); break;
    }
  });
  if (!supervisor) {
    std::cerr << "portvakt_dot1x_probe: " << supervisor.error().message << "\n";
    return 1;
  }
  std::string written;
  std::string pending;
  bool stdinOpen = true;
  while (!stopRequested) {
    const std::string state = stateText(**supervisor);
    if (state != written) {
      const std::string temporary = statePath + ".new";
      std::ofstream(temporary) << state;
      std::rename(temporary.c_str(), statePath.c_str());
      written = state;
    }
    pollfd in{0, POLLIN, 0};
    const int ready = ::poll(&in, stdinOpen ? 1 : 0, 50);
    if (ready > 0 && (in.revents & (POLLIN | POLLHUP)) != 0) {
      char buffer[512];
      const ssize_t n = ::read(0, buffer, sizeof buffer);
      if (n <= 0) {
        stdinOpen = false;
        continue;
      }
      pending.append(buffer, static_cast<size_t>(n));
      size_t newline;
      while ((newline = pending.find('\n')) != std::string::npos) {
        const std::string line = pending.substr(0, newline);
        pending.erase(0, newline + 1);
        if (!line.empty()) runCommand(**supervisor, line);
      }
    }
  }
  say("stopping");
  supervisor->reset();  // stops hostapd
  return 0;
}
