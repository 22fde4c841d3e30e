#!/usr/bin/env python3
"""A two-port Ethernet switch that carries unicast and broadcast frames but
drops every multicast frame, and never touches the IP header (no TTL
decrement): a model of a cloud subnet (VPC vSwitch), where hosts share one
IP subnet yet multicast is not delivered. Used for VRRP, whose receivers
require TTL 255, so the peers must not be separated by a router.

    l2switch.py PORT_A PORT_B [--ready FILE] [--stats FILE]

Runs until SIGTERM/SIGINT; then writes its counters as JSON to --stats.
Standard library only."""
import argparse
import json
import select
import signal
import socket
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port_a")
    p.add_argument("port_b")
    p.add_argument("--ready")
    p.add_argument("--stats")
    a = p.parse_args()
    socks = {}
    for name in (a.port_a, a.port_b):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        socks[name] = s
    other = {socks[a.port_a]: socks[a.port_b], socks[a.port_b]: socks[a.port_a]}
    stats = dict(unicast=0, broadcast=0, multicast_dropped=0)
    running = [True]

    def stop(*_):
        running[0] = False
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if a.ready:
        open(a.ready, "w").close()
    while running[0]:
        try:
            ready, _, _ = select.select(list(other), [], [], 0.5)
        except InterruptedError:
            continue
        for s in ready:
            try:
                frame, addr = s.recvfrom(65535)
                if addr[2] == PACKET_OUTGOING:   # our own transmission seen on the port
                    continue
                dst = frame[:6]
                if dst == b"\xff" * 6:
                    stats["broadcast"] += 1
                elif dst[0] & 1:
                    stats["multicast_dropped"] += 1
                    continue
                else:
                    stats["unicast"] += 1
                other[s].send(frame)
            except OSError as e:              # a port went away: the test is tearing down
                stats["error"] = str(e)
                running[0] = False
                break
    if a.stats:
        with open(a.stats, "w") as f:
            json.dump(stats, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
