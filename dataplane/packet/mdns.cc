#include "dataplane/packet/mdns.h"

#include "dataplane/packet/frame.h"

namespace portvakt::packet {

void DnsInfo::clear() {
  id = flags = 0;
  isResponse = false;
  questionCount = answerCount = authorityCount = additionalCount = 0;
  queries = services = instances = hosts = ptrTargets = DnsNameList{};
  poolUsed_ = 0;
}

bool DnsInfo::contains(const DnsNameList& list, std::string_view text) const {
  for (size_t i = 0; i < list.count; ++i) {
    if (at(list, i) == text) return true;
  }
  return false;
}

bool DnsInfo::add(DnsNameList& list, std::string_view text, bool unique) {
  if (unique && contains(list, text)) return true;
  if (list.count == list.items.size() || text.size() > pool_.size() - poolUsed_) {
    if (list.dropped < 255) ++list.dropped;
    return false;
  }
  if (!text.empty()) std::memcpy(pool_.data() + poolUsed_, text.data(), text.size());
  list.items[list.count++] = DnsNameRef{poolUsed_, static_cast<uint16_t>(text.size())};
  poolUsed_ = static_cast<uint16_t>(poolUsed_ + text.size());
  return true;
}

DnsNameStatus readDnsName(Cursor& c, Cursor message, FixedText<kMaxDnsNameLength + 1>& out, bool allowPointers) {
  out.clear();
  Cursor at = c;
  bool jumped = false;
  size_t hops = 0;
  size_t wireLength = 1;  // the root label
  // Bounded: every label consumes bytes of a window that only shrinks
  // (wireLength <= 255), and every pointer counts against kMaxDnsPointerHops.
  for (;;) {
    uint8_t length = 0;
    if (!at.readU8(length)) return DnsNameStatus::kOverrun;
    if (length == 0) break;
    if ((length & 0xc0) == 0xc0) {
      uint8_t low = 0;
      if (!allowPointers) return DnsNameStatus::kBadLabel;
      if (!at.readU8(low)) return DnsNameStatus::kOverrun;
      if (!jumped) {
        c = at;  // the caller continues after the first pointer
        jumped = true;
      }
      if (++hops > kMaxDnsPointerHops) return DnsNameStatus::kPointerLoop;
      at = message;
      if (!at.seek((size_t{length & 0x3fu} << 8) | low)) return DnsNameStatus::kOverrun;
      continue;
    }
    if ((length & 0xc0) != 0) return DnsNameStatus::kBadLabel;
    std::string_view label;
    if (!at.readText(length, label)) return DnsNameStatus::kOverrun;
    wireLength += length + 1u;
    if (wireLength > kMaxDnsNameLength) return DnsNameStatus::kTooLong;
    if ((out.size() > 0 && !out.push('.')) || !out.append(label)) return DnsNameStatus::kNoSpace;
  }
  if (!jumped) c = at;
  return DnsNameStatus::kOk;
}

namespace {

Anomaly toAnomaly(DnsNameStatus s) {
  switch (s) {
    case DnsNameStatus::kBadLabel: return Anomaly::kDnsBadLabel;
    case DnsNameStatus::kTooLong:
    case DnsNameStatus::kNoSpace: return Anomaly::kDnsNameTooLong;
    case DnsNameStatus::kPointerLoop: return Anomaly::kDnsPointerLoop;
    default: return Anomaly::kDnsNameOverrun;
  }
}

bool startsWithUnderscore(std::string_view s) { return !s.empty() && s.front() == '_'; }

// "Printer Name._ipp._tcp.local" -> "_ipp._tcp.local"; "" when the name is
// not a service instance.
std::string_view serviceOfInstance(std::string_view name) {
  size_t proto = name.find("._tcp.");
  if (proto == std::string_view::npos) proto = name.find("._udp.");
  if (proto == std::string_view::npos || proto == 0) return {};
  size_t dot = name.rfind('.', proto - 1);
  if (dot == std::string_view::npos) return {};
  std::string_view service = name.substr(dot + 1);
  return startsWithUnderscore(service) ? service : std::string_view();
}

constexpr std::string_view kServiceEnumeration = "_services._dns-sd._udp.local";

}  // namespace

void parseMdns(Cursor payload, ParsedFrame& out) {
  out.touch(Layer::kMdns);
  DnsInfo& dns = out.mdns;
  // Compression pointers are offsets from the start of the DNS message.
  const Cursor message(payload.rest());
  Cursor c = message;
  uint16_t id = 0, flags = 0;
  if (!c.readU16(id) || !c.readU16(flags) || !c.readU16(dns.questionCount) || !c.readU16(dns.answerCount) ||
      !c.readU16(dns.authorityCount) || !c.readU16(dns.additionalCount)) {
    out.flag(Anomaly::kDnsTruncated);
    return;
  }
  dns.id = id;
  dns.flags = flags;
  dns.isResponse = (flags & 0x8000) != 0;
  out.add(Layer::kMdns);

  FixedText<kMaxDnsNameLength + 1> owner, target;
  const size_t records = size_t{dns.answerCount} + dns.authorityCount + dns.additionalCount;
  size_t seen = 0;
  for (size_t i = 0; i < dns.questionCount; ++i, ++seen) {
    if (seen == kMaxDnsRecords) {
      out.flag(Anomaly::kDnsTooManyRecords);
      return;
    }
    DnsNameStatus s = readDnsName(c, message, owner, true);
    if (s != DnsNameStatus::kOk) {
      out.flag(toAnomaly(s));
      return;
    }
    uint16_t type = 0, klass = 0;
    if (!c.readU16(type) || !c.readU16(klass)) {
      out.flag(Anomaly::kDnsTruncated);
      return;
    }
    (void)dns.add(dns.queries, owner.view(), false);
  }
  for (size_t i = 0; i < records; ++i, ++seen) {
    if (seen == kMaxDnsRecords) {
      out.flag(Anomaly::kDnsTooManyRecords);
      return;
    }
    DnsNameStatus s = readDnsName(c, message, owner, true);
    if (s != DnsNameStatus::kOk) {
      out.flag(toAnomaly(s));
      return;
    }
    uint16_t type = 0, klass = 0, rdLength = 0;
    uint32_t ttl = 0;
    if (!c.readU16(type) || !c.readU16(klass) || !c.readU32(ttl) || !c.readU16(rdLength)) {
      out.flag(Anomaly::kDnsTruncated);
      return;
    }
    // rdata as a cursor positioned inside the message, so names in it can
    // follow compression pointers.
    Cursor rdata = message;
    if (!rdata.seek(c.offset()) || !c.skip(rdLength)) {
      out.flag(Anomaly::kDnsRdataOverrun);
      return;
    }
    rdata.clampRemaining(rdLength);
    std::string_view name = owner.view();
    switch (type) {
      case 12: {  // PTR
        s = readDnsName(rdata, message, target, true);
        if (s != DnsNameStatus::kOk) {
          out.flag(toAnomaly(s));
          break;
        }
        (void)dns.add(dns.ptrTargets, target.view(), false);
        if (name == kServiceEnumeration) {
          (void)dns.add(dns.services, target.view(), true);
        } else if (startsWithUnderscore(name)) {
          (void)dns.add(dns.services, name, true);
          (void)dns.add(dns.instances, target.view(), true);
        }
        break;
      }
      case 33: {  // SRV: priority, weight, port, target
        std::string_view service = serviceOfInstance(name);
        if (!service.empty()) {
          (void)dns.add(dns.instances, name, true);
          (void)dns.add(dns.services, service, true);
        }
        if (!rdata.skip(6)) {
          out.flag(Anomaly::kDnsRdataOverrun);
          break;
        }
        s = readDnsName(rdata, message, target, true);
        if (s != DnsNameStatus::kOk) {
          out.flag(toAnomaly(s));
          break;
        }
        (void)dns.add(dns.hosts, target.view(), true);
        break;
      }
      case 16: {  // TXT
        std::string_view service = serviceOfInstance(name);
        if (!service.empty()) {
          (void)dns.add(dns.instances, name, true);
          (void)dns.add(dns.services, service, true);
        }
        break;
      }
      case 1:   // A
      case 28:  // AAAA
        (void)dns.add(dns.hosts, name, true);
        break;
      default: break;
    }
  }
}

}  // namespace portvakt::packet
