#include "dataplane/packet/anomaly.h"

namespace portvakt::packet {
namespace {

using enum Anomaly;

constexpr AnomalyInfo kAnomalies[] = {
    {kEthTruncated, "decode.eth.truncated", "frame shorter than an Ethernet header"},
    {kEthTooManyTags, "decode.eth.too_many_tags", "more stacked VLAN tags than the parser follows"},
    {kEthVlanTruncated, "decode.eth.vlan_truncated", "VLAN tag cut off by the end of the frame"},
    {kEthLlcTruncated, "decode.eth.llc_truncated", "802.3 frame too short for its LLC/SNAP header"},
    {kArpTruncated, "decode.arp.truncated", "ARP packet cut off"},
    {kArpUnsupportedFormat, "decode.arp.unsupported_format",
     "ARP hardware/protocol types or lengths are not Ethernet/IPv4"},
    {kIpv4Truncated, "decode.ipv4.truncated", "IPv4 header cut off"},
    {kIpv4BadVersion, "decode.ipv4.bad_version", "IPv4 ethertype but version field is not 4"},
    {kIpv4BadHeaderLength, "decode.ipv4.bad_header_length", "IPv4 header length below 20 bytes"},
    {kIpv4BadTotalLength, "decode.ipv4.bad_total_length", "IPv4 total length smaller than its header"},
    {kIpv4TotalLengthOverrun, "decode.ipv4.total_length_overrun",
     "IPv4 total length larger than the frame (not a snapped capture)"},
    {kIpv4OptionOverrun, "decode.ipv4.option_overrun", "IPv4 option runs past the header"},
    {kIpv6Truncated, "decode.ipv6.truncated", "IPv6 header cut off"},
    {kIpv6BadVersion, "decode.ipv6.bad_version", "IPv6 ethertype but version field is not 6"},
    {kIpv6PayloadLengthOverrun, "decode.ipv6.payload_length_overrun",
     "IPv6 payload length larger than the frame (not a snapped capture)"},
    {kIpv6ExtTruncated, "decode.ipv6.ext_truncated", "IPv6 extension header cut off"},
    {kIpv6TooManyExtHeaders, "decode.ipv6.too_many_ext_headers",
     "IPv6 extension header chain longer than the parser follows"},
    {kIpv6IncompleteHeaderChain, "decode.ipv6.incomplete_header_chain",
     "IPv6 first fragment that ends before its ICMPv6/UDP/TCP header (RFC 7112: it could hide a router advertisement)"},
    {kIcmpTruncated, "decode.icmp.truncated", "ICMP header cut off"},
    {kIcmpv6Truncated, "decode.icmpv6.truncated", "ICMPv6 header or neighbour-discovery body cut off"},
    {kIcmpv6NdOptionOverrun, "decode.icmpv6.nd_option_overrun", "neighbour-discovery option runs past the packet"},
    {kIcmpv6NdOptionZeroLength, "decode.icmpv6.nd_option_zero_length",
     "neighbour-discovery option with length 0 (RFC 4861: discard)"},
    {kIcmpv6TooManyNdOptions, "decode.icmpv6.too_many_nd_options",
     "more neighbour-discovery options than the parser follows"},
    {kTcpTruncated, "decode.tcp.truncated", "TCP header cut off"},
    {kTcpBadHeaderLength, "decode.tcp.bad_header_length", "TCP data offset below 5 words"},
    {kUdpTruncated, "decode.udp.truncated", "UDP header cut off"},
    {kUdpBadLength, "decode.udp.bad_length", "UDP length below 8"},
    {kUdpLengthOverrun, "decode.udp.length_overrun", "UDP length larger than the IP payload"},
    {kDhcpTruncated, "decode.dhcp.truncated", "DHCP/BOOTP fixed header cut off"},
    {kDhcpBadCookie, "decode.dhcp.bad_cookie", "BOOTP packet without the DHCP magic cookie"},
    {kDhcpOptionOverrun, "decode.dhcp.option_overrun", "DHCP option runs past the packet"},
    {kDhcpBadOptionLength, "decode.dhcp.bad_option_length", "DHCP option with a length its type forbids"},
    {kDhcpTooManyOptions, "decode.dhcp.too_many_options", "more DHCP options than the parser follows"},
    {kDhcpv6Truncated, "decode.dhcpv6.truncated", "DHCPv6 header cut off"},
    {kDhcpv6OptionOverrun, "decode.dhcpv6.option_overrun", "DHCPv6 option runs past the packet"},
    {kDhcpv6BadOptionLength, "decode.dhcpv6.bad_option_length", "DHCPv6 option with a length its type forbids"},
    {kDhcpv6TooManyOptions, "decode.dhcpv6.too_many_options", "more DHCPv6 options than the parser follows"},
    {kDhcpv6TooManyRelays, "decode.dhcpv6.too_many_relays", "DHCPv6 relay messages nested too deep"},
    {kLldpTruncated, "decode.lldp.truncated", "LLDP TLV header cut off"},
    {kLldpTlvOverrun, "decode.lldp.tlv_overrun", "LLDP TLV length runs past the frame"},
    {kLldpBadTlvLength, "decode.lldp.bad_tlv_length", "LLDP TLV shorter than its type requires"},
    {kLldpTooManyTlvs, "decode.lldp.too_many_tlvs", "more LLDP TLVs than the parser follows"},
    {kLldpMissingMandatory, "decode.lldp.missing_mandatory", "LLDPDU does not start with chassis id, port id and TTL"},
    {kCdpTruncated, "decode.cdp.truncated", "CDP header or TLV header cut off"},
    {kCdpTlvOverrun, "decode.cdp.tlv_overrun", "CDP TLV length runs past the frame"},
    {kCdpBadTlvLength, "decode.cdp.bad_tlv_length", "CDP TLV shorter than its type requires"},
    {kCdpTooManyTlvs, "decode.cdp.too_many_tlvs", "more CDP TLVs than the parser follows"},
    {kEapolTruncated, "decode.eapol.truncated", "EAPOL header cut off"},
    {kEapolLengthOverrun, "decode.eapol.length_overrun", "EAPOL body length runs past the frame"},
    {kEapTruncated, "decode.eap.truncated", "EAP packet inside EAPOL cut off or shorter than its length"},
    {kSipBadStartLine, "decode.sip.bad_start_line", "SIP start line is neither a request nor a status line"},
    {kSipTooManyHeaders, "decode.sip.too_many_headers", "more SIP header lines than the parser follows"},
    {kSipHeaderNotTerminated, "decode.sip.header_not_terminated", "SIP header section ends without an empty line"},
    {kDnsTruncated, "decode.dns.truncated", "DNS/mDNS header or record cut off"},
    {kDnsNameOverrun, "decode.dns.name_overrun", "DNS name or compression pointer runs past the message"},
    {kDnsBadLabel, "decode.dns.bad_label", "DNS label with a reserved type (0x40/0x80)"},
    {kDnsNameTooLong, "decode.dns.name_too_long", "DNS name longer than 255 bytes"},
    {kDnsPointerLoop, "decode.dns.pointer_loop", "DNS name needs more compression-pointer hops than allowed"},
    {kDnsTooManyRecords, "decode.dns.too_many_records", "more DNS records than the parser follows"},
    {kDnsRdataOverrun, "decode.dns.rdata_overrun", "DNS record data runs past the message"},
    {kSsdpBadStartLine, "decode.ssdp.bad_start_line", "SSDP start line is not an HTTP request or status line"},
    {kSsdpTooManyHeaders, "decode.ssdp.too_many_headers", "more SSDP header lines than the parser follows"},
    {kSsdpHeaderNotTerminated, "decode.ssdp.header_not_terminated", "SSDP header section ends without an empty line"},
};

constexpr bool tableMatchesEnum() {
  if (std::size(kAnomalies) != kAnomalyCount) return false;
  for (size_t i = 0; i < std::size(kAnomalies); ++i) {
    if (static_cast<size_t>(kAnomalies[i].id) != i) return false;
  }
  return true;
}
static_assert(tableMatchesEnum(), "kAnomalies must list every Anomaly in enum order");

}  // namespace

std::span<const AnomalyInfo> allAnomalies() { return kAnomalies; }

std::string_view anomalyName(Anomaly a) { return kAnomalies[static_cast<size_t>(a)].name; }

std::optional<Anomaly> anomalyFromName(std::string_view name) {
  for (const AnomalyInfo& info : kAnomalies) {
    if (info.name == name) return info.id;
  }
  return std::nullopt;
}

}  // namespace portvakt::packet
