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
//   flood   fl0  ------------------ eth2
//           d0 ---------------------------- direct ------------------ d1
//
// <tag> is "pvbench<pid>": the namespaces are a NetnsLab of family "pvbench"
// (tests/support/netns.h, the root tests' lab), which removes them at exit
// and on a signal, and those of killed earlier runs at the start. portvaktd
// runs bench/veth-bench.yaml: eth0 is an access port (the sender's MAC pinned
// into zone `lab`), eth1 an uplink; a flow allows UDP to 10.77.0.2:9000, so
// every frame goes through the profiler (pin lookup) and the compiled flow
// classifier, not only the switch.
//
// Sender: AF_PACKET, PACKET_QDISC_BYPASS, sendmmsg (up to 64 frames a call),
// in <tag>-tx (the bench's sockets are created on a short-lived thread that
// setns()'d into their namespace; a socket stays where it was created). Frames are IPv4/UDP 10.77.0.1 ->
// 10.77.0.2:9000 carrying a run id, a sequence number and the CLOCK_MONOTONIC
// time at which their sendmmsg was issued. Sizes are Ethernet frame sizes as
// RFC 2544 counts them (with the 4-byte FCS a veth does not carry): "64 B" is
// 60 bytes handed to sendmmsg, "512 B" is 508. The UDP checksum is 0 and the
// IP checksum is filled in, so no checksum offload is involved (the lab's
// `ethtool -K lan0 tx off` is for the kernel's own UDP, not needed here).
//
// Receiver: AF_PACKET with a TPACKET_V3 ring in <tag>-rx (a socket filter
// admits only the bench's UDP and keeps 64 bytes of each frame). It counts
// frames by sequence number (loss, duplicates; frames of an earlier run are
// recognised by their run id and ignored). One-way latency is the kernel's
// receive time of the frame at the receiver's socket minus the send time in
// the frame: one host, one clock (the kernel stamps CLOCK_REALTIME; it is
// converted with REALTIME - MONOTONIC read before and after the run). It ends
// where the frame reaches the receiving host, so the receiving thread's own
// wake-up is not in it; "added" latency is portvaktd's minus the direct
// pair's. Frames lost because the receiver's ring was full are reported apart
// (sock_drops) so that a slow receiver is not blamed on the daemon.
// The receiver's interfaces do not own the MAC the frames are addressed to
// (see kRxSwitchIfMac): its IP stack drops them before any route lookup.
//
// Rates per frame size, each on both paths: max (the sender as fast as it
// can), paced at 80 % of the direct pair's measured receive rate (the median
// of the direct max runs so far in this process), and 10 k frames/s (latency
// at idle). Pacing sends what is due by the clock and sleeps (timer slack
// 1 ns) until the next frame is due; it never spins, because on two cores a
// spinning sender takes the CPU the daemon needs. At 80 % the frames therefore
// go out in small bursts of what fell due while the sender slept (a timer
// wake-up here takes some 5-50 µs, i.e. bursts of a few to ~25 frames).
//
// Timing: each benchmark is one run of a fixed number of frames (max:
// 1,000,000; paced: 1.5 s worth; 10 k/s: 20,000) with Iterations(1) and
// UseManualTime (the reported time is the sender's, first to last sendmmsg). Google Benchmark's automatic iteration
// count would re-run a real, stateful system until a minimum time and
// average the runs; here every counter is computed from one run's own clocks
// and frame counts, and --benchmark_repetitions=N repeats runs honestly
// (the summary table at the end gives the median of the repetitions).
//
// Counters: tx_fps (frames/s the sender got out), rx_fps (frames received /
// time from the first send to the last receive), loss_pct, dup, p50_us,
// p99_us, max_us, sock_drops (receiver ring overflow), frames, target_fps
// (paced runs), sender_cpu_ns (the sending thread's CPU per frame sent) and
// daemon_cpu_ns (portvaktd's CPU, all threads, per frame forwarded; from
// /proc/<pid>/task/*/schedstat). The CPU figures depend much less on what
// else runs on the machine than rates and latencies do (caches are shared,
// and a starved daemon wakes for fewer frames at a time, which costs more
// per frame), so they are the better figure to compare two builds with.
// Through portvaktd also pvd_lost: the frames portvaktd itself dropped on
// the flow's path during the run (pvd_ring_full and pvd_overload on the
// sender's jack, pvd_egress_busy on the uplink; its /metrics before and
// after), so that loss_pct is told apart from what the veths or the
// receiver lost.
//
// Under a flood (issue 13, "Measured"): the 80 % cases run a third time
// through portvaktd ("portvaktd_under_flood"), at 80 % of the direct pair and
// at 80 % of portvaktd's own maximum ("80pct_of_portvaktd": of its rx/s in a
// max run just before each paced run, so that a drift of the VM's speed
// between runs does not turn "80 %" into overload), while a device on another
// access port (eth2) floods what first-hop security drops -- IPv6 router
// advertisements, DHCPv6 replies, neighbour advertisements claiming the
// zone's gateway fe80::1 -- and frames of one MAC that moves between eth2 and
// the sender's own jack eth0 (a move every PORTVAKT_BENCH_FLOOD_MOVE_EVERY
// frames, default 8), in sendmmsg batches of PORTVAKT_BENCH_FLOOD_BATCH
// (default 8), at PORTVAKT_BENCH_FLOOD_FPS frames/s (default 50 000) from
// 200 ms before the
// legitimate flow starts until it ends. The summary prints the flow's rate
// and loss under the flood beside the same flow without it (the plain
// "portvaktd" 80 % case of the same run) and beside its control, and what it
// kept: the share of its target rate it got, against theirs
// ("portvaktd_flood_elsewhere": the same flood sent into a veth that does not
// reach portvaktd, so that the simulated hosts carry the same load).
//
// The flood alone ("flood/alone/portvaktd", issue 13): the same flood for
// 2 s with no flow, and portvaktd's CPU per flood frame -- its forwarding
// thread's apart from its other threads', each less its idle rate over 2 s
// just before -- and flood frames per wake-up of the forwarding thread (its
// voluntary context switches). Under the flow the flood's cost is the
// difference of two noisy figures; alone it is measured.
//
// The kernel bridge as the peer (issue 18): the same flow, in the same run,
// through a Linux bridge in the switch namespace (tx b0 -- bin [br0] bout --
// b1 rx) with an nftables bridge-family rule set that allows exactly the
// bench's UDP to 10.77.0.2:9000 and drops the rest: what a user could build
// instead of portvakt. Two columns: bridge netfilter off
// (net.bridge.bridge-nf-call-iptables=0 in that namespace: only the nft
// bridge table runs) and on (=1, the kernel default: every bridged IPv4
// frame also goes through the IP-family netfilter hooks). Without the nft
// command, or where the kernel has no bridge, these columns say "n/a".
//
// The I/O floor (issue 18): the same flow, in the same run, through
// bench/io_floor_forwarder.cc in the switch namespace (tx ff0 -- fin [floor]
// fout -- ff1 rx): portvaktd's receive ring (io::LivePort::readBurst), its
// batched send (io::PacketSocketSink) and its loop's shape, at its nice, with
// no decision at all. Run at max only: its rate is the most any forwarder on
// this I/O reaches here, so portvaktd's distance to it is its decision's
// cost, and the floor's distance to the direct pair the cost of a second
// receive and send on another CPU.
//
// Voice under bulk (issue 18): the sender's frames marked DSCP EF at
// PORTVAKT_BENCH_VOICE_FPS (default 2000) while a second pinned device on
// eth2 sends bulk UDP (to port 9001, which the receiver does not count) as
// fast as it can to the same uplink, so that portvaktd has more to do than it
// can. Zone lab is `priority: dscp`, so the marked frames go first; the same
// run with unmarked frames ("unmarked_under_bulk") shows what they get
// without priority. Counted: the voice frames' loss and latency.
//
// The daemon binary is the build's portvaktd (PORTVAKTD_PATH); the environment
// variable PORTVAKTD overrides it (e.g. to compare two builds).
//
// PORTVAKT_BENCH_DAEMON_CPU=N pins portvaktd (all its threads) to CPU N and
// the bench's own threads -- the hosts: senders, receivers, the flood -- to
// the other CPUs. On an appliance the hosts are other machines; on one 2-core
// VM they otherwise take portvaktd's CPU in turns, which is what its loss and
// latency then measure. The veth receive path of what portvaktd sends still
// runs on its CPU, as a NIC's send path does. The kernel bridge forwards in
// the sender's context, i.e. on the hosts' CPUs: its columns compare fairly
// only without pinning. Unset (the default): no pinning.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <linux/filter.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/netns.h"

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
// The receiver's interfaces have other MACs than the ones the frames are sent
// to (the switch learns kRxSwitchMac from learnReceiver()'s frame): the frames
// arrive as PACKET_OTHERHOST, the receiver's ring gets them and the
// receiver's IP stack drops them at once instead of doing a route lookup per
// frame. On a veth that work would be done by, and charged to, whoever sends
// into the pair (the direct sender, or portvaktd); on real wires the
// receiving host pays it on its own CPU.
constexpr uint8_t kRxSwitchIfMac[6] = {0x02, 0, 0, 0x77, 0, 0x22};
constexpr uint8_t kRxDirectIfMac[6] = {0x02, 0, 0, 0x77, 0, 0x32};
constexpr uint8_t kSrcIp[4] = {10, 77, 0, 1};
constexpr uint8_t kDstIp[4] = {10, 77, 0, 2};  // the policy's bench-sink
constexpr uint16_t kSrcPort = 40000;
constexpr uint16_t kDstPort = 9000;                             // the policy's bench-udp flow
constexpr uint32_t kMagic = 0x50564200;                         // "PVB\0" xor run id
constexpr uint8_t kFloodMac[6] = {0x02, 0, 0, 0x77, 0, 0x66};   // the flooding device on eth2
constexpr uint8_t kMovingMac[6] = {0x02, 0, 0, 0x77, 0, 0x67};  // sent from eth2 and eth0 in turn
constexpr uint8_t kBulkMac[6] = {0x02, 0, 0, 0x77, 0, 0x68};    // pinned in veth-bench.yaml: the bulk flow on eth2
constexpr uint8_t kTxBridgeMac[6] = {0x02, 0, 0, 0x77, 0, 0x31};
constexpr uint8_t kRxBridgeMac[6] = {0x02, 0, 0, 0x77, 0, 0x32};
constexpr uint8_t kRxBridgeIfMac[6] = {0x02, 0, 0, 0x77, 0, 0x42};  // as kRxSwitchIfMac: frames arrive as OTHERHOST
constexpr uint16_t kBulkPort = 9001;         // the policy's bench-bulk flow; the receiver's filter ignores it
constexpr uint8_t kTosEf = 46 << 2;          // DSCP EF
constexpr size_t kHeaders = 14 + 20 + 8;     // Ethernet, IPv4, UDP
constexpr size_t kPayloadOffset = kHeaders;  // magic^run (4), seq (4), send time ns (8)
constexpr size_t kMinFrame = kHeaders + 16;
constexpr size_t kSendBatch = 64;
// portvaktd's /metrics in the switch namespace (its own loopback).
constexpr uint16_t kMetricsPort = 19190;
constexpr const char* kMetricsAddress = "127.0.0.1:19190";
constexpr unsigned kRecvSnap = 64;  // bytes of each frame the receiver's ring keeps

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

