#!/usr/bin/env python3
"""Hostile packets for the client module (issue 13), from one process:
crafted frames injected onto a member's link from the router's side of it
(AF_PACKET: nothing on the way repairs, reassembles or drops them), marked
as copies from the configured sender or spoofed. For each scenario it
compares, in the member's namespace, what changed:

- the client module's counters (exactly: every drop of ours is counted);
- the kernel's own counters (/proc/net/snmp, netstat, conntrack's invalid
  count: at least the named ones), which explain the drops after us;
- what a socket bound to the group received (exactly, by payload size);
- what reached local delivery (a raw UDP socket): restored to the group,
  or still addressed to the member.

Prints "ok<TAB>WHAT", "bad<TAB>WHAT<TAB>WHY" and "info<TAB>TEXT" lines
(the case turns them into PASS/FAIL/info), and last "done<TAB>CHECKS"."""
import argparse
import os
import select
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import mcast_tool as T  # noqa: E402

PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_VRRP = 1, 6, 17, 112
# The client's counters of issue 16's announcements, which move when the
# member joins a group: not what a hostile packet is checked against.
ANNOUNCEMENT_COUNTERS = ("igmp_announced", "igmp_queries", "announce_fail")
MF = 0x2000
MARK = 0xE0
FRAG_FLOOD = 4000


