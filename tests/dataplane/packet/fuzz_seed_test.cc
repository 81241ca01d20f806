// The fuzz seed corpora in tests/dataplane/fuzz_corpus/<target>/.
//
// Files named seed-* are generated here: from the sample frames (built by the
// frame builder, no licence question) and from a few small frames of the
// public-domain (Unlicense) PcapPlusPlus captures in ../shared/pcaps. They are
// golden files: this test fails when they drift from what the generator
// makes, and PORTVAKT_WRITE_FUZZ_SEEDS=1 rewrites them. Files named crash-*
// are inputs libFuzzer found, kept after the fix; they are never generated.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "dataplane/io/capture_file.h"
#include "tests/dataplane/packet/sample_frames.h"

namespace portvakt::packet {
namespace {

namespace fs = std::filesystem;
using testing::Bytes;

const fs::path kCorpus = fs::path(PORTVAKT_SOURCE_DIR) / "tests/dataplane/fuzz_corpus";
constexpr const char* kTargets[] = {"frame", "lldp", "cdp", "dhcp", "mdns", "sip"};
constexpr size_t kMaxSeedFrame = 600;

// target -> file name -> bytes
using Seeds = std::map<std::string, std::map<std::string, Bytes>>;

size_t offsetOf(const Bytes& frame, std::span<const uint8_t> inner) {
  return static_cast<size_t>(inner.data() - frame.data());
}

// Adds the frame to "frame" and the slice its parser family sees to that target.
void addSeed(Seeds& seeds, const std::string& name, const Bytes& frame) {
  seeds["frame"]["seed-" + name] = frame;
  ParsedFrame f;
  parseFrame(frame, f);
  const size_t l2 = 14 + 4 * size_t{f.eth.tagCount};
  if (f.has(Layer::kLldp)) seeds["lldp"]["seed-" + name] = Bytes(frame.begin() + l2, frame.end());
  if (f.has(Layer::kCdp)) seeds["cdp"]["seed-" + name] = Bytes(frame.begin() + l2 + 8, frame.end());
  std::string app;
  if (f.has(Layer::kDhcp) || f.has(Layer::kDhcpv6)) app = "dhcp";
  if (f.has(Layer::kMdns)) app = "mdns";
  if (f.has(Layer::kSip) || f.has(Layer::kSsdp)) app = "sip";
  if (!app.empty() && !f.payload.empty()) {
    size_t at = offsetOf(frame, f.payload);
    seeds[app]["seed-" + name] = Bytes(frame.begin() + at, frame.begin() + at + f.payload.size());
  }
}

// A few more shapes than the marked samples: a minimal LLDPDU, a switch's
// LLDP with 802.1/802.3 TLVs, an mDNS query and a DNS-SD service enumeration.
std::vector<testing::NamedFrame> extraFrames() {
  using namespace testing;
  std::vector<NamedFrame> frames;
  {
    Writer tlvs;
    tlvs.append(lldpTlv(1, text("\x04\x00\x1b\x54\xaa\xbb\xcc"))).append(lldpTlv(2, text("\x05Gi1/0/5")));
    tlvs.append(lldpTlv(3, u16Value(120))).append(lldpTlv(0, Writer{}));
    frames.push_back({"lldp_minimal", ethernet("01:80:c2:00:00:0e", kSwitchMac, kEtherTypeLldp, tlvs)});
  }
  {
    Writer tlvs, caps, macphy, loc;
    caps.u16(0x0014).u16(0x0014);
    macphy.u8(3).u16(0x6c01).u16(16);
    loc.u8(2).u8(6).u8(0).str("SE").u8(1).u8(2);
    tlvs.append(lldpTlv(1, text("\x07sw-clinic-1"))).append(lldpTlv(2, text("\x05Gi1/0/5")));
    tlvs.append(lldpTlv(3, u16Value(120))).append(lldpTlv(4, text("access port"))).append(lldpTlv(7, caps));
    tlvs.append(lldpOrgTlv(kOuiIeee8021, 1, u16Value(10))).append(lldpOrgTlv(kOuiIeee8023, 1, macphy));
    tlvs.append(lldpOrgTlv(kOuiTiaMed, 3, loc)).append(lldpTlv(0, Writer{}));
    frames.push_back({"lldp_switch", ethernet("01:80:c2:00:00:0e", kSwitchMac, kEtherTypeLldp, tlvs)});
  }
  {
    Writer dns;
    dns.u16(0).u16(0).u16(2).u16(0).u16(0).u16(0);
    dns.append(dnsName("_airplay._tcp.local")).u16(12).u16(0x8001);
    dns.u8(6).str("_raop").u8(4).str("_tcp").u8(0xc0).u8(12 + 1 + 8 + 1 + 4).u16(12).u16(1);
    frames.push_back({"mdns_query", ethernet("01:00:5e:00:00:fb", kPcMac, kEtherTypeIpv4,
                                             ipv4("192.168.10.23", "224.0.0.251", kIpProtoUdp, udp(5353, 5353, dns)))});
  }
  {
    Writer dns;
    dns.u16(0).u16(0x8400).u16(0).u16(2).u16(0).u16(0);
    dns.append(dnsName("_services._dns-sd._udp.local")).u16(12).u16(1).u32(4500);
    Writer target = dnsName("_ipp._tcp.local");
    dns.u16(static_cast<uint16_t>(target.size())).append(target);
    dns.u8(0xc0).u8(12).u16(12).u16(1).u32(4500).u16(2).u8(0xc0).u8(static_cast<uint8_t>(12 + 30 + 10));
    frames.push_back(
        {"mdns_services", ethernet("01:00:5e:00:00:fb", "00:80:77:01:02:03", kEtherTypeIpv4,
                                   ipv4("192.168.10.50", "224.0.0.251", kIpProtoUdp, udp(5353, 5353, dns)))});
  }
  {
    // RA guard's shapes: an RA in a first fragment behind hop-by-hop options,
    // and a first fragment that ends before its ICMPv6 header (RFC 7113).
    Writer ra;
    ra.u8(134).u8(0).u16(0).u8(64).u8(0xc0).u16(1800).u32(0).u32(0);
    Writer frag;
    frag.u8(kIpProtoIcmpv6).u8(0).u16(1).u32(9).append(ra);
    Writer hbh;
    hbh.u8(44).u8(0).u8(1).u8(4).u32(0).append(frag);
    frames.push_back(
        {"ra_fragment", ethernet("33:33:00:00:00:01", kPcMac, kEtherTypeIpv6, ipv6("fe80::2", "ff02::1", 0, hbh))});
    Writer hidden;
    hidden.u8(60).u8(0).u16(1).u32(9).u8(kIpProtoIcmpv6).u8(1).u8(1).u8(12).u32(0).u32(0).u32(0);
    frames.push_back({"ra_hidden_fragment",
                      ethernet("33:33:00:00:00:01", kPcMac, kEtherTypeIpv6, ipv6("fe80::2", "ff02::1", 44, hidden))});
  }
  {
    Writer reply;
    reply.u8(7).u24(0x42).u16(2).u16(2).u16(0xabcd);
    Writer relay;
    relay.u8(13).u8(0).ip6("2001:db8::1").ip6("fe80::2").u16(9).u16(static_cast<uint16_t>(reply.size())).append(reply);
    frames.push_back({"dhcpv6_relay_reply", ethernet(kPcMac, "00:00:5e:00:01:0a", kEtherTypeIpv6,
                                                     ipv6("fe80::1", "fe80::2", kIpProtoUdp, udp(547, 547, relay)))});
  }
  return frames;
}

Seeds generate() {
  Seeds seeds;
  for (const testing::NamedFrame& sample : testing::markedFrames()) addSeed(seeds, sample.name, sample.frame.data);
  for (const testing::NamedFrame& sample : extraFrames()) addSeed(seeds, sample.name, sample.frame.data);
  // Public-domain captures (MANIFEST.tsv: "Unlicense (public domain)"), small frames only.
  const char* captures[] = {"pcapplusplus/Dhcp1.pcap",
                            "pcapplusplus/Dhcp2.pcap",
                            "pcapplusplus/llc_vlan.pcap",
                            "pcapplusplus/dhcpv6.pcap",
                            "pcapplusplus/sip_resp.pcap",
                            "pcapplusplus/sip_non_default_port.pcap",
                            "pcapplusplus/IPv6UdpPacket.pcap",
                            "pcapplusplus/QinQ_802.1_AD.pcapng",
                            "pcapplusplus/IcmpV6_NeighAdvSoli.pcap",
                            "pcapplusplus/ArpRequestWithVlan.pcap",
                            "pcapplusplus/ipv6_options.pcap",
                            "more/mdns/pcapplusplus__DnsPackets.pcap"};
  for (const char* capture : captures) {
    auto source = io::CaptureFileSource::open(std::string("../shared/pcaps/") + capture);
    if (!source.ok()) continue;
    std::string stem = fs::path(capture).stem().string();
    io::Frame frame;
    int kept = 0;
    for (int n = 1; source.value()->next(frame) == io::ReadStatus::kFrame && kept < 4 && n <= 200; ++n) {
      if (frame.bytes.size() > kMaxSeedFrame) continue;
      ParsedFrame f;
      parseFrame(frame.bytes, f);
      // From the big DNS capture keep mDNS frames only.
      if (stem.find("DnsPackets") != std::string::npos && !f.has(Layer::kMdns)) continue;
      addSeed(seeds, "pcapplusplus-" + stem + "-" + std::to_string(n), Bytes(frame.bytes.begin(), frame.bytes.end()));
      ++kept;
    }
  }
  return seeds;
}

Bytes readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(FuzzCorpus, SeedsAreUpToDate) {
  if (!fs::exists("../shared/pcaps/MANIFEST.tsv")) GTEST_SKIP() << "../shared/pcaps is absent: cannot regenerate seeds";
  const Seeds seeds = generate();
  const bool write = std::getenv("PORTVAKT_WRITE_FUZZ_SEEDS") != nullptr;
  for (const char* target : kTargets) {
    SCOPED_TRACE(target);
    const fs::path dir = kCorpus / target;
    auto it = seeds.find(target);
    ASSERT_NE(it, seeds.end()) << "no seeds generated for " << target;
    if (write) {
      fs::create_directories(dir);
      for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename().string().rfind("seed-", 0) == 0) fs::remove(entry.path());
      }
      for (const auto& [name, bytes] : it->second) {
        std::ofstream out(dir / name, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      }
      continue;
    }
    size_t onDisk = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().filename().string().rfind("seed-", 0) == 0) ++onDisk;
    }
    EXPECT_EQ(onDisk, it->second.size()) << "stale seeds: run with PORTVAKT_WRITE_FUZZ_SEEDS=1";
    for (const auto& [name, bytes] : it->second) {
      EXPECT_EQ(readFile(dir / name), bytes) << name << " differs: run with PORTVAKT_WRITE_FUZZ_SEEDS=1";
    }
  }
}

}  // namespace
}  // namespace portvakt::packet
