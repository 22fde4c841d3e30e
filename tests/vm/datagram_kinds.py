#!/usr/bin/env python3
"""The kinds of datagrams an application can send, fanned out by the server
(issue 13): UDP GSO (UDP_SEGMENT), corked (MSG_MORE), with IP options, of
0 bytes and of 65507 bytes. Each kind goes to a port of its own.

  datagram_kinds.py send --group G --port BASE
      in the sender: sends every kind once.
  datagram_kinds.py check --group G --port BASE --iface eth0 --join ADDR --sender S --ready FILE
      in a member: receives on the group (sockets bound to G:BASE+k) and
      captures the copies on the wire (reassembling fragments), then checks
      each kind: payloads delivered exactly; every frame a marked copy from
      S with a valid IP checksum; every datagram's UDP checksum valid over
      the whole datagram. Prints "ok<TAB>WHAT" / "bad<TAB>WHAT<TAB>WHY",
      then "done<TAB>KINDS".
  datagram_kinds.py fanout-capture --iface IF --count N --ready FILE
      counts the copies of a fan-out to many members on one link: distinct
      member addresses and sequence numbers, checksums; prints JSON.
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import mcast_tool as T  # noqa: E402

SOL_UDP, UDP_SEGMENT = 17, 103
# Record route with room for two addresses (the sender's and the router's), then EOL.
RECORD_ROUTE = bytes([7, 11, 4]) + bytes(8) + b"\0"


SO_RCVBUFFORCE = 33


def capture_socket(iface):
    """AF_PACKET on iface, with room for a burst of a thousand copies."""
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    cap.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    cap.bind((iface, 0))
    return cap


def gso_datagrams():
    return [T.payload_for(100 + i, 1000) for i in range(4)]


# name, port offset, the payloads the member must receive
KINDS = [
    ("UDP GSO (4 segments of 1000 bytes in one send)", 0, gso_datagrams()),
    ("corked with MSG_MORE (3 sends, one datagram)", 1, [T.payload_for(200, 900)]),
    ("IP options (record route)", 2, [T.payload_for(300, 64)]),
    ("0 bytes", 3, [b""]),
    ("65507 bytes", 4, [T.payload_for(400, 65507)]),
]


def send_main(args):
    def sock():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: may fragment
        return s

    for name, k, payloads in KINDS:
        dst = (args.group, args.port + k)
        s = sock()
        if k == 0:
            s.setsockopt(SOL_UDP, UDP_SEGMENT, 1000)
            s.sendto(b"".join(payloads), dst)
        elif k == 1:
            data = payloads[0]
            s.sendto(data[:300], socket.MSG_MORE, dst)
            s.sendto(data[300:600], socket.MSG_MORE, dst)
            s.sendto(data[600:], dst)
        elif k == 2:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, RECORD_ROUTE)
            s.sendto(payloads[0], dst)
        else:
            s.sendto(payloads[0], dst)
        s.close()
        time.sleep(0.2)


class Reassembly:
    """Whole datagrams from captured IPv4 frames (the copies, before the
    member's stack sees them): (header of the first frame, UDP bytes,
    frames, every frame's IP checksum right)."""

    def __init__(self):
        self.parts = {}

    def add(self, pkt):
        ihl = (pkt[0] & 15) * 4
        total = struct.unpack("!H", pkt[2:4])[0]
        ident, frag = struct.unpack("!HH", pkt[4:8])
        offset, more = (frag & 0x1fff) * 8, bool(frag & 0x2000)
        key = (pkt[12:16], pkt[16:20], ident)
        entry = self.parts.setdefault(key, dict(pieces={}, end=None, frames=0, ip_ok=True, first=None))
        entry["frames"] += 1
        entry["ip_ok"] &= T.csum(pkt[:ihl]) == 0xffff
        entry["pieces"][offset] = pkt[ihl:total]
        if offset == 0:
            entry["first"] = pkt[:ihl]
        if not more:
            entry["end"] = offset + total - ihl
        data, at = b"", 0
        while at in entry["pieces"]:
            data += entry["pieces"][at]
            at = len(data)
        if entry["first"] is None or entry["end"] is None or at != entry["end"]:
            return None
        del self.parts[key]
        return entry["first"], data, entry["frames"], entry["ip_ok"]


def udp_csum_ok(header, udp):
    pseudo = header[12:20] + struct.pack("!BBH", 0, 17, len(udp))
    return udp[6:8] == b"\0\0" or T.csum(pseudo + udp) == 0xffff


def check_main(args):
    socks = {}
    for _, k, _ in KINDS:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((args.group, args.port + k))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, T.ip4(args.group) + T.ip4(args.join))
        socks[s] = k
    cap = capture_socket(args.iface)
    T.ready_file(args.ready)
    got = {k: [] for _, k, _ in KINDS}
    wire = {k: [] for _, k, _ in KINDS}
    reasm = Reassembly()
    want = sum(len(p) for _, _, p in KINDS)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline and (sum(map(len, got.values())) < want or sum(map(len, wire.values())) < want):
        ready, _, _ = select.select(list(socks) + [cap], [], [], 0.5)
        for s in ready:
            if s is cap:
                pkt, addr = cap.recvfrom(65535)
                if addr[2] == socket.PACKET_OUTGOING or pkt[9] != 17:
                    continue
                whole = reasm.add(pkt)
                if whole:
                    header, udp, frames, ip_ok = whole
                    k = struct.unpack("!H", udp[2:4])[0] - args.port
                    if k in wire:
                        wire[k].append(dict(header=header, udp=udp, frames=frames, ip_ok=ip_ok))
            else:
                got[socks[s]].append(s.recv(65535))
    for name, k, payloads in KINDS:
        report(name, payloads, got[k], wire[k], args.sender)
    print(f"done\t{len(KINDS)}", flush=True)