# ---- crafting ------------------------------------------------------------------
class Crafter:
    def __init__(self, sender, member, port):
        self.sender, self.member, self.port = sender, member, port
        self.ident = 0x4000

    def next_ident(self):
        self.ident = (self.ident + 1) & 0xffff
        return self.ident

    def ip(self, payload, proto=PROTO_UDP, src=None, tos=MARK, ttl=64, frag=0, options=b"", ident=None,
           total=None):
        """An IPv4 packet with a right header checksum; `total` overrides
        the total length field."""
        src = src or self.sender
        ihl = 5 + len(options) // 4
        length = total if total is not None else 4 * ihl + len(payload)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, length, self.next_ident() if ident is None else ident,
                          frag, ttl, proto, 0, T.ip4(src), T.ip4(self.member)) + options
        return hdr[:10] + struct.pack("!H", 0xffff - T.csum(hdr)) + hdr[12:] + payload

    def udp(self, data, src=None, dport=None, sport=40000):
        """A UDP segment with a right checksum."""
        return T.udp_segment(src or self.sender, self.member, sport, dport or self.port, data)

    def copy(self, size=64, seq=0, **ip):
        data = T.payload_for(seq, size) if size else b""  # payload_for has 4 bytes at least
        return self.ip(self.udp(data, src=ip.get("src"), dport=ip.pop("dport", None)), **ip)

    def fragments(self, udp, size, src=None, overlap_at=None):
        """One UDP datagram cut into fragments of `size` bytes (a multiple
        of 8); overlap_at=N moves fragment N back half a fragment."""
        ident, out = self.next_ident(), []
        for off in range(0, len(udp), size):
            start = off - (size // 2 & ~7) if overlap_at is not None and off // size == overlap_at else off
            more = MF if off + size < len(udp) else 0
            out.append(self.ip(udp[start:start + size], src=src, frag=more | (start // 8), ident=ident))
        return out


def with_udp_field(seg, offset, value):
    return seg[:offset] + struct.pack("!H", value) + seg[offset + 2:]


def icmp_echo():
    body = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"hostile"
    return body[:2] + struct.pack("!H", 0xffff - T.csum(body)) + body[4:]


def tcp_syn(src, dst, dport):
    seg = struct.pack("!HHIIBBHHH", 40001, dport, 1, 0, 5 << 4, 0x02, 8192, 0, 0)
    pseudo = T.ip4(src) + T.ip4(dst) + struct.pack("!BBH", 0, PROTO_TCP, len(seg))
    return seg[:16] + struct.pack("!H", 0xffff - T.csum(pseudo + seg)) + seg[18:]


# 40 bytes of options: record route with room for 9 addresses, then EOL
RECORD_ROUTE = bytes([7, 39, 4]) + bytes(36) + b"\0"


# ---- the member's view -------------------------------------------------------
def kernel_counters():
    """The member namespace's IP/UDP/TCP/ICMP MIBs, IpExt, and conntrack's
    invalid count (summed over CPUs), as one flat dict."""
    out = {}
    for path in ("/proc/net/snmp", "/proc/net/netstat"):
        with open(path) as f:
            lines = f.read().splitlines()
        for names, values in zip(lines[::2], lines[1::2]):
            kind, names = names.split(":", 1)
            for n, v in zip(names.split(), values.split(":", 1)[1].split()):
                out[f"{kind}.{n}"] = int(v)
    with open("/proc/net/stat/nf_conntrack") as f:
        rows = f.read().splitlines()
    col = rows[0].split().index("invalid")
    out["ct.invalid"] = sum(int(r.split()[col], 16) for r in rows[1:])
    return out


def frag_memory():
    """(queues in use, bytes) of the namespace's IPv4 reassembly."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("FRAG:"):
                w = line.split()
                return int(w[2]), int(w[4])
    return 0, 0


class Member:
    def __init__(self, args):
        self.args = args
        self.genl = T.Genl(T.CLIENT["family"])
        self.group_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.group_sock.bind((args.group, args.port))
        self.group_sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                                   T.ip4(args.group) + T.ip4(args.member_ip))
        self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, PROTO_UDP)

    def client_counters(self):
        """The client's packet-path counters: not its IGMP announcements,
        which the member's own group joins make (issue 16)."""
        every = T.counters(T.CLIENT, self.genl.call(T.CLIENT["cmd"]["stats"])[0])
        return {k: v for k, v in every.items() if k not in ANNOUNCEMENT_COUNTERS}

    def drain(self):
        """(sizes the group socket received, local deliveries restored to
        the group, local deliveries still addressed to the member)."""
        sizes, restored, unrestored = [], 0, 0
        while True:
            ready, _, _ = select.select([self.group_sock, self.raw], [], [], 0)
            if not ready:
                return sizes, restored, unrestored
            for s in ready:
                data = s.recv(65535)
                if s is self.group_sock:
                    sizes.append(len(data))
                    continue
                dst = socket.inet_ntoa(data[16:20])
                dport = struct.unpack("!H", data[(data[0] & 15) * 4 + 2:][:2])[0]
                if dport in (self.args.port, self.args.other_port):
                    restored += dst == self.args.group
                    unrestored += dst == self.args.member_ip


def is_traffic_volume(counter):
    """Counters every packet moves: not worth showing."""
    return counter in ("Ip.InReceives", "Ip.InDelivers", "Ip.OutRequests", "Ip.OutTransmits") or (
        counter.startswith("IpExt.") and counter.endswith(("Octets", "Pkts")))


def deltas(before, after):
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


class Run:
    def __init__(self, args, link, member):
        self.args, self.link, self.member = args, link, member
        self.checks = 0
        self.peak_frag_memory = 0  # bytes in reassembly, sampled every 100 frames

    def inject(self, packets):
        for i, p in enumerate(packets):
            self.link.sendto(p, (self.args.iface, 0x0800, 0, 0, self.args.mac_bytes))
            if i % 100 == 99:
                self.peak_frag_memory = max(self.peak_frag_memory, frag_memory()[1])

    def scenario(self, what, packets, client=None, kernel=None, delivered=(), wire=None, wait=5.0):
        """Injects `packets`; then wants within `wait` seconds: the client's
        counters changed by exactly `client`, the kernel's by at least
        `kernel`, the group socket to have received datagrams of exactly the
        sizes `delivered`, and, if given, `wire` = (restored, unrestored)
        local deliveries. A settle afterwards catches anything extra."""
        client, kernel, want = client or {}, kernel or {}, sorted(delivered)
        c0, k0 = self.member.client_counters(), kernel_counters()
        self.member.drain()
        self.inject(packets)
        sizes, restored, unrestored = [], 0, 0
        deadline, settled = time.monotonic() + wait, None
        while True:
            s, r, u = self.member.drain()
            sizes += s
            restored += r
            unrestored += u
            dc, dk = deltas(c0, self.member.client_counters()), deltas(k0, kernel_counters())
            problems = self.problems(client, kernel, want, wire, dc, dk, sorted(sizes), (restored, unrestored))
            now = time.monotonic()
            if not problems and settled is None:
                settled = now + 0.3  # everything arrived: watch a moment for extras
            if (settled is not None and now >= settled) or (settled is None and now >= deadline):
                break
            time.sleep(0.05)
        shown = {k: v for k, v in dk.items() if k in kernel or not is_traffic_volume(k)}
        if problems:
            self.say("bad", what, "; ".join(problems) + f" (client {dc}, kernel {shown})")
        else:
            self.say("ok", f"{what}: client {dc or 'unchanged'}, kernel {shown or 'unchanged'}"
                     + (f", delivered sizes {want}" if want else ", nothing delivered"))
        return dc, dk

    @staticmethod
    def problems(client, kernel, want, wire, dc, dk, sizes, seen):
        out = []
        if dc != client:
            out.append(f"client counters changed by {dc}, want {client}")
        short = {k: (dk.get(k, 0), n) for k, n in kernel.items() if dk.get(k, 0) < n}
        if short:
            out.append("kernel counters below " + ", ".join(f"{k} {g} < {n}" for k, (g, n) in short.items()))
        if sizes != want:
            out.append(f"group socket got sizes {sizes}, want {want}")
        if wire is not None and seen != tuple(wire):
            out.append(f"local deliveries (restored, to the member) {seen}, want {tuple(wire)}")
        return out

    def say(self, *fields):
        self.checks += fields[0] in ("ok", "bad")
        print("\t".join(str(f) for f in fields), flush=True)


def restored(n, size, ip_len=None):
    """The client counters of n restored copies of `size` payload bytes."""
    return {"rx_packets": n, "rx_bytes": n * (ip_len or 28 + size)}


def run_all(run, c, args):
    one = restored(1, 64)
    run.scenario("a good marked copy is restored", [c.copy()], one, delivered=[64], wire=(1, 0))
    # Too short for the transport header, or a UDP length that does not fit:
    # counted malformed, never restored.
    run.scenario("an IP header alone", [c.ip(b"")], {"malformed": 1})
    run.scenario("a partial UDP header (4 bytes)", [c.ip(c.udp(b"")[:4])], {"malformed": 1})
    seg = c.udp(T.payload_for(1, 64))
    for what, length in (("UDP length 0", 0), ("UDP length 7", 7), ("a UDP length past the packet", len(seg) + 16)):
        run.scenario(what, [c.ip(with_udp_field(seg, 4, length))], {"malformed": 1})
    # Shorter than the packet is legal: UDP delivers the first bytes. (With a
    # checksum over the UDP length conntrack would call it invalid; with
    # none, the datagram passes.)
    short = with_udp_field(with_udp_field(seg, 6, 0), 4, 8 + 40)
    run.scenario("a UDP length shorter than the packet (no checksum): restored, delivered trimmed",
                 [c.ip(short)], restored(1, 64), delivered=[40])
    run.scenario("a bad UDP checksum: restored, then dropped by conntrack as invalid",
                 [c.ip(with_udp_field(seg, 6, struct.unpack("!H", seg[6:8])[0] ^ 0x5555))], one,
                 kernel={"ct.invalid": 1})
    run.scenario("an empty datagram is restored and delivered", [c.copy(size=0)], restored(1, 0),
                 delivered=[0], wire=(1, 0))
    run.scenario("IP options (4 NOPs) are carried", [c.copy(options=b"\1\1\1\1")], restored(1, 64, 24 + 72),
                 delivered=[64])
    run.scenario("IP options (40-byte record route) are carried", [c.copy(options=RECORD_ROUTE)],
                 restored(1, 64, 60 + 72), delivered=[64])
    run.scenario("IHL 15 with nothing after the options", [c.ip(b"", options=bytes(40))], {"malformed": 1})
    run.scenario("IHL 15 in a 20-byte packet: the kernel drops it before any hook",
                 [b"\x4f" + c.ip(b"", total=20)[1:]], kernel={"Ip.InHdrErrors": 1})
    run.scenario("TTL 1 is restored (local delivery)", [c.copy(ttl=1)], one, delivered=[64])
    run.scenario("a marked ICMP echo is left alone (answered)", [c.ip(icmp_echo(), proto=PROTO_ICMP)],
                 kernel={"Icmp.InEchos": 1})
    run.scenario("a marked TCP SYN is left alone (reset)",
                 [c.ip(tcp_syn(c.sender, c.member, args.port), proto=PROTO_TCP)], kernel={"Tcp.OutRsts": 1})
    run.scenario("a truncated VRRP advert (4 bytes)", [c.ip(b"\x31\x33\x64\x01", proto=PROTO_VRRP)],
                 {"malformed": 1})
    # Fragments from the configured sender go to the kernel's reassembly
    # (conntrack's queue); the datagram is decided on whole.
    big = c.udp(T.payload_for(2, 2992))
    run.scenario("a lone first fragment is queued, not restored", c.fragments(big, 1000)[:1], {"fragments": 1},
                 kernel={"Ip.ReasmReqds": 1})
    run.scenario("a lone middle fragment is queued, not restored", c.fragments(big, 1000)[1:2],
                 {"fragments": 1}, kernel={"Ip.ReasmReqds": 1})
    run.scenario("overlapping fragments: the queue is dropped", c.fragments(big, 1000, overlap_at=1)[:2],
                 {"fragments": 2}, kernel={"IpExt.ReasmOverlaps": 1, "Ip.ReasmFails": 1})
    huge = c.fragments(struct.pack("!HHHH", 40000, args.port, 0, 0) + bytes(65600 - 8), 1480)
    run.scenario(f"a datagram past 64 KiB ({len(huge)} fragments): reassembly refuses it", huge,
                 {"fragments": len(huge)}, kernel={"Ip.ReasmFails": 1})
    tiny = c.fragments(c.udp(T.payload_for(3, 64)), 8)
    run.scenario(f"tiny fragments ({len(tiny)} of 8 bytes) are gathered and restored", tiny,
                 dict(restored(1, 64), fragments=len(tiny)), kernel={"Ip.ReasmOKs": 1}, delivered=[64])
    # Never restored: an unconfigured source, a port without an entry.
    spoof = args.spoof
    run.scenario(f"a marked copy spoofed from {spoof} is not restored (socket and local delivery)",
                 [c.copy(src=spoof)], {"no_entry": 1}, kernel={"Udp.NoPorts": 1}, wire=(0, 1))
    run.scenario(f"a fragmented marked copy spoofed from {spoof} is not gathered nor restored",
                 c.fragments(c.udp(T.payload_for(4, 2000), src=spoof), 1000, src=spoof),
                 kernel={"Ip.ReasmOKs": 1, "Udp.NoPorts": 1}, wire=(0, 1))
    run.scenario(f"a marked copy to port {args.other_port} (no entry) is not restored",
                 [c.copy(dport=args.other_port)], {"no_entry": 1}, kernel={"Udp.NoPorts": 1}, wire=(0, 1))
    flood_and_recovery(run, c)


def flood_and_recovery(run, c):
    """Several thousand incomplete fragments from the configured sender:
    reassembly memory stays within ipfrag_high_thresh; unfragmented copies
    keep flowing; once the queues expire, a fragmented copy is restored."""
    with open("/proc/sys/net/ipv4/ipfrag_high_thresh") as f:
        high = int(f.read())
    udp = c.udp(T.payload_for(5, 2992))
    flood = [c.fragments(udp, 1400)[0] for _ in range(FRAG_FLOOD)]
    t0 = time.monotonic()
    run.peak_frag_memory = 0
    _, dk = run.scenario(f"a flood of {FRAG_FLOOD} incomplete fragments from the configured sender",
                         flood, {"fragments": FRAG_FLOOD}, wait=60)
    queues, memory = frag_memory()
    peak = max(run.peak_frag_memory, memory)
    run.say("info", f"after the flood ({time.monotonic() - t0:.1f} s): {queues} reassembly queues, "
                    f"{memory} bytes, peak {peak} (ipfrag_high_thresh {high}); "
                    f"refused: {dk.get('Ip.ReasmFails', 0)}")
    # The limit is checked before a queue is added: one fragment's worth over it at most.
    slack = 4096
    if peak <= high + slack:
        run.say("ok", f"reassembly memory during the flood within ipfrag_high_thresh "
                      f"(peak {peak} <= {high} + {slack})")
    else:
        run.say("bad", "reassembly memory during the flood", f"peak {peak} > {high} + {slack}")
    run.scenario("during the flood, good copies are still restored",
                 [c.copy(seq=s) for s in range(3)], restored(3, 64), delivered=[64] * 3)
    deadline = time.monotonic() + 120
    while frag_memory()[0] and time.monotonic() < deadline:
        time.sleep(0.5)
    queues, memory = frag_memory()
    run.say("info", f"reassembly queues expired after {time.monotonic() - t0:.1f} s: {queues} queues, {memory} bytes")
    run.scenario("after the flood's queues expired, a fragmented copy is restored whole",
                 c.fragments(c.udp(T.payload_for(6, 2992)), 1000),
                 dict(restored(1, 2992), fragments=3), delivered=[2992])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--router-ns", required=True, help="path of the namespace holding --iface")
    p.add_argument("--iface", required=True, help="the router's side of the member's link")
    p.add_argument("--mac", required=True, help="the member's MAC on that link")
    p.add_argument("--member-ns", required=True)
    p.add_argument("--member-ip", required=True)
    p.add_argument("--sender", required=True, help="the configured sender")
    p.add_argument("--group", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--other-port", type=int, default=5999, help="a port with no entry")
    p.add_argument("--spoof", default="10.0.1.77", help="an unconfigured source")
    args = p.parse_args()
    args.mac_bytes = bytes.fromhex(args.mac.replace(":", ""))
    T.enter_netns(args.router_ns)
    link = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
    T.enter_netns(args.member_ns)
    run = Run(args, link, Member(args))
    run_all(run, Crafter(args.sender, args.member_ip, args.port), args)
    run.say("done", run.checks)


if __name__ == "__main__":
    main()
