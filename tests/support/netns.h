#pragma once
// Network namespaces and veth pairs: the one C++ lab, used by the root tests
// (through tests/support/netns_lab.h, which adds their gtest parts) and by
// bench/veth_forward_bench.cc (which links Google Benchmark, not gtest, so
// nothing here includes gtest). The shell tests and benches have the same in
// tests/support/lab.bash.
//
// NetnsLab creates namespaces named "<family><pid>-<tag>" ("pvt" for the
// tests, "pvbench" for the bench): unique per process, short enough for
// interface-name rules. IPv6 is off in each (the kernel's own ND/MLD frames
// do not show up in captures or measurements) and lo is up. Deleting a
// namespace deletes the veths in it.
//
// Removal: the destructor removes the lab's namespaces (a test fixture runs
// it from TearDown even when the test failed). removeAll() is
// async-signal-safe: the `ip netns del` argument vectors are built when a
// namespace is added, and removal only forks, execs and waits. A program that
// is often interrupted (the bench, with Ctrl-C) asks with removeAtExit() for
// the removal at exit() and from SIGINT/SIGTERM/... handlers. What was left
// by a process that was killed outright (SIGKILL: nothing could clean up) is
// removed when the next lab of the same family starts.
//
// NetnsScope moves the calling thread into a namespace and back: sockets,
// pcap handles and netlink sockets opened inside stay bound to it.

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace portvakt::testing {

// The absolute path of iproute2's `ip` ("" if it is missing): commands run
// without a shell and, from signal handlers, without an environment.
inline const std::string& ipCommand() {
  static const std::string path = [] {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
      if (::access(p, X_OK) == 0) return std::string(p);
    return std::string();
  }();
  return path;
}

// Runs argv (argv[0] an absolute path, no shell) with environment `env`
// (nullptr: an empty one) and waits for it; `quiet` sends its output to
// /dev/null. Its exit status, -1 if it did not exit normally or could not
// start. Async-signal-safe: open, fork, dup2, execve, waitpid, _exit.
inline int runAndWait(char* const* argv, char* const* env, bool quiet) noexcept {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int devnull = quiet ? ::open("/dev/null", O_WRONLY) : -1;
    if (devnull >= 0) {
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    char* const empty[] = {nullptr};
    ::execve(argv[0], argv, env != nullptr ? env : empty);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A command (args[0] an absolute path, no shell) with this process's
// environment; as runAndWait. Not for signal handlers: it allocates.
inline int runCommand(const std::vector<std::string>& args, bool quiet = true) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return runAndWait(argv.data(), environ, quiet);
}

// A command whose argument vector is built before it is needed, so that
// running it allocates nothing (from a signal handler or an atexit hook).
// Neither copied nor moved: argv points into the strings it holds.
class PreparedCommand {
 public:
  PreparedCommand() = default;
  PreparedCommand(const PreparedCommand&) = delete;
  PreparedCommand& operator=(const PreparedCommand&) = delete;

  void prepare(std::vector<std::string> args) {
    args_ = std::move(args);
    argv_.clear();
    for (std::string& a : args_) argv_.push_back(a.data());
    argv_.push_back(nullptr);
  }
  // Quiet, with an empty environment; async-signal-safe. -1 if nothing was prepared.
  int run() const noexcept { return argv_.size() < 2 ? -1 : runAndWait(argv_.data(), nullptr, true); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> argv_;
};

// True if `pid` is gone: no such process, or a zombie nobody reaped yet.
inline bool processGone(int pid) {
  if (::kill(pid, 0) == 0 || errno != ESRCH) {
    char state = 0;
    const std::string stat = "/proc/" + std::to_string(pid) + "/stat";
    if (FILE* f = std::fopen(stat.c_str(), "r")) {
      if (std::fscanf(f, "%*d (%*[^)]) %c", &state) != 1) state = 0;
      std::fclose(f);
    }
    return state == 'Z';
  }
  return true;
}

// True if `name` is "<family><pid><separator>..." of another process that is
// gone: what a killed run of the same family left behind.
inline bool leftByGoneProcess(const std::string& name, const std::string& family, char separator) {
  if (name.rfind(family, 0) != 0) return false;
  size_t end = family.size();
  while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
  if (end == family.size() || end >= name.size() || name[end] != separator || end - family.size() > 9) return false;
  const int pid = std::stoi(name.substr(family.size(), end - family.size()));
  return pid > 0 && pid != ::getpid() && processGone(pid);
}

class NetnsLab {
 public:
  static constexpr size_t kMaxNamespaces = 16;

  // Removes what dead processes of `family` left (see staleRemoved()).
  explicit NetnsLab(std::string family = "pvt")
      : family_(std::move(family)), prefix_(family_ + std::to_string(::getpid()) + "-") {
    removeStale();
  }
  ~NetnsLab() {
    removeAll();
    NetnsLab* self = this;
    atExitLab().compare_exchange_strong(self, nullptr);
  }
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  const std::string& prefix() const { return prefix_; }
  // The namespaces of gone processes this lab removed when it started.
  const std::vector<std::string>& staleRemoved() const { return staleRemoved_; }

  // Creates namespace prefix()+tag (IPv6 off, lo up) and returns its full
  // name; "" on failure.
  std::string addNamespace(const std::string& tag) {
    const size_t slot = count_.load();
    if (slot == kMaxNamespaces || ipCommand().empty()) return "";
    std::string name = prefix_ + tag;
    // Its removal is ready (and published) before the namespace exists; a
    // namespace that is not there is fine to delete.
    removal_[slot].prepare({ipCommand(), "netns", "del", name});
    count_.store(slot + 1);
    if (runCommand({ipCommand(), "netns", "add", name}) != 0 ||
        runCommand({ipCommand(), "-n", name, "link", "set", "lo", "up"}) != 0)
      return "";
    // No IPv6 (router solicitations, MLD): only the lab's own frames move.
    // Through sh, not sysctl, which not every host has.
    runCommand({ipCommand(), "netns", "exec", name, "/bin/sh", "-c",
                "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; "
                "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6"});
    return name;
  }

  // A veth pair, `a` in nsA and `b` in nsB, both up and operational.
  bool addVeth(const std::string& nsA, const std::string& a, const std::string& nsB, const std::string& b) {
    const std::string& ip = ipCommand();
    return runCommand({ip, "-n", nsA, "link", "add", a, "type", "veth", "peer", "name", b, "netns", nsB}) == 0 &&
           runCommand({ip, "-n", nsA, "link", "set", a, "up"}) == 0 &&
           runCommand({ip, "-n", nsB, "link", "set", b, "up"}) == 0 && waitOperUp(nsA, a) && waitOperUp(nsB, b);
  }

  // The kernel activates a link's qdisc (and sets operstate UP) from its
  // linkwatch work, up to a second after carrier comes on; frames sent
  // before that are dropped. Tests wait for it instead of racing it.
  static bool waitOperUp(const std::string& ns, const std::string& name) {
    const std::string operstate = "/sys/class/net/" + name + "/operstate";
    for (int i = 0; i < 300; ++i) {
      // `ip netns exec` mounts the namespace's own /sys for the command.
      if (runCommand({ipCommand(), "netns", "exec", ns, "/bin/grep", "-qx", "up", operstate}) == 0) return true;
      ::usleep(10000);
    }
    return false;
  }

  // Removes the lab's namespaces (the last added first). Async-signal-safe;
  // a second call finds nothing left to remove.
  void removeAll() noexcept {
    for (size_t n = count_.exchange(0); n > 0; --n) removal_[n - 1].run();
  }

  // Also remove this lab's namespaces at exit() and when the process ends on
  // SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS or SIGFPE (it
  // then exits with 128 + the signal). `first`, if given, runs before the
  // removal, with the signal (0 at exit), and must be async-signal-safe too:
  // the bench stops its daemon there. One lab per process; the last asking wins.
  void removeAtExit(void (*first)(int signal) = nullptr) {
    atExitFirst() = first;
    atExitLab() = this;
    static const bool installed = [] {
      for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE}) std::signal(sig, onSignal);
      std::atexit([] { cleanUpAtExit(0); });
      return true;
    }();
    (void)installed;
  }

  // What removeAtExit() registered, now and only once: first(signal), then
  // removeAll(). Async-signal-safe.
  static void cleanUpAtExit(int signal) noexcept {
    static std::atomic<bool> done{false};
    if (done.exchange(true)) return;
    if (void (*first)(int) = atExitFirst()) first(signal);
    if (NetnsLab* lab = atExitLab().load()) lab->removeAll();
  }

 private:
  static std::atomic<NetnsLab*>& atExitLab() {
    static std::atomic<NetnsLab*> lab{nullptr};
    return lab;
  }
  static void (*&atExitFirst())(int) {
    static void (*first)(int) = nullptr;
    return first;
  }
  static void onSignal(int signal) {
    cleanUpAtExit(signal);
    ::_exit(128 + signal);
  }

  void removeStale() {
    DIR* d = ::opendir("/run/netns");
    if (d == nullptr) return;
    while (dirent* e = ::readdir(d))
      if (leftByGoneProcess(e->d_name, family_, '-')) staleRemoved_.push_back(e->d_name);
    ::closedir(d);
    for (const std::string& n : staleRemoved_) runCommand({ipCommand(), "netns", "del", n});
  }

  std::string family_;
  std::string prefix_;
  std::vector<std::string> staleRemoved_;
  // removal_[0, count_) are the `ip netns del` commands of the namespaces
  // added; a slot is prepared before count_ publishes it to removeAll().
  std::array<PreparedCommand, kMaxNamespaces> removal_;
  std::atomic<size_t> count_{0};
};

class NetnsScope {
 public:
  explicit NetnsScope(const std::string& name) {
    self_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    ok_ = self_ >= 0 && target >= 0 && ::setns(target, CLONE_NEWNET) == 0;
    if (target >= 0) ::close(target);
  }
  ~NetnsScope() {
    if (self_ >= 0) {
      if (ok_) (void)::setns(self_, CLONE_NEWNET);
      ::close(self_);
    }
  }
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;
  bool ok() const { return ok_; }

 private:
  int self_ = -1;
  bool ok_ = false;
};

}  // namespace portvakt::testing