struct RxRing {
  int fd = -1;
  uint8_t* map = nullptr;
  size_t blockSize = 1 << 20;
  size_t blockNr = 32;
  size_t current = 0;
};

// Everything the cleanup needs is prepared before it can run, so that the
// signal handler only calls async-signal-safe functions (kill, waitpid, fork,
// execve, nanosleep, _exit).
struct Lab {
  std::string tag;
  std::optional<portvakt::testing::NetnsLab> netns;  // removes ns[] at exit and on a signal
  std::string ns[3];                                 // tx, rx, sw
  std::string work;                                  // temporary directory: daemon log, state, API socket
  std::string ipPath;
  std::string daemonPath;
  std::atomic<pid_t> daemon{-1};
  std::atomic<pid_t> floor{-1};                   // the I/O floor forwarder (bench/io_floor_forwarder.cc)
  portvakt::testing::PreparedCommand removeWork;  // rm -rf work
  int nsFd[3] = {-1, -1, -1};
  // sockets
  int txDirect = -1, txSwitch = -1;       // senders (tx namespace)
  int txBridge = -1, rxBridgeLearn = -1;  // the kernel bridge's sender (tx) and learning frame (rx)
  bool bridge = false;                    // the bridge and its nft rule set are up
  int txFlood = -1, txMove = -1;          // the flood (fl0) and the moving MAC's frames on the sender's jack (lan0)
  int txDecoy = -1;                       // the same flood into a veth that does not reach portvaktd (dc0)
  RxRing rxDirect, rxSwitch, rxBridge;    // receivers (rx namespace)
  int rxLearn = -1;                       // rx namespace, sends one frame so the switch learns the receiver
  int txFloor = -1;                       // the I/O floor's sender (ff0, tx namespace)
  RxRing rxFloor;                         // and its receiver (ff1)
};
Lab g_lab;
int g_daemonCpu = -1;  // PORTVAKT_BENCH_DAEMON_CPU, -1: no pinning
enum { kTx = 0, kRx = 1, kSw = 2 };

