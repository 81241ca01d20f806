// Frames per second, loss and one-way latency through a running portvaktd
// between two lab hosts, side by side in one run with what the same sender
// pushes over a direct veth pair (the baseline). Issue 5, "Measured".
//
//   sudo build-dir/bench/portvakt_veth_forward_bench --benchmark_repetitions=3
//        (from anywhere; needs root, prints "skip: ..." and exits 0 without it)
//
// The lab (created here, removed at exit, also after a failure or a signal):
//
//   netns <tag>-tx                  netns <tag>-sw                netns <tag>-rx
//   sender  lan0 ------------------ eth0 [portvaktd] eth1 -------- lan0  receiver
//           d0 ---------------------------- direct ------------------ d1
//
// <tag> is "pvbench<pid>". portvaktd runs bench/veth-bench.yaml: eth0 is an
// access port (the sender's MAC pinned into zone `lab`), eth1 an uplink; a flow
// allows UDP to 10.77.0.2:9000, so every frame goes through the profiler (pin
// lookup) and the compiled flow classifier, not only the switch.
//
// Sender: AF_PACKET, PACKET_QDISC_BYPASS, sendmmsg (up to 64 frames a call),
// on a thread that setns()'d into <tag>-tx. Frames are IPv4/UDP 10.77.0.1 ->
// 10.77.0.2:9000 carrying a run id, a sequence number and the CLOCK_MONOTONIC
// time at which their sendmmsg was issued. Sizes are Ethernet frame sizes as
// RFC 2544 counts them (with the 4-byte FCS a veth does not carry): "64 B" is
// 60 bytes handed to sendmmsg, "512 B" is 508. The UDP checksum is 0 and the
// IP checksum is filled in, so no checksum offload is involved (the lab's
// `ethtool -K lan0 tx off` is for the kernel's own UDP, not needed here).
//
// Receiver: AF_PACKET (ETH_P_IP, bound to its interface) read with recvmmsg
// (up to 256 frames a call, only the first 64 bytes copied) in <tag>-rx.
// It counts frames by sequence number (loss, duplicates; frames of an earlier
// run are recognised by their run id and ignored) and takes one-way latency
// as the CLOCK_MONOTONIC time after recvmmsg returned minus the frame's send
// time: one host, one clock. That latency includes the receiver's own wake-up,
// on both paths alike; "added" latency is portvaktd's minus the direct pair's.
// The receive socket's own drops (PACKET_STATISTICS) are reported apart
// (sock_drops) so that a slow receiver is not blamed on the daemon.
//
// Rates per frame size, each on both paths: max (the sender as fast as it
// can), paced at 80 % of the direct pair's measured receive rate (the median
// of the direct max runs so far in this process), and 10 k frames/s (latency
// at idle). Pacing sends what is due by the clock (sleeping when the next
// frame is more than 30 µs away, spinning otherwise), so at 80 % frames go
// out in small bursts.
//
// Timing: each benchmark is one run of a fixed number of frames
// (Iterations(1), UseManualTime: the reported time is the sender's time from
// the first to the last sendmmsg). Google Benchmark's automatic iteration
// count would re-run a real, stateful system until a minimum time and
// average the runs; here every counter is computed from one run's own clocks
// and frame counts, and --benchmark_repetitions=N repeats runs honestly
// (the summary table at the end gives the median of the repetitions).
//
// Counters: tx_fps (frames/s the sender got out), rx_fps (frames received /
// time from the first send to the last receive), loss_pct, dup, p50_us,
// p99_us, max_us, sock_drops (receiver socket overflow), frames.
//
// The daemon binary is the build's portvaktd (PORTVAKTD_PATH); the environment
// variable PORTVAKTD overrides it (e.g. to compare two builds).
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#ifndef PORTVAKTD_PATH
#error "PORTVAKTD_PATH must name the portvaktd binary (bench/CMakeLists.txt)"
#endif
#ifndef PORTVAKT_SOURCE_DIR
#error "PORTVAKT_SOURCE_DIR must name the source tree (bench/CMakeLists.txt)"
#endif

