#!/usr/bin/env python3
"""The classic multicast pair (PyMOTW's socket_multicast_sender/receiver):
the sender sends to a group with TTL 1 and collects unicast acks; each
receiver joins the group, and answers every datagram with a unicast 'ack'
to its sender.

    mcast_pair.py send GROUP PORT --expect N [--timeout S]
        prints "acks=A,B,... sent=N": who acked (sorted), datagrams sent
    mcast_pair.py recv GROUP PORT [--timeout S] [--ready FILE] [--bind-any]
        prints "received=N sources=S,...", at the timeout or on SIGTERM

One difference from PyMOTW: the receiver binds the group address, not ''
(INADDR_ANY), so that only datagrams addressed to the group reach it; a
copy the proxy did not restore (still unicast to this host) cannot pass for
group traffic. A socket bound to a group cannot send (a group is no source
address), so the acks leave from a second socket. --bind-any is PyMOTW's
receiver exactly (bind '', ack from the receiving socket).
(Plain key=value output: the VM tests read it with sed, not a second
python3, which costs seconds under TCG.)"""
import argparse
import signal
import socket
import struct
import sys
import time


def send(a):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("b", 1))
    sock.settimeout(0.2)
    acks, sent = set(), 0
    deadline = time.monotonic() + a.timeout
    next_send = 0.0
    while time.monotonic() < deadline and len(acks) < a.expect:
        if time.monotonic() >= next_send:   # one message a second until every member acked
            sock.sendto(b"very important data", (a.group, a.port))
            sent += 1
            next_send = time.monotonic() + 1.0
        try:
            data, addr = sock.recvfrom(1024)
        except socket.timeout:
            continue
        if data == b"ack":
            acks.add(addr[0])
    print(f"acks={','.join(sorted(acks))} sent={sent}")


def recv(a):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("" if a.bind_any else a.group, a.port))
    mreq = struct.pack("4sL", socket.inet_aton(a.group), socket.INADDR_ANY)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    sock.settimeout(0.2)
    ack = sock if a.bind_any else socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stop = [time.monotonic() + a.timeout]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, 0))   # report, then exit
    if a.ready:
        open(a.ready, "w").close()
    received, sources = 0, set()
    while time.monotonic() < stop[0]:
        try:
            data, addr = sock.recvfrom(1024)
        except socket.timeout:
            continue
        received += 1
        sources.add(addr[0])
        ack.sendto(b"ack", addr)
    print(f"received={received} sources={','.join(sorted(sources))}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["send", "recv"])
    p.add_argument("group")
    p.add_argument("port", type=int)
    p.add_argument("--expect", type=int, default=1)
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("--ready")
    p.add_argument("--bind-any", action="store_true", help="recv: bind '' (INADDR_ANY), as PyMOTW does")
    a = p.parse_args()
    (send if a.mode == "send" else recv)(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
