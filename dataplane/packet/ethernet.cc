#include "dataplane/packet/ethernet.h"

#include "dataplane/packet/frame.h"

namespace portvakt::packet {
namespace {

bool isTagType(uint16_t type) {
  // 0x9100/0x9200: pre-standard QinQ outer tags still sent by older switches.
  return type == kEtherTypeVlan || type == kEtherTypeQinQ || type == 0x9100 || type == 0x9200;
}

}  // namespace

bool parseEthernet(Cursor& c, ParsedFrame& out) {
  EthernetInfo& eth = out.eth;
  uint16_t type = 0;
  if (!c.copy(eth.dst.bytes.data(), 6) || !c.copy(eth.src.bytes.data(), 6) || !c.readU16(type)) {
    out.flag(Anomaly::kEthTruncated);
    return false;
  }
  out.add(Layer::kEthernet);

  while (isTagType(type)) {
    if (eth.tagCount == kMaxVlanTags) {
      out.flag(Anomaly::kEthTooManyTags);
      eth.etherType = type;
      return false;
    }
    uint16_t tci = 0;
    uint16_t next = 0;
    if (!c.readU16(tci) || !c.readU16(next)) {
      out.flag(Anomaly::kEthVlanTruncated);
      eth.etherType = type;
      return false;
    }
    VlanTag& tag = eth.tags[eth.tagCount++];
    tag.tpid = type;
    tag.pcp = static_cast<uint8_t>(tci >> 13);
    tag.dei = (tci & 0x1000) != 0;
    tag.vid = tci & 0x0fff;
    out.add(Layer::kVlan);
    type = next;
  }
  eth.etherType = type;
  if (type >= 0x0600) return true;

  // 802.3: `type` is the payload length; what follows is LLC (and maybe SNAP).
  // Padding after the LLC PDU is cut off so TLV walks do not read it.
  c.clampRemaining(type);
  eth.encapsulation = Encapsulation::kLlc;
  if (!c.readU8(eth.dsap) || !c.readU8(eth.ssap) || !c.readU8(eth.control)) {
    out.flag(Anomaly::kEthLlcTruncated);
    return false;
  }
  out.add(Layer::kLlc);
  if (eth.dsap == 0xaa && eth.ssap == 0xaa) {
    if (!c.readU24(eth.snapOui) || !c.readU16(eth.snapPid)) {
      out.flag(Anomaly::kEthLlcTruncated);
      return false;
    }
    eth.encapsulation = Encapsulation::kSnap;
    out.add(Layer::kSnap);
    if (eth.snapOui == 0) eth.etherType = eth.snapPid;  // RFC 1042: an ethertype in SNAP
  }
  return true;
}

}  // namespace portvakt::packet
