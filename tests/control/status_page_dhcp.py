#!/usr/bin/env python3
"""Sends one DHCP message from a lab host's interface (AF_PACKET, a real frame
on the wire) for tests/control/status_page.sh.

  status_page_dhcp.py IFACE MAC discover VENDOR_CLASS HOSTNAME
      a client's DISCOVER with option 60 (vendor class), 12 (host name) and
      Windows' option 55 list
  status_page_dhcp.py IFACE MAC offer
      a server's OFFER, as a rogue DHCP server on a wall jack sends it

The strings go on the wire as given (bytes, UTF-8): a hostile device chooses them.
"""
import socket
import struct
import sys

WINDOWS_PARAMETERS = bytes([1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252])


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def option(code, value):
    return bytes([code, len(value)]) + value


def frame(mac, op, options, src_ip, dst_ip, sport, dport):
    chaddr = mac + b"\0" * 10
    bootp = struct.pack("!BBBBIHH4s4s4s4s", op, 1, 6, 0, 0x5a5a0001, 0, 0x8000, b"\0" * 4,
                        src_ip if op == 2 else b"\0" * 4, src_ip if op == 2 else b"\0" * 4, b"\0" * 4)
    bootp += chaddr + b"\0" * 192 + b"\x63\x82\x53\x63" + options + b"\xff"
    udp = struct.pack("!HHHH", sport, dport, 8 + len(bootp), 0) + bootp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\xff" * 6 + mac + b"\x08\x00" + ip + udp


def main():
    iface, mac_text, kind = sys.argv[1:4]
    mac = bytes(int(x, 16) for x in mac_text.split(":"))
    if kind == "discover":
        vendor, hostname = sys.argv[4].encode(), sys.argv[5].encode()
        options = option(53, b"\x01") + option(60, vendor) + option(12, hostname) + option(55, WINDOWS_PARAMETERS)
        data = frame(mac, 1, options, b"\0" * 4, b"\xff" * 4, 68, 67)
    else:
        server = socket.inet_aton("192.168.66.1")
        options = option(53, b"\x02") + option(54, server) + option(51, b"\0\0\x0e\x10") + option(1, b"\xff\xff\xff\0")
        data = frame(mac, 2, options, server, b"\xff" * 4, 67, 68)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    s.send(data)


if __name__ == "__main__":
    main()