def report(name, payloads, got, wire, sender):
    problems = []
    if sorted(got) != sorted(payloads):
        problems.append(f"delivered {len(got)} datagrams of sizes {sorted(map(len, got))}, "
                        f"want {sorted(map(len, payloads))} with their bytes")
    if len(wire) != len(payloads):
        problems.append(f"{len(wire)} copies on the wire, want {len(payloads)}")
    for c in wire:
        h, udp = c["header"], c["udp"]
        fields = (socket.inet_ntoa(h[12:16]), h[1], h[8] >= 63)
        if fields != (sender, 0xE0, True):
            problems.append(f"copy (source, TOS, TTL >= 63) is {fields}")
        if not (c["ip_ok"] and udp_csum_ok(h, udp)):
            problems.append(f"checksums: IP {c['ip_ok']}, UDP {udp_csum_ok(h, udp)}")
        if struct.unpack("!H", udp[4:6])[0] != len(udp):
            problems.append(f"UDP length {struct.unpack('!H', udp[4:6])[0]} != {len(udp)}")
        if RECORD_ROUTE[0] in (h[20:21] if len(h) > 20 else b"") and h[22] != 12:
            problems.append(f"record route pointer {h[22]}, want 12 (sender and router recorded)")
    frames = sum(c["frames"] for c in wire)
    ihl = sorted({len(c["header"]) for c in wire})
    if problems:
        print(f"bad\t{name}\t" + "; ".join(problems), flush=True)
    else:
        print(f"ok\t{name}: {len(got)} delivered intact, {len(wire)} copies in {frames} frames "
              f"(IP header {ihl} bytes), checksums valid", flush=True)


def fanout_capture_main(args):
    """Copies on one link to many members: counts (member, sequence) pairs."""
    cap = capture_socket(args.iface)
    T.ready_file(args.ready)
    seen, bad, frames = set(), 0, 0
    deadline = time.monotonic() + args.timeout
    while frames < args.count and time.monotonic() < deadline:
        ready, _, _ = select.select([cap], [], [], 0.5)
        if not ready:
            continue
        pkt = cap.recv(65535)
        if pkt[9] != 17 or pkt[1] != 0xE0:
            continue
        frames += 1
        ihl = (pkt[0] & 15) * 4
        udp = pkt[ihl:struct.unpack("!H", pkt[2:4])[0]]
        if T.csum(pkt[:ihl]) != 0xffff or not udp_csum_ok(pkt[:ihl], udp):
            bad += 1
        seen.add((pkt[16:20], struct.unpack("!I", udp[8:12])[0]))
    print(json.dumps(dict(frames=frames, distinct=len(seen), members=len({m for m, _ in seen}),
                          bad_checksums=bad)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("send")
    s.add_argument("--group", required=True)
    s.add_argument("--port", type=int, required=True)
    c = sub.add_parser("check")
    c.add_argument("--group", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--iface", required=True)
    c.add_argument("--join", required=True)
    c.add_argument("--sender", required=True)
    c.add_argument("--ready", required=True)
    c.add_argument("--timeout", type=float, default=120)
    f = sub.add_parser("fanout-capture")
    f.add_argument("--iface", required=True)
    f.add_argument("--count", type=int, required=True)
    f.add_argument("--ready", required=True)
    f.add_argument("--timeout", type=float, default=300)
    args = p.parse_args()
    {"send": send_main, "check": check_main, "fanout-capture": fanout_capture_main}[args.what](args)


if __name__ == "__main__":
    main()