namespace {

// ---------------------------------------------------------------- constants

constexpr uint8_t kTxSwitchMac[6] = {0x02, 0, 0, 0x77, 0, 0x01};  // pinned in veth-bench.yaml
constexpr uint8_t kRxSwitchMac[6] = {0x02, 0, 0, 0x77, 0, 0x02};
constexpr uint8_t kTxDirectMac[6] = {0x02, 0, 0, 0x77, 0, 0x11};
constexpr uint8_t kRxDirectMac[6] = {0x02, 0, 0, 0x77, 0, 0x12};
constexpr uint8_t kSrcIp[4] = {10, 77, 0, 1};
constexpr uint8_t kDstIp[4] = {10, 77, 0, 2};  // the policy's bench-sink
constexpr uint16_t kSrcPort = 40000;
constexpr uint16_t kDstPort = 9000;            // the policy's bench-udp flow
constexpr uint32_t kMagic = 0x50564200;        // "PVB\0" xor run id
constexpr size_t kHeaders = 14 + 20 + 8;       // Ethernet, IPv4, UDP
constexpr size_t kPayloadOffset = kHeaders;    // magic^run (4), seq (4), send time ns (8)
constexpr size_t kMinFrame = kHeaders + 16;
constexpr size_t kSendBatch = 64;
constexpr size_t kRecvBatch = 256;
constexpr size_t kRecvCopy = 64;               // bytes of each frame the receiver reads

int64_t monoNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleepUntil(int64_t ns) {
  struct timespec ts = {static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void sleepMs(int ms) { sleepUntil(monoNs() + int64_t{ms} * 1'000'000); }

[[noreturn]] void die(const std::string& what);

// ------------------------------------------------------------- the lab itself

// Everything the cleanup needs is prepared before it can run, so that the
// signal handler only calls async-signal-safe functions (kill, waitpid, fork,
// execve, nanosleep, _exit).
struct Lab {
  std::string tag;
  std::string ns[3];  // tx, rx, sw
  std::string work;   // temporary directory: daemon log, state, API socket
  std::string ipPath;
  std::string daemonPath;
  std::atomic<pid_t> daemon{-1};
  std::atomic<bool> created{false};
  std::atomic<bool> cleaned{false};
  // execve argument vectors of the cleanup commands, built once.
  std::vector<std::vector<std::string>> cleanupCommands;
  std::vector<std::vector<char*>> cleanupArgv;
  int nsFd[3] = {-1, -1, -1};
  // sockets
  int txDirect = -1, txSwitch = -1;   // senders (tx namespace)
  int rxDirect = -1, rxSwitch = -1;   // receivers (rx namespace)
  int rxLearn = -1;                   // rx namespace, sends one frame so the switch learns the receiver
};
Lab g_lab;
enum { kTx = 0, kRx = 1, kSw = 2 };

void runDetached(char* const* argv) {  // async-signal-safe: fork, execve, waitpid
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    char* const env[] = {nullptr};
    execve(argv[0], argv, env);
    _exit(127);
  }
  if (pid > 0) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void stopDaemon() {  // async-signal-safe
  pid_t pid = g_lab.daemon.exchange(-1);
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 300; ++i) {  // 3 s, then SIGKILL
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno == ECHILD)) return;
    struct timespec ts = {0, 10'000'000};
    nanosleep(&ts, nullptr);
  }
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
}

void cleanupLab() {  // async-signal-safe once prepared
  if (g_lab.cleaned.exchange(true)) return;
  stopDaemon();
  if (!g_lab.created.load()) return;
  for (auto& argv : g_lab.cleanupArgv) runDetached(argv.data());
}

void onSignal(int sig) {
  static const char msg[] = "\nveth_forward_bench: signal, removing the lab\n";
  ssize_t ignored = write(2, msg, sizeof msg - 1);
  (void)ignored;
  cleanupLab();
  _exit(128 + sig);
}

void die(const std::string& what) {
  std::fprintf(stderr, "veth_forward_bench: %s\n", what.c_str());
  if (!g_lab.work.empty()) {
    std::string log = g_lab.work + "/daemon.log";
    if (FILE* f = std::fopen(log.c_str(), "r")) {
      std::fprintf(stderr, "--- portvaktd log (%s)\n", log.c_str());
      char line[512];
      while (std::fgets(line, sizeof line, f)) std::fputs(line, stderr);
      std::fclose(f);
    }
  }
  cleanupLab();
  std::exit(1);
}

