#include "dataplane/io/live_port.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace portvakt::io {
namespace {

std::string portError(const std::string& interface, const std::string& what) {
  return "live port " + interface + ": " + what;
}

std::string errnoText(int e) { return std::strerror(e); }

}  // namespace

int LivePortOptions::ringBytes() const {
  if (bufferBytes > 0) return bufferBytes;
  // A TPACKET_V2 slot: the snapped frame after libpcap's header and alignment.
  const int64_t slot = (int64_t{snaplen} + 96 + 15) & ~int64_t{15};
  const int64_t frames = ringTimeNs * lineRateFps / 1'000'000'000;
  const int64_t bytes = slot * (frames < 64 ? 64 : frames);
  return bytes > (1 << 30) ? (1 << 30) : static_cast<int>(bytes);
}

Result<std::unique_ptr<LivePort>> LivePort::open(const std::string& interface, uint16_t port,
                                                 const LivePortOptions& options) {
  char err[PCAP_ERRBUF_SIZE] = {};
  if (interface.empty() || interface.size() >= IFNAMSIZ)
    return dataplane::Error{portError(interface, "invalid interface name")};
  pcap_t* p = pcap_create(interface.c_str(), err);
  if (p == nullptr) return dataplane::Error{portError(interface, err)};
  auto fail = [&](const std::string& what) {
    pcap_close(p);
    return dataplane::Error{portError(interface, what)};
  };
  if (pcap_set_snaplen(p, options.snaplen) != 0 || pcap_set_promisc(p, options.promiscuous ? 1 : 0) != 0 ||
      pcap_set_immediate_mode(p, 1) != 0 || pcap_set_buffer_size(p, options.ringBytes()) != 0 ||
      pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0)
    return fail("cannot set capture options");
  std::string warning;
  int rc = pcap_activate(p);
  if (rc < 0) {
    std::string detail = pcap_geterr(p);
    switch (rc) {
      case PCAP_ERROR_NO_SUCH_DEVICE: return fail("no such interface" + (detail.empty() ? "" : " (" + detail + ")"));
      case PCAP_ERROR_PERM_DENIED: return fail("permission denied (needs CAP_NET_RAW): " + detail);
      case PCAP_ERROR_IFACE_NOT_UP: return fail("interface is down");
      default: return fail(std::string(pcap_statustostr(rc)) + (detail.empty() ? "" : ": " + detail));
    }
  }
  if (rc > 0) warning = std::string(pcap_statustostr(rc)) + ": " + pcap_geterr(p);
  if (pcap_datalink(p) != DLT_EN10MB)
    return fail("not an Ethernet interface (link type " + std::to_string(pcap_datalink(p)) + ")");
  if (options.inboundOnly && pcap_setdirection(p, PCAP_D_IN) != 0)
    return fail(std::string("cannot capture inbound only: ") + pcap_geterr(p));
  if (pcap_setnonblock(p, 1, err) != 0) return fail(std::string("cannot set non-blocking: ") + err);
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) return fail("no selectable file descriptor");
  std::unique_ptr<LivePort> live(new LivePort(p, interface, port, fd));
  live->warning_ = std::move(warning);
  return live;
}

LivePort::~LivePort() {
  if (handle_ != nullptr) pcap_close(handle_);
}

ReadStatus LivePort::next(Frame& out) {
  struct pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &header, &data);
  if (rc == 1) {
    out.bytes = std::span<const uint8_t>(data, header->caplen);
    out.wireLength = header->len;
    out.timestampNs = static_cast<int64_t>(header->ts.tv_sec) * 1'000'000'000 + header->ts.tv_usec;
    out.port = port_;
    ++received_;
    return ReadStatus::kFrame;
  }
  if (rc == 0 || rc == PCAP_ERROR_BREAK) return ReadStatus::kEnd;
  error_ = portError(interface_, pcap_geterr(handle_));
  return ReadStatus::kError;
}

namespace {
struct DispatchContext {
  FrameSource::FrameHandler handler;
  void* context;
  uint16_t port;
  size_t count;
};

void onDispatched(u_char* user, const struct pcap_pkthdr* header, const u_char* data) {
  auto* ctx = reinterpret_cast<DispatchContext*>(user);
  Frame frame;
  frame.bytes = std::span<const uint8_t>(data, header->caplen);
  frame.wireLength = header->len;
  frame.timestampNs = static_cast<int64_t>(header->ts.tv_sec) * 1'000'000'000 + header->ts.tv_usec;
  frame.port = ctx->port;
  ++ctx->count;
  ctx->handler(ctx->context, frame);
}
}  // namespace

ReadStatus LivePort::readBurst(size_t max, FrameHandler handler, void* context, size_t& count) {
  DispatchContext ctx{handler, context, port_, 0};
  const int limit = max > 1'000'000 ? 1'000'000 : static_cast<int>(max == 0 ? 1 : max);
  const int rc = pcap_dispatch(handle_, limit, onDispatched, reinterpret_cast<u_char*>(&ctx));
  count = ctx.count;
  received_ += ctx.count;
  if (rc == PCAP_ERROR) {
    error_ = portError(interface_, pcap_geterr(handle_));
    return ReadStatus::kError;
  }
  return ctx.count >= static_cast<size_t>(limit) ? ReadStatus::kFrame : ReadStatus::kEnd;
}

bool LivePort::send(const Frame& frame) {
  if (pcap_inject(handle_, frame.bytes.data(), frame.bytes.size()) < 0) {
    error_ = portError(interface_, std::string("send: ") + pcap_geterr(handle_));
    return false;
  }
  return true;
}

