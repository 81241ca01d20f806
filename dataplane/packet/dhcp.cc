#include "dataplane/packet/dhcp.h"

#include "dataplane/packet/frame.h"

namespace portvakt::packet {
namespace {

constexpr uint32_t kDhcpMagicCookie = 0x63825363;

bool readIp4(Cursor& c, IpAddress& ip) { return c.copy(ip.bytes.data(), 4); }

// Relay agent information (RFC 3046): sub-options inside option 82.
void parseRelayAgent(Cursor c, DhcpInfo& dhcp) {
  // Bounded by the option's length (at most 255 bytes, >= 2 per sub-option).
  while (!c.empty()) {
    uint8_t code = 0, length = 0;
    std::span<const uint8_t> value;
    if (!c.readU8(code) || !c.readU8(length) || !c.readBytes(length, value)) return;
    if (code == 1 && dhcp.circuitId.empty()) dhcp.circuitId = value;
    if (code == 2 && dhcp.remoteId.empty()) dhcp.remoteId = value;
  }
}

// Applies one option. Returns false when its length is wrong for its type.
bool applyOption(uint8_t code, Cursor value, DhcpInfo& dhcp) {
  const size_t length = value.remaining();
  switch (code) {
    case 1:
      if (length != 4) return false;
      dhcp.hasSubnetMask = readIp4(value, dhcp.subnetMask);
      return true;
    case 3:
      if (length < 4 || length % 4 != 0) return false;
      dhcp.hasRouter = readIp4(value, dhcp.router);
      return true;
    case 12:
      if (dhcp.hostname.empty()) (void)value.readText(length, dhcp.hostname);
      return length > 0;
    case 15:
      if (dhcp.domainName.empty()) (void)value.readText(length, dhcp.domainName);
      return true;
    case 50:
      if (length != 4) return false;
      dhcp.hasRequestedIp = readIp4(value, dhcp.requestedIp);
      return true;
    case 51:
      if (length != 4) return false;
      dhcp.hasLeaseTime = value.readU32(dhcp.leaseTime);
      return true;
    case 53:
      if (length != 1) return false;
      return value.readU8(dhcp.messageType);
    case 54:
      if (length != 4) return false;
      dhcp.hasServerId = readIp4(value, dhcp.serverId);
      return true;
    case 55:
      if (dhcp.parameterList.empty()) (void)value.readBytes(length, dhcp.parameterList);
      return length > 0;
    case 60:
      if (dhcp.vendorClass.empty()) (void)value.readText(length, dhcp.vendorClass);
      return length > 0;
    case 61:
      if (dhcp.clientId.empty()) (void)value.readBytes(length, dhcp.clientId);
      return length >= 2;  // RFC 2132: type + at least one byte
    case 82:
      if (dhcp.relayAgent.empty()) {
        (void)value.readBytes(length, dhcp.relayAgent);
        parseRelayAgent(Cursor(dhcp.relayAgent), dhcp);
      }
      return true;
    default: return true;
  }
}

}  // namespace

void parseDhcp(Cursor c, ParsedFrame& out) {
  out.touch(Layer::kDhcp);
  DhcpInfo& dhcp = out.dhcp;
  if (!c.readU8(dhcp.op) || !c.readU8(dhcp.hardwareType) || !c.readU8(dhcp.hardwareLength) || !c.readU8(dhcp.hops) ||
      !c.readU32(dhcp.xid) || !c.readU16(dhcp.secs) || !c.readU16(dhcp.flags) || !readIp4(c, dhcp.ciaddr) ||
      !readIp4(c, dhcp.yiaddr) || !readIp4(c, dhcp.siaddr) || !readIp4(c, dhcp.giaddr)) {
    out.flag(Anomaly::kDhcpTruncated);
    return;
  }
  Cursor chaddr;
  if (!c.take(16, chaddr) || !c.skip(64 + 128)) {  // chaddr, sname, file
    out.flag(Anomaly::kDhcpTruncated);
    return;
  }
  if (dhcp.hardwareType == 1 && dhcp.hardwareLength == 6) (void)chaddr.copy(dhcp.chaddr.bytes.data(), 6);
  out.add(Layer::kDhcp);

  uint32_t cookie = 0;
  if (!c.readU32(cookie) || cookie != kDhcpMagicCookie) {
    out.flag(Anomaly::kDhcpBadCookie);
    return;
  }
  dhcp.hasCookie = true;

  size_t options = 0;
  while (!c.empty()) {
    uint8_t code = 0;
    if (!c.readU8(code) || code == 255) break;  // end
    if (code == 0) continue;                    // pad
    if (options == kMaxDhcpOptions) {
      out.flag(Anomaly::kDhcpTooManyOptions);
      break;
    }
    ++options;
    uint8_t length = 0;
    Cursor value;
    if (!c.readU8(length) || !c.take(length, value)) {
      out.flag(Anomaly::kDhcpOptionOverrun);
      break;
    }
    if (dhcp.optionCount < kMaxDhcpOptionOrder) dhcp.optionOrder[dhcp.optionCount++] = code;
    if (!applyOption(code, value, dhcp)) out.flag(Anomaly::kDhcpBadOptionLength);
  }
}

// ---- DHCPv6 ----------------------------------------------------------------

namespace {

// RFC 4704 FQDN: flags, then an uncompressed DNS name. A partial name (no
// root label, e.g. just the host name) ends at the option boundary.
void parseFqdnOption(Cursor value, ParsedFrame& out) {
  Dhcpv6Info& v6 = out.dhcpv6;
  if (!value.readU8(v6.fqdnFlags)) {
    out.flag(Anomaly::kDhcpv6BadOptionLength);
    return;
  }
  v6.fqdn.clear();
  // Bounded by the option length: every label consumes at least one byte.
  while (!value.empty()) {
    uint8_t length = 0;
    std::string_view label;
    if (!value.readU8(length) || length == 0) break;
    if ((length & 0xc0) != 0 || !value.readText(length, label) || (v6.fqdn.size() > 0 && !v6.fqdn.push('.')) ||
        !v6.fqdn.append(label)) {
      out.flag(Anomaly::kDhcpv6BadOptionLength);
      v6.fqdn.clear();
      return;
    }
  }
  v6.hasFqdn = true;
}

void parseDhcpv6Options(Cursor c, ParsedFrame& out, size_t depth);

void parseDhcpv6Message(Cursor c, ParsedFrame& out, size_t depth) {
  Dhcpv6Info& v6 = out.dhcpv6;
  uint8_t type = 0;
  if (!c.readU8(type)) {
    out.flag(Anomaly::kDhcpv6Truncated);
    return;
  }
  v6.messageType = type;
  if (depth == 0) v6.outerMessageType = type;
  out.add(Layer::kDhcpv6);
  if (type == 12 || type == 13) {  // relay-forward / relay-reply: hop count, link, peer
    if (depth == kMaxDhcpv6RelayDepth) {
      out.flag(Anomaly::kDhcpv6TooManyRelays);
      return;
    }
    if (!c.skip(1 + 16 + 16)) {
      out.flag(Anomaly::kDhcpv6Truncated);
      return;
    }
    v6.relayDepth = static_cast<uint8_t>(depth + 1);
    parseDhcpv6Options(c, out, depth + 1);
    return;
  }
  if (!c.readU24(v6.transactionId)) {
    out.flag(Anomaly::kDhcpv6Truncated);
    return;
  }
  parseDhcpv6Options(c, out, depth);
}

void parseDhcpv6Options(Cursor c, ParsedFrame& out, size_t depth) {
  Dhcpv6Info& v6 = out.dhcpv6;
  Cursor relayMessage;
  bool hasRelayMessage = false;
  size_t count = 0;
  while (!c.empty()) {
    if (count == kMaxDhcpv6Options) {
      out.flag(Anomaly::kDhcpv6TooManyOptions);
      break;
    }
    ++count;
    uint16_t code = 0, length = 0;
    Cursor value;
    if (!c.readU16(code) || !c.readU16(length) || !c.take(length, value)) {
      out.flag(Anomaly::kDhcpv6OptionOverrun);
      break;
    }
    if (v6.optionCount < v6.optionOrder.size()) v6.optionOrder[v6.optionCount++] = code;
    switch (code) {
      case 1:
        if (v6.clientId.empty()) (void)value.readBytes(length, v6.clientId);
        break;
      case 2:
        if (v6.serverId.empty()) (void)value.readBytes(length, v6.serverId);
        break;
      case 6:
        if (length % 2 != 0) out.flag(Anomaly::kDhcpv6BadOptionLength);
        while (v6.requestedOptionCount < kMaxDhcpv6RequestedOptions &&
               value.readU16(v6.requestedOptions[v6.requestedOptionCount])) {
          ++v6.requestedOptionCount;
        }
        break;
      case 9:
        relayMessage = value;
        hasRelayMessage = true;
        break;
      case 15: {
        uint16_t itemLength = 0;
        if (v6.userClass.empty() && !(value.readU16(itemLength) && value.readText(itemLength, v6.userClass))) {
          out.flag(Anomaly::kDhcpv6BadOptionLength);
        }
        break;
      }
      case 16: {
        if (v6.hasVendorClass) break;
        uint16_t itemLength = 0;
        if (!value.readU32(v6.vendorClassEnterprise)) {
          out.flag(Anomaly::kDhcpv6BadOptionLength);
          break;
        }
        v6.hasVendorClass = true;
        if (!value.empty() && !(value.readU16(itemLength) && value.readText(itemLength, v6.vendorClass))) {
          out.flag(Anomaly::kDhcpv6BadOptionLength);
        }
        break;
      }
      case 17:
        if (!v6.hasVendorOpts) {
          v6.hasVendorOpts = value.readU32(v6.vendorOptsEnterprise);
          if (!v6.hasVendorOpts) out.flag(Anomaly::kDhcpv6BadOptionLength);
        }
        break;
      case 39:
        if (!v6.hasFqdn) parseFqdnOption(value, out);
        break;
      default: break;
    }
  }
  // The client's own message inside relay envelopes is what identifies it.
  if (hasRelayMessage) parseDhcpv6Message(relayMessage, out, depth);
}

}  // namespace

void parseDhcpv6(Cursor c, ParsedFrame& out) {
  out.touch(Layer::kDhcpv6);
  parseDhcpv6Message(c, out, 0);
}

}  // namespace portvakt::packet
