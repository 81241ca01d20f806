#pragma once
// Live ports: frames from and to a real interface.
//
// Receive: LivePort opens the interface with libpcap in immediate mode
// (libpcap then reads an AF_PACKET TPACKET_V2 ring: no syscall per frame
// while frames are queued), promiscuous, non-blocking, nanosecond
// timestamps, and inbound only (PCAP_D_IN) so the switch never reads back
// the frames it sent itself. libpcap re-inserts the 802.1Q tag that the
// kernel strips into packet metadata, so the switch sees tags as on the wire.
// selectableFd() is for one epoll/poll loop over all ports: when it is
// readable, call readBurst() (or next()) until it returns kEnd ("nothing more
// right now" for a live port; kError means the port is unusable, e.g. the
// interface vanished). readBurst() hands the frames over where they lie in
// the ring; next() is pcap_next_ex, which copies each frame out first.
//
// Send: two FrameSinks, because pcap_inject is one send() syscall per frame:
//  - LivePort::send(): pcap_inject. Simple, one syscall per frame; kept for
//    bring-up and as a fallback.
//  - PacketSocketSink: an AF_PACKET socket with PACKET_QDISC_BYPASS that
//    queues frames (copied into preallocated slots) and sends them with one
//    sendmmsg() per batch: flush() after each burst of received frames, and
//    send() flushes by itself when the batch is full. This is the one the
//    forwarding loop uses (forward/forward_loop.h). QDISC_BYPASS skips the
//    qdisc and the packet taps (a tcpdump on the sending interface does not
//    see these frames; the peer does). The socket has protocol 0, so it
//    receives nothing and costs nothing on the receive path.
//    Sends never block the loop: when the interface is busy (EAGAIN/ENOBUFS)
//    it waits for POLLOUT for at most `busyWaitUs`, then drops the rest of the
//    batch and counts the drops in stats().
//
// Errors name the interface ("live port eth3: no such interface"). Nothing
// throws. Each object is used by one thread.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/io/frame_io.h"

struct pcap;

namespace portvakt::io {

struct LivePortOptions {
  // The ring (TPACKET_V2, which immediate mode uses) has one fixed-size slot
  // per frame, sized from the snaplen: 65535 would leave 64 slots in 4 MiB
  // (measured: a 2000-frame burst lost all but 64). 1536 covers an MTU-1500
  // frame with two tags (1522 bytes); a larger frame is captured snapped and
  // the switch drops it as `snapped`. Raise both for jumbo frames.
  int snaplen = 1536;
  // The ring is sized by time, not by a default byte count: it holds
  // `ringTimeNs` of frames arriving at `lineRateFps` (1 GbE at 64 bytes),
  // i.e. 5952 slots of ~1.6 KiB, 9.3 MiB (before issue 18 it was 16 MiB,
  // ~10000 slots, which at the ~400 k frames/s portvaktd forwards per core
  // here was 25 ms of queue). Slots are fixed-size, so the ring holds the
  // same number of frames whatever their size: on a veth, which carries
  // 512-byte frames far faster than 1 GbE, it is fewer milliseconds. What
  // waits longer than the forward loop's queue budget (4 ms once it is
  // overloaded, 100 ms while it recovers from a stall) is dropped unread
  // anyway (forward/forward_loop.h). bufferBytes > 0 overrides the sizing.
  int64_t ringTimeNs = 4'000'000;
  int64_t lineRateFps = 1'488'095;
  int bufferBytes = 0;
  // The ring's byte size for these options (libpcap rounds it to its blocks).
  int ringBytes() const;
  static constexpr int kWholeFrame = 65535;  // for captures that must not snap
  bool promiscuous = true;
  bool inboundOnly = true;  // PCAP_D_IN
};

class LivePort final : public FrameSource, public FrameSink {
 public:
  // `port` is written into every Frame::port read from it.
  static Result<std::unique_ptr<LivePort>> open(const std::string& interface, uint16_t port,
                                                const LivePortOptions& options = {});
  ~LivePort() override;
  LivePort(const LivePort&) = delete;
  LivePort& operator=(const LivePort&) = delete;

