#!/usr/bin/env python3
"""Slow ("dripping") HTTPS clients for tests/control/https_api.sh.

Opens one connection per kind named on the command line and sends one byte a
second, never finishing:
  handshake  the TLS ClientHello itself (over the raw socket)
  headers    a request whose headers never end
  body       a request with Content-Length: 4096 whose body never ends
Each keeps dripping until the server closes the connection or --give-up
seconds pass. Prints one line per connection, "KIND closed-after SECONDS" or
"KIND still-open-after SECONDS", and exits 0.

Usage: https_api_drip.py HOST PORT CERT KEY CA [--give-up S] KIND...
"""
import argparse
import select
import socket
import ssl
import sys
import threading
import time


def context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.load_verify_locations(args.ca)
    ctx.check_hostname = False
    return ctx


def closed_by_peer(sock):
    """True when the server has closed the connection (or answered: it then
    closes it too; none of these requests is complete enough to answer)."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        if isinstance(sock, ssl.SSLSocket):
            sock.recv(1)
        else:
            sock.recv(1, socket.MSG_PEEK)
        return True
    except (ssl.SSLWantReadError, BlockingIOError, socket.timeout):
        return False
    except (OSError, ssl.SSLError):
        return True


def drip(kind, args, results):
    start = time.monotonic()
    try:
        raw = socket.create_connection((args.host, args.port), timeout=10)
        if kind == "handshake":
            # The ClientHello, made by OpenSSL in memory, sent a byte a second.
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            obj = context(args).wrap_bio(incoming, outgoing, server_side=False)
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
            payload = outgoing.read()
            sock = raw
            send = raw.send
        else:
            sock = context(args).wrap_socket(raw)
            send = sock.send
            if kind == "headers":
                payload = b"GET /api/v1/status HTTP/1.1\r\nHost: localhost\r\nX-Drip: " + b"a" * 4096
            else:
                payload = (b"POST /api/v1/policy/plan HTTP/1.1\r\nHost: localhost\r\n"
                           b"Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n")
                send(payload)
                payload = b"{" + b" " * 4094
        for i in range(len(payload)):
            if closed_by_peer(sock):
                break
            if time.monotonic() - start > args.give_up:
                results[kind] = "still-open-after %.1f" % (time.monotonic() - start)
                return
            try:
                send(payload[i:i + 1])
            except (OSError, ssl.SSLError):
                break
            time.sleep(1)
        results[kind] = "closed-after %.1f" % (time.monotonic() - start)
    except (OSError, ssl.SSLError) as e:
        results[kind] = "closed-after %.1f (%s)" % (time.monotonic() - start, e.__class__.__name__)


def main():
    parser = argparse.ArgumentParser()
    for name in ("host", "port", "cert", "key", "ca"):
        parser.add_argument(name)
    parser.add_argument("--give-up", type=float, default=60)
    parser.add_argument("kinds", nargs="+", choices=["handshake", "headers", "body"])
    args = parser.parse_args()
    args.port = int(args.port)
    results = {}
    threads = []
    for i, kind in enumerate(args.kinds):
        key = "%s#%d" % (kind, i)
        t = threading.Thread(target=lambda k=kind, key=key: drip_as(k, key, args, results))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    for key in sorted(results):
        print(key, results[key])
    sys.stdout.flush()


def drip_as(kind, key, args, results):
    inner = {}
    drip(kind, args, inner)
    results[key] = inner[kind]


if __name__ == "__main__":
    main()
