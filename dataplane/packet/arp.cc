#include "dataplane/packet/arp.h"

#include <algorithm>

#include "dataplane/packet/frame.h"

namespace portvakt::packet {

void parseArp(Cursor c, ParsedFrame& out) {
  out.touch(Layer::kArp);
  ArpInfo& arp = out.arp;
  if (!c.readU16(arp.hardwareType) || !c.readU16(arp.protocolType) || !c.readU8(arp.hardwareLength) ||
      !c.readU8(arp.protocolLength) || !c.readU16(arp.operation)) {
    out.flag(Anomaly::kArpTruncated);
    return;
  }
  out.add(Layer::kArp);
  // Only Ethernet/IPv4 addresses are stored; other formats are walked with
  // their own lengths (so the frame is still checked) and flagged.
  const bool ethernet = arp.hardwareLength == 6 && (arp.hardwareType == 1 || arp.hardwareType == 6);
  const bool ipv4 = arp.protocolLength == 4 && arp.protocolType == 0x0800;
  if (!ethernet || !ipv4) out.flag(Anomaly::kArpUnsupportedFormat);
  std::span<const uint8_t> sha, spa, tha, tpa;
  if (!c.readBytes(arp.hardwareLength, sha) || !c.readBytes(arp.protocolLength, spa) ||
      !c.readBytes(arp.hardwareLength, tha) || !c.readBytes(arp.protocolLength, tpa)) {
    out.flag(Anomaly::kArpTruncated);
    return;
  }
  if (ethernet) {
    std::copy(sha.begin(), sha.end(), arp.senderMac.bytes.begin());
    std::copy(tha.begin(), tha.end(), arp.targetMac.bytes.begin());
    arp.hasMacs = true;
  }
  if (ipv4) {
    std::copy(spa.begin(), spa.end(), arp.senderIp.bytes.begin());
    std::copy(tpa.begin(), tpa.end(), arp.targetIp.bytes.begin());
    arp.hasIps = true;
  }
}

}  // namespace portvakt::packet
