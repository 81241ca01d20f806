#include "dataplane/packet/arp.h"

#include "dataplane/packet/frame.h"

namespace portvakt::packet {

void parseArp(Cursor c, ParsedFrame& out) {
  ArpInfo& arp = out.arp;
  if (!c.readU16(arp.hardwareType) || !c.readU16(arp.protocolType) || !c.readU8(arp.hardwareLength) ||
      !c.readU8(arp.protocolLength) || !c.readU16(arp.operation)) {
    out.flag(Anomaly::kArpTruncated);
    return;
  }
  out.add(Layer::kArp);
  // Only Ethernet/IPv4 matters on a clinic LAN; any other length pair would
  // make the fixed-size fields below mean something else.
  if (arp.hardwareLength != 6 || arp.protocolLength != 4) {
    out.flag(Anomaly::kArpUnsupportedFormat);
    return;
  }
  if (!c.copy(arp.senderMac.bytes.data(), 6) || !c.copy(arp.senderIp.bytes.data(), 4) ||
      !c.copy(arp.targetMac.bytes.data(), 6) || !c.copy(arp.targetIp.bytes.data(), 4)) {
    out.flag(Anomaly::kArpTruncated);
  }
}

}  // namespace portvakt::packet