std::string findIp() {
  for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (access(p, X_OK) == 0) return p;
  return {};
}

// Runs a command (no shell) and waits; false if it did not exit 0.
bool run(const std::vector<std::string>& args, bool quiet = false) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    if (quiet) {
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        dup2(devnull, 1);
        dup2(devnull, 2);
      }
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void mustRun(const std::vector<std::string>& args) {
  if (!run(args)) {
    std::string line;
    for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
    die("command failed: " + line);
  }
}

// Namespaces of earlier runs that were killed with SIGKILL (nothing could
// clean up): pvbench<pid>-* whose process is gone.
void removeStaleNamespaces(const std::string& ip) {
  DIR* d = opendir("/run/netns");
  if (d == nullptr) return;
  std::vector<std::string> stale;
  while (struct dirent* e = readdir(d)) {
    int pid = 0;
    char role[8] = {};
    if (std::sscanf(e->d_name, "pvbench%d-%7s", &pid, role) == 2 && pid > 0 && pid != getpid() &&
        kill(pid, 0) != 0 && errno == ESRCH) {
      stale.push_back(e->d_name);
    }
  }
  closedir(d);
  for (const auto& name : stale) {
    std::fprintf(stderr, "veth_forward_bench: removing namespace %s of an earlier run that was killed\n", name.c_str());
    run({ip, "netns", "del", name}, true);
  }
}

// Runs f on a fresh thread inside network namespace `which` (setns affects the
// calling thread only); sockets created there stay in that namespace.
template <typename F>
auto inNamespace(int which, F f) -> decltype(f()) {
  decltype(f()) result{};
  std::string error;
  std::thread t([&] {
    if (setns(g_lab.nsFd[which], CLONE_NEWNET) != 0) {
      error = std::string("setns: ") + std::strerror(errno);
      return;
    }
    result = f();
  });
  t.join();
  if (!error.empty()) die(error);
  return result;
}

int openSender(const char* ifname) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);  // protocol 0: send only, receives nothing
  if (fd < 0) return -1;
  struct sockaddr_ll a = {};
  a.sll_family = AF_PACKET;
  a.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
  int one = 1, sndbuf = 4 << 20;
  if (a.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0) {
    close(fd);
    return -1;
  }
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
  return fd;
}

int openReceiver(const char* ifname) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_IP));
  if (fd < 0) return -1;
  struct sockaddr_ll a = {};
  a.sll_family = AF_PACKET;
  a.sll_protocol = htons(ETH_P_IP);
  a.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
  if (a.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  int rcvbuf = 64 << 20, one = 1;
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  return fd;
}

