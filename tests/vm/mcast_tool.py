#!/usr/bin/env python3
"""Test-side tool for the VM tests: an independent generic netlink client for
both modules, multicast senders and receivers, packet capture with checksum
verification, and raw senders that craft packets exactly as the original C
tool's server did. Standard library only (it runs in the guest on the host's
python3)."""
import argparse
import ipaddress
import json
import os
import select
import signal
import socket
import struct
import sys
import time

# ---- generic netlink -------------------------------------------------------
NETLINK_GENERIC, GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 16, 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
CTRL_FAMILY_NAME = "nlctrl"
CLONE_NEWNET = 0x40000000  # <linux/sched.h>, for setns(2) and unshare(2)
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_ACK_TLVS, NLM_F_DUMP_INTR = 1, 4, 0x300, 0x200, 0x10
NLMSG_ERROR, NLMSG_DONE = 2, 3
SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11

# The protocol (family names, commands, attributes, counters) is
# mcast_proto.py beside this file, generated from mcast_shared/src/genl.rs
# (`cargo test` fails when it is stale): the test checks the kernel against the
# documented protocol, independently of the Rust CLI. Found from any working
# directory; no __pycache__ is written into the tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import mcast_proto as P  # noqa: E402

SERVER = dict(family=P.MCAST_SERVER_FAMILY,
              cmd=dict(add=P.MCAST_SERVER_CMD_ADD_GROUP, delete=P.MCAST_SERVER_CMD_DEL_GROUP,
                       join=P.MCAST_SERVER_CMD_JOIN, quit=P.MCAST_SERVER_CMD_QUIT, clear=P.MCAST_SERVER_CMD_CLEAR,
                       groups=P.MCAST_SERVER_CMD_GET_GROUPS, members=P.MCAST_SERVER_CMD_GET_MEMBERS,
                       stats=P.MCAST_SERVER_CMD_GET_STATS),
              attr=dict(PAD=P.MCAST_SERVER_ATTR_PAD, GROUP=P.MCAST_SERVER_ATTR_GROUP,
                        MEMBERS=P.MCAST_SERVER_ATTR_MEMBERS, MEMBER_COUNT=P.MCAST_SERVER_ATTR_MEMBER_COUNT,
                        TX_PACKETS=P.MCAST_SERVER_ATTR_TX_PACKETS, TX_BYTES=P.MCAST_SERVER_ATTR_TX_BYTES,
                        MAX_GROUPS=P.MCAST_SERVER_ATTR_MAX_GROUPS, MAX_MEMBERS=P.MCAST_SERVER_ATTR_MAX_MEMBERS),
              counters=list(P.MCAST_SERVER_COUNTER_NAMES), counter_first=P.MCAST_SERVER_ATTR_COUNTER_FIRST)
CLIENT = dict(family=P.MCAST_CLIENT_FAMILY,
              cmd=dict(add=P.MCAST_CLIENT_CMD_ADD_ENTRY, delete=P.MCAST_CLIENT_CMD_DEL_ENTRY,
                       clear=P.MCAST_CLIENT_CMD_CLEAR, entries=P.MCAST_CLIENT_CMD_GET_ENTRIES,
                       stats=P.MCAST_CLIENT_CMD_GET_STATS),
              attr=dict(PAD=P.MCAST_CLIENT_ATTR_PAD, SENDER=P.MCAST_CLIENT_ATTR_SENDER, PORT=P.MCAST_CLIENT_ATTR_PORT,
                        GROUP=P.MCAST_CLIENT_ATTR_GROUP, FLAGS=P.MCAST_CLIENT_ATTR_FLAGS,
                        RX_PACKETS=P.MCAST_CLIENT_ATTR_RX_PACKETS, RX_BYTES=P.MCAST_CLIENT_ATTR_RX_BYTES,
                        MAX_ENTRIES=P.MCAST_CLIENT_ATTR_MAX_ENTRIES),
              counters=list(P.MCAST_CLIENT_COUNTER_NAMES), counter_first=P.MCAST_CLIENT_ATTR_COUNTER_FIRST)


class GenlError(Exception):
    def __init__(self, errno, msg):
        super().__init__(f"errno {errno}: {msg}")
        self.errno, self.msg = errno, msg


def nla(ty, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, ty) + payload + b"\0" * ((4 - n % 4) % 4)


def parse_attrs(data):
    out, off = {}, 0
    while off + 4 <= len(data):
        n, ty = struct.unpack_from("=HH", data, off)
        if n < 4:
            break
        out[ty & 0x3fff] = data[off + 4:off + n]
        off += (n + 3) & ~3
    return out


