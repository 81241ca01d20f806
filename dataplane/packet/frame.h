#pragma once
// ParsedFrame and parseFrame: the dataplane's view of one Ethernet frame.
//
// How it works. parseFrame walks a frame outside-in (Ethernet, tags, LLC/SNAP,
// ARP/IP, ICMP/TCP/UDP, then the discovery and provisioning protocols device
// fingerprinting needs) with one bounds-checked Cursor, and fills a
// fixed-size ParsedFrame: no exceptions, no heap, nothing that depends on
// frame contents for its size. String fields are std::string_view and byte
// fields std::span into the frame, so the frame's bytes must outlive the
// ParsedFrame that describes them; DNS names (compressed on the wire) are the
// one exception and are decoded into a pool inside the result.
//
// Which sections are valid is said by the Layer bits (`has(Layer::kDhcp)`);
// sections of layers that were not reached are reset to their defaults, so a
// reader that skips the check sees zeros and empty views, never stale data
// from an earlier frame.
//
// Malformed input. Every problem becomes a named Anomaly in `anomalies`; the
// parser stops the layer it was in and keeps everything parsed before. Length
// fields are trusted only to narrow: a header that claims more bytes than
// were captured is clamped to the capture, and it is an anomaly only when the
// capture was not snapped (wireLength == captured length).
//
// Application protocols are recognised by well-known port (DHCP 67/68, DHCPv6
// 546/547, mDNS 5353, SSDP 1900, SIP 5060/5061) and SIP also by its start line
// on any UDP/TCP port. IP fragments after the first are not parsed past IP,
// and first fragments not past TCP/UDP (no reassembly).
//
// Thread-safety: parseFrame is a pure function of its input; a ParsedFrame or
// Decoder is used by one thread at a time.

#include <cstdint>
#include <span>

#include "dataplane/packet/anomaly.h"
#include "dataplane/packet/arp.h"
#include "dataplane/packet/cdp.h"
#include "dataplane/packet/dhcp.h"
#include "dataplane/packet/eapol.h"
#include "dataplane/packet/ethernet.h"
#include "dataplane/packet/ip.h"
#include "dataplane/packet/lldp.h"
#include "dataplane/packet/mdns.h"
#include "dataplane/packet/sip.h"
#include "dataplane/packet/ssdp.h"
#include "dataplane/packet/transport.h"
#include "dataplane/packet/types.h"

namespace portvakt::packet {

struct ParsedFrame {
  std::span<const uint8_t> bytes;  // the captured frame
  uint32_t wireLength = 0;         // length on the wire (>= bytes.size())
  uint32_t layers = 0;             // Layer bits
  AnomalySet anomalies;

  EthernetInfo eth;
  ArpInfo arp;
  IpInfo ip;
  TransportInfo l4;  // ports for TCP/UDP, type/code for ICMP/ICMPv6
  NdInfo nd;
  DhcpInfo dhcp;
  Dhcpv6Info dhcpv6;
  LldpInfo lldp;
  CdpInfo cdp;
  EapolInfo eapol;
  SipInfo sip;
  DnsInfo mdns;
  SsdpInfo ssdp;
  std::span<const uint8_t> payload;  // bytes after the last header parsed (TCP/UDP payload)

  bool has(Layer l) const { return (layers & static_cast<uint32_t>(l)) != 0; }
  void add(Layer l) { layers |= static_cast<uint32_t>(l); }
  // Parsers mark the section they may write on entry, so that reset() clears
  // only what the previous frame touched (clearing every section costs more
  // than parsing a typical frame).
  void touch(Layer l) { touched_ |= static_cast<uint32_t>(l); }
  void flag(Anomaly a) { anomalies.add(a); }
  bool snapped() const { return wireLength > bytes.size(); }

  // Forgets the previous frame: clears the sections it touched (the DNS pool
  // is never zeroed, only its name lists).
  void reset(std::span<const uint8_t> frame, uint32_t wire);

 private:
  uint32_t touched_ = 0;
};

// How far parseFrame goes. kHeaders stops after Ethernet, tags, LLC/SNAP (CDP
// included) and the IPv4/IPv6 header with its extension headers: enough to
// judge an uplink's or trunk's frame (malformed IP, link control), whose
// transport and application layers nobody reads.
enum class ParseDepth : uint8_t { kFull, kHeaders };

// Parses one Ethernet frame. `wireLength` is the original length (0 means the
// frame was captured whole). Never fails: problems are in out.anomalies.
void parseFrame(std::span<const uint8_t> frame, ParsedFrame& out, uint32_t wireLength = 0,
                ParseDepth depth = ParseDepth::kFull);

// The Ethernet header as a caller has read it already (the VLAN switch reads
// the MACs, at most one tag and the EtherType before anything else), so that
// the frame is not parsed twice: parseFrameAfterEthernet fills `eth` from it
// and parses on from `headerLen`. Only Ethernet II with at most one tag takes
// this path; anything else (802.3 LLC, stacked tags) is parsed from the start.
struct EthernetView {
  MacAddress dst, src;
  uint8_t tagCount = 0;  // 0 or 1
  uint16_t outerTpid = 0, outerTci = 0;
  uint16_t etherType = 0;
  uint16_t headerLen = 0;  // 14 or 18; 0: not read (parse from the start)
};
void parseFrameAfterEthernet(std::span<const uint8_t> frame, const EthernetView& view, ParsedFrame& out,
                             uint32_t wireLength = 0, ParseDepth depth = ParseDepth::kFull);

// parseFrame plus per-anomaly counters, for one dataplane thread.
class Decoder {
 public:
  void decode(std::span<const uint8_t> frame, ParsedFrame& out, uint32_t wireLength = 0,
              ParseDepth depth = ParseDepth::kFull) {
    parseFrame(frame, out, wireLength, depth);
    count(out);
  }
  void decode(std::span<const uint8_t> frame, const EthernetView& view, ParsedFrame& out, uint32_t wireLength = 0,
              ParseDepth depth = ParseDepth::kFull) {
    parseFrameAfterEthernet(frame, view, out, wireLength, depth);
    count(out);
  }
  const AnomalyCounters& counters() const { return counters_; }
  uint64_t frames() const { return frames_; }
  uint64_t framesWithAnomalies() const { return framesWithAnomalies_; }

 private:
  void count(const ParsedFrame& out) {
    ++frames_;
    if (!out.anomalies.empty()) {
      ++framesWithAnomalies_;
      counters_.record(out.anomalies);
    }
  }
  AnomalyCounters counters_;
  uint64_t frames_ = 0;
  uint64_t framesWithAnomalies_ = 0;
};

}  // namespace portvakt::packet
