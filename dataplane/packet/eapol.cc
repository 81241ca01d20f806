#include "dataplane/packet/eapol.h"

#include "dataplane/packet/frame.h"

namespace portvakt::packet {

void parseEapol(Cursor c, ParsedFrame& out) {
  out.touch(Layer::kEapol);
  EapolInfo& e = out.eapol;
  if (!c.readU8(e.version) || !c.readU8(e.type) || !c.readU16(e.bodyLength)) {
    out.flag(Anomaly::kEapolTruncated);
    return;
  }
  out.add(Layer::kEapol);
  if (e.bodyLength > c.remaining() && !out.snapped()) out.flag(Anomaly::kEapolLengthOverrun);
  c.clampRemaining(e.bodyLength);  // drops Ethernet padding

  if (e.type == 3) {  // EAPOL-Key: descriptor type only
    if (!c.readU8(e.keyDescriptor)) out.flag(Anomaly::kEapolTruncated);
    return;
  }
  if (e.type != 0) return;  // start, logoff, ASF alert: no body of interest

  if (!c.readU8(e.eapCode) || !c.readU8(e.eapId) || !c.readU16(e.eapLength)) {
    out.flag(Anomaly::kEapTruncated);
    return;
  }
  e.hasEap = true;
  if (e.eapLength < 4) {
    out.flag(Anomaly::kEapTruncated);
    return;
  }
  if (e.eapLength - 4u > c.remaining() && !out.snapped()) out.flag(Anomaly::kEapTruncated);
  c.clampRemaining(e.eapLength - 4u);
  if (e.eapCode != 1 && e.eapCode != 2) return;  // success/failure have no type
  if (!c.readU8(e.eapType)) {
    out.flag(Anomaly::kEapTruncated);
    return;
  }
  if (e.eapType == 1) e.identity = c.restText();
}

}  // namespace portvakt::packet
