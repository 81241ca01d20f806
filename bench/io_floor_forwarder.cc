// The I/O floor: every frame from one interface to another through the same
// receive ring and batched send portvaktd forwards with (io::LivePort's
// readBurst, io::PacketSocketSink), the same loop shape (one epoll wait, one
// burst of at most 256 frames, one flush) and the same nice -10, but no
// decision at all: no switch, no profiler, no classifier. Its rate is the
// most portvaktd could forward on this machine with this I/O; the veth bench
// prints it beside portvaktd's and the direct pair's (issue 18).
//
//   io_floor_forwarder IN OUT     (root or CAP_NET_RAW; runs until SIGTERM/SIGINT)
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>

#include "dataplane/io/live_port.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  using namespace portvakt;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
    return 2;
  }
  auto in = io::LivePort::open(argv[1], 0);
  if (!in) {
    std::fprintf(stderr, "io_floor_forwarder: %s\n", in.error().message.c_str());
    return 1;
  }
  auto out = io::PacketSocketSink::open(argv[2]);
  if (!out) {
    std::fprintf(stderr, "io_floor_forwarder: %s\n", out.error().message.c_str());
    return 1;
  }
  // portvaktd's forwarding thread runs at nice -10 (--forwarding-nice).
  if (setpriority(PRIO_PROCESS, 0, -10) != 0) std::perror("io_floor_forwarder: setpriority");
  struct sigaction sa = {};
  sa.sa_handler = onSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, in.value()->selectableFd(), &ev) != 0) {
    std::perror("io_floor_forwarder: epoll");
    return 1;
  }
  io::PacketSocketSink* sink = out.value().get();
  uint64_t forwarded = 0;
  while (!g_stop) {
    struct epoll_event ready;
    const int n = epoll_wait(ep, &ready, 1, 100);
    if (n <= 0) continue;
    size_t count = 0;
    const io::ReadStatus st = in.value()->readBurst(
        256, [](void* s, const io::Frame& frame) { (void)static_cast<io::PacketSocketSink*>(s)->send(frame); }, sink,
        count);
    if (st == io::ReadStatus::kError) {
      std::fprintf(stderr, "io_floor_forwarder: %s\n", std::string(in.value()->error()).c_str());
      return 1;
    }
    (void)sink->flush();
    forwarded += count;
  }
  std::fprintf(stderr, "io_floor_forwarder: %llu frames forwarded, %llu dropped on send\n",
               static_cast<unsigned long long>(forwarded), static_cast<unsigned long long>(sink->stats().dropped));
  return 0;
}
