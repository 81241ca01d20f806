#include "dataplane/packet/lldp.h"

#include "dataplane/packet/frame.h"
#include "dataplane/packet/string_tlv.h"

namespace portvakt::packet {
namespace {

// TIA-1057 organisationally specific TLVs. Returns false on a bad length.
bool parseMedTlv(uint8_t subtype, Cursor value, LldpInfo& lldp) {
  const size_t length = value.remaining();
  switch (subtype) {
    case 1:  // LLDP-MED capabilities
      if (length < 3) return false;
      lldp.hasMed = true;
      if (lldp.medDeviceType != 0) return true;
      return value.readU16(lldp.medCapabilities) && value.readU8(lldp.medDeviceType);
    case 2: {  // network policy
      uint32_t word = 0;
      if (length < 4 || !value.readU32(word)) return false;
      lldp.hasMed = true;
      if (lldp.policyCount == kMaxLldpNetworkPolicies) return true;  // ignore extras
      LldpNetworkPolicy& p = lldp.policies[lldp.policyCount++];
      p.applicationType = static_cast<uint8_t>(word >> 24);
      p.unknown = (word >> 23) & 1;
      p.tagged = (word >> 22) & 1;
      p.vlanId = static_cast<uint16_t>((word >> 9) & 0x0fff);
      p.priority = static_cast<uint8_t>((word >> 6) & 0x7);
      p.dscp = static_cast<uint8_t>(word & 0x3f);
      return true;
    }
    case 5: lldp.hasMed = true; return readFirstString(value, lldp.hardwareRevision);
    case 6: lldp.hasMed = true; return readFirstString(value, lldp.firmwareRevision);
    case 7: lldp.hasMed = true; return readFirstString(value, lldp.softwareRevision);
    case 8: lldp.hasMed = true; return readFirstString(value, lldp.serialNumber);
    case 9: lldp.hasMed = true; return readFirstString(value, lldp.manufacturer);
    case 10: lldp.hasMed = true; return readFirstString(value, lldp.modelName);
    case 11: lldp.hasMed = true; return readFirstString(value, lldp.assetId);
    default: lldp.hasMed = true; return true;
  }
}

bool parseOrgTlv(Cursor value, LldpInfo& lldp) {
  uint32_t oui = 0;
  uint8_t subtype = 0;
  if (!value.readU24(oui) || !value.readU8(subtype)) return false;
  if (oui == kOuiTiaMed) return parseMedTlv(subtype, value, lldp);
  if (oui == kOuiIeee8021 && subtype == 1) {  // port VLAN id
    if (lldp.hasPortVlanId) return true;
    lldp.hasPortVlanId = value.readU16(lldp.portVlanId);
    return lldp.hasPortVlanId;
  }
  return true;
}

}  // namespace

void parseLldp(Cursor c, ParsedFrame& out) {
  out.touch(Layer::kLldp);
  LldpInfo& lldp = out.lldp;
  out.add(Layer::kLldp);
  while (!c.empty()) {
    if (lldp.tlvCount == kMaxLldpTlvs) {
      out.flag(Anomaly::kLldpTooManyTlvs);
      return;
    }
    uint16_t header = 0;
    if (!c.readU16(header)) {
      out.flag(Anomaly::kLldpTruncated);
      return;
    }
    const uint8_t type = static_cast<uint8_t>(header >> 9);
    const uint16_t length = header & 0x01ff;
    Cursor value;
    if (!c.take(length, value)) {
      out.flag(Anomaly::kLldpTlvOverrun);
      return;
    }
    ++lldp.tlvCount;
    // 802.1AB: the LLDPDU starts with chassis id, port id, TTL in that order.
    if (lldp.tlvCount <= 3 && type != lldp.tlvCount) out.flag(Anomaly::kLldpMissingMandatory);

    bool ok = true;
    switch (type) {
      case 0:  // end of LLDPDU; what follows is padding
        lldp.hasEnd = true;
        return;
      case 1:
        if (lldp.chassisId.empty()) {
          ok = value.readU8(lldp.chassisIdSubtype) && value.readBytes(value.remaining(), lldp.chassisId) &&
               !lldp.chassisId.empty();
        }
        break;
      case 2:
        if (lldp.portId.empty()) {
          ok =
              value.readU8(lldp.portIdSubtype) && value.readBytes(value.remaining(), lldp.portId) && !lldp.portId.empty();
        }
        break;
      case 3:
        if (!lldp.hasTtl) {
          ok = length >= 2 && value.readU16(lldp.ttl);
          lldp.hasTtl = ok;
        }
        break;
      case 4: ok = readFirstString(value, lldp.portDescription); break;
      case 5: ok = readFirstString(value, lldp.systemName); break;
      case 6: ok = readFirstString(value, lldp.systemDescription); break;
      case 7:
        ok = length >= 4;
        if (ok && !lldp.hasCapabilities) {
          lldp.hasCapabilities = value.readU16(lldp.capabilities) && value.readU16(lldp.enabledCapabilities);
        }
        break;
      case 127: ok = parseOrgTlv(value, lldp); break;
      default: break;
    }
    if (!ok) out.flag(Anomaly::kLldpBadTlvLength);
  }
}

}  // namespace portvakt::packet