LivePort::Stats LivePort::stats() const {
  Stats s;
  s.received = received_;
  struct pcap_stat ps = {};
  if (pcap_stats(handle_, &ps) == 0) {
    s.kernelDropped = ps.ps_drop;
    s.interfaceDropped = ps.ps_ifdrop;
  }
  return s;
}

Result<std::unique_ptr<PacketSocketSink>> PacketSocketSink::open(const std::string& interface,
                                                                 const PacketSocketOptions& options) {
  if (interface.empty() || interface.size() >= IFNAMSIZ)
    return dataplane::Error{portError(interface, "invalid interface name")};
  const unsigned index = if_nametoindex(interface.c_str());
  if (index == 0) return dataplane::Error{portError(interface, "no such interface")};
  // Protocol 0: a send-only socket; the kernel queues nothing to it.
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return dataplane::Error{portError(interface, "AF_PACKET socket: " + errnoText(errno))};
  auto fail = [&](const std::string& what) {
    int e = errno;
    ::close(fd);
    return dataplane::Error{portError(interface, what + ": " + errnoText(e))};
  };
  struct sockaddr_ll addr = {};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = 0;
  addr.sll_ifindex = static_cast<int>(index);
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) return fail("bind");
  if (options.qdiscBypass) {
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0) return fail("PACKET_QDISC_BYPASS");
  }
  int sndbuf = options.sendBufferBytes;
  if (sndbuf <= 0) {
    const int64_t bytes = options.sendTimeNs * options.lineRateFps / 1'000'000'000 * 1024;
    sndbuf = static_cast<int>(bytes < (64 << 10) ? (64 << 10) : bytes > (64 << 20) ? (64 << 20) : bytes);
  }
  // SO_SNDBUFFORCE needs CAP_NET_ADMIN; fall back to the capped SO_SNDBUF.
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  return std::unique_ptr<PacketSocketSink>(new PacketSocketSink(fd, interface, options));
}

namespace {
constexpr size_t alignFrame(size_t n) { return (n + 63) & ~size_t{63}; }
}  // namespace

PacketSocketSink::PacketSocketSink(int fd, std::string interface, const PacketSocketOptions& options)
    : fd_(fd), interface_(std::move(interface)), options_(options) {
  if (options_.batch == 0) options_.batch = 1;
  buffer_.resize(options_.batch * alignFrame(options_.slotBytes));
  msgs_.resize(options_.batch * sizeof(struct mmsghdr));
  iovs_.resize(options_.batch * sizeof(struct iovec));
  auto* msgs = reinterpret_cast<struct mmsghdr*>(msgs_.data());
  auto* iovs = reinterpret_cast<struct iovec*>(iovs_.data());
  for (size_t i = 0; i < options_.batch; ++i) {
    std::memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
}

PacketSocketSink::~PacketSocketSink() {
  if (fd_ >= 0) {
    (void)flush();
    ::close(fd_);
  }
}

bool PacketSocketSink::send(const Frame& frame) {
  const size_t len = frame.bytes.size();
  if (len > options_.slotBytes) {
    // Rare (jumbo beyond the slot): keep the order, then send it alone.
    bool ok = flush();
    return sendOne(frame.bytes.data(), len) && ok;
  }
  // Never full here: pending_ < batch frames of at most slotBytes each.
  auto* iov = reinterpret_cast<struct iovec*>(iovs_.data()) + pending_;
  iov->iov_base = buffer_.data() + used_;
  iov->iov_len = len;
  std::memcpy(buffer_.data() + used_, frame.bytes.data(), len);
  used_ += alignFrame(len);
  if (++pending_ == options_.batch) (void)flush();
  return true;
}

bool PacketSocketSink::waitWritable() {
  struct pollfd pfd = {fd_, POLLOUT, 0};
  const int timeoutMs = (options_.busyWaitUs + 999) / 1000;
  return poll(&pfd, 1, timeoutMs) > 0 && (pfd.revents & POLLOUT) != 0;
}

bool PacketSocketSink::sendOne(const uint8_t* data, size_t len) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    ++stats_.syscalls;
    if (::send(fd_, data, len, MSG_DONTWAIT) >= 0) {
      ++stats_.sent;
      return true;
    }
    if ((errno != EAGAIN && errno != ENOBUFS) || attempt == 1 || !waitWritable()) break;
  }
  error_ = portError(interface_, "send: " + errnoText(errno));
  ++stats_.dropped;
  return false;
}

bool PacketSocketSink::flush() {
  auto* msgs = reinterpret_cast<struct mmsghdr*>(msgs_.data());
  bool ok = true;
  size_t done = 0;
  bool waited = false;
  while (done < pending_) {
    const size_t n = pending_ - done;
    ++stats_.syscalls;
    const int sent = sendmmsg(fd_, msgs + done, static_cast<unsigned>(n), MSG_DONTWAIT);
    if (sent > 0) {
      done += static_cast<size_t>(sent);
      stats_.sent += static_cast<uint64_t>(sent);
      continue;
    }
    const int e = errno;
    if ((e == EAGAIN || e == ENOBUFS) && !waited) {
      // Busy: give the interface one short chance, then drop the rest
      // rather than stall every other port.
      waited = true;
      if (waitWritable()) continue;
    }
    if (e == EAGAIN || e == ENOBUFS || e == EINTR) {
      if (e == EINTR) continue;
      error_ = portError(interface_, "send: interface busy, " + std::to_string(n) + " frames dropped");
      stats_.dropped += n;
      done = pending_;
      ok = false;
      break;
    }
    // The first frame was refused (e.g. too large for the MTU): drop it alone.
    error_ = portError(interface_, "send: " + errnoText(e));
    ++stats_.dropped;
    ++done;
    ok = false;
  }
  pending_ = 0;
  used_ = 0;
  return ok;
}

}  // namespace portvakt::io
