#include "dataplane/packet/cdp.h"

#include "dataplane/packet/frame.h"
#include "dataplane/packet/string_tlv.h"

namespace portvakt::packet {
namespace {

// TLV 0x02: count, then (protocol type, length, protocol, address length, address).
bool parseAddresses(Cursor value, CdpInfo& cdp) {
  uint32_t count = 0;
  if (!value.readU32(count)) return false;
  // Bounded by the TLV length: each entry consumes at least 5 bytes.
  for (uint32_t i = 0; i < count && !value.empty(); ++i) {
    uint8_t protocolType = 0, protocolLength = 0;
    uint16_t addressLength = 0;
    std::span<const uint8_t> protocol, address;
    if (!value.readU8(protocolType) || !value.readU8(protocolLength) || !value.readBytes(protocolLength, protocol) ||
        !value.readU16(addressLength) || !value.readBytes(addressLength, address)) {
      return false;
    }
    // NLPID 0xcc is IPv4.
    if (!cdp.hasAddress && protocolType == 1 && protocolLength == 1 && protocol[0] == 0xcc && addressLength == 4) {
      Cursor a(address);
      cdp.hasAddress = a.copy(cdp.address.bytes.data(), 4);
    }
  }
  return true;
}

}  // namespace

void parseCdp(Cursor c, ParsedFrame& out) {
  out.touch(Layer::kCdp);
  CdpInfo& cdp = out.cdp;
  uint16_t checksum = 0;
  if (!c.readU8(cdp.version) || !c.readU8(cdp.ttl) || !c.readU16(checksum)) {
    out.flag(Anomaly::kCdpTruncated);
    return;
  }
  out.add(Layer::kCdp);
  while (!c.empty()) {
    if (cdp.tlvCount == kMaxCdpTlvs) {
      out.flag(Anomaly::kCdpTooManyTlvs);
      return;
    }
    uint16_t type = 0, length = 0;
    if (!c.readU16(type) || !c.readU16(length)) {
      out.flag(Anomaly::kCdpTruncated);
      return;
    }
    if (length < 4) {  // the length includes the 4-byte header
      out.flag(Anomaly::kCdpBadTlvLength);
      return;
    }
    Cursor value;
    if (!c.take(length - 4u, value)) {
      out.flag(Anomaly::kCdpTlvOverrun);
      return;
    }
    ++cdp.tlvCount;
    bool ok = true;
    switch (type) {
      case 0x01: ok = readFirstString(value, cdp.deviceId); break;
      case 0x02: ok = parseAddresses(value, cdp); break;
      case 0x03: ok = readFirstString(value, cdp.portId); break;
      case 0x04:
        if (cdp.hasCapabilities) break;
        ok = value.readU32(cdp.capabilities);
        cdp.hasCapabilities = ok;
        break;
      case 0x05: ok = readFirstString(value, cdp.softwareVersion); break;
      case 0x06: ok = readFirstString(value, cdp.platform); break;
      case 0x09: ok = readFirstString(value, cdp.vtpDomain); break;
      case 0x0a:
        if (cdp.hasNativeVlan) break;
        ok = value.readU16(cdp.nativeVlan);
        cdp.hasNativeVlan = ok;
        break;
      case 0x0e: {  // VoIP VLAN reply: appliance id, VLAN
        uint8_t appliance = 0;
        if (cdp.hasVoiceVlan) break;
        ok = value.readU8(appliance) && value.readU16(cdp.voiceVlan);
        cdp.hasVoiceVlan = ok;
        break;
      }
      case 0x0f: {  // VoIP VLAN query: data byte, then (optionally) a VLAN
        uint8_t data = 0;
        if (cdp.hasVoiceVlanQuery) break;
        cdp.hasVoiceVlanQuery = true;
        if (value.readU8(data) && value.remaining() >= 2) (void)value.readU16(cdp.voiceVlanQuery);
        break;
      }
      default: break;
    }
    if (!ok) out.flag(Anomaly::kCdpBadTlvLength);
  }
}

}  // namespace portvakt::packet