void setupLab() {
  g_lab.ipPath = findIp();
  if (g_lab.ipPath.empty()) die("the ip command (iproute2) is missing");
  const char* override = std::getenv("PORTVAKTD");
  g_lab.daemonPath = override && *override ? override : PORTVAKTD_PATH;
  if (access(g_lab.daemonPath.c_str(), X_OK) != 0) die("portvaktd not found at " + g_lab.daemonPath + " (build it first)");
  const std::string& ip = g_lab.ipPath;
  removeStaleNamespaces(ip);

  g_lab.tag = "pvbench" + std::to_string(getpid());
  const char* roles[3] = {"tx", "rx", "sw"};
  for (int i = 0; i < 3; ++i) g_lab.ns[i] = g_lab.tag + "-" + roles[i];
  char tmpl[] = "/tmp/pvbench.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) die(std::string("mkdtemp: ") + std::strerror(errno));
  g_lab.work = tmpl;

  // The cleanup commands, prepared before anything exists.
  for (int i = 0; i < 3; ++i) g_lab.cleanupCommands.push_back({ip, "netns", "del", g_lab.ns[i]});
  g_lab.cleanupCommands.push_back({"/bin/rm", "-rf", g_lab.work});
  for (auto& cmd : g_lab.cleanupCommands) {
    std::vector<char*> argv;
    for (auto& a : cmd) argv.push_back(a.data());
    argv.push_back(nullptr);
    g_lab.cleanupArgv.push_back(std::move(argv));
  }
  g_lab.created = true;  // from here on, cleanup removes the namespaces (missing ones are fine)
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE}) std::signal(sig, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  std::atexit(cleanupLab);

  const std::string &tx = g_lab.ns[kTx], &rx = g_lab.ns[kRx], &sw = g_lab.ns[kSw];
  for (const std::string& n : g_lab.ns) {
    mustRun({ip, "netns", "add", n});
    // No IPv6 (router solicitations, MLD) and no addresses: only our frames move.
    mustRun({ip, "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1",
             "net.ipv6.conf.all.disable_ipv6=1"});
    mustRun({ip, "-n", n, "link", "set", "lo", "up"});
  }
  mustRun({ip, "link", "add", "lan0", "netns", tx, "type", "veth", "peer", "name", "eth0", "netns", sw});
  mustRun({ip, "link", "add", "eth1", "netns", sw, "type", "veth", "peer", "name", "lan0", "netns", rx});
  mustRun({ip, "link", "add", "d0", "netns", tx, "type", "veth", "peer", "name", "d1", "netns", rx});
  auto mac = [](const uint8_t* m) {
    char s[18];
    std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return std::string(s);
  };
  mustRun({ip, "-n", tx, "link", "set", "lan0", "address", mac(kTxSwitchMac), "up"});
  mustRun({ip, "-n", rx, "link", "set", "lan0", "address", mac(kRxSwitchMac), "up"});
  mustRun({ip, "-n", tx, "link", "set", "d0", "address", mac(kTxDirectMac), "up"});
  mustRun({ip, "-n", rx, "link", "set", "d1", "address", mac(kRxDirectMac), "up"});
  mustRun({ip, "-n", sw, "link", "set", "eth0", "up"});
  mustRun({ip, "-n", sw, "link", "set", "eth1", "up"});

  for (int i = 0; i < 3; ++i) {
    std::string path = "/run/netns/" + g_lab.ns[i];
    g_lab.nsFd[i] = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (g_lab.nsFd[i] < 0) die("open " + path + ": " + std::strerror(errno));
  }
  g_lab.txDirect = inNamespace(kTx, [] { return openSender("d0"); });
  g_lab.txSwitch = inNamespace(kTx, [] { return openSender("lan0"); });
  g_lab.rxLearn = inNamespace(kRx, [] { return openSender("lan0"); });
  g_lab.rxDirect = inNamespace(kRx, [] { return openReceiver("d1"); });
  g_lab.rxSwitch = inNamespace(kRx, [] { return openReceiver("lan0"); });
  if (g_lab.txDirect < 0 || g_lab.txSwitch < 0 || g_lab.rxLearn < 0 || g_lab.rxDirect < 0 || g_lab.rxSwitch < 0)
    die(std::string("AF_PACKET sockets in the lab namespaces: ") + std::strerror(errno));

  // portvaktd in the switch namespace, through `ip netns exec` (which also
  // mounts that namespace's /sys) as the e2e tests start it. PDEATHSIG: it
  // dies with us even if we are killed with SIGKILL.
  const std::string log = g_lab.work + "/daemon.log";
  std::vector<std::string> args = {ip,          "netns",   "exec",  sw,   g_lab.daemonPath,
                                   "--policy",  PORTVAKT_SOURCE_DIR "/bench/veth-bench.yaml",
                                   "--socket",  g_lab.work + "/api.sock",
                                   "--metrics", "",
                                   "--state-dir", g_lab.work + "/state"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  g_lab.daemon = pid;
}

// ------------------------------------------------------------------ frames

uint16_t ipChecksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> makeFrame(size_t len, const uint8_t* dstMac, const uint8_t* srcMac, const uint8_t* srcIp,
                               const uint8_t* dstIp, uint16_t srcPort, uint16_t dstPort) {
  std::vector<uint8_t> f(std::max(len, kMinFrame), 0);
  std::memcpy(&f[0], dstMac, 6);
  std::memcpy(&f[6], srcMac, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  uint8_t* ip = &f[14];
  const size_t ipLen = f.size() - 14;
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>(ipLen >> 8);
  ip[3] = static_cast<uint8_t>(ipLen);
  ip[6] = 0x40;  // DF
  ip[8] = 64;
  ip[9] = 17;
  std::memcpy(&ip[12], srcIp, 4);
  std::memcpy(&ip[16], dstIp, 4);
  const uint16_t c = ipChecksum(ip, 20);
  ip[10] = static_cast<uint8_t>(c >> 8);
  ip[11] = static_cast<uint8_t>(c);
  uint8_t* udp = ip + 20;
  const size_t udpLen = ipLen - 20;
  udp[0] = static_cast<uint8_t>(srcPort >> 8);
  udp[1] = static_cast<uint8_t>(srcPort);
  udp[2] = static_cast<uint8_t>(dstPort >> 8);
  udp[3] = static_cast<uint8_t>(dstPort);
  udp[4] = static_cast<uint8_t>(udpLen >> 8);
  udp[5] = static_cast<uint8_t>(udpLen);
  return f;  // UDP checksum 0: none (IPv4)
}

void stamp(uint8_t* frame, uint32_t run, uint32_t seq, int64_t t) {
  const uint32_t magic = kMagic ^ run;
  std::memcpy(frame + kPayloadOffset, &magic, 4);
  std::memcpy(frame + kPayloadOffset + 4, &seq, 4);
  std::memcpy(frame + kPayloadOffset + 8, &t, 8);
}

// ------------------------------------------------------------- send, receive

struct SendResult {
  uint64_t sent = 0;
  uint64_t errors = 0;
  uint64_t syscalls = 0;
  int64_t firstNs = 0, lastNs = 0;
};

// Sends `count` frames (copies of `tmpl`, stamped) at `rate` frames/s, or as
// fast as possible when rate <= 0.
SendResult sendFrames(int fd, const std::vector<uint8_t>& tmpl, uint32_t run, uint32_t count, double rate) {
  prctl(PR_SET_TIMERSLACK, 1UL);  // sleep to the microsecond, not 50 µs late
  const size_t len = tmpl.size();
  std::vector<uint8_t> buffers(kSendBatch * len);
  for (size_t i = 0; i < kSendBatch; ++i) std::memcpy(&buffers[i * len], tmpl.data(), len);
  struct iovec iov[kSendBatch];
  struct mmsghdr msgs[kSendBatch];
  std::memset(msgs, 0, sizeof msgs);
  for (size_t i = 0; i < kSendBatch; ++i) {
    iov[i] = {&buffers[i * len], len};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  SendResult r;
  const int64_t start = monoNs();
  const double nsPerFrame = rate > 0 ? 1e9 / rate : 0;
  uint32_t seq = 0;
  while (seq < count) {
    size_t n = std::min<size_t>(kSendBatch, count - seq);
    int64_t t = monoNs();
    if (rate > 0) {
      // Frames due by now: those whose scheduled time start + i/rate has come.
      const uint64_t due = std::min<uint64_t>(count, static_cast<uint64_t>((t - start) / nsPerFrame) + 1);
      if (due <= seq) {
        const int64_t next = start + static_cast<int64_t>(seq * nsPerFrame);
        if (next - t > 30'000) sleepUntil(next);
        continue;
      }
      n = std::min<size_t>(n, due - seq);
      t = monoNs();
    }
    for (size_t i = 0; i < n; ++i) stamp(&buffers[i * len], run, seq + static_cast<uint32_t>(i), t);
    if (r.sent == 0 && r.errors == 0) r.firstNs = t;
    size_t done = 0;
    while (done < n) {
      ++r.syscalls;
      int k = sendmmsg(fd, msgs + done, static_cast<unsigned>(n - done), 0);
      if (k > 0) {
        done += static_cast<size_t>(k);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN) {  // the kernel had no room: try again shortly
        std::this_thread::yield();
        continue;
      }
      ++r.errors;  // refused frame: skip it
      ++done;
    }
    r.sent += n;
    seq += static_cast<uint32_t>(n);
    r.lastNs = t;
  }
  r.sent -= r.errors;
  return r;
}

struct RecvResult {
  uint64_t received = 0, dups = 0, stale = 0;
  uint64_t sockDrops = 0;
  int64_t firstNs = 0, lastNs = 0;
  std::vector<int64_t> latencyNs;
};

void drain(int fd) {
  uint8_t buf[64];
  while (recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC) >= 0) {
  }
  struct tpacket_stats st;
  socklen_t sl = sizeof st;
  (void)getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);  // reading resets them
}

// Receives until `senderDone` and then either every frame is in or nothing
// came for `quietMs`.
RecvResult receiveFrames(int fd, uint32_t run, uint32_t count, const std::atomic<bool>& senderDone, int quietMs) {
  RecvResult r;
  r.latencyNs.reserve(count);
  std::vector<uint8_t> seen(count, 0);
  std::vector<uint8_t> buffers(kRecvBatch * kRecvCopy);
  struct iovec iov[kRecvBatch];
  struct mmsghdr msgs[kRecvBatch];
  std::memset(msgs, 0, sizeof msgs);
  for (size_t i = 0; i < kRecvBatch; ++i) {
    iov[i] = {&buffers[i * kRecvCopy], kRecvCopy};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const uint32_t magic = kMagic ^ run;
  int64_t lastActivity = monoNs();
  int64_t doneSince = 0;
  for (;;) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int pr = poll(&pfd, 1, 10);
    const int64_t now0 = monoNs();
    if (pr > 0) {
      int k = recvmmsg(fd, msgs, kRecvBatch, MSG_DONTWAIT, nullptr);
      const int64_t now = monoNs();
      for (int i = 0; i < k; ++i) {
        const uint8_t* f = &buffers[static_cast<size_t>(i) * kRecvCopy];
        if (msgs[i].msg_len < kMinFrame || f[23] != 17 || f[36] != (kDstPort >> 8) || f[37] != (kDstPort & 0xff)) continue;
        uint32_t m, seq;
        int64_t sentAt;
        std::memcpy(&m, f + kPayloadOffset, 4);
        std::memcpy(&seq, f + kPayloadOffset + 4, 4);
        std::memcpy(&sentAt, f + kPayloadOffset + 8, 8);
        if (m != magic || seq >= count) {
          ++r.stale;
          continue;
        }
        if (seen[seq]) {
          ++r.dups;
          continue;
        }
        seen[seq] = 1;
        if (r.received++ == 0) r.firstNs = now;
        r.lastNs = now;
        r.latencyNs.push_back(now - sentAt);
      }
      if (k > 0) lastActivity = now;
    }
    if (senderDone.load(std::memory_order_acquire)) {
      if (doneSince == 0) doneSince = now0;
      if (r.received >= count) break;
      if (now0 - std::max(lastActivity, doneSince) > int64_t{quietMs} * 1'000'000) break;
    }
  }
  struct tpacket_stats st = {};
  socklen_t sl = sizeof st;
  if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) r.sockDrops = st.tp_drops;
  return r;
}

// --------------------------------------------------------------- the runs

enum class Path { kDirect, kDaemon };
const char* pathName(Path p) { return p == Path::kDirect ? "direct" : "portvaktd"; }

struct RunResult {
  double txFps = 0, rxFps = 0, lossPct = 0, p50Us = 0, p99Us = 0, maxUs = 0, seconds = 0;
  uint64_t sent = 0, received = 0, dups = 0, sockDrops = 0, sendErrors = 0, syscalls = 0;
};

double percentileUs(std::vector<int64_t>& v, double q) {
  if (v.empty()) return NAN;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return static_cast<double>(v[k]) / 1000.0;
}

uint32_t g_run = 0;

void learnReceiver() {
  // One frame from the receiver's host, so the switch has learned its MAC on
  // the uplink (else unicast toward it floods, which here is one port as well).
  std::vector<uint8_t> f = makeFrame(60, kTxSwitchMac, kRxSwitchMac, kDstIp, kSrcIp, kDstPort, kSrcPort);
  stamp(f.data(), 0, 0, 0);
  (void)send(g_lab.rxLearn, f.data(), f.size(), 0);
}

RunResult runOnce(Path path, size_t frameLen, uint32_t count, double rate) {
  const bool direct = path == Path::kDirect;
  const int txFd = direct ? g_lab.txDirect : g_lab.txSwitch;
  const int rxFd = direct ? g_lab.rxDirect : g_lab.rxSwitch;
  const std::vector<uint8_t> tmpl = direct ? makeFrame(frameLen, kRxDirectMac, kTxDirectMac, kSrcIp, kDstIp, kSrcPort, kDstPort)
                                           : makeFrame(frameLen, kRxSwitchMac, kTxSwitchMac, kSrcIp, kDstIp, kSrcPort, kDstPort);
  if (!direct) learnReceiver();
  sleepMs(50);  // let the previous run's stragglers arrive (they are ignored by run id anyway)
  drain(rxFd);
  const uint32_t run = ++g_run;
  std::atomic<bool> senderDone{false};
  RecvResult rr;
  std::thread receiver([&] { rr = receiveFrames(rxFd, run, count, senderDone, 300); });
  SendResult sr = sendFrames(txFd, tmpl, run, count, rate);
  senderDone.store(true, std::memory_order_release);
  receiver.join();

  RunResult r;
  r.sent = sr.sent;
  r.sendErrors = sr.errors;
  r.syscalls = sr.syscalls;
  r.received = rr.received;
  r.dups = rr.dups;
  r.sockDrops = rr.sockDrops;
  r.seconds = static_cast<double>(sr.lastNs - sr.firstNs) / 1e9;
  // The sender's rate over its own sends (first to last sendmmsg; with one
  // batch the interval is 0, then report the count).
  r.txFps = r.seconds > 0 ? static_cast<double>(sr.sent) / r.seconds : static_cast<double>(sr.sent);
  const double rxSeconds = static_cast<double>(rr.lastNs - sr.firstNs) / 1e9;
  r.rxFps = rxSeconds > 0 ? static_cast<double>(rr.received) / rxSeconds : 0;
  r.lossPct = sr.sent ? 100.0 * static_cast<double>(sr.sent - std::min(sr.sent, rr.received)) / static_cast<double>(sr.sent) : 0;
  r.p50Us = percentileUs(rr.latencyNs, 0.50);
  r.p99Us = percentileUs(rr.latencyNs, 0.99);
  r.maxUs = rr.latencyNs.empty() ? NAN : static_cast<double>(*std::max_element(rr.latencyNs.begin(), rr.latencyNs.end())) / 1000.0;
  return r;
}

// Waits until frames pass on both paths (veth carrier, daemon up and
// forwarding: ports open, policy applied, sender pinned).
void waitUntilForwarding() {
  const std::string sock = g_lab.work + "/api.sock";
  for (int i = 0; i < 200; ++i) {
    struct stat st;
    if (stat(sock.c_str(), &st) == 0) break;
    int status;
    if (waitpid(g_lab.daemon, &status, WNOHANG) == g_lab.daemon) {
      g_lab.daemon = -1;
      die("portvaktd exited at start");
    }
    sleepMs(50);
  }
  for (Path p : {Path::kDirect, Path::kDaemon}) {
    bool ok = false;
    for (int attempt = 0; attempt < 100 && !ok; ++attempt) {
      RunResult r = runOnce(p, 60, 10, 0);
      ok = r.received == 10;
      if (!ok) sleepMs(100);
    }
    if (!ok) die(std::string("no frames pass on the ") + pathName(p) + " path after 15 s");
  }
}

// Results of all runs, by case name, for the summary.
std::map<std::string, std::vector<RunResult>> g_results;
std::map<size_t, std::vector<double>> g_directMaxRx;  // frame size -> rx_fps of the direct max runs

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum class Load { kMax, kPaced80, kIdle };
const char* loadName(Load l) { return l == Load::kMax ? "max" : l == Load::kPaced80 ? "80pct_of_direct" : "10k_fps"; }
constexpr double kIdleRate = 10'000;
constexpr uint32_t kMaxFrames = 1'000'000;   // ~1-2 s at the veth's rate
constexpr double kPacedSeconds = 1.5;
constexpr uint32_t kIdleFrames = 20'000;     // 2 s at 10 k/s

double directMaxRate(size_t size) {
  auto& v = g_directMaxRx[size];
  if (v.empty()) {  // not measured in this process (filtered out): measure it now
    RunResult r = runOnce(Path::kDirect, size - 4, kMaxFrames, 0);
    v.push_back(r.rxFps);
  }
  return median(v);
}

std::string caseName(size_t size, Load load, Path path) {
  return std::to_string(size) + "B/" + loadName(load) + "/" + pathName(path);
}

void BM_Forward(benchmark::State& state, size_t size, Load load, Path path) {
  double rate = 0;
  uint32_t count = kMaxFrames;
  if (load == Load::kPaced80) {
    rate = 0.8 * directMaxRate(size);
    count = static_cast<uint32_t>(rate * kPacedSeconds);
  } else if (load == Load::kIdle) {
    rate = kIdleRate;
    count = kIdleFrames;
  }
  RunResult r;
  for (auto _ : state) {
    r = runOnce(path, size - 4, count, rate);
    state.SetIterationTime(std::max(r.seconds, 1e-9));
  }
  if (load == Load::kMax && path == Path::kDirect) g_directMaxRx[size].push_back(r.rxFps);
  g_results[caseName(size, load, path)].push_back(r);
  state.counters["frames"] = static_cast<double>(r.sent);
  state.counters["tx_fps"] = r.txFps;
  state.counters["rx_fps"] = r.rxFps;
  state.counters["loss_pct"] = r.lossPct;
  state.counters["dup"] = static_cast<double>(r.dups);
  state.counters["p50_us"] = r.p50Us;
  state.counters["p99_us"] = r.p99Us;
  state.counters["max_us"] = r.maxUs;
  state.counters["sock_drops"] = static_cast<double>(r.sockDrops);
  if (rate > 0) state.counters["target_fps"] = rate;
  if (r.sendErrors) state.SetLabel(std::to_string(r.sendErrors) + " frames refused by the kernel");
}

void printSummary() {
  std::printf("\nForwarding through portvaktd vs direct veth (median of %s per cell)\n",
              "the repetitions");
  std::printf("%-6s %-16s | %-34s | %-42s | %-8s %-17s\n", "frame", "load", "direct veth", "through portvaktd",
              "rx ratio", "added latency");
  std::printf("%-6s %-16s | %9s %7s %7s %8s | %9s %9s %7s %7s %8s | %8s %8s %8s\n", "", "", "rx/s", "loss%",
              "p50us", "p99us", "tx/s", "rx/s", "loss%", "p50us", "p99us", "", "p50us", "p99us");
  for (size_t size : {size_t{64}, size_t{512}}) {
    for (Load load : {Load::kMax, Load::kPaced80, Load::kIdle}) {
      auto d = g_results.find(caseName(size, load, Path::kDirect));
      auto p = g_results.find(caseName(size, load, Path::kDaemon));
      if (d == g_results.end() && p == g_results.end()) continue;
      auto med = [](decltype(d)& it, auto field) -> double {
        if (it == g_results.end()) return NAN;
        std::vector<double> v;
        for (const RunResult& r : it->second) v.push_back(r.*field);
        return median(v);
      };
      const double drx = med(d, &RunResult::rxFps), dl = med(d, &RunResult::lossPct), d50 = med(d, &RunResult::p50Us),
                   d99 = med(d, &RunResult::p99Us);
      const double ptx = med(p, &RunResult::txFps), prx = med(p, &RunResult::rxFps), pl = med(p, &RunResult::lossPct),
                   p50 = med(p, &RunResult::p50Us), p99 = med(p, &RunResult::p99Us);
      std::printf("%-6s %-16s | %9.0f %7.3f %7.1f %8.1f | %9.0f %9.0f %7.3f %7.1f %8.1f | %7.1f%% %8.1f %8.1f\n",
                  (std::to_string(size) + "B").c_str(), loadName(load), drx, dl, d50, d99, ptx, prx, pl, p50, p99,
                  100.0 * prx / drx, p50 - d50, p99 - d99);
    }
  }
  std::printf("rx/s: frames received per second (first send to last receive); loss%%: of the frames sent;\n"
              "latency: one-way, send call to receiving application, CLOCK_MONOTONIC; added = portvaktd - direct.\n");
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (geteuid() != 0) {
    std::printf("skip: portvakt_veth_forward_bench needs root (network namespaces, veth pairs, AF_PACKET); "
                "nothing was measured\n");
    return 0;
  }
  setupLab();
  waitUntilForwarding();
  for (size_t size : {size_t{64}, size_t{512}}) {
    for (Load load : {Load::kMax, Load::kPaced80, Load::kIdle}) {
      for (Path path : {Path::kDirect, Path::kDaemon}) {
        benchmark::RegisterBenchmark(caseName(size, load, path).c_str(), BM_Forward, size, load, path)
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  printSummary();
  benchmark::Shutdown();
  cleanupLab();
  return 0;
}
