// Which send is cheaper per frame on this kernel: sendmmsg (64 frames a call,
// as io::PacketSocketSink sends) or an AF_PACKET TX ring (PACKET_TX_RING,
// TPACKET_V2, 64 frames per send() that flushes the ring)? Both with
// PACKET_QDISC_BYPASS, into one interface, CPU per frame of the sending
// thread (which on a veth includes the peer's receive path). Issue 18: the
// send path is most of portvaktd's CPU per forwarded frame.
//
//   ip netns add txprobe && ip -n txprobe link add pa type veth peer name pb
//   ip -n txprobe link set pa up && ip -n txprobe link set pb up
//   ip netns exec txprobe taskset -c 1 build/bench/portvakt_tx_ring_probe pa [frame bytes, default 60]
//   ip netns del txprobe
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {
constexpr int kFrames = 2'000'000;
constexpr unsigned kBatch = 64;
constexpr unsigned kSlot = 2048, kSlots = 1024;

double threadCpuNs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

int openSocket() {
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0) return -1;
  return fd;
}

bool bindTo(int fd, const char* ifname) {
  sockaddr_ll a = {};
  a.sll_family = AF_PACKET;
  a.sll_ifindex = static_cast<int>(if_nametoindex(ifname));
  return a.sll_ifindex != 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

// A 60-byte-or-more IPv4 frame to a MAC nobody owns: the peer drops it early.
std::vector<uint8_t> frame(size_t len) {
  std::vector<uint8_t> f(len, 0);
  std::memset(f.data(), 0x02, 12);
  f[12] = 0x08;
  f[14] = 0x45;
  return f;
}

double viaSendmmsg(const char* ifname, const std::vector<uint8_t>& f) {
  const int fd = openSocket();
  if (fd < 0 || !bindTo(fd, ifname)) return -1;
  std::vector<uint8_t> buffer(kBatch * kSlot);
  std::vector<iovec> iov(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  for (unsigned i = 0; i < kBatch; ++i) {
    iov[i] = {&buffer[i * kSlot], f.size()};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  const double t0 = threadCpuNs();
  for (int n = 0; n < kFrames; n += kBatch) {
    for (unsigned i = 0; i < kBatch; ++i) std::memcpy(&buffer[i * kSlot], f.data(), f.size());  // as the sink copies
    if (sendmmsg(fd, msgs.data(), kBatch, MSG_DONTWAIT) != static_cast<int>(kBatch)) return -1;
  }
  const double t1 = threadCpuNs();
  close(fd);
  return (t1 - t0) / kFrames;
}

double viaTxRing(const char* ifname, const std::vector<uint8_t>& f) {
  const int fd = openSocket();
  const int v2 = TPACKET_V2, one = 1;
  tpacket_req req = {};
  req.tp_block_size = 64 * 1024;
  req.tp_frame_size = kSlot;
  req.tp_block_nr = kSlots * kSlot / req.tp_block_size;
  req.tp_frame_nr = kSlots;
  if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v2, sizeof v2) != 0 ||
      setsockopt(fd, SOL_PACKET, PACKET_LOSS, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) != 0)
    return -1;
  void* map = mmap(nullptr, kSlots * kSlot, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED || !bindTo(fd, ifname)) return -1;
  auto* ring = static_cast<uint8_t*>(map);
  unsigned next = 0;
  const double t0 = threadCpuNs();
  for (int n = 0; n < kFrames; n += kBatch) {
    for (unsigned i = 0; i < kBatch; ++i, next = (next + 1) % kSlots) {
      auto* h = reinterpret_cast<tpacket2_hdr*>(ring + static_cast<size_t>(next) * kSlot);
      if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) return -1;
      std::memcpy(reinterpret_cast<uint8_t*>(h) + TPACKET_ALIGN(sizeof(tpacket2_hdr)), f.data(), f.size());
      h->tp_len = static_cast<unsigned>(f.size());
      __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    }
    if (send(fd, nullptr, 0, MSG_DONTWAIT) < 0) return -1;
  }
  const double t1 = threadCpuNs();
  munmap(map, kSlots * kSlot);
  close(fd);
  return (t1 - t0) / kFrames;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s IFNAME [frame bytes]\n", argv[0]);
    return 2;
  }
  const size_t len = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 60;
  if (len < 60 || len > kSlot - 64) {
    std::fprintf(stderr, "frame bytes: 60 to %u\n", kSlot - 64);
    return 2;
  }
  const std::vector<uint8_t> f = frame(len);
  // Alternating, three times each: the machine's speed drifts between runs.
  for (int round = 1; round <= 3; ++round) {
    const double mmsg = viaSendmmsg(argv[1], f), ring = viaTxRing(argv[1], f);
    if (mmsg < 0 || ring < 0) {
      std::perror("tx_ring_probe");
      return 1;
    }
    std::printf("round %d, %zu-byte frames: sendmmsg %.0f ns/frame, TX ring %.0f ns/frame (%+.0f %%)\n", round, len, mmsg,
                ring, 100.0 * (ring - mmsg) / mmsg);
  }
  return 0;
}