class Genl:
    def __init__(self, family):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 0
        if family == CTRL_FAMILY_NAME:
            self.family_id = GENL_ID_CTRL
            return
        reply = self._transact(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, nla(CTRL_ATTR_FAMILY_NAME, family.encode() + b"\0"), False)
        self.family_id = struct.unpack("=H", reply[0][CTRL_ATTR_FAMILY_ID][:2])[0]

    def _transact(self, msg_type, cmd, payload, dump, version=1):
        self.seq += 1
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if dump else 0)
        body = struct.pack("=BBH", cmd, version, 0) + payload
        self.sock.send(struct.pack("=IHHII", 16 + len(body), msg_type, flags, self.seq, 0) + body)
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                n, ty, fl, seq, _ = struct.unpack_from("=IHHII", data, off)
                msg = data[off + 16:off + n]
                off += (n + 3) & ~3
                if ty == NLMSG_ERROR:
                    err = struct.unpack_from("=i", msg)[0]
                    if err == 0:
                        if not dump:
                            return replies
                        continue
                    text = ""
                    if fl & NLM_F_ACK_TLVS:
                        tlv = parse_attrs(msg[4 + 16:])
                        text = tlv.get(1, b"").rstrip(b"\0").decode()
                    raise GenlError(-err, text)
                if ty == NLMSG_DONE:
                    err = struct.unpack_from("=i", msg)[0] if len(msg) >= 4 else 0
                    if err:
                        raise GenlError(-err, "")
                    return replies
                replies.append(parse_attrs(msg[4:]))

    def ctrl_lookup(self, family):
        """One nlctrl CTRL_CMD_GETFAMILY request for `family`."""
        return self._transact(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                              nla(CTRL_ATTR_FAMILY_NAME, family.encode() + b"\0"), False)

    def call(self, cmd, payload=b"", dump=False):
        return self._transact(self.family_id, cmd, payload, dump, P.MCAST_GENL_VERSION)


def ip4(text):
    return socket.inet_aton(str(ipaddress.IPv4Address(text)))


def u64(b):
    return struct.unpack("=Q", b)[0]


def counters(spec, attrs):
    first = spec["counter_first"]
    return {name: u64(attrs[first + i]) for i, name in enumerate(spec["counters"]) if first + i in attrs}


def genl_main(args):
    spec = SERVER if args.side == "server" else CLIENT
    a, c = spec["attr"], spec["cmd"]
    g = Genl(spec["family"])
    op, rest = args.op, args.rest
    if args.side == "server":
        if op in ("add", "join", "quit"):
            payload = nla(a["GROUP"], ip4(rest[0]))
            if len(rest) > 1:
                payload += nla(a["MEMBERS"], b"".join(ip4(m) for m in rest[1].split(",") if m))
            g.call(c[op], payload)
        elif op == "delete":
            g.call(c[op], nla(a["GROUP"], ip4(rest[0])))
        elif op == "clear":
            g.call(c[op])
        elif op == "groups":
            for r in g.call(c[op], dump=True):
                print(socket.inet_ntoa(r[a["GROUP"]]), struct.unpack("=I", r[a["MEMBER_COUNT"]])[0],
                      u64(r[a["TX_PACKETS"]]), u64(r[a["TX_BYTES"]]))
        elif op == "members":
            for r in g.call(c[op], nla(a["GROUP"], ip4(rest[0])), dump=True):
                blob = r.get(a["MEMBERS"], b"")
                for i in range(0, len(blob), 4):
                    print(socket.inet_ntoa(blob[i:i + 4]))
        elif op == "stats":
            payload = nla(a["GROUP"], ip4(rest[0])) if rest else b""
            r = g.call(c[op], payload)[0]
            if rest:
                print(json.dumps(dict(tx_packets=u64(r[a["TX_PACKETS"]]), tx_bytes=u64(r[a["TX_BYTES"]]),
                                      members=struct.unpack("=I", r[a["MEMBER_COUNT"]])[0])))
            else:
                print(json.dumps(counters(spec, r)))
        elif op == "bulk":  # bulk NGROUPS NMEMBERS: 239.100.x.y groups of 10.200.x.y members
            ngroups, nmembers = int(rest[0]), int(rest[1])
            members = b"".join(ip4(f"10.200.{i // 250}.{i % 250 + 1}") for i in range(nmembers))
            for i in range(ngroups):
                g.call(c["add"], nla(a["GROUP"], ip4(f"239.100.{i // 250}.{i % 250 + 1}")) + nla(a["MEMBERS"], members))
        elif op == "churn":  # churn GROUP MEMBER N: N quits and joins of MEMBER, one process
            body = nla(a["GROUP"], ip4(rest[0])) + nla(a["MEMBERS"], ip4(rest[1]))
            for _ in range(int(rest[2])):
                g.call(c["quit"], body)
                g.call(c["join"], body)
        elif op == "raw":  # raw attributes for policy tests: raw CMD TYPE HEX [TYPE HEX...]
            g.call(int(rest[0]), b"".join(nla(int(t), bytes.fromhex(h)) for t, h in zip(rest[1::2], rest[2::2])))
    else:
        def key(s, p):
            return nla(a["SENDER"], ip4(s)) + nla(a["PORT"], struct.pack("=H", int(p)))
        if op == "add":
            flags = int(rest[3]) if len(rest) > 3 else 0
            g.call(c[op], key(rest[0], rest[1]) + nla(a["GROUP"], ip4(rest[2])) + nla(a["FLAGS"], struct.pack("=I", flags)))
        elif op == "delete":
            g.call(c[op], key(rest[0], rest[1]))
        elif op == "clear":
            g.call(c[op])
        elif op == "entries":
            for r in g.call(c[op], dump=True):
                print(socket.inet_ntoa(r[a["SENDER"]]), struct.unpack("=H", r[a["PORT"]])[0],
                      socket.inet_ntoa(r[a["GROUP"]]), u64(r[a["RX_PACKETS"]]), u64(r[a["RX_BYTES"]]))
        elif op == "stats":
            if rest:
                r = g.call(c[op], key(rest[0], rest[1]))[0]
                print(json.dumps(dict(rx_packets=u64(r[a["RX_PACKETS"]]), rx_bytes=u64(r[a["RX_BYTES"]]))))
            else:
                print(json.dumps(counters(spec, g.call(c[op])[0])))