void stopChild(std::atomic<pid_t>& child) {  // async-signal-safe
  pid_t pid = child.exchange(-1);
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

// Runs (once, async-signal-safe) at exit and on a signal before the lab's
// namespaces are removed (NetnsLab::removeAtExit); signal 0: at exit.
void beforeLabRemoval(int signal) {
  if (signal != 0) {
    static const char msg[] = "\nveth_forward_bench: signal, removing the lab\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
  }
  stopChild(g_lab.daemon);
  stopChild(g_lab.floor);
  g_lab.removeWork.run();
}

void cleanupLab() { portvakt::testing::NetnsLab::cleanUpAtExit(0); }

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

std::string findNft() {
  for (const char* p : {"/usr/sbin/nft", "/sbin/nft"})
    if (access(p, X_OK) == 0) return p;
  return {};
}

// Runs a command (no shell) and waits; false if it did not exit 0.
bool run(const std::vector<std::string>& args, bool quiet = false) {
  return portvakt::testing::runCommand(args, quiet) == 0;
}

void mustRun(const std::vector<std::string>& args) {
  if (!run(args)) {
    std::string line;
    for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
    die("command failed: " + line);
  }
}

// What earlier runs killed with SIGKILL left behind (nothing could clean up
// then) besides their namespaces (which the NetnsLab of family "pvbench"
// removes when it starts): directories /tmp/pvbench<pid>.* whose process is
// gone. (portvaktd itself died with them: PR_SET_PDEATHSIG.)
void removeStaleWorkDirs() {
  DIR* d = opendir("/tmp");
  if (d == nullptr) return;
  std::vector<std::string> stale;
  while (struct dirent* e = readdir(d))
    if (portvakt::testing::leftByGoneProcess(e->d_name, "pvbench", '.')) stale.push_back(e->d_name);
  closedir(d);
  for (const auto& name : stale) {
    std::fprintf(stderr, "veth_forward_bench: removing /tmp/%s of an earlier run that was killed\n", name.c_str());
    run({"/bin/rm", "-rf", "/tmp/" + name}, true);
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

// The receiver: a TPACKET_V3 ring. The kernel copies each frame (cut to its
// first kRecvSnap bytes by a socket filter, which also admits only the
// bench's UDP) into the ring and stamps it; the thread is woken once per
// filled or timed-out block, not per frame, so the receiver costs whoever
// sends into its veth (the direct sender, or portvaktd) as little as possible.
RxRing openReceiver(const char* ifname) {
  RxRing ring;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP));
  if (fd < 0) return ring;
  // ldb [23] (IP protocol); jeq 17; ldh [36] (UDP destination port, IHL 5); jeq 9000; ret snap | ret 0
  struct sock_filter code[] = {
      {0x30, 0, 0, 23},       {0x15, 0, 3, 17},        {0x28, 0, 0, 36},
      {0x15, 0, 1, kDstPort}, {0x06, 0, 0, kRecvSnap}, {0x06, 0, 0, 0},
  };
  struct sock_fprog prog = {static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  int version = TPACKET_V3, one = 1;
  struct tpacket_req3 req = {};
  req.tp_block_size = static_cast<unsigned>(ring.blockSize);
  req.tp_block_nr = static_cast<unsigned>(ring.blockNr);
  req.tp_frame_size = 256;  // V3 packs frames by their size; this only has to divide the block
  req.tp_frame_nr = static_cast<unsigned>(ring.blockSize * ring.blockNr / 256);
  req.tp_retire_blk_tov = 4;  // ms: a partly filled block reaches us at the latest after this
  struct sockaddr_ll a = {};
  a.sll_family = AF_PACKET;
  a.sll_protocol = htons(ETH_P_IP);
  a.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
  if (a.sll_ifindex == 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0 ||
      setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0 ||
      setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
    close(fd);
    return ring;
  }
  void* map = mmap(nullptr, ring.blockSize * ring.blockNr, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
  if (map == MAP_FAILED || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return ring;
  }
  (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  ring.fd = fd;
  ring.map = static_cast<uint8_t*>(map);
  return ring;
}

// Starts `args` in the switch namespace with its output in `log`, pinned to
// PORTVAKT_BENCH_DAEMON_CPU when set. PDEATHSIG: it dies with us even if we
// are killed with SIGKILL.
pid_t spawnInSwitch(std::vector<std::string> args, const std::string& log) {
  args.insert(args.begin(), {g_lab.ipPath, "netns", "exec", g_lab.ns[kSw]});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (g_daemonCpu >= 0) {  // inherited by every thread it starts
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(g_daemonCpu, &one);
      if (sched_setaffinity(0, sizeof one, &one) != 0) _exit(126);
    }
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

void setupLab() {
  g_lab.ipPath = portvakt::testing::ipCommand();
  if (g_lab.ipPath.empty()) die("the ip command (iproute2) is missing");
  const char* override = std::getenv("PORTVAKTD");
  g_lab.daemonPath = override && *override ? override : PORTVAKTD_PATH;
  if (access(g_lab.daemonPath.c_str(), X_OK) != 0)
    die("portvaktd not found at " + g_lab.daemonPath + " (build it first)");
  const std::string& ip = g_lab.ipPath;
  g_lab.netns.emplace("pvbench");  // removes the namespaces of killed earlier runs
  for (const std::string& name : g_lab.netns->staleRemoved())
    std::fprintf(stderr, "veth_forward_bench: removing /run/netns/%s of an earlier run that was killed\n", name.c_str());
  removeStaleWorkDirs();

  g_lab.tag = "pvbench" + std::to_string(getpid());
  std::string tmpl = "/tmp/" + g_lab.tag + ".XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) die(std::string("mkdtemp: ") + std::strerror(errno));
  g_lab.work = tmpl;

  // From here on, exit and the signals stop the daemon and remove the work
  // directory and the namespaces (each namespace's removal is prepared
  // before it is created).
  g_lab.removeWork.prepare({"/bin/rm", "-rf", g_lab.work});
  g_lab.netns->removeAtExit(beforeLabRemoval);
  std::signal(SIGPIPE, SIG_IGN);

  const char* roles[3] = {"tx", "rx", "sw"};
  for (int i = 0; i < 3; ++i) {
    // IPv6 off (no router solicitations, MLD) and no addresses: only our frames move.
    g_lab.ns[i] = g_lab.netns->addNamespace(roles[i]);
    if (g_lab.ns[i].empty()) die("cannot create network namespace " + g_lab.netns->prefix() + roles[i]);
  }
  const std::string &tx = g_lab.ns[kTx], &rx = g_lab.ns[kRx], &sw = g_lab.ns[kSw];
  mustRun({ip, "link", "add", "lan0", "netns", tx, "type", "veth", "peer", "name", "eth0", "netns", sw});
  mustRun({ip, "link", "add", "eth1", "netns", sw, "type", "veth", "peer", "name", "lan0", "netns", rx});
  mustRun({ip, "link", "add", "d0", "netns", tx, "type", "veth", "peer", "name", "d1", "netns", rx});
  mustRun({ip, "link", "add", "fl0", "netns", tx, "type", "veth", "peer", "name", "eth2", "netns", sw});
  // The flood's control: the same frames into dc0, whose peer dc1 (IPv6 off,
  // nothing listening) drops them, so the hosts' CPUs carry the flood's
  // sending without portvaktd seeing it.
  mustRun({ip, "link", "add", "dc0", "netns", tx, "type", "veth", "peer", "name", "dc1", "netns", tx});
  auto mac = [](const uint8_t* m) {
    char s[18];
    std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return std::string(s);
  };
  mustRun({ip, "-n", tx, "link", "set", "lan0", "address", mac(kTxSwitchMac), "up"});
  mustRun({ip, "-n", rx, "link", "set", "lan0", "address", mac(kRxSwitchIfMac), "up"});
  mustRun({ip, "-n", tx, "link", "set", "d0", "address", mac(kTxDirectMac), "up"});
  mustRun({ip, "-n", rx, "link", "set", "d1", "address", mac(kRxDirectIfMac), "up"});
  mustRun({ip, "-n", sw, "link", "set", "eth0", "up"});
  mustRun({ip, "-n", sw, "link", "set", "eth1", "up"});
  mustRun({ip, "-n", tx, "link", "set", "fl0", "address", mac(kFloodMac), "up"});
  mustRun({ip, "-n", sw, "link", "set", "eth2", "up"});
  mustRun({ip, "-n", tx, "link", "set", "dc0", "address", mac(kFloodMac), "up"});
  mustRun({ip, "-n", tx, "link", "set", "dc1", "up"});

  // The I/O floor: tx ff0 -- fin [io_floor_forwarder] fout -- ff1 rx.
  mustRun({ip, "link", "add", "ff0", "netns", tx, "type", "veth", "peer", "name", "fin", "netns", sw});
  mustRun({ip, "link", "add", "fout", "netns", sw, "type", "veth", "peer", "name", "ff1", "netns", rx});
  for (const auto& [ns, ifname] : {std::pair{tx, "ff0"}, {sw, "fin"}, {sw, "fout"}, {rx, "ff1"}})
    mustRun({ip, "-n", ns, "link", "set", ifname, "up"});

  // The kernel bridge as the peer: br0 in the switch namespace between b0
  // (tx) and b1 (rx), with an nftables bridge-family rule set that forwards
  // only the bench's UDP to 10.77.0.2:9000 (what bench-udp allows).
  mustRun({ip, "link", "add", "b0", "netns", tx, "type", "veth", "peer", "name", "bin", "netns", sw});
  mustRun({ip, "link", "add", "bout", "netns", sw, "type", "veth", "peer", "name", "b1", "netns", rx});
  mustRun({ip, "-n", tx, "link", "set", "b0", "address", mac(kTxBridgeMac), "up"});
  mustRun({ip, "-n", rx, "link", "set", "b1", "address", mac(kRxBridgeIfMac), "up"});
  const std::string nft = findNft();
  if (!nft.empty() && run({ip, "-n", sw, "link", "add", "br0", "type", "bridge"}, true)) {
    mustRun({ip, "-n", sw, "link", "set", "bin", "master", "br0", "up"});
    mustRun({ip, "-n", sw, "link", "set", "bout", "master", "br0", "up"});
    mustRun({ip, "-n", sw, "link", "set", "br0", "up"});
    const std::string rules = g_lab.work + "/bridge.nft";
    if (FILE* f = std::fopen(rules.c_str(), "w")) {
      std::fputs(
          "table bridge pvbench {\n"
          "  chain forward {\n"
          "    type filter hook forward priority 0; policy drop;\n"
          "    ether type ip ip daddr 10.77.0.2 udp dport 9000 accept\n"
          "  }\n"
          "}\n",
          f);
      std::fclose(f);
    }
    g_lab.bridge = run({ip, "netns", "exec", sw, nft, "-f", rules});
  }
  if (!g_lab.bridge)
    std::fprintf(stderr, "veth_forward_bench: no kernel bridge column (needs the bridge module and nft)\n");

  for (int i = 0; i < 3; ++i) {
    std::string path = "/run/netns/" + g_lab.ns[i];
    g_lab.nsFd[i] = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (g_lab.nsFd[i] < 0) die("open " + path + ": " + std::strerror(errno));
  }
  g_lab.txDirect = inNamespace(kTx, [] { return openSender("d0"); });
  g_lab.txSwitch = inNamespace(kTx, [] { return openSender("lan0"); });
  g_lab.rxLearn = inNamespace(kRx, [] { return openSender("lan0"); });
  g_lab.txFlood = inNamespace(kTx, [] { return openSender("fl0"); });
  g_lab.txMove = inNamespace(kTx, [] { return openSender("lan0"); });
  g_lab.txDecoy = inNamespace(kTx, [] { return openSender("dc0"); });
  g_lab.rxDirect = inNamespace(kRx, [] { return openReceiver("d1"); });
  g_lab.rxSwitch = inNamespace(kRx, [] { return openReceiver("lan0"); });
  g_lab.txBridge = inNamespace(kTx, [] { return openSender("b0"); });
  g_lab.rxBridgeLearn = inNamespace(kRx, [] { return openSender("b1"); });
  g_lab.rxBridge = inNamespace(kRx, [] { return openReceiver("b1"); });
  g_lab.txFloor = inNamespace(kTx, [] { return openSender("ff0"); });
  g_lab.rxFloor = inNamespace(kRx, [] { return openReceiver("ff1"); });
  if (g_lab.txBridge < 0 || g_lab.rxBridgeLearn < 0 || g_lab.rxBridge.fd < 0) g_lab.bridge = false;
  if (g_lab.txDirect < 0 || g_lab.txSwitch < 0 || g_lab.rxLearn < 0 || g_lab.txFlood < 0 || g_lab.txMove < 0 ||
      g_lab.txDecoy < 0 || g_lab.rxDirect.fd < 0 || g_lab.rxSwitch.fd < 0 || g_lab.txFloor < 0 || g_lab.rxFloor.fd < 0)
    die(std::string("AF_PACKET sockets in the lab namespaces: ") + std::strerror(errno));

  // portvaktd in the switch namespace, through `ip netns exec` (which also
  // mounts that namespace's /sys) as the e2e tests start it; the I/O floor
  // beside it.
  g_lab.daemon =
      spawnInSwitch({g_lab.daemonPath, "--policy", PORTVAKT_SOURCE_DIR "/bench/veth-bench.yaml", "--socket",
                     g_lab.work + "/api.sock", "--metrics", kMetricsAddress, "--state-dir", g_lab.work + "/state"},
                    g_lab.work + "/daemon.log");
  g_lab.floor = spawnInSwitch({IO_FLOOR_PATH, "fin", "fout"}, g_lab.work + "/io_floor.log");
}

// ------------------------------------------------------------------ frames

uint16_t ipChecksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> makeFrame(size_t len, const uint8_t* dstMac, const uint8_t* srcMac, const uint8_t* srcIp,
                               const uint8_t* dstIp, uint16_t srcPort, uint16_t dstPort, uint8_t tos = 0) {
  std::vector<uint8_t> f(std::max(len, kMinFrame), 0);
  std::memcpy(&f[0], dstMac, 6);
  std::memcpy(&f[6], srcMac, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  uint8_t* ip = &f[14];
  const size_t ipLen = f.size() - 14;
  ip[0] = 0x45;
  ip[1] = tos;
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

// ------------------------------------------------------------------ the flood

// An IPv6 frame from the flooding device: link-local fe80::66 to `dstIp`
// (16 bytes) and `dstMac`, hop limit 255, `next` header with `l4`; padded to 60.
std::vector<uint8_t> ipv6Frame(const uint8_t* dstMac, const uint8_t* dstIp, uint8_t next,
                               const std::vector<uint8_t>& l4) {
  std::vector<uint8_t> f(std::max(14 + 40 + l4.size(), kMinFrame), 0);
  std::memcpy(&f[0], dstMac, 6);
  std::memcpy(&f[6], kFloodMac, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  uint8_t* ip = &f[14];
  ip[0] = 0x60;
  ip[4] = static_cast<uint8_t>(l4.size() >> 8);
  ip[5] = static_cast<uint8_t>(l4.size());
  ip[6] = next;
  ip[7] = 255;
  ip[8] = 0xfe;
  ip[9] = 0x80;
  ip[23] = 0x66;
  std::memcpy(&ip[24], dstIp, 16);
  std::copy(l4.begin(), l4.end(), f.begin() + 14 + 40);
  return f;
}

// What the flooding device sends in turn (its checksums are 0: portvaktd
// judges the headers, and nobody receives these frames).
std::vector<std::vector<uint8_t>> floodFrames() {
  const uint8_t allNodesMac[6] = {0x33, 0x33, 0, 0, 0, 1};
  const uint8_t allNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::vector<uint8_t> ra = {134, 0, 0, 0, 64, 0xc0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0};  // lifetime 1800 s
  const std::vector<uint8_t> dhcpv6Reply = {0x02, 0x23, 0x02, 0x22, 0, 16, 0, 0,       // UDP 547 -> 546, length 16
                                            7,    0x12, 0x34, 0x56,                    // REPLY, transaction id
                                            0,    14,   0,    0};                      // option RAPID_COMMIT
  std::vector<uint8_t> na = {136, 0, 0, 0, 0x20, 0, 0, 0};                             // override flag
  const uint8_t gateway[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};  // veth-bench.yaml's lab gateway
  na.insert(na.end(), gateway, gateway + 16);
  return {ipv6Frame(allNodesMac, allNodes, 58, ra), ipv6Frame(allNodesMac, allNodes, 17, dhcpv6Reply),
          ipv6Frame(allNodesMac, allNodes, 58, na)};
}

struct Flood {
  std::atomic<bool> stop{false};
  uint64_t sent = 0, moves = 0;
  double seconds = 0;
  std::thread thread;
};

double floodRate() {
  const char* env = std::getenv("PORTVAKT_BENCH_FLOOD_FPS");
  return env && *env ? std::atof(env) : 50'000;
}
// PORTVAKT_BENCH_FLOOD_BATCH: flood frames per sendmmsg (default 8), i.e. per
// wake-up of portvaktd at most; PORTVAKT_BENCH_FLOOD_MOVE_EVERY: every Nth
// flood frame is the moving MAC's (default 8). Apart, so that what the
// flood's wake-ups cost portvaktd can be told from what its MAC moves cost.
size_t floodCount(const char* name, size_t fallback) {
  const char* env = std::getenv(name);
  const long v = env && *env ? std::atol(env) : 0;
  return v > 0 ? static_cast<size_t>(v) : fallback;
}
size_t floodBatch() { return floodCount("PORTVAKT_BENCH_FLOOD_BATCH", 8); }
size_t floodMoveEvery() { return floodCount("PORTVAKT_BENCH_FLOOD_MOVE_EVERY", 8); }

// Sends the flood at `rate` frames/s until stopped, in batches (floodBatch,
// default 8): the three first-hop frames in turn, and every floodMoveEvery-th
// frame (default 8) one of the moving MAC, from eth2 and from eth0 by turns
// (so its MAC moves with each). One sendmmsg per batch on eth2, and one send
// on eth0 for every other move. On a 2-core VM
// the flood's sender shares a CPU with the flow's sender and receiver; at
// nice 0 each of its 6250 wake-ups a second preempted the flow's sender,
// which then sent what fell due meanwhile in one burst (and fell short of
// its rate: 574 k of 751 k frames/s in one run), so the flow arrived at
// portvaktd in bursts that a flooding machine elsewhere would not cause. At
// nice 10 it no longer takes the flow's sender off the CPU, and gets its rate
// while that CPU has room (10 of 12 runs; the summary prints flood/s).
// `toSwitch` false: all of it into dc0 instead (the control, see Path).
void startFlood(Flood& flood, double rate, bool toSwitch) {
  flood.thread = std::thread([&flood, rate, toSwitch] {
    const int floodFd = toSwitch ? g_lab.txFlood : g_lab.txDecoy;
    const int moveFd = toSwitch ? g_lab.txMove : g_lab.txDecoy;
    prctl(PR_SET_TIMERSLACK, 1UL);
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
    const std::vector<std::vector<uint8_t>> frames = floodFrames();
    const std::vector<uint8_t> moving = makeFrame(60, kRxSwitchMac, kMovingMac, kSrcIp, kDstIp, kSrcPort, kSrcPort);
    const size_t batch = floodBatch(), moveEvery = floodMoveEvery();
    std::vector<struct iovec> iov(batch);
    std::vector<struct mmsghdr> msgs(batch);
    const double nsPerBatch = 1e9 * static_cast<double>(batch) / rate;
    const int64_t start = monoNs();
    uint64_t index = 0;  // of the flood's frames so far
    bool onEth0 = false;
    for (uint64_t b = 0; !flood.stop.load(std::memory_order_relaxed); ++b) {
      sleepUntil(start + static_cast<int64_t>(static_cast<double>(b) * nsPerBatch));
      size_t n = 0, movesInBatch = 0;
      for (size_t i = 0; i < batch; ++i, ++index) {
        const std::vector<uint8_t>* f = &frames[index % frames.size()];
        if (index % moveEvery == moveEvery - 1) {  // the moving MAC, on the other jack than last time
          onEth0 = !onEth0;
          if (onEth0) {
            if (send(moveFd, moving.data(), moving.size(), 0) > 0) {
              ++flood.sent;
              ++flood.moves;
            }
            continue;
          }
          f = &moving;
          ++movesInBatch;
        }
        iov[n] = {const_cast<uint8_t*>(f->data()), f->size()};
        msgs[n] = {};
        msgs[n].msg_hdr.msg_iov = &iov[n];
        msgs[n].msg_hdr.msg_iovlen = 1;
        ++n;
      }
      const int k = n == 0 ? 0 : sendmmsg(floodFd, msgs.data(), static_cast<unsigned>(n), 0);
      if (k > 0) flood.sent += static_cast<uint64_t>(k);
      if (k == static_cast<int>(n)) flood.moves += movesInBatch;
    }
    flood.seconds = static_cast<double>(monoNs() - start) / 1e9;
  });
}

void stopFlood(Flood& flood) {
  flood.stop = true;
  if (flood.thread.joinable()) flood.thread.join();
}

// ------------------------------------------------------------- send, receive

struct SendResult {
  uint64_t sent = 0;
  uint64_t errors = 0;
  uint64_t syscalls = 0;
  int64_t firstNs = 0, lastNs = 0;
  int64_t cpuNs = 0;  // the sending thread's CPU time (with the kernel work its sends trigger)
};

int64_t threadCpuNs() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CPU time of a process's forwarding thread (pv-forward) and of all its
// other threads, in ns (schedstat: time on CPU, including the softirq work
// run in the thread's own context, e.g. a veth peer's receive path inside
// sendmmsg; this kernel has no IRQ time accounting), and how often the
// forwarding thread went to sleep (its voluntary context switches: one per
// wake-up that found frames, and one per epoll timeout).
struct ThreadCpu {
  int64_t forward = 0, other = 0, forwardSleeps = 0;
};
ThreadCpu processCpuByThread(pid_t pid) {
  ThreadCpu cpu;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return {-1, -1};
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string task = dir + "/" + e->d_name;
    char comm[32] = {};
    if (FILE* f = std::fopen((task + "/comm").c_str(), "r")) {
      if (std::fgets(comm, sizeof comm, f) == nullptr) comm[0] = 0;
      std::fclose(f);
    }
    long long ns = 0;
    if (FILE* f = std::fopen((task + "/schedstat").c_str(), "r")) {
      if (std::fscanf(f, "%lld", &ns) != 1) ns = 0;
      std::fclose(f);
    }
    const bool forwarding = std::strncmp(comm, "pv-forward", 10) == 0;
    (forwarding ? cpu.forward : cpu.other) += ns;
    if (forwarding)
      if (FILE* f = std::fopen((task + "/status").c_str(), "r")) {
        char line[128];
        while (std::fgets(line, sizeof line, f) != nullptr)
          if (std::sscanf(line, "voluntary_ctxt_switches: %lld", &ns) == 1) cpu.forwardSleeps = ns;
        std::fclose(f);
      }
  }
  closedir(d);
  return cpu;
}

// All of a process's threads, in ns; -1 when it cannot be read.
int64_t processCpuNs(pid_t pid) {
  const ThreadCpu cpu = processCpuByThread(pid);
  return cpu.forward < 0 ? -1 : cpu.forward + cpu.other;
}

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
  const int64_t cpuStart = threadCpuNs();
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
        sleepUntil(next);  // never spin: a spinning sender would take the CPU portvaktd needs
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
  r.cpuNs = threadCpuNs() - cpuStart;
  return r;
}

struct RecvResult {
  uint64_t received = 0, dups = 0, stale = 0;
  uint64_t sockDrops = 0;
  int64_t firstNs = 0, lastNs = 0;  // CLOCK_MONOTONIC
  std::vector<int64_t> latencyNs;
  double clockStepUs = 0;  // change of CLOCK_REALTIME - CLOCK_MONOTONIC during the run
};

// CLOCK_REALTIME - CLOCK_MONOTONIC, read as a tight pair (the kernel stamps
// received frames in CLOCK_REALTIME; the sender stamps CLOCK_MONOTONIC).
int64_t realMinusMono() {
  int64_t best = INT64_MAX, offset = 0;
  for (int i = 0; i < 7; ++i) {
    struct timespec a, r, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_REALTIME, &r);
    clock_gettime(CLOCK_MONOTONIC, &b);
    const int64_t an = a.tv_sec * 1'000'000'000LL + a.tv_nsec, bn = b.tv_sec * 1'000'000'000LL + b.tv_nsec;
    if (bn - an < best) {
      best = bn - an;
      offset = r.tv_sec * 1'000'000'000LL + r.tv_nsec - (an + bn) / 2;
    }
  }
  return offset;
}

// Walks the ready blocks; f(frame bytes, snap length, kernel time in ns).
template <typename F>
size_t readBlocks(RxRing& ring, F f) {
  size_t frames = 0;
  for (;;) {
    auto* block = reinterpret_cast<struct tpacket_block_desc*>(ring.map + ring.current * ring.blockSize);
    if ((__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) break;
    const uint32_t n = block->hdr.bh1.num_pkts;
    auto* h =
        reinterpret_cast<struct tpacket3_hdr*>(reinterpret_cast<uint8_t*>(block) + block->hdr.bh1.offset_to_first_pkt);
    for (uint32_t i = 0; i < n; ++i) {
      f(reinterpret_cast<const uint8_t*>(h) + h->tp_mac, h->tp_snaplen,
        static_cast<int64_t>(h->tp_sec) * 1'000'000'000 + h->tp_nsec);
      h = reinterpret_cast<struct tpacket3_hdr*>(reinterpret_cast<uint8_t*>(h) + h->tp_next_offset);
    }
    frames += n;
    __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    ring.current = (ring.current + 1) % ring.blockNr;
  }
  return frames;
}

void drain(RxRing& ring) {
  readBlocks(ring, [](const uint8_t*, uint32_t, int64_t) {});
  struct tpacket_stats_v3 st;
  socklen_t sl = sizeof st;
  (void)getsockopt(ring.fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl);  // reading resets them
}

// Receives until `senderDone` and then either every frame is in or nothing
// came for `quietMs`. Latency: the kernel's receive time of the frame at the
// receiver's socket (CLOCK_REALTIME, taken when the frame is put into the
// ring, i.e. when it reached the receiving host) converted to CLOCK_MONOTONIC,
// minus the send time in the frame.
RecvResult receiveFrames(RxRing& ring, uint32_t run, uint32_t count, const std::atomic<bool>& senderDone, int quietMs) {
  RecvResult r;
  r.latencyNs.reserve(count);
  std::vector<uint8_t> seen(count, 0);
  const uint32_t magic = kMagic ^ run;
  const int64_t offsetBefore = realMinusMono();
  std::vector<int64_t> arrivals;  // realtime, converted after the run
  arrivals.reserve(count);
  std::vector<int64_t> sends;
  sends.reserve(count);
  int64_t lastActivity = monoNs();
  int64_t doneSince = 0;
  for (;;) {
    struct pollfd pfd = {ring.fd, POLLIN, 0};
    (void)poll(&pfd, 1, 10);
    const size_t k = readBlocks(ring, [&](const uint8_t* f, uint32_t snap, int64_t kernelNs) {
      if (snap < kMinFrame) return;
      uint32_t m, seq;
      int64_t sentAt;
      std::memcpy(&m, f + kPayloadOffset, 4);
      std::memcpy(&seq, f + kPayloadOffset + 4, 4);
      std::memcpy(&sentAt, f + kPayloadOffset + 8, 8);
      if (m != magic || seq >= count) {
        ++r.stale;
        return;
      }
      if (seen[seq]) {
        ++r.dups;
        return;
      }
      seen[seq] = 1;
      ++r.received;
      arrivals.push_back(kernelNs);
      sends.push_back(sentAt);
    });
    const int64_t now = monoNs();
    if (k > 0) lastActivity = now;
    if (senderDone.load(std::memory_order_acquire)) {
      if (doneSince == 0) doneSince = now;
      if (r.received >= count) break;
      if (now - std::max(lastActivity, doneSince) > int64_t{quietMs} * 1'000'000) break;
    }
  }
  const int64_t offsetAfter = realMinusMono();
  const int64_t offset = (offsetBefore + offsetAfter) / 2;
  r.clockStepUs = static_cast<double>(offsetAfter - offsetBefore) / 1000.0;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    const int64_t at = arrivals[i] - offset;
    if (i == 0 || at < r.firstNs) r.firstNs = at;
    r.lastNs = std::max(r.lastNs, at);
    r.latencyNs.push_back(at - sends[i]);
  }
  struct tpacket_stats_v3 st = {};
  socklen_t sl = sizeof st;
  if (getsockopt(ring.fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) r.sockDrops = st.tp_drops;
  return r;
}

// --------------------------------------------------------------- the runs

// kDaemonFloodElsewhere: the flow through portvaktd while the flood's thread
// sends the same frames at the same rate into dc0, which does not reach
// portvaktd: the control for kDaemonUnderFlood. On one VM the flood's sender
// shares a CPU with the flow's sender and receiver; against this control,
// what the flow loses under the flood is what portvaktd's handling of the
// flood costs it, not what the flood's sending costs the simulated hosts.
//
// kVoiceDirectUnderBulk: the voice frames over the direct pair while the same
// bulk goes through portvaktd: what the host's kernel and CPUs alone do to
// them under that load (veths share each CPU's input queue), the baseline
// the voice cases' added latency is measured against.
enum class Path {
  kDirect,
  kDaemon,
  kDaemonUnderFlood,
  kDaemonFloodElsewhere,
  kBridge,
  kBridgeNf,
  kIoFloor,
  kVoiceUnderBulk,
  kUnmarkedUnderBulk,
  kVoiceDirectUnderBulk
};
const char* pathName(Path p) {
  switch (p) {
    case Path::kDirect: return "direct";
    case Path::kDaemon: return "portvaktd";
    case Path::kDaemonUnderFlood: return "portvaktd_under_flood";
    case Path::kDaemonFloodElsewhere: return "portvaktd_flood_elsewhere";
    case Path::kBridge: return "bridge_nft";
    case Path::kBridgeNf: return "bridge_nft_brnf";
    case Path::kIoFloor: return "io_floor";
    case Path::kVoiceUnderBulk: return "voice_ef_under_bulk";
    case Path::kUnmarkedUnderBulk: return "unmarked_under_bulk";
    case Path::kVoiceDirectUnderBulk: return "direct_under_bulk";
  }
  return "?";
}
bool isBridge(Path p) { return p == Path::kBridge || p == Path::kBridgeNf; }
bool underBulk(Path p) {
  return p == Path::kVoiceUnderBulk || p == Path::kUnmarkedUnderBulk || p == Path::kVoiceDirectUnderBulk;
}

// The bulk flow of the voice case: a second pinned device on eth2 (fl0)
// sending 60-byte UDP to port 9001 through the same uplink as fast as it can.
struct Bulk {
  std::atomic<bool> stop{false};
  uint64_t sent = 0;
  double seconds = 0;
  std::thread thread;
};

void startBulk(Bulk& bulk) {
  bulk.thread = std::thread([&bulk] {
    const std::vector<uint8_t> f = makeFrame(60, kRxSwitchMac, kBulkMac, kSrcIp, kDstIp, kSrcPort, kBulkPort);
    struct iovec iov[kSendBatch];
    struct mmsghdr msgs[kSendBatch];
    std::memset(msgs, 0, sizeof msgs);
    for (size_t i = 0; i < kSendBatch; ++i) {
      iov[i] = {const_cast<uint8_t*>(f.data()), f.size()};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int64_t start = monoNs();
    while (!bulk.stop.load(std::memory_order_relaxed)) {
      const int k = sendmmsg(g_lab.txFlood, msgs, kSendBatch, 0);
      if (k > 0) bulk.sent += static_cast<uint64_t>(k);
      else std::this_thread::yield();
    }
    bulk.seconds = static_cast<double>(monoNs() - start) / 1e9;
  });
}

void stopBulk(Bulk& bulk) {
  bulk.stop = true;
  if (bulk.thread.joinable()) bulk.thread.join();
}

struct RunResult {
  double txFps = 0, rxFps = 0, lossPct = 0, p50Us = 0, p99Us = 0, maxUs = 0, seconds = 0;
  double senderCpuNsPerFrame = NAN, daemonCpuNsPerFrame = NAN, clockStepUs = 0;
  uint64_t sent = 0, received = 0, dups = 0, sockDrops = 0, sendErrors = 0, syscalls = 0;
  double floodFps = NAN;    // kDaemonUnderFlood: the flood's frames/s
  double daemonLost = NAN;  // frames portvaktd itself dropped of the flow's path (DaemonLosses), of which
  double daemonRingFull = NAN, daemonOverload = NAN, daemonEgressBusy = NAN;
  double bulkFps = NAN;  // under bulk: the bulk sender's frames/s
  double targetFps = 0;  // paced: the rate asked of the sender
  // At max, through a forwarder: a direct run just before this one (pairedMax).
  double pairedDirectRx = NAN, pairedDirectCpuNs = NAN;
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

void learnBridgeReceiver(bool bridgeNetfilter) {
  // The bridge learns the receiver's MAC on bout (before any filter), and
  // bridge netfilter is switched for the run (a per-namespace sysctl).
  run({g_lab.ipPath, "netns", "exec", g_lab.ns[kSw], "sysctl", "-qw",
       std::string("net.bridge.bridge-nf-call-iptables=") + (bridgeNetfilter ? "1" : "0")},
      true);
  std::vector<uint8_t> f = makeFrame(60, kTxBridgeMac, kRxBridgeMac, kDstIp, kSrcIp, kDstPort, kSrcPort);
  stamp(f.data(), 0, 0, 0);
  (void)send(g_lab.rxBridgeLearn, f.data(), f.size(), 0);
}

// What portvaktd itself dropped on the flow's path, from its /metrics
// (portvakt_frames{port,verdict}): frames the sender's jack eth0 lost unread
// (ring_full: its receive ring was full; overload: past the queue budget)
// and frames the uplink eth1 refused (egress_busy). The rest of a run's loss
// happened outside portvaktd (the veths' input queues, the receiver's ring).
// eth0 also carries the flood's moving MAC: an upper bound for the flow.
// The daemon publishes its counters every 500 ms, hence kMetricsSettleMs.
constexpr int kMetricsSettleMs = 600;
struct DaemonLosses {
  double ringFull = NAN, overload = NAN, egressBusy = NAN;
  double total() const { return ringFull + overload + egressBusy; }
};
DaemonLosses scrapeDaemonLosses() {
  // The client's socket is made in the switch namespace, where /metrics listens.
  const std::string text = inNamespace(kSw, [] {
    httplib::Client client("127.0.0.1", kMetricsPort);
    auto res = client.Get("/metrics");
    return res && res->status == 200 ? res->body : std::string();
  });
  DaemonLosses losses;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("portvakt_frames{", 0) != 0) continue;
    auto has = [&](const char* label) { return line.find(label) != std::string::npos; };
    double* field = has("port=\"eth0\"") && has("verdict=\"ring_full\"")     ? &losses.ringFull
                    : has("port=\"eth0\"") && has("verdict=\"overload\"")    ? &losses.overload
                    : has("port=\"eth1\"") && has("verdict=\"egress_busy\"") ? &losses.egressBusy
                                                                             : nullptr;
    if (field != nullptr) *field = std::atof(line.c_str() + line.rfind(' ') + 1);
  }
  return losses;
}

RunResult runOnce(Path path, size_t frameLen, uint32_t count, double rate) {
  const bool direct = path == Path::kDirect || path == Path::kVoiceDirectUnderBulk;
  const bool bridge = isBridge(path);
  const bool floor = path == Path::kIoFloor;
  const bool daemon = !direct && !bridge && !floor;
  const int txFd = direct ? g_lab.txDirect : bridge ? g_lab.txBridge : floor ? g_lab.txFloor : g_lab.txSwitch;
  RxRing& rxRing = direct ? g_lab.rxDirect : bridge ? g_lab.rxBridge : floor ? g_lab.rxFloor : g_lab.rxSwitch;
  const pid_t forwarder = daemon ? g_lab.daemon.load() : floor ? g_lab.floor.load() : -1;
  const uint8_t tos = path == Path::kVoiceUnderBulk ? kTosEf : 0;
  const std::vector<uint8_t> tmpl =
      direct   ? makeFrame(frameLen, kRxDirectMac, kTxDirectMac, kSrcIp, kDstIp, kSrcPort, kDstPort)
      : bridge ? makeFrame(frameLen, kRxBridgeMac, kTxBridgeMac, kSrcIp, kDstIp, kSrcPort, kDstPort)
               : makeFrame(frameLen, kRxSwitchMac, kTxSwitchMac, kSrcIp, kDstIp, kSrcPort, kDstPort, tos);
  if (daemon) learnReceiver();
  if (bridge) learnBridgeReceiver(path == Path::kBridgeNf);
  sleepMs(50);  // let the previous run's stragglers arrive (they are ignored by run id anyway)
  drain(rxRing);
  const uint32_t run = ++g_run;
  std::atomic<bool> senderDone{false};
  RecvResult rr;
  std::thread receiver([&] { rr = receiveFrames(rxRing, run, count, senderDone, 300); });
  DaemonLosses lost0;
  if (daemon) {
    sleepMs(kMetricsSettleMs);
    lost0 = scrapeDaemonLosses();
  }
  const int64_t daemonCpu0 = forwarder < 0 ? 0 : processCpuNs(forwarder);
  SendResult sr = sendFrames(txFd, tmpl, run, count, rate);
  senderDone.store(true, std::memory_order_release);
  receiver.join();
  const int64_t daemonCpu1 = forwarder < 0 ? 0 : processCpuNs(forwarder);
  DaemonLosses lost1;
  if (daemon) {
    sleepMs(kMetricsSettleMs);
    lost1 = scrapeDaemonLosses();
  }

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
  r.lossPct =
      sr.sent ? 100.0 * static_cast<double>(sr.sent - std::min(sr.sent, rr.received)) / static_cast<double>(sr.sent) : 0;
  r.p50Us = percentileUs(rr.latencyNs, 0.50);
  r.p99Us = percentileUs(rr.latencyNs, 0.99);
  r.maxUs = rr.latencyNs.empty()
                ? NAN
                : static_cast<double>(*std::max_element(rr.latencyNs.begin(), rr.latencyNs.end())) / 1000.0;
  r.senderCpuNsPerFrame = sr.sent ? static_cast<double>(sr.cpuNs) / static_cast<double>(sr.sent) : NAN;
  r.daemonCpuNsPerFrame = forwarder >= 0 && rr.received && daemonCpu0 >= 0 && daemonCpu1 >= 0
                              ? static_cast<double>(daemonCpu1 - daemonCpu0) / static_cast<double>(rr.received)
                              : NAN;
  r.clockStepUs = rr.clockStepUs;
  r.daemonLost = lost1.total() - lost0.total();
  r.daemonRingFull = lost1.ringFull - lost0.ringFull;
  r.daemonOverload = lost1.overload - lost0.overload;
  r.daemonEgressBusy = lost1.egressBusy - lost0.egressBusy;
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
  for (Path p : {Path::kDirect, Path::kDaemon, Path::kBridge, Path::kIoFloor}) {
    if (isBridge(p) && !g_lab.bridge) continue;
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

// kPaced80OfDaemon: 80 % of what portvaktd itself forwards at most (its max
// case's rx/s), the load issue 13's "no loss at 80 %" is about; kPaced80 is
// 80 % of the direct pair, which on 2 cores is more than portvaktd carries.
enum class Load { kMax, kPaced80, kPaced80OfDaemon, kIdle, kVoice };
const char* loadName(Load l) {
  switch (l) {
    case Load::kMax: return "max";
    case Load::kPaced80: return "80pct_of_direct";
    case Load::kPaced80OfDaemon: return "80pct_of_portvaktd";
    case Load::kIdle: return "10k_fps";
    case Load::kVoice: return "voice";
  }
  return "?";
}
double voiceRate() {
  const char* env = std::getenv("PORTVAKT_BENCH_VOICE_FPS");
  return env && *env ? std::atof(env) : 2000;
}
constexpr double kVoiceSeconds = 3;
constexpr double kIdleRate = 10'000;
constexpr uint32_t kMaxFrames = 1'000'000;  // ~1-2 s at the veth's rate
constexpr double kPacedSeconds = 1.5;
constexpr uint32_t kIdleFrames = 20'000;  // 2 s at 10 k/s

// The median rx/s of `path`'s max runs of this size, for the paced loads.
double maxRate(std::map<size_t, std::vector<double>>& maxRuns, Path path, size_t size) {
  auto& v = maxRuns[size];
  if (v.empty()) v.push_back(runOnce(path, size - 4, kMaxFrames, 0).rxFps);  // its max case was filtered out
  return median(v);
}
double directMaxRate(size_t size) { return maxRate(g_directMaxRx, Path::kDirect, size); }

// PORTVAKT_BENCH_DAEMON_CPU (see the top): the bench's threads leave that CPU
// to portvaktd. Called before the lab's threads exist, so they inherit it.
void pinHostsAwayFromDaemon() {
  const char* env = std::getenv("PORTVAKT_BENCH_DAEMON_CPU");
  if (!env || !*env) return;
  const int cpu = std::atoi(env);
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpu < 0 || cpu >= cpus || cpus < 2) die("PORTVAKT_BENCH_DAEMON_CPU must name one of 2 or more online CPUs");
  cpu_set_t rest;
  CPU_ZERO(&rest);
  for (int c = 0; c < cpus; ++c)
    if (c != cpu) CPU_SET(c, &rest);
  if (sched_setaffinity(0, sizeof rest, &rest) != 0) die(std::string("sched_setaffinity: ") + std::strerror(errno));
  g_daemonCpu = cpu;
}

std::string caseName(size_t size, Load load, Path path) {
  return std::to_string(size) + "B/" + loadName(load) + "/" + pathName(path);
}

// This VM's speed drifts by ±20 % over tens of seconds (the direct pair's
// max rate moved from 0.96 to 0.79 M frames/s between two pinned runs of
// the same binary minutes apart), and repetitions of one case run one after
// the other. So at max each forwarder's run is paired with a direct run just
// before it, and its share of the direct rate is taken within the pair
// (of_direct_pct; the tables print the median of those), not from medians of
// runs tens of seconds apart.
bool pairedMax(Load load, Path path) {
  return load == Load::kMax && (path == Path::kDaemon || path == Path::kIoFloor || isBridge(path));
}

void BM_Forward(benchmark::State& state, size_t size, Load load, Path path) {
  double rate = 0, reference = NAN;
  uint32_t count = kMaxFrames;
  if (load == Load::kPaced80) {
    rate = 0.8 * directMaxRate(size);
    count = static_cast<uint32_t>(rate * kPacedSeconds);
  } else if (load == Load::kPaced80OfDaemon) {
    // 80 % of what portvaktd forwards at max just now (see pairedMax on this
    // VM's drift): with the median of max runs taken tens of seconds earlier,
    // the VM was at times slower by then and "80 %" was overload.
    reference = runOnce(Path::kDaemon, size - 4, kMaxFrames, 0).rxFps;
    rate = 0.8 * reference;
    count = static_cast<uint32_t>(rate * kPacedSeconds);
  } else if (load == Load::kIdle) {
    rate = kIdleRate;
    count = kIdleFrames;
  } else if (load == Load::kVoice) {
    rate = voiceRate();
    count = static_cast<uint32_t>(rate * kVoiceSeconds);
  }
  RunResult r;
  for (auto _ : state) {
    Bulk bulk;
    if (underBulk(path)) {
      startBulk(bulk);
      sleepMs(300);  // portvaktd is behind before the first voice frame
    }
    Flood flood;
    const bool flooded = path == Path::kDaemonUnderFlood || path == Path::kDaemonFloodElsewhere;
    if (flooded) {
      startFlood(flood, floodRate(), path == Path::kDaemonUnderFlood);
      sleepMs(200);  // the flood's first alerts are raised and held before the flow starts
    }
    RunResult direct;
    if (pairedMax(load, path)) direct = runOnce(Path::kDirect, size - 4, kMaxFrames, 0);
    r = runOnce(path, size - 4, count, rate);
    r.targetFps = rate;
    if (pairedMax(load, path)) {
      r.pairedDirectRx = direct.rxFps;
      r.pairedDirectCpuNs = direct.senderCpuNsPerFrame;
    }
    stopFlood(flood);
    stopBulk(bulk);
    if (underBulk(path)) {
      r.bulkFps = bulk.seconds > 0 ? static_cast<double>(bulk.sent) / bulk.seconds : 0;
      state.counters["bulk_fps"] = r.bulkFps;
    }
    if (flooded) {
      r.floodFps = flood.seconds > 0 ? static_cast<double>(flood.sent) / flood.seconds : 0;
      state.counters["flood_fps"] = r.floodFps;
      state.counters["flood_moves"] = static_cast<double>(flood.moves);
    }
    state.SetIterationTime(std::max(r.seconds, 1e-9));
  }
  if (load == Load::kMax && path == Path::kDirect) g_directMaxRx[size].push_back(r.rxFps);
  g_results[caseName(size, load, path)].push_back(r);
  state.counters["frames"] = static_cast<double>(r.sent);
  state.counters["tx_fps"] = r.txFps;
  state.counters["rx_fps"] = r.rxFps;
  state.counters["loss_pct"] = r.lossPct;
  if (!std::isnan(r.daemonLost)) {
    state.counters["pvd_lost"] = r.daemonLost;
    state.counters["pvd_ring_full"] = r.daemonRingFull;
    state.counters["pvd_overload"] = r.daemonOverload;
    state.counters["pvd_egress_busy"] = r.daemonEgressBusy;
  }
  state.counters["dup"] = static_cast<double>(r.dups);
  state.counters["p50_us"] = r.p50Us;
  state.counters["p99_us"] = r.p99Us;
  state.counters["max_us"] = r.maxUs;
  state.counters["sock_drops"] = static_cast<double>(r.sockDrops);
  if (rate > 0) state.counters["target_fps"] = rate;
  if (!std::isnan(reference)) state.counters["ref_max_fps"] = reference;
  state.counters["sender_cpu_ns"] = r.senderCpuNsPerFrame;
  if (!std::isnan(r.pairedDirectRx)) {
    state.counters["of_direct_pct"] = 100.0 * r.rxFps / r.pairedDirectRx;
    state.counters["direct_cpu_ns"] = r.pairedDirectCpuNs;
  }
  if (path != Path::kDirect && !isBridge(path)) state.counters["daemon_cpu_ns"] = r.daemonCpuNsPerFrame;
  std::string label;
  if (r.sendErrors) label += std::to_string(r.sendErrors) + " frames refused by the kernel; ";
  if (std::fabs(r.clockStepUs) > 20)
    label += "the wall clock moved by " + std::to_string(r.clockStepUs) +
             " us against the monotonic clock: latency off by up to that";
  if (!label.empty()) state.SetLabel(label);
}

// The flood alone (see the top). Other threads: the event pump, alerts, logs;
// pinned, they share the forwarding thread's CPU.
struct FloodAloneResult {
  double floodFps = NAN, forwardNs = NAN, otherNs = NAN, idleForwardPct = NAN, idleOtherPct = NAN;
  double framesPerWakeup = NAN;
};
std::vector<FloodAloneResult> g_floodAlone;
constexpr int kFloodAloneMs = 2000;

void BM_FloodAlone(benchmark::State& state) {
  const pid_t pid = g_lab.daemon.load();
  FloodAloneResult r;
  for (auto _ : state) {
    const ThreadCpu idle0 = processCpuByThread(pid);
    const int64_t idleStart = monoNs();
    sleepMs(kFloodAloneMs);
    const ThreadCpu idle1 = processCpuByThread(pid);
    const double idleSeconds = static_cast<double>(monoNs() - idleStart) / 1e9;
    Flood flood;
    const ThreadCpu flood0 = processCpuByThread(pid);
    startFlood(flood, floodRate(), true);
    sleepMs(kFloodAloneMs);
    stopFlood(flood);
    sleepMs(20);  // what is still in portvaktd's rings is read
    const ThreadCpu flood1 = processCpuByThread(pid);
    const double floodSeconds = flood.seconds + 0.02;
    if (idle0.forward < 0 || idle1.forward < 0 || flood0.forward < 0 || flood1.forward < 0 || flood.sent == 0 ||
        idleSeconds <= 0) {
      state.SkipWithError("portvaktd's threads could not be read, or the flood sent nothing");
      return;  // nothing for the summary
    }
    const double idleForwardPerS = static_cast<double>(idle1.forward - idle0.forward) / idleSeconds;
    const double idleOtherPerS = static_cast<double>(idle1.other - idle0.other) / idleSeconds;
    const double sent = static_cast<double>(flood.sent);
    r.floodFps = sent / flood.seconds;
    r.forwardNs = (static_cast<double>(flood1.forward - flood0.forward) - idleForwardPerS * floodSeconds) / sent;
    r.otherNs = (static_cast<double>(flood1.other - flood0.other) - idleOtherPerS * floodSeconds) / sent;
    const double idleSleepsPerS = static_cast<double>(idle1.forwardSleeps - idle0.forwardSleeps) / idleSeconds;
    const double wakeups =
        static_cast<double>(flood1.forwardSleeps - flood0.forwardSleeps) - idleSleepsPerS * floodSeconds;
    r.framesPerWakeup = wakeups > 0 ? sent / wakeups : NAN;
    r.idleForwardPct = idleForwardPerS / 1e7;
    r.idleOtherPct = idleOtherPerS / 1e7;
    state.SetIterationTime(flood.seconds);
  }
  g_floodAlone.push_back(r);
  state.counters["flood_fps"] = r.floodFps;
  state.counters["forward_cpu_ns"] = r.forwardNs;
  state.counters["other_cpu_ns"] = r.otherNs;
  state.counters["idle_forward_pct"] = r.idleForwardPct;
  state.counters["frames_per_wakeup"] = r.framesPerWakeup;
  state.counters["idle_other_pct"] = r.idleOtherPct;
}

// The median of `field` over the runs of one case; NAN when it did not run.
double medianOf(size_t size, Load load, Path path, double RunResult::*field) {
  auto it = g_results.find(caseName(size, load, path));
  if (it == g_results.end()) return NAN;
  std::vector<double> v;
  for (const RunResult& r : it->second) v.push_back(r.*field);
  return median(v);
}

// `path`'s rx/s as a share of the direct pair's (%): the median of its runs'
// shares within their pairs (pairedMax), else of the medians.
double shareOfDirect(size_t size, Load load, Path path) {
  auto it = g_results.find(caseName(size, load, path));
  if (it == g_results.end()) return NAN;
  std::vector<double> paired;
  for (const RunResult& r : it->second)
    if (!std::isnan(r.pairedDirectRx) && r.pairedDirectRx > 0) paired.push_back(100.0 * r.rxFps / r.pairedDirectRx);
  if (!paired.empty()) return median(paired);
  return 100.0 * medianOf(size, load, path, &RunResult::rxFps) / medianOf(size, load, Path::kDirect, &RunResult::rxFps);
}

void printSummary() {
  if (g_daemonCpu >= 0)
    std::printf("\nportvaktd pinned to CPU %d, the bench's hosts to the other CPUs (PORTVAKT_BENCH_DAEMON_CPU)\n",
                g_daemonCpu);
  size_t reps = 0;
  for (const auto& [name, runs] : g_results) reps = std::max(reps, runs.size());
  std::printf("\nForwarding through portvaktd vs direct veth (each cell: median of %zu run%s)\n", reps,
              reps == 1 ? "" : "s");
  std::printf("%-5s %-15s | %-42s | %-50s | %-6s %-15s\n", "frame", "load", "direct veth", "through portvaktd", "rx",
              "added latency");
  std::printf("%-5s %-15s | %8s %6s %6s %7s %9s | %8s %8s %6s %6s %7s %9s | %6s %7s %7s\n", "", "", "rx/s", "loss%",
              "p50us", "p99us", "sndCPUns", "tx/s", "rx/s", "loss%", "p50us", "p99us", "pvdCPUns", "ratio", "p50us",
              "p99us");
  for (size_t size : {size_t{64}, size_t{512}}) {
    for (Load load : {Load::kMax, Load::kPaced80, Load::kPaced80OfDaemon, Load::kIdle}) {
      if (!g_results.count(caseName(size, load, Path::kDirect)) && !g_results.count(caseName(size, load, Path::kDaemon)))
        continue;
      auto d = [&](double RunResult::*field) { return medianOf(size, load, Path::kDirect, field); };
      auto p = [&](double RunResult::*field) { return medianOf(size, load, Path::kDaemon, field); };
      const double drx = d(&RunResult::rxFps), dl = d(&RunResult::lossPct), d50 = d(&RunResult::p50Us),
                   d99 = d(&RunResult::p99Us), dcpu = d(&RunResult::senderCpuNsPerFrame);
      const double ptx = p(&RunResult::txFps), prx = p(&RunResult::rxFps), pl = p(&RunResult::lossPct),
                   p50 = p(&RunResult::p50Us), p99 = p(&RunResult::p99Us), pcpu = p(&RunResult::daemonCpuNsPerFrame);
      std::printf(
          "%-5s %-15s | %8.0f %6.2f %6.1f %7.1f %9.0f | %8.0f %8.0f %6.2f %6.1f %7.1f %9.0f | %5.1f%% %7.1f %7.1f\n",
          (std::to_string(size) + "B").c_str(), loadName(load), drx, dl, d50, d99, dcpu, ptx, prx, pl, p50, p99, pcpu,
          shareOfDirect(size, load, Path::kDaemon), p50 - d50, p99 - d99);
    }
  }
  std::printf(
      "rx/s: frames received per second (first send to last receive); loss%%: of the frames sent; latency: one-way,\n"
      "from the sendmmsg call to the frame's arrival in the receiver's ring (kernel time); added = portvaktd - direct;\n"
      "ratio: portvaktd's rx/s over the direct pair's (at max: the median of each run's share of a direct run just\n"
      "before it);\n"
      "sndCPUns: the direct sender's CPU ns per frame sent; pvdCPUns: portvaktd's CPU ns per frame forwarded (all its\n"
      "threads, with the kernel work its sends trigger: both include the veth peer's receive path).\n");
  // The user's alternative in the same run: the kernel bridge with an nft
  // bridge-family rule set (issue 18).
  bool bridgeHeader = false;
  for (size_t size : {size_t{64}, size_t{512}}) {
    for (Load load : {Load::kMax, Load::kPaced80, Load::kIdle}) {
      auto cell = [&](Path path, double RunResult::*field) { return medianOf(size, load, path, field); };
      const double d99 = cell(Path::kDirect, &RunResult::p99Us);
      const double prx = cell(Path::kDaemon, &RunResult::rxFps), p99 = cell(Path::kDaemon, &RunResult::p99Us);
      const double brx = cell(Path::kBridge, &RunResult::rxFps), b99 = cell(Path::kBridge, &RunResult::p99Us);
      const double nrx = cell(Path::kBridgeNf, &RunResult::rxFps), n99 = cell(Path::kBridgeNf, &RunResult::p99Us);
      if (std::isnan(brx) && std::isnan(nrx)) continue;
      if (!bridgeHeader) {
        std::printf("\nThe same flow through the kernel bridge with an nft bridge-family rule set (issue 18)\n");
        std::printf("%-5s %-15s | %-27s | %-27s | %-27s | %-8s\n", "frame", "load", "portvaktd", "bridge+nft (br_nf off)",
                    "bridge+nft (br_nf on)", "pvd/");
        std::printf("%-5s %-15s | %8s %6s %11s | %8s %6s %11s | %8s %6s %11s | %8s\n", "", "", "rx/s", "ratio",
                    "p99 added", "rx/s", "ratio", "p99 added", "rx/s", "ratio", "p99 added", "bridge");
        bridgeHeader = true;
      }
      std::printf("%-5s %-15s | %8.0f %5.1f%% %11.1f | %8.0f %5.1f%% %11.1f | %8.0f %5.1f%% %11.1f | %7.1f%%\n",
                  (std::to_string(size) + "B").c_str(), loadName(load), prx, shareOfDirect(size, load, Path::kDaemon),
                  p99 - d99, brx, shareOfDirect(size, load, Path::kBridge), b99 - d99, nrx,
                  shareOfDirect(size, load, Path::kBridgeNf), n99 - d99,
                  100.0 * shareOfDirect(size, load, Path::kDaemon) / shareOfDirect(size, load, Path::kBridge));
    }
  }
  if (bridgeHeader) {
    std::printf(
        "ratio: of the direct pair's rx/s (at max: the median of each run's share of a direct run just before it);\n"
        "p99 added: minus the direct pair's p99 (us); pvd/bridge: portvaktd's ratio over the bridge's (br_nf off).\n"
        "Issue 18 asks for portvaktd >= 85 %% of direct at 64 B and never below the bridge.\n");
  }
  // The I/O floor (issue 18): the same receive and send with no decision, so
  // that portvaktd's rate is seen against what its I/O alone allows here.
  bool floorHeader = false;
  for (size_t size : {size_t{64}, size_t{512}}) {
    auto cell = [&](Path path, double RunResult::*field) { return medianOf(size, Load::kMax, path, field); };
    const double frx = cell(Path::kIoFloor, &RunResult::rxFps);
    if (std::isnan(frx)) continue;
    if (!floorHeader) {
      std::printf("\nThe I/O floor: the same receive ring, batched send and loop with no decision (issue 18)\n");
      std::printf("%-5s %-5s | %-18s | %-25s | %-25s | %-9s\n", "frame", "load", "direct veth", "I/O floor", "portvaktd",
                  "pvd/floor");
      std::printf("%-5s %-5s | %8s %9s | %8s %6s %9s | %8s %6s %9s | %9s\n", "", "", "rx/s", "sndCPUns", "rx/s", "ratio",
                  "CPUns", "rx/s", "ratio", "CPUns", "ratio");
      floorHeader = true;
    }
    // The direct runs paired with the floor's and portvaktd's (their ratios'
    // reference), else the direct max case.
    std::vector<double> pairedRx, pairedCpu;
    for (Path path : {Path::kIoFloor, Path::kDaemon}) {
      auto it = g_results.find(caseName(size, Load::kMax, path));
      if (it == g_results.end()) continue;
      for (const RunResult& r : it->second) {
        if (std::isnan(r.pairedDirectRx)) continue;
        pairedRx.push_back(r.pairedDirectRx);
        pairedCpu.push_back(r.pairedDirectCpuNs);
      }
    }
    const double drx = pairedRx.empty() ? cell(Path::kDirect, &RunResult::rxFps) : median(pairedRx);
    const double dcpu = pairedCpu.empty() ? cell(Path::kDirect, &RunResult::senderCpuNsPerFrame) : median(pairedCpu);
    const double fcpu = cell(Path::kIoFloor, &RunResult::daemonCpuNsPerFrame);
    const double prx = cell(Path::kDaemon, &RunResult::rxFps),
                 pcpu = cell(Path::kDaemon, &RunResult::daemonCpuNsPerFrame);
    std::printf("%-5s %-5s | %8.0f %9.0f | %8.0f %5.1f%% %9.0f | %8.0f %5.1f%% %9.0f | %8.1f%%\n",
                (std::to_string(size) + "B").c_str(), "max", drx, dcpu, frx,
                shareOfDirect(size, Load::kMax, Path::kIoFloor), fcpu, prx,
                shareOfDirect(size, Load::kMax, Path::kDaemon), pcpu,
                100.0 * shareOfDirect(size, Load::kMax, Path::kDaemon) / shareOfDirect(size, Load::kMax, Path::kIoFloor));
  }
  if (floorHeader) {
    std::printf(
        "direct veth: the direct runs paired with the forwarders' (medians); ratio: the median of each run's share\n"
        "of the direct run just before it; CPUns: the forwarder's CPU per frame forwarded (all its threads, with\n"
        "the veth peer's receive path its sends trigger). What portvaktd spends above the floor is its decision;\n"
        "what the floor spends above the direct sender is a second receive, wake-up and send.\n");
  }
  auto voice = g_results.find(caseName(64, Load::kVoice, Path::kVoiceUnderBulk));
  auto unmarked = g_results.find(caseName(64, Load::kVoice, Path::kUnmarkedUnderBulk));
  auto voiceDirect = g_results.find(caseName(64, Load::kVoice, Path::kVoiceDirectUnderBulk));
  if (voice != g_results.end() || unmarked != g_results.end()) {
    std::printf(
        "\nVoice under bulk: %.0f frames/s from the sender's jack while a second device on eth2 sends bulk to the\n"
        "same uplink as fast as it can (issue 18)\n",
        voiceRate());
    std::printf("%-22s | %8s %8s %7s %8s %8s %8s | %9s | %9s %9s\n", "frames", "sent", "rx", "loss%", "p50us", "p99us",
                "maxus", "bulk/s", "added p50", "added p99");
    double directP50 = NAN, directP99 = NAN;
    if (voiceDirect != g_results.end()) {
      std::vector<double> p50, p99;
      for (const RunResult& r : voiceDirect->second) {
        p50.push_back(r.p50Us);
        p99.push_back(r.p99Us);
      }
      directP50 = median(p50);
      directP99 = median(p99);
    }
    for (auto it : {voiceDirect, voice, unmarked}) {
      if (it == g_results.end()) continue;
      std::vector<double> sent, rx, loss, p50, p99, mx, bulk;
      for (const RunResult& r : it->second) {
        sent.push_back(static_cast<double>(r.sent));
        rx.push_back(static_cast<double>(r.received));
        loss.push_back(r.lossPct);
        p50.push_back(r.p50Us);
        p99.push_back(r.p99Us);
        mx.push_back(r.maxUs);
        bulk.push_back(r.bulkFps);
      }
      const char* what = it == voice      ? "DSCP EF (priority)"
                         : it == unmarked ? "unmarked (bulk)"
                                          : "direct pair (baseline)";
      const double addedP50 = it == voiceDirect ? NAN : median(p50) - directP50;
      const double addedP99 = it == voiceDirect ? NAN : median(p99) - directP99;
      std::printf("%-22s | %8.0f %8.0f %7.2f %8.1f %8.1f %8.1f | %9.0f | %9.1f %9.1f\n", what, median(sent), median(rx),
                  median(loss), median(p50), median(p99), median(mx), median(bulk), addedP50, addedP99);
    }
    std::printf(
        "Zone lab is `priority: dscp` (bench/veth-bench.yaml): EF frames go first when portvaktd is behind.\n"
        "Baseline: the same voice frames over the direct veth pair while the same bulk goes through portvaktd;\n"
        "added = minus its median. Issue 18 asks for no loss and an added p99 < 1 ms for voice.\n");
  }
  bool header = false;
  for (size_t size : {size_t{64}, size_t{512}})
    for (Load load : {Load::kPaced80, Load::kPaced80OfDaemon}) {
      auto base = g_results.find(caseName(size, load, Path::kDaemon));
      auto control = g_results.find(caseName(size, load, Path::kDaemonFloodElsewhere));
      auto flooded = g_results.find(caseName(size, load, Path::kDaemonUnderFlood));
      if (base == g_results.end() || flooded == g_results.end()) continue;
      auto med = [](const std::vector<RunResult>& runs, double RunResult::*field) {
        std::vector<double> v;
        for (const RunResult& r : runs) v.push_back(r.*field);
        return median(v);
      };
      const bool haveControl = control != g_results.end();
      auto controlMed = [&](double RunResult::*field) { return haveControl ? med(control->second, field) : NAN; };
      if (!header) {
        std::printf("\nThe legitimate flow at 80 %% load, with a flood on another access port (issue 13)\n");
        std::printf("%-5s %-18s | %-15s | %-31s | %-57s | %-13s\n", "frame", "load", "no flood",
                    "flood elsewhere (control)", "under the flood", "flow kept");
        std::printf("%-5s %-18s | %6s %8s | %8s %8s %6s %6s | %8s %8s %6s %6s %7s %7s %8s | %6s %6s\n", "", "", "loss%",
                    "rx/s", "tx/s", "rx/s", "loss%", "pvd", "tx/s", "rx/s", "loss%", "pvd", "p50us", "p99us", "flood/s",
                    "ctl", "none");
        header = true;
      }
      // Each paced run has its own target (80pct_of_portvaktd: 80 % of a max
      // run just before it), so what a run kept is its rx/s over its target.
      auto share = [](const std::vector<RunResult>& runs) {
        std::vector<double> v;
        for (const RunResult& r : runs) v.push_back(r.targetFps > 0 ? r.rxFps / r.targetFps : NAN);
        return median(v);
      };
      const double nrx = med(base->second, &RunResult::rxFps), crx = controlMed(&RunResult::rxFps);
      const double frx = med(flooded->second, &RunResult::rxFps);
      const double nshare = share(base->second), cshare = haveControl ? share(control->second) : NAN;
      const double fshare = share(flooded->second);
      std::printf(
          "%-5s %-18s | %6.2f %8.0f | %8.0f %8.0f %6.2f %6.0f | %8.0f %8.0f %6.2f %6.0f %7.1f %7.1f %8.0f | %5.1f%% "
          "%5.1f%%\n",
          (std::to_string(size) + "B").c_str(), loadName(load), med(base->second, &RunResult::lossPct), nrx,
          controlMed(&RunResult::txFps), crx, controlMed(&RunResult::lossPct), controlMed(&RunResult::daemonLost),
          med(flooded->second, &RunResult::txFps), frx, med(flooded->second, &RunResult::lossPct),
          med(flooded->second, &RunResult::daemonLost), med(flooded->second, &RunResult::p50Us),
          med(flooded->second, &RunResult::p99Us), med(flooded->second, &RunResult::floodFps), 100.0 * fshare / cshare,
          100.0 * fshare / nshare);
    }
  if (header) {
    std::printf(
        "flood: router advertisements, DHCPv6 replies and neighbour advertisements claiming the gateway from eth2,\n"
        "and one MAC moving between eth2 and the sender's eth0 every %zu frames, in batches of %zu. flood elsewhere:\n"
        "the same flood from the same thread into a veth that does not reach portvaktd (on one VM the flood's\n"
        "sender shares a CPU with the flow's sender and receiver: this is what that alone costs the flow). kept: the\n"
        "share of its target rate the flow got under the flood (rx/s over target) over the control's (ctl) and no\n"
        "flood's (none). pvd: frames portvaktd itself dropped on the flow's path (eth0 ring_full and overload, eth1\n"
        "egress_busy, from its /metrics; the rest of loss%% was lost outside it). Issue 13 asks for the flow to keep\n"
        ">= 95 %% of its rate with no loss at 80 %% load (80pct_of_portvaktd: of portvaktd's rx/s in a max run just\n"
        "before each run).\n",
        floodMoveEvery(), floodBatch());
  }
  if (!g_floodAlone.empty()) {
    std::vector<double> fps, fwd, other, idleFwd, idleOther, perWakeup;
    for (const FloodAloneResult& r : g_floodAlone) {
      fps.push_back(r.floodFps);
      fwd.push_back(r.forwardNs);
      other.push_back(r.otherNs);
      idleFwd.push_back(r.idleForwardPct);
      idleOther.push_back(r.idleOtherPct);
      perWakeup.push_back(r.framesPerWakeup);
    }
    std::printf("\nThe flood alone, no flow (median of %zu run%s): portvaktd's CPU per flood frame (issue 13)\n",
                g_floodAlone.size(), g_floodAlone.size() == 1 ? "" : "s");
    std::printf("%9s %7s | %12s %12s | %14s %14s\n", "flood/s", "/wakeup", "pv-forward", "other", "idle pv-fwd",
                "idle other");
    std::printf("%9.0f %7.1f | %10.0f ns %10.0f ns | %12.2f %% %12.2f %%\n", median(fps), median(perWakeup), median(fwd),
                median(other), median(idleFwd), median(idleOther));
    std::printf(
        "ns per flood frame, each thread's CPU during %d ms of the flood less its idle rate over as long just\n"
        "before; idle: that rate, in %% of a CPU. other: all of portvaktd's threads but pv-forward (event pump,\n"
        "alerts, logs, API). /wakeup: flood frames per wake-up of pv-forward (its voluntary context switches,\n"
        "less its idle rate). The flood: PORTVAKT_BENCH_FLOOD_FPS, _BATCH, _MOVE_EVERY (see the flood table).\n",
        kFloodAloneMs);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (geteuid() != 0) {
    std::printf(
        "skip: portvakt_veth_forward_bench needs root (network namespaces, veth pairs, AF_PACKET); "
        "nothing was measured\n");
    return 0;
  }
  pinHostsAwayFromDaemon();
  setupLab();
  waitUntilForwarding();
  for (size_t size : {size_t{64}, size_t{512}}) {
    for (Load load : {Load::kMax, Load::kPaced80, Load::kPaced80OfDaemon, Load::kIdle}) {
      for (Path path : {Path::kDirect, Path::kDaemon, Path::kBridge, Path::kBridgeNf, Path::kIoFloor,
                        Path::kDaemonFloodElsewhere, Path::kDaemonUnderFlood}) {
        const bool paced80 = load == Load::kPaced80 || load == Load::kPaced80OfDaemon;
        const bool flood = path == Path::kDaemonUnderFlood || path == Path::kDaemonFloodElsewhere;
        if (flood && !paced80) continue;
        if (load == Load::kPaced80OfDaemon && path != Path::kDaemon && !flood) continue;
        if (isBridge(path) && !g_lab.bridge) continue;
        if (path == Path::kIoFloor && load != Load::kMax) continue;
        benchmark::RegisterBenchmark(caseName(size, load, path).c_str(), BM_Forward, size, load, path)
            ->Iterations(1)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  benchmark::RegisterBenchmark("flood/alone/portvaktd", BM_FloodAlone)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  for (Path path : {Path::kVoiceDirectUnderBulk, Path::kVoiceUnderBulk, Path::kUnmarkedUnderBulk}) {
    benchmark::RegisterBenchmark(caseName(64, Load::kVoice, path).c_str(), BM_Forward, size_t{64}, Load::kVoice, path)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  printSummary();
  benchmark::Shutdown();
  cleanupLab();
  return 0;
}