  // kFrame, kEnd (nothing ready now: wait on selectableFd()), or kError.
  // libpcap's pcap_next_ex copies every frame out of the ring into its own
  // buffer (it hands the ring slot back before returning): prefer readBurst.
  ReadStatus next(Frame& out) override;
  // One pcap_dispatch over the frames ready in the ring (at most `max`): each
  // is handed to `handler` where it lies in the ring, no copy (the forward
  // loop's path; measured 4-6 % less CPU per forwarded frame in portvaktd
  // than next(), docs/performance.md). Call it when selectableFd() is readable.
  ReadStatus readBurst(size_t max, FrameHandler handler, void* context, size_t& count) override;
  // pcap_inject: one syscall per frame (see PacketSocketSink for batching).
  bool send(const Frame& frame) override;
  std::string_view error() const override { return error_; }
  int linkType() const override { return kLinkTypeEthernet; }

  int selectableFd() const { return fd_; }
  const std::string& interface() const { return interface_; }
  uint16_t port() const { return port_; }
  // A non-fatal note from activation (e.g. promiscuous mode not supported).
  const std::string& warning() const { return warning_; }

  struct Stats {
    uint64_t received = 0;          // frames returned by next()
    uint64_t kernelDropped = 0;     // ring full (pcap_stats ps_drop)
    uint64_t interfaceDropped = 0;  // pcap_stats ps_ifdrop
  };
  Stats stats() const;

 private:
  LivePort(pcap* handle, std::string interface, uint16_t port, int fd)
      : handle_(handle), interface_(std::move(interface)), port_(port), fd_(fd) {}
  pcap* handle_ = nullptr;
  std::string interface_;
  uint16_t port_ = 0;
  int fd_ = -1;
  std::string error_;
  std::string warning_;
  uint64_t received_ = 0;
};

// A sink that may hold frames back until flush().
class BatchingSink : public FrameSink {
 public:
  // Sends what is queued. False if frames were dropped (error() says why).
  virtual bool flush() = 0;
  // Frames accepted by send() and dropped since (the port stayed busy, the
  // kernel refused them), in all; the forward loop counts them per port.
  virtual uint64_t droppedFrames() const { return 0; }
};

struct PacketSocketOptions {
  size_t batch = 64;            // frames per sendmmsg
  size_t slotBytes = 9216 + 8;  // jumbo frame plus two tags; larger frames go out unbatched
  bool qdiscBypass = true;
  int busyWaitUs = 1000;  // how long a busy interface may hold the loop before drops
  // The socket's send buffer by time, like the receive ring: `sendTimeNs` of
  // 64-byte frames at 1 GbE line rate, each charged ~1 KiB by the kernel (skb
  // truesize): 1.5 MiB. A busy port then drops (counted, egress_busy) instead of
  // queueing milliseconds. sendBufferBytes > 0 overrides it.
  int64_t sendTimeNs = 1'000'000;
  int64_t lineRateFps = 1'488'095;
  int sendBufferBytes = 0;
};

class PacketSocketSink final : public BatchingSink {
 public:
  static Result<std::unique_ptr<PacketSocketSink>> open(const std::string& interface,
                                                        const PacketSocketOptions& options = {});
  ~PacketSocketSink() override;
  PacketSocketSink(const PacketSocketSink&) = delete;
  PacketSocketSink& operator=(const PacketSocketSink&) = delete;

  // Queues a copy (flushes first when the batch is full). False only when
  // the frame could not be queued or sent.
  bool send(const Frame& frame) override;
  bool flush() override;
  uint64_t droppedFrames() const override { return stats_.dropped; }
  std::string_view error() const override { return error_; }

  size_t pending() const { return pending_; }
  const std::string& interface() const { return interface_; }
  int fd() const { return fd_; }

  struct Stats {
    uint64_t sent = 0;
    uint64_t dropped = 0;   // busy too long, or the kernel refused the frame
    uint64_t syscalls = 0;  // sendmmsg/send calls
  };
  const Stats& stats() const { return stats_; }

 private:
  PacketSocketSink(int fd, std::string interface, const PacketSocketOptions& options);
  bool sendOne(const uint8_t* data, size_t len);
  bool waitWritable();

  int fd_ = -1;
  std::string interface_;
  PacketSocketOptions options_;
  // Queued frames are packed one after the other (64-byte aligned) into one
  // buffer of batch x slotBytes, so a batch of small frames touches a few
  // cache lines and pages, not one page per frame.
  std::vector<uint8_t> buffer_;
  size_t used_ = 0;
  size_t pending_ = 0;
  Stats stats_;
  std::string error_;
  // sendmmsg vectors (struct mmsghdr / iovec), sized and linked once; iovec i
  // points at queued frame i.
  std::vector<uint8_t> msgs_;
  std::vector<uint8_t> iovs_;
};

}  // namespace portvakt::io