# ---- measurements for the kernel review (06_kernel_review) --------------------
def group_ip(i, base=100):
    return ip4(f"239.{base}.{i // 250}.{i % 250 + 1}")


def member_ip(i, base=200):
    return ip4(f"10.{base}.{i // 250}.{i % 250 + 1}")


def bench_changes_main(args):
    """Times N group adds (no members), N one-member joins into one group,
    and N stats queries (a request that changes nothing), each in one
    process over one socket; prints JSON seconds. A change that waits for
    an RCU grace period costs a grace period more than a query."""
    a, c = SERVER["attr"], SERVER["cmd"]
    g = Genl(SERVER["family"])
    out = {}
    t0 = time.monotonic()
    for i in range(args.count):
        g.call(c["add"], nla(a["GROUP"], group_ip(i)))
    out["adds_s"] = round(time.monotonic() - t0, 3)
    g.call(c["clear"])  # room for the join group under the default limit of 1024
    join_group = nla(a["GROUP"], ip4("239.250.0.1"))
    g.call(c["add"], join_group)
    t0 = time.monotonic()
    for i in range(args.count):
        g.call(c["join"], join_group + nla(a["MEMBERS"], member_ip(i)))
    out["joins_s"] = round(time.monotonic() - t0, 3)
    t0 = time.monotonic()
    for i in range(args.count):
        g.call(c["stats"])
    out["queries_s"] = round(time.monotonic() - t0, 3)
    out["members"] = sum(len(r.get(a["MEMBERS"], b"")) // 4 for r in g.call(c["members"], join_group, dump=True))
    print(json.dumps(out))


def churn_main(args):
    """Changes the server's tables in a loop (join and quit one member of a
    group) until --stop exists or --seconds pass; prints the change count."""
    a, c = SERVER["attr"], SERVER["cmd"]
    g = Genl(SERVER["family"])
    group = nla(a["GROUP"], ip4("239.251.0.1"))
    member = nla(a["MEMBERS"], ip4("10.251.0.1"))
    g.call(c["add"], group)
    ready_file(args.ready)
    n, deadline = 0, time.monotonic() + args.seconds
    while time.monotonic() < deadline and not (args.stop and os.path.exists(args.stop)):
        g.call(c["join"], group + member)
        g.call(c["quit"], group + member)
        n += 2
    print(json.dumps(dict(changes=n)))


def enter_netns(path):
    """setns(2) into the network namespace at `path` (/run/netns/NAME):
    sockets opened afterwards belong to it."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    with open(path) as ns:
        if libc.setns(ns.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {path}")


def busy_main(args):
    """Namespaces in use, from one process: for each --netns NAME a child
    enters /run/netns/NAME, brings up its dummy device d0 with --address,
    configures a server group of --members and a client entry (--client
    SENDER:PORT), then sends to the group every --interval seconds and
    creates --ready-dir/NAME once the server has counted copies of them (its
    hook is live on that namespace's packets). SIGTERM ends them all."""
    children = []
    for name in args.netns:
        pid = os.fork()
        if pid == 0:
            try:
                enter_netns(f"/run/netns/{name}")
            except OSError:
                os._exit(1)
            busy_in_namespace(args, os.path.join(args.ready_dir, name))
            os._exit(0)
        children.append(pid)

    def stop(*_):
        for pid in children:
            os.kill(pid, signal.SIGTERM)
        for pid in children:
            os.waitpid(pid, 0)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    while True:
        signal.pause()


def ifreq(name, data=b""):
    return struct.pack("16s", name.encode()) + data.ljust(16, b"\0")


def sockaddr_in(addr):
    return struct.pack("=HH4s", socket.AF_INET, 0, socket.inet_aton(addr))


def bring_up(addr):
    """In a fresh namespace, without starting `ip`: lo up, and the dummy
    device d0 up with addr/24 (which makes the route to the members)."""
    import fcntl
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fcntl.ioctl(s, 0x8916, ifreq("d0", sockaddr_in(addr)))  # SIOCSIFADDR
    fcntl.ioctl(s, 0x891c, ifreq("d0", sockaddr_in("255.255.255.0")))  # SIOCSIFNETMASK
    for name in ("lo", "d0"):
        flags = struct.unpack_from("=H", fcntl.ioctl(s, 0x8913, ifreq(name)), 16)[0]  # SIOCGIFFLAGS
        fcntl.ioctl(s, 0x8914, ifreq(name, struct.pack("=H", flags | 1)))  # SIOCSIFFLAGS, IFF_UP
    s.close()


def busy_in_namespace(args, ready):
    bring_up(args.address)
    sa, sc = SERVER["attr"], SERVER["cmd"]
    ca, cc = CLIENT["attr"], CLIENT["cmd"]
    server, client = Genl(SERVER["family"]), Genl(CLIENT["family"])
    server.call(sc["add"], nla(sa["GROUP"], ip4(args.group)) +
                nla(sa["MEMBERS"], b"".join(ip4(m) for m in args.members.split(","))))
    sender, port = args.client.split(":")
    client.call(cc["add"], nla(ca["SENDER"], ip4(sender)) + nla(ca["PORT"], struct.pack("=H", int(port))) +
                nla(ca["GROUP"], ip4(args.group)) + nla(ca["FLAGS"], struct.pack("=I", 0)))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # From d0's address: multicast from a given source goes out of its
    # device without a route to the group.
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(args.address))
    copied, i = False, 0
    while True:
        s.sendto(payload_for(i, 64), (args.group, args.port))
        i += 1
        if not copied:
            copied = counters(SERVER, server.call(sc["stats"])[0])["tx_packets"] > 0
            if copied:
                ready_file(ready)
        time.sleep(args.interval)


def nlctrl_latency_main(args):
    """Looks up a generic netlink family through nlctrl (CTRL_CMD_GETFAMILY,
    which takes the genl mutex like every non-parallel family) --count
    times; prints the latency in ms (median, 90th percentile, max)."""
    g = Genl(CTRL_FAMILY_NAME)
    lat = []
    for _ in range(args.count):
        t0 = time.monotonic()
        g.ctrl_lookup(args.family)
        lat.append((time.monotonic() - t0) * 1000)
    lat.sort()
    print(json.dumps(dict(n=len(lat), p50_ms=round(lat[len(lat) // 2], 2),
                          p90_ms=round(lat[len(lat) * 9 // 10], 2), max_ms=round(lat[-1], 2))))


def dump_intr_main(args):
    """Dumps the server's groups and, once the first part has arrived,
    deletes group --delete over another socket; prints JSON: the parts
    received, the groups listed and whether any message carried
    NLM_F_DUMP_INTR (the dump spans a change)."""
    a, c = SERVER["attr"], SERVER["cmd"]
    g, other = Genl(SERVER["family"]), Genl(SERVER["family"])
    body = struct.pack("=BBH", c["groups"], P.MCAST_GENL_VERSION, 0)
    g.sock.send(struct.pack("=IHHII", 16 + len(body), g.family_id, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + body)
    groups, intr, parts, done = 0, False, 0, False
    while not done:
        data = g.sock.recv(1 << 16)
        parts += 1
        off = 0
        while off + 16 <= len(data):
            n, ty, fl, _, _ = struct.unpack_from("=IHHII", data, off)
            intr |= bool(fl & NLM_F_DUMP_INTR)
            if ty == NLMSG_ERROR:
                raise GenlError(-struct.unpack_from("=i", data, off + 16)[0], "dump failed")
            done |= ty == NLMSG_DONE
            groups += ty not in (NLMSG_DONE, NLMSG_ERROR)
            off += (n + 3) & ~3
        if parts == 1:
            other.call(c["delete"], nla(a["GROUP"], ip4(args.delete)))
    print(json.dumps(dict(parts=parts, groups=groups, intr=intr)))


def rotate_main(args):
    """Deletes and re-adds the server's first group (239.100.x.y in the
    order `genl server bulk` added them) over and over, until --stop exists:
    every listing meanwhile must still show each group once."""
    a, c = SERVER["attr"], SERVER["cmd"]
    g = Genl(SERVER["family"])
    ready_file(args.ready)
    i = 0
    while not os.path.exists(args.stop):
        group = nla(a["GROUP"], group_ip(i % args.groups))
        g.call(c["delete"], group)
        g.call(c["add"], group)
        i += 1
        time.sleep(args.interval)
    print(json.dumps(dict(rotations=i)))


def cgroup_memory_current():
    rel = open("/proc/self/cgroup").read().strip().split("::", 1)[1]
    return int(open(f"/sys/fs/cgroup{rel}/memory.current").read())


def fill_main(args):
    """Fills the server's tables from inside an unprivileged user namespace
    (run under `unshare -Urn`): groups of --members members each, in this
    network namespace and, when one is full (ENOSPC), in the next of
    --max-ns, until a request fails or --seconds pass.

    Everything the filler needs is set up before --ready: a socket in each
    namespace (sockets stay in the namespace they were opened in) and one
    warm-up group, so that once root has moved it into a memory cgroup with
    little room and created --go, what the cgroup is charged is the tables,
    and the filler itself needs no new page (a page fault the cgroup cannot
    satisfy, with no task to kill, would retry forever).

    Prints JSON: groups added after --go, namespaces used, the error (errno
    and text) that stopped it, and how much the cgroup's memory.current grew."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    a, c = SERVER["attr"], SERVER["cmd"]
    members = nla(a["MEMBERS"], b"".join(member_ip(i) for i in range(args.members)))
    socks = []
    for n in range(args.max_ns):
        if n and libc.unshare(CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
        socks.append(Genl(SERVER["family"]))
    socks[0].call(c["add"], nla(a["GROUP"], group_ip(0)) + members)
    ready_file(args.ready)
    if args.go:
        while not os.path.exists(args.go):
            time.sleep(0.05)
    before = cgroup_memory_current()
    groups, ns, i, err = 0, 0, 1, None
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        try:
            socks[ns].call(c["add"], nla(a["GROUP"], group_ip(i)) + members)
            groups, i = groups + 1, i + 1
        except GenlError as e:
            if e.errno == 28 and ns + 1 < len(socks):  # ENOSPC: this namespace is full
                ns, i = ns + 1, 0
                continue
            err = dict(errno=e.errno, text=e.msg)
            break
    print(json.dumps(dict(groups=groups, namespaces=ns + 1, error=err,
                          charged=cgroup_memory_current() - before)))


# ---- traffic -----------------------------------------------------------------
def payload_for(seq, size):
    head = struct.pack("!I", seq)
    return (head + bytes((seq + i) & 0xff for i in range(max(0, size - 4))))[:max(size, 4)]


def send_main(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, args.ttl)
    if args.ttl > 0:  # IP_TTL 0 is invalid; a multicast TTL of 0 is host scope
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, args.ttl)
    if args.no_check:
        s.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK
    if args.bind:
        s.bind((args.bind, 0))
    if args.mark:
        s.setsockopt(socket.SOL_SOCKET, 36, args.mark)  # SO_MARK
    if args.pmtu_off:
        s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
    for i in range(args.count):
        s.sendto(payload_for(args.first_seq + i, args.size), (args.group, args.port))
        if args.progress:
            write_progress(args.progress, i + 1)
        if args.interval:
            time.sleep(args.interval)


def ready_file(path):
    """Says a listener is listening: written only once its socket is bound
    (and joined), so a test that waits for it never sends into a listener
    that is not there yet."""
    if path:
        open(path, "w").close()


def control_match(spec, src):
    """--control ADDR[:PORT] against a datagram's source (addr, port)."""
    addr, _, port = spec.partition(":")
    return src[0] == addr and (not port or src[1] == int(port))


def recv_main(args):
    """Receives payload_for() datagrams on GROUP:PORT; prints one JSON object:
    received (distinct sequence numbers), corrupt, sources ("addr:port"),
    control (the positive control arrived), bound (the address bound), ran
    (seconds listened).

    The socket is bound to the group address unless --bind/--bind-any say
    otherwise: only datagrams addressed to the group reach it, so a copy the
    client module did not restore (still unicast to this host) can never be
    counted as delivered. --bind-any (INADDR_ANY) is for a check that must
    also see unicast; none of the VM cases uses it.

    --control ADDR[:PORT] names the positive control of a negative check:
    datagrams from that source are not counted in received; once one has
    arrived the receiver listens --linger seconds more and stops. A check
    that expects nothing delivered wants received 0 and control true: a
    receiver that never listened (or listened on the wrong socket) has no
    control to show."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if args.reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bound = "0.0.0.0" if args.bind_any else (args.bind or args.group)
    s.bind((bound, args.port))
    if args.join:
        mreq = ip4(args.group) + ip4(args.join)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    if args.progress:
        write_progress(args.progress, 0)
    ready_file(args.ready)
    got, bad, sources, control = set(), 0, set(), False
    start = time.monotonic()
    deadline = start + args.timeout
    while len(got) < args.count and time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        data, src = s.recvfrom(65535)
        if args.control and control_match(args.control, src):
            control = True
            deadline = min(deadline, time.monotonic() + args.linger)
            continue
        sources.add(f"{src[0]}:{src[1]}")
        seq = struct.unpack("!I", data[:4])[0] if len(data) >= 4 else -1
        if data != payload_for(seq, len(data)) or (args.size and len(data) != args.size):
            bad += 1
            continue
        got.add(seq)
        if args.expect_src and src[0] != args.expect_src:
            bad += 1
        if args.progress:
            write_progress(args.progress, len(got))
    print(json.dumps(dict(received=len(got), corrupt=bad, sources=sorted(sources), control=control,
                          bound=bound, ran=round(time.monotonic() - start, 1))))


def write_progress(path, count):
    """--progress: the datagrams sent or (distinct) received so far, after
    each one, replaced whole (a reader never sees a half-written file): a
    test sees a stream flow without starting a process of its own."""
    with open(path + ".tmp", "w") as f:
        f.write(f"{count}\n")
    os.replace(path + ".tmp", path)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total > 0xffff:
        total = (total & 0xffff) + (total >> 16)
    return total


def capture_main(args):
    """Prints one JSON line per IPv4 packet arriving on --iface (UDP and VRRP
    only, unless --all-protos): addresses, TOS, TTL, fragment fields, and
    whether the IP, UDP and VRRP checksums are right.

    --control-dport P names the positive control of a negative check: a UDP
    datagram to port P is printed with "control": true and not counted;
    once it has arrived the capture goes on --linger seconds and stops. A
    check that expects nothing on the wire wants the control line and no
    other: a capture that never ran has no control line to show."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    s.bind((args.iface, 0))
    ready_file(args.ready)
    deadline, seen = time.monotonic() + args.timeout, 0
    while seen < args.count and time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        pkt, addr = s.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING or len(pkt) < 20:
            continue
        ihl = (pkt[0] & 15) * 4
        proto = pkt[9]
        if proto not in (17, 112) and not args.all_protos:
            continue
        frag = struct.unpack("!H", pkt[6:8])[0]
        rec = dict(src=socket.inet_ntoa(pkt[12:16]), dst=socket.inet_ntoa(pkt[16:20]), tos=pkt[1], ttl=pkt[8],
                   id=struct.unpack("!H", pkt[4:6])[0], len=struct.unpack("!H", pkt[2:4])[0], proto=proto,
                   frag_offset=frag & 0x1fff, more_fragments=bool(frag & 0x2000),
                   ip_csum_ok=csum(pkt[:ihl]) == 0xffff)
        l4 = pkt[ihl:rec["len"]]
        if proto == 17 and rec["frag_offset"] == 0 and not rec["more_fragments"] and len(l4) >= 8:
            dport = struct.unpack("!H", l4[2:4])[0]
            if args.control_dport and dport == args.control_dport:
                rec.update(dport=dport, control=True)
                print(json.dumps(rec), flush=True)
                deadline = min(deadline, time.monotonic() + args.linger)
                continue
            if args.port and dport != args.port:
                continue
            check = struct.unpack("!H", l4[6:8])[0]
            pseudo = pkt[12:20] + struct.pack("!BBH", 0, 17, len(l4))
            rec.update(sport=struct.unpack("!H", l4[0:2])[0], dport=dport,
                       udp_check=check, udp_csum_ok=check == 0 or csum(pseudo + l4) == 0xffff)
        if proto == 112 and len(l4) >= 8:
            version = l4[0] >> 4
            pseudo = pkt[12:20] + struct.pack("!BBH", 0, 112, len(l4)) if version == 3 else b""
            rec.update(vrrp_version=version, vrrp_csum_ok=csum(pseudo + l4) == 0xffff)
        print(json.dumps(rec), flush=True)
        seen += 1


def build_ip(src, dst, proto, payload, tos, ttl, ident, frag=0x4000):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), ident, frag, ttl, proto, 0, ip4(src), ip4(dst))
    check = 0xffff - csum(hdr)
    return hdr[:10] + struct.pack("!H", check) + hdr[12:] + payload


def udp_segment(src, dst, sport, dport, data):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    c = 0xffff - csum(ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(seg)) + seg)
    return seg[:6] + struct.pack("!H", c or 0xffff) + seg[8:]


def vrrp_body(version, src, dst, vrid=51, prio=100):
    if version == 3:
        body = struct.pack("!BBBBHH4s", 0x31, vrid, prio, 1, 100, 0, ip4("192.0.2.51"))
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 112, len(body))
    else:
        body = struct.pack("!BBBBBBH4s8s", 0x21, vrid, prio, 1, 0, 1, 0, ip4("192.0.2.51"), b"\0" * 8)
        pseudo = b""
    c = 0xffff - csum(pseudo + body)
    return body[:6] + struct.pack("!H", c) + body[8:]


def igmp_body(what):
    """An IGMP message as a client module announces it: "report:G" (v2
    report), "leave:G" (v2 leave) or "v3:G" (v3 report, CHANGE_TO_EXCLUDE {})."""
    kind, group = what.split(":")
    if kind == "v3":
        body = struct.pack("!BBHHH", 0x22, 0, 0, 0, 1) + struct.pack("!BBH4s", 4, 0, 0, ip4(group))
    else:
        body = struct.pack("!BBH4s", 0x16 if kind == "report" else 0x17, 0, 0, ip4(group))
    c = 0xffff - csum(body)
    return body[:2] + struct.pack("!H", c) + body[4:]


def rawsend_main(args):
    """Sends what the original tool's server put on the wire for one member:
    daddr := member, TOS := 0xE0, TTL := max(TTL, 64), checksums fixed, the
    application's ports and payload unchanged (or a VRRP advert)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    for i in range(args.count):
        if args.igmp:
            pkt = build_ip(args.src, args.dst, 2, igmp_body(args.igmp), args.tos, max(args.ttl, 64), 0x4000 + i)
        elif args.vrrp:
            body = vrrp_body(args.vrrp, args.src, args.dst)
            pkt = build_ip(args.src, args.dst, 112, body, args.tos, args.ttl, 0x2000 + i)
        elif args.truncate is not None:  # an IP header saying UDP, then fewer bytes than a UDP header
            pkt = build_ip(args.src, args.dst, 17, b"\x9c\x40\x13\x88"[:args.truncate], args.tos, args.ttl, 0x3000 + i)
        else:
            body = udp_segment(args.src, args.dst, args.sport, args.dport, payload_for(i, args.size))
            pkt = build_ip(args.src, args.dst, 17, body, args.tos, max(args.ttl, 64), 0x1000 + i)
        s.sendto(pkt, (args.dst, 0))


def vrrp_recv_main(args):
    """Prints the VRRP adverts this host receives (a raw socket sees every
    one, whatever its destination: dst shows whether it arrived restored to
    224.0.0.18 or as a unicast copy), as one JSON list; --src keeps only the
    adverts of that source."""
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, ip4("224.0.0.18") + ip4(args.join))
    ready_file(args.ready)
    deadline, got = time.monotonic() + args.timeout, []
    while len(got) < args.count and time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        pkt = s.recv(65535)
        if args.src and socket.inet_ntoa(pkt[12:16]) != args.src:
            continue
        ihl = (pkt[0] & 15) * 4
        body = pkt[ihl:]
        version = body[0] >> 4
        pseudo = pkt[12:20] + struct.pack("!BBH", 0, 112, len(body)) if version == 3 else b""
        got.append(dict(src=socket.inet_ntoa(pkt[12:16]), dst=socket.inet_ntoa(pkt[16:20]), ttl=pkt[8],
                        version=version, csum_ok=csum(pseudo + body) == 0xffff))
    print(json.dumps(got))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="what", required=True)
    g = sub.add_parser("genl")
    g.add_argument("side", choices=["server", "client"])
    g.add_argument("op")
    g.add_argument("rest", nargs="*")
    s = sub.add_parser("send")
    s.add_argument("--group", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--size", type=int, default=64)
    s.add_argument("--ttl", type=int, default=1)
    s.add_argument("--interval", type=float, default=0.0)
    s.add_argument("--no-check", action="store_true")
    s.add_argument("--pmtu-off", action="store_true")
    s.add_argument("--bind")
    s.add_argument("--mark", type=int, default=0, help="SO_MARK: the mark policy routing sees")
    s.add_argument("--first-seq", type=int, default=0, help="sequence number of the first datagram")
    s.add_argument("--progress", metavar="FILE", help="keep the count sent so far in FILE")
    r = sub.add_parser("recv")
    r.add_argument("--group", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--join", help="address of the interface to join the group on")
    r.add_argument("--bind", default="", help="address to bind (default: the group)")
    r.add_argument("--bind-any", action="store_true", help="bind INADDR_ANY: unicast to the port counts too")
    r.add_argument("--count", type=int, default=1)
    r.add_argument("--size", type=int, default=0)
    r.add_argument("--timeout", type=float, default=5)
    r.add_argument("--reuse", action="store_true")
    r.add_argument("--expect-src")
    r.add_argument("--ready")
    r.add_argument("--control", metavar="ADDR[:PORT]", help="source of the positive control datagram")
    r.add_argument("--linger", type=float, default=1.0, help="seconds to go on after the control")
    r.add_argument("--progress", metavar="FILE", help="keep the count received so far in FILE")
    c = sub.add_parser("capture")
    c.add_argument("--iface", required=True)
    c.add_argument("--port", type=int, default=0)
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--timeout", type=float, default=5)
    c.add_argument("--ready")
    c.add_argument("--all-protos", action="store_true", help="every IPv4 protocol, not only UDP and VRRP")
    c.add_argument("--control-dport", type=int, default=0, help="UDP port of the positive control datagram")
    c.add_argument("--linger", type=float, default=1.0, help="seconds to go on after the control")
    w = sub.add_parser("rawsend")
    w.add_argument("--src", required=True)
    w.add_argument("--dst", required=True)
    w.add_argument("--sport", type=int, default=40000)
    w.add_argument("--dport", type=int, default=5000)
    w.add_argument("--tos", type=lambda x: int(x, 0), default=0xE0)
    w.add_argument("--ttl", type=int, default=1)
    w.add_argument("--size", type=int, default=64)
    w.add_argument("--count", type=int, default=1)
    w.add_argument("--vrrp", type=int, choices=[2, 3])
    w.add_argument("--igmp", metavar="KIND:GROUP", help="a marked IGMP message: report:G, leave:G or v3:G")
    w.add_argument("--truncate", type=int, choices=range(0, 8),
                   help="send an IP header saying UDP with only this many bytes after it")
    b = sub.add_parser("bench-changes")
    b.add_argument("--count", type=int, default=1024)
    ch = sub.add_parser("churn")
    ch.add_argument("--seconds", type=float, default=30)
    ch.add_argument("--stop")
    ch.add_argument("--ready")
    nl = sub.add_parser("nlctrl-latency")
    nl.add_argument("--family", default="rmcast_client")
    nl.add_argument("--count", type=int, default=100)
    di = sub.add_parser("dump-intr")
    di.add_argument("--delete", required=True)
    ro = sub.add_parser("rotate")
    ro.add_argument("--groups", type=int, required=True)
    ro.add_argument("--stop", required=True)
    ro.add_argument("--ready")
    ro.add_argument("--interval", type=float, default=0.05, help="seconds between rotations")
    b = sub.add_parser("busy")
    b.add_argument("--group", required=True)
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--members", required=True, help="comma-separated member addresses")
    b.add_argument("--client", required=True, metavar="SENDER:PORT")
    b.add_argument("--address", required=True, help="the address of each namespace's dummy device d0")
    b.add_argument("--ready-dir", required=True)
    b.add_argument("--interval", type=float, default=0.1,
                   help="seconds between datagrams (20 senders at 10/s keep a debug guest usable)")
    b.add_argument("--netns", nargs="+", required=True, help="names of namespaces in /run/netns")
    f = sub.add_parser("fill")
    f.add_argument("--members", type=int, default=1024)
    f.add_argument("--max-ns", type=int, default=4)
    f.add_argument("--seconds", type=float, default=120)
    f.add_argument("--ready")
    f.add_argument("--go")
    v = sub.add_parser("vrrp-recv")
    v.add_argument("--join", required=True)
    v.add_argument("--count", type=int, default=1)
    v.add_argument("--timeout", type=float, default=5)
    v.add_argument("--ready")
    v.add_argument("--src", help="only adverts from this source")
    args = p.parse_args()
    try:
        {"genl": genl_main, "send": send_main, "recv": recv_main, "capture": capture_main,
         "rawsend": rawsend_main, "vrrp-recv": vrrp_recv_main, "bench-changes": bench_changes_main,
         "churn": churn_main, "nlctrl-latency": nlctrl_latency_main, "fill": fill_main, "busy": busy_main,
         "dump-intr": dump_intr_main, "rotate": rotate_main}[args.what](args)
    except GenlError as e:
        print(f"genl error {e.errno}: {e.msg}", file=sys.stderr)
        sys.exit(min(e.errno, 125))
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(126)


if __name__ == "__main__":
    main()
