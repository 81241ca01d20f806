#include "control/dot1x/hostapd_supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace portvakt::dot1x {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kMaxIdentityBytes = 253;  // RADIUS User-Name

int openPidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

std::string describeExit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("was killed by signal ") + ::strsignal(WTERMSIG(status));
  return "stopped (status " + std::to_string(status) + ")";
}

// Identities are certificate names of inventory assets: printable ASCII.
// Anything else is not trusted as an identity (hostapd prints the
// supplicant's EAP identity as it came).
bool isAcceptableIdentity(const std::string& identity) {
  if (identity.size() > kMaxIdentityBytes) return false;
  return std::all_of(identity.begin(), identity.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace

const char* toString(SupervisorNotice::Kind kind) {
  switch (kind) {
    case SupervisorNotice::Kind::kEvent: return "event";
    case SupervisorNotice::Kind::kSessionChanged: return "session";
    case SupervisorNotice::Kind::kHostapdStarted: return "hostapd-started";
    case SupervisorNotice::Kind::kHostapdExited: return "hostapd-exited";
    case SupervisorNotice::Kind::kProblem: return "problem";
  }
  return "problem";
}

struct HostapdSupervisor::PortRuntime {
  enum class Phase : uint8_t { kBackoff, kWaitingForSocket, kAttached };
  Dot1xPort config;
  // Supervisor thread only:
  Phase phase = Phase::kBackoff;
  pid_t pid = 0;
  int pidfd = -1;
  Clock::time_point startedAt{};
  Clock::time_point nextAction{};  // kBackoff: start; kWaitingForSocket: next try
  Clock::time_point nextPing{};
  Clock::time_point nextLogCheck{};
  milliseconds backoff{0};
  int missedPings = 0;
  std::unique_ptr<HostapdControl> monitor;
  // Guarded by mutex_:
  std::shared_ptr<HostapdControl> command;
  PortStatus status;
};

HostapdSupervisor::HostapdSupervisor(Dot1xConfig config, SupervisorOptions options, Observer observer)
    : config_(std::move(config)), options_(std::move(options)), observer_(std::move(observer)) {}

ConfigResult<std::unique_ptr<HostapdSupervisor>> HostapdSupervisor::start(Dot1xConfig config, SupervisorOptions options,
                                                                          Observer observer) {
  if (auto written = writeHostapdConfigs(config); !written) return written.error();
  if (::access(options.hostapdBinary.c_str(), X_OK) != 0) {
    return ConfigError{"hostapd " + options.hostapdBinary + " cannot be run: " + std::strerror(errno) +
                       " (install the Debian package hostapd)"};
  }
  std::unique_ptr<HostapdSupervisor> supervisor(
      new HostapdSupervisor(std::move(config), std::move(options), std::move(observer)));
  supervisor->wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (supervisor->wakeFd_ < 0) return ConfigError{std::string("eventfd: ") + std::strerror(errno)};
  for (const Dot1xPort& port : supervisor->config_.ports) {
    auto runtime = std::make_unique<PortRuntime>();
    runtime->config = port;
    runtime->status.port = port.interface;
    runtime->backoff = supervisor->options_.backoffInitial;
    runtime->nextAction = Clock::now();
    supervisor->ports_.push_back(std::move(runtime));
  }
  supervisor->thread_ = std::thread([raw = supervisor.get()] { raw->run(); });
  return supervisor;
}

HostapdSupervisor::~HostapdSupervisor() {
  stopping_ = true;
  if (wakeFd_ >= 0) {
    const uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wakeFd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void HostapdSupervisor::notify(const SupervisorNotice& notice) {
  if (observer_) observer_(notice);
}

void HostapdSupervisor::problem(PortRuntime& port, const std::string& message) {
  {
    std::lock_guard lock(mutex_);
    port.status.lastProblem = message;
  }
  SupervisorNotice notice;
  notice.kind = SupervisorNotice::Kind::kProblem;
  notice.port = port.config.interface;
  notice.message = message;
  notify(notice);
}

void HostapdSupervisor::startHostapd(PortRuntime& port) {
  const std::string& name = port.config.interface;
  const std::string configPath = hostapdConfigPath(config_, name);
  const std::string logPath = hostapdLogPath(config_, name);
  ::rename(logPath.c_str(), (logPath + ".1").c_str());  // keep the log of the run before
  // O_APPEND: after trimLog() truncates the file, hostapd writes at the new
  // end instead of at its old offset (which would leave a sparse file).
  const int logFd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  const int nullFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (logFd < 0 || nullFd < 0) {
    const std::string why = std::strerror(errno);
    if (logFd >= 0) ::close(logFd);
    if (nullFd >= 0) ::close(nullFd);
    problem(port, "cannot open " + logPath + " for hostapd's output: " + why);
    port.phase = PortRuntime::Phase::kBackoff;
    port.nextAction = Clock::now() + port.backoff;
    port.backoff = std::min(port.backoff * 2, options_.backoffMax);
    return;
  }
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls (this process has other threads).
  std::string binary = options_.hostapdBinary;
  std::string arg0 = "hostapd";
  std::string arg1 = configPath;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(nullFd, 0);
    ::dup2(logFd, 1);
    ::dup2(logFd, 2);
    ::close_range(3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    // hostapd never outlives the thread that supervises it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    ::execv(binary.c_str(), argv);
    ::_exit(127);
  }
  const int forkError = errno;
  ::close(logFd);
  ::close(nullFd);
  if (pid < 0) {
    problem(port, std::string("cannot start hostapd for ") + name + ": fork: " + std::strerror(forkError));
    port.phase = PortRuntime::Phase::kBackoff;
    port.nextAction = Clock::now() + port.backoff;
    port.backoff = std::min(port.backoff * 2, options_.backoffMax);
    return;
  }
  port.pid = pid;
  port.pidfd = openPidfd(pid);
  port.startedAt = Clock::now();
  port.nextAction = port.startedAt;
  port.phase = PortRuntime::Phase::kWaitingForSocket;
  port.missedPings = 0;
  {
    std::lock_guard lock(mutex_);
    port.status.pid = pid;
    ++port.status.starts;
  }
}

void HostapdSupervisor::tryAttach(PortRuntime& port) {
  const std::string& name = port.config.interface;
  const auto now = Clock::now();
  if (now - port.startedAt > options_.startTimeout) {
    killHostapd(port, "hostapd for " + name + " did not answer on " + hostapdControlSocket(config_, name) + " within " +
                          std::to_string(options_.startTimeout.count()) + " ms (log: " + hostapdLogPath(config_, name) +
                          ")");
    return;
  }
  port.nextAction = now + milliseconds(50);
  // Not there yet (or a socket left by the hostapd before): try again soon.
  auto command = HostapdControl::open(hostapdControlSocket(config_, name), clientSocketDir(config_));
  if (!command) return;
  if (!(*command)->ping(milliseconds(500))) return;
  auto monitor = HostapdControl::open(hostapdControlSocket(config_, name), clientSocketDir(config_));
  if (!monitor) return;
  if (auto attached = (*monitor)->attach(options_.requestTimeout); !attached) {
    // Retried in 50 ms; only recorded, since a notice per try would flood.
    // If it never works, the start timeout kills hostapd and says so.
    std::lock_guard lock(mutex_);
    port.status.lastProblem = "ATTACH to hostapd for " + name + " failed: " + attached.error().message;
    return;
  }
  port.monitor = std::move(*monitor);
  std::shared_ptr<HostapdControl> shared(std::move(*command));
  std::vector<tables::MacAddress> reauthenticate;
  {
    std::lock_guard lock(mutex_);
    port.command = shared;
    port.status.attached = true;
    port.status.lastProblem.clear();
    reauthenticate = table_.awaitingReauthentication(name);
  }
  port.phase = PortRuntime::Phase::kAttached;
  port.nextPing = Clock::now() + options_.pingInterval;
  SupervisorNotice started;
  started.kind = SupervisorNotice::Kind::kHostapdStarted;
  started.port = name;
  started.pid = port.pid;
  started.message = "hostapd for " + name + " is running (pid " + std::to_string(port.pid) + ")";
  notify(started);
  // The hostapd before forgot these stations: ask them to authenticate
  // again now rather than when their supplicant next sends EAPOL-Start.
  for (const tables::MacAddress& mac : reauthenticate) {
    if (auto asked = shared->newStation(mac, options_.requestTimeout); !asked) {
      problem(port, "NEW_STA " + mac.toString() + " on " + name + ": " + asked.error().message);
    }
  }
}

void HostapdSupervisor::killHostapd(PortRuntime& port, const std::string& why) {
  problem(port, why);
  if (port.pid > 0) ::kill(port.pid, SIGKILL);
  // The exit itself is handled when the pidfd becomes readable.
}

void HostapdSupervisor::handleExit(PortRuntime& port) {
  int status = 0;
  const pid_t reaped = ::waitpid(port.pid, &status, WNOHANG);
  if (reaped == 0) return;  // not yet (spurious wake)
  const std::string& name = port.config.interface;
  const pid_t pid = port.pid;
  if (port.pidfd >= 0) ::close(port.pidfd);
  port.pidfd = -1;
  port.pid = 0;
  port.monitor.reset();
  const bool ranLong = Clock::now() - port.startedAt >= options_.healthyAfter;
  if (ranLong) port.backoff = options_.backoffInitial;
  const milliseconds wait = port.backoff;
  port.nextAction = Clock::now() + wait;
  port.backoff = std::min(port.backoff * 2, options_.backoffMax);
  port.phase = PortRuntime::Phase::kBackoff;
  std::vector<SessionChange> ended;
  {
    std::lock_guard lock(mutex_);
    port.command.reset();
    port.status.pid = 0;
    port.status.attached = false;
    ended = table_.endPort(name, "hostapd restarted", std::chrono::system_clock::now());
  }
  SupervisorNotice exited;
  exited.kind = SupervisorNotice::Kind::kHostapdExited;
  exited.port = name;
  exited.pid = pid;
  exited.message = "hostapd for " + name + " (pid " + std::to_string(pid) + ") " +
                   (reaped < 0 ? std::string("is gone") : describeExit(status)) + "; starting it again in " +
                   std::to_string(wait.count()) + " ms (log: " + hostapdLogPath(config_, name) + ")";
  notify(exited);
  for (const SessionChange& change : ended) {
    SupervisorNotice notice;
    notice.kind = SupervisorNotice::Kind::kSessionChanged;
    notice.port = name;
    notice.change = change;
    notify(notice);
  }
}

void HostapdSupervisor::handleEvents(PortRuntime& port) {
  if (!port.monitor) return;
  const std::string& name = port.config.interface;
  HostapdControl::Received received = port.monitor->readEvents();
  for (const ParseError& rejected : received.rejected) {
    uint32_t count = 0;
    {
      std::lock_guard lock(mutex_);
      count = ++port.status.rejectedEvents;
    }
    // Reported at 1, 2, 4, 8, ...: a flood of garbage must not become a flood of notices.
    if ((count & (count - 1)) == 0) {
      problem(port, "hostapd for " + name + " sent a message that is not an event (" + std::to_string(count) +
                        " so far): " + rejected.message);
    }
  }
  std::shared_ptr<HostapdControl> command;
  {
    std::lock_guard lock(mutex_);
    command = port.command;
  }
  for (const HostapdEvent& event : received.events) {
    SupervisorNotice seen;
    seen.kind = SupervisorNotice::Kind::kEvent;
    seen.port = name;
    seen.event = event;
    notify(seen);
    std::optional<std::string> identity;
    const bool wantsIdentity = event.kind == HostapdEventKind::kEapSuccess ||
                               event.kind == HostapdEventKind::kEapFailure ||
                               event.kind == HostapdEventKind::kStationConnected;
    if (wantsIdentity && command) {
      auto station = command->station(event.mac, options_.requestTimeout);
      if (station && isAcceptableIdentity(station->identity)) {
        identity = station->identity;
      } else if (station) {
        problem(port, "STA " + event.mac.toString() + " on " + name +
                          " reported an identity that is not printable "
                          "ASCII of at most 253 bytes: \"" +
                          escapeForMessage(station->identity) + "\"; ignored");
      } else if (event.kind != HostapdEventKind::kEapFailure) {
        problem(port, station.error().message);
      }
    }
    std::optional<SessionChange> change;
    {
      std::lock_guard lock(mutex_);
      change = table_.apply(name, event, std::chrono::system_clock::now());
      if (identity && !identity->empty()) {
        table_.setIdentity(name, event.mac, *identity);
        if (change) change->session.identity = *identity;
      }
    }
    if (change) {
      SupervisorNotice notice;
      notice.kind = SupervisorNotice::Kind::kSessionChanged;
      notice.port = name;
      notice.change = *change;
      notify(notice);
    }
  }
}

void HostapdSupervisor::pingIfDue(PortRuntime& port) {
  const auto now = Clock::now();
  if (now < port.nextPing) return;
  port.nextPing = now + options_.pingInterval;
  std::shared_ptr<HostapdControl> command;
  {
    std::lock_guard lock(mutex_);
    command = port.command;
  }
  if (command && command->ping(options_.requestTimeout)) {
    port.missedPings = 0;
    return;
  }
  if (++port.missedPings >= 3) {
    killHostapd(port, "hostapd for " + port.config.interface + " (pid " + std::to_string(port.pid) +
                          ") did not answer PING 3 times in a row; killing it");
  }
}

void HostapdSupervisor::trimLog(PortRuntime& port) {
  const auto now = Clock::now();
  if (now < port.nextLogCheck) return;
  port.nextLogCheck = now + milliseconds(1000);
  const std::string logPath = hostapdLogPath(config_, port.config.interface);
  struct stat info {};
  if (::stat(logPath.c_str(), &info) != 0 || static_cast<uint64_t>(info.st_size) <= options_.maxLogBytes) return;
  // Keep the last maxLogBytes written so far as .log.1, then start the file again.
  const std::string previous = logPath + ".1";
  const int in = ::open(logPath.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  const int out = ::open(previous.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (in >= 0 && out >= 0 &&
      ::lseek(in, static_cast<off_t>(static_cast<uint64_t>(info.st_size) - options_.maxLogBytes), SEEK_SET) >= 0) {
    char buffer[65536];
    ssize_t n;
    while ((n = ::read(in, buffer, sizeof buffer)) > 0) {
      if (::write(out, buffer, static_cast<size_t>(n)) != n) break;
    }
  }
  if (in >= 0) ::close(in);
  if (out >= 0) ::close(out);
  if (::truncate(logPath.c_str(), 0) != 0) {
    problem(port, "cannot truncate " + logPath + ": " + std::strerror(errno));
  }
}

void HostapdSupervisor::run() {
  std::vector<pollfd> fds;
  // Per pollfd entry: which port and what it is (0 wake, 1 pidfd, 2 monitor).
  std::vector<std::pair<PortRuntime*, int>> roles;
  while (!stopping_) {
    auto now = Clock::now();
    Clock::time_point wakeAt = now + milliseconds(1000);
    for (auto& port : ports_) {
      if (port->phase == PortRuntime::Phase::kBackoff && now >= port->nextAction) startHostapd(*port);
      if (port->phase == PortRuntime::Phase::kWaitingForSocket && now >= port->nextAction && port->pid > 0) {
        tryAttach(*port);
      }
      // Without a pidfd (an old kernel), exits are found by asking.
      if (port->pid > 0 && port->pidfd < 0) handleExit(*port);
      if (port->pid > 0) trimLog(*port);
      if (port->phase == PortRuntime::Phase::kAttached) {
        pingIfDue(*port);
        wakeAt = std::min(wakeAt, port->nextPing);
      } else {
        wakeAt = std::min(wakeAt, port->nextAction);
      }
    }
    fds.clear();
    roles.clear();
    fds.push_back(pollfd{wakeFd_, POLLIN, 0});
    roles.emplace_back(nullptr, 0);
    for (auto& port : ports_) {
      if (port->monitor) {
        fds.push_back(pollfd{port->monitor->fd(), POLLIN, 0});
        roles.emplace_back(port.get(), 2);
      }
      if (port->pidfd >= 0) {
        fds.push_back(pollfd{port->pidfd, POLLIN, 0});
        roles.emplace_back(port.get(), 1);
      }
    }
    now = Clock::now();
    const auto timeout = std::max<int64_t>(0, std::chrono::duration_cast<milliseconds>(wakeAt - now).count());
    const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(timeout) + 1);
    if (ready <= 0) continue;
    // Events first, then exits: a dying hostapd's last events still count.
    for (int pass = 2; pass >= 0; --pass) {
      for (size_t i = 0; i < fds.size(); ++i) {
        if (roles[i].second != pass || fds[i].revents == 0) continue;
        if (pass == 0) {
          uint64_t value = 0;
          [[maybe_unused]] auto n = ::read(wakeFd_, &value, sizeof value);
        } else if (pass == 2) {
          handleEvents(*roles[i].first);
        } else {
          handleExit(*roles[i].first);
        }
      }
    }
  }
  stopAll();
}

void HostapdSupervisor::stopAll() {
  for (auto& port : ports_) {
    if (port->pid > 0) ::kill(port->pid, SIGTERM);
  }
  const auto deadline = Clock::now() + milliseconds(2000);
  for (auto& port : ports_) {
    if (port->pid <= 0) continue;
    bool gone = false;
    while (!gone && Clock::now() < deadline) {
      if (::waitpid(port->pid, nullptr, WNOHANG) == port->pid) {
        gone = true;
      } else {
        ::usleep(10000);
      }
    }
    if (!gone) {
      ::kill(port->pid, SIGKILL);
      ::waitpid(port->pid, nullptr, 0);
    }
    if (port->pidfd >= 0) ::close(port->pidfd);
    port->pidfd = -1;
    port->pid = 0;
    port->monitor.reset();
    std::lock_guard lock(mutex_);
    port->command.reset();
    port->status.pid = 0;
    port->status.attached = false;
  }
}

std::vector<Session> HostapdSupervisor::sessions() const {
  std::lock_guard lock(mutex_);
  return table_.snapshot();
}

std::vector<PortStatus> HostapdSupervisor::ports() const {
  std::lock_guard lock(mutex_);
  std::vector<PortStatus> all;
  for (const auto& port : ports_) all.push_back(port->status);
  return all;
}

std::shared_ptr<HostapdControl> HostapdSupervisor::commandConnection(const std::string& port, ControlError& error) const {
  std::lock_guard lock(mutex_);
  for (const auto& runtime : ports_) {
    if (runtime->config.interface != port) continue;
    if (!runtime->command) {
      error = ControlError{ControlErrorCode::kClosed, "hostapd for " + port + " is not running"};
    }
    return runtime->command;
  }
  error = ControlError{ControlErrorCode::kRefused, "port " + port + " is not an 802.1X port"};
  return nullptr;
}

ControlResult<void> HostapdSupervisor::deauthenticate(const std::string& port, const tables::MacAddress& mac,
                                                      const std::string& reason) {
  ControlError error;
  auto command = commandConnection(port, error);
  if (!command) return error;
  if (!reason.empty()) {
    // Before the command: hostapd's AP-STA-DISCONNECTED may reach the
    // supervisor thread before this call returns.
    std::lock_guard lock(mutex_);
    table_.noteEndReason(port, mac, reason);
  }
  return command->deauthenticate(mac, options_.requestTimeout);
}

ControlResult<void> HostapdSupervisor::startAuthentication(const std::string& port, const tables::MacAddress& mac) {
  ControlError error;
  auto command = commandConnection(port, error);
  if (!command) return error;
  return command->newStation(mac, options_.requestTimeout);
}

ControlResult<StationInfo> HostapdSupervisor::station(const std::string& port, const tables::MacAddress& mac) {
  ControlError error;
  auto command = commandConnection(port, error);
  if (!command) return error;
  return command->station(mac, options_.requestTimeout);
}

ControlResult<RadiusCounters> HostapdSupervisor::radiusCounters(const std::string& port) {
  ControlError error;
  auto command = commandConnection(port, error);
  if (!command) return error;
  auto mib = command->request("MIB", options_.requestTimeout);
  if (!mib) return mib.error();
  return parseRadiusCounters(*mib);
}

RadiusCounters parseRadiusCounters(std::string_view mib) {
  // One block per configured server: radiusAuthClientAccessAccepts=N, ...
  RadiusCounters c;
  auto add = [](std::string_view value, uint64_t& into) {
    uint64_t v = 0;
    for (char ch : value) {
      if (ch < '0' || ch > '9') return;
      v = v * 10 + static_cast<uint64_t>(ch - '0');
    }
    into += v;
  };
  while (!mib.empty()) {
    const size_t end = mib.find('\n');
    std::string_view line = mib.substr(0, end);
    mib = end == std::string_view::npos ? std::string_view() : mib.substr(end + 1);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "radiusAuthClientAccessRequests") add(value, c.requests);
    else if (key == "radiusAuthClientTimeouts") add(value, c.timeouts);
    else if (key == "radiusAuthClientAccessAccepts" || key == "radiusAuthClientAccessRejects" ||
             key == "radiusAuthClientAccessChallenges")
      add(value, c.responses);
  }
  return c;
}

}  // namespace portvakt::dot1x
