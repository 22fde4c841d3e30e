#!/usr/bin/env python3
"""Issue 15's benchmark report (tests/bench/run-bench.sh, make bench).

  report.py results RECORDS.tsv RESULTS.json [PROFILE.txt]   (in the guest)
      the table, the wire cross-checks (PASS/FAIL lines: the instrument
      itself), the goals ("GOAL met:" / "GOAL-MISSED:" lines: a goal not met
      does not fail make bench, it is reported) and results.json
  report.py profile TRACE ROOT COPIES                        (in the guest)
      a function_graph trace (funcgraph-tail) of everything under ROOT
      summed per function: inclusive and own time, calls, per copy
  report.py merge RESULTS.json OTHER.json   (on the host) adds the
      instruction-counted VM run's figures to the timed run's
  report.py table RESULTS.json          (on the host) the table and goals again
  report.py markdown RESULTS.json      the table as Markdown (for the docs)
  report.py plot RESULTS.json PNG       (on the host, needs matplotlib)
      copies/s against members, one line per method and size

Standard library only, except plot.
"""
import json
import os
import platform
import re
import statistics
import sys
from collections import defaultdict

GOAL_APP, GOAL_RELAY, GOAL_LOOKUP, GOAL_UNTOUCHED = 1.5, 3.0, 1.05, 1.03
# what a guest's seconds are: time, or instructions when QEMU counts them
# (MCAST_VM_ICOUNT: tests/vm/boot.sh)
CLOCK = "instructions" if os.environ.get("MCAST_VM_ICOUNT") else "time"
METHODS = ("proxy", "app", "relay", "socat")


def load_records(path):
    runs = []
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 9:
                continue
            kind, ct, m, size, method, run = p[0], int(p[1]), int(p[2]), int(p[3]), p[4], int(p[5])
            try:
                copies, seconds, counted = float(p[6]), float(p[7]), float(p[8])
            except ValueError:
                copies, seconds, counted = 0.0, 0.0, 0.0
            runs.append(dict(kind=kind, ct=ct, members=m, size=size, method=method, run=run,
                             copies=copies, seconds=seconds, counted=counted,
                             rate=copies / seconds if seconds > 0 else 0.0))
    return runs


def summary(rates):
    rates = [r for r in rates if r > 0] or [0.0]
    return dict(median=statistics.median(rates), min=min(rates), max=max(rates), n=len(rates))


def ns_each(rs):
    """A cell's guest nanoseconds a copy or datagram (instructions, when
    counted): the inverse of its median rate; None without runs or rate."""
    median = summary([r["rate"] for r in rs])["median"] if rs else 0
    return 1e9 / median if median > 0 else None


def row_clock(row, res):
    """The clock of a row's run (a merged row keeps its own)."""
    return row.get("clock", res.get("clock", "time"))


def ratio_runs(num, den):
    """median of the medians' ratio, and the min-max of the per-run ratios"""
    by_run = {r["run"]: r["rate"] for r in den}
    per = [r["rate"] / by_run[r["run"]] for r in num if by_run.get(r["run"])]
    mn = summary([r["rate"] for r in num])["median"]
    md = summary([r["rate"] for r in den])["median"]
    return dict(ratio=mn / md if md else 0.0, min=min(per) if per else 0.0, max=max(per) if per else 0.0)


def build(runs, profile_path=None):
    groups = defaultdict(list)
    for r in runs:
        groups[(r["kind"], r["ct"], r["members"], r["size"], r["method"])].append(r)
    cells, goals, checks = [], [], []
    for (kind, ct, m, size, method), rs in sorted(groups.items()):
        if kind == "memory":
            continue
        cells.append(dict(kind=kind, ct=ct, members=m, size=size, method=method,
                          rate=summary([r["rate"] for r in rs]),
                          runs=[{k: r[k] for k in ("run", "copies", "seconds", "counted", "rate")} for r in rs]))
        if kind in ("fanout", "lookup") and method != "socat":
            wire, counted = sum(r["copies"] for r in rs), sum(r["counted"] for r in rs)
            ok = counted > 0 and abs(wire - counted) <= max(0.01 * counted, 20 * len(rs))
            checks.append((ok, f"wire cross-check {kind} ct={ct} members={m} size={size} {method}: "
                               f"{wire:.0f} copies at the wire, {counted:.0f} counted by the sender"))
    memory = {r["method"]: r["copies"] for r in runs if r["kind"] == "memory"}
    ratios = []
    for ct in sorted({r["ct"] for r in runs if r["kind"] == "fanout"}):
        for m in sorted({r["members"] for r in runs if r["kind"] == "fanout"}):
            for size in sorted({r["size"] for r in runs if r["kind"] == "fanout"}):
                g = {meth: groups.get(("fanout", ct, m, size, meth), []) for meth in METHODS}
                if not g["proxy"]:
                    continue
                row = dict(ct=ct, members=m, size=size)
                for meth in ("app", "relay", "socat"):
                    if g[meth]:
                        row["proxy_" + meth] = ratio_runs(g["proxy"], g[meth])
                ratios.append(row)
                for meth, want, applies in (("app", GOAL_APP, m >= 16), ("relay", GOAL_RELAY, True)):
                    if applies and ("proxy_" + meth) in row:
                        x = row["proxy_" + meth]
                        goals.append((x["ratio"] >= want,
                                      f"proxy/{meth} ct={ct} members={m} size={size}: {x['ratio']:.2f} "
                                      f"(runs {x['min']:.2f}-{x['max']:.2f}), want >= {want}"))
    for ct in sorted({r["ct"] for r in runs if r["kind"] == "lookup"}):
        a, b = groups.get(("lookup", ct, 16, 512, "groups1"), []), groups.get(("lookup", ct, 16, 512, "groups1024"), [])
        if a and b:
            x = ratio_runs(a, b)   # rate with 1 group / rate with 1024: the cost ratio
            ratios.append(dict(ct=ct, lookup_1024_vs_1=x))
            goals.append((x["ratio"] <= GOAL_LOOKUP,
                          f"lookup ct={ct}: time a copy with 1024 groups / with 1 group: {x['ratio']:.3f} "
                          f"(runs {x['min']:.3f}-{x['max']:.3f}), want <= {GOAL_LOOKUP}"))
    for ct in sorted({r["ct"] for r in runs if r["kind"] == "untouched"}):
        for what in ("server_unicast", "server_unconfigured_group", "client_unicast"):
            lo, un = groups.get(("untouched", ct, 1, 512, what + "_loaded"), []), groups.get(("untouched", ct, 1, 512, what + "_unloaded"), [])
            if lo and un:
                x = ratio_runs(un, lo)   # unloaded rate / loaded rate: the slowdown
                row = dict(ct=ct, untouched=what, slowdown=x)
                ref = groups.get(("untouched", ct, 1, 512, what + "_empty_chain"), [])
                if ref:   # what a hook of the kernel's own that does nothing costs there
                    row["empty_chain"] = ratio_runs(un, ref)
                # a datagram's guest ns (instructions, when counted) in each state
                row["ns"] = {state: ns for state, ns in (("unloaded", ns_each(un)), ("loaded", ns_each(lo)),
                                                         ("empty_chain", ns_each(ref))) if ns}
                ratios.append(row)
                goals.append((x["ratio"] <= GOAL_UNTOUCHED,
                              f"untouched {what} ct={ct}: time with the module / without: {x['ratio']:.3f} "
                              f"(runs {x['min']:.3f}-{x['max']:.3f}), want <= {GOAL_UNTOUCHED}"))
    ratios += marginal_costs(groups)
    profile = None
    if profile_path and os.path.exists(profile_path):
        with open(profile_path) as f:
            profile = f.read()
    return dict(guest=dict(kernel=platform.release(), machine=platform.machine(), cpus=os.cpu_count(),
                           cpu=cpu_model()),
                clock=CLOCK,
                cells=cells, ratios=ratios, memory=memory,
                goals=[dict(met=ok, text=t if CLOCK == "time" else f"[{CLOCK}] {t}") for ok, t in goals],
                checks=[dict(ok=ok, text=t) for ok, t in checks], profile=profile)


def marginal_costs(groups, few=16, many=128):
    """Splits each method's cost at `few` and `many` members into what a
    copy costs and what a datagram (or sendmmsg call) costs once: a cell's
    guest nanoseconds a copy (instructions, when counted) are
    datagram / members + copy. A copy's cost is what no fan-out can share
    out, so copy(app) / copy(proxy) is what proxy/app tends to as members
    grow, and the same for the relay: the figures that show how far a
    ratio goal can go."""
    rows = []
    for ct in sorted({k[1] for k in groups if k[0] == "fanout"}):
        for size in sorted({k[3] for k in groups if k[0] == "fanout"}):
            split = {}
            for meth in ("proxy", "app", "relay"):
                a, b = groups.get(("fanout", ct, few, size, meth)), groups.get(("fanout", ct, many, size, meth))
                ns_few, ns_many = ns_each(a), ns_each(b)
                if ns_few and ns_many:
                    copy = (many * ns_many - few * ns_few) / (many - few)
                    split[meth] = dict(copy_ns=copy, datagram_ns=few * (ns_few - copy))
            if "proxy" in split and split["proxy"]["copy_ns"] > 0:
                row = dict(ct=ct, size=size, marginal=split)
                for meth in ("app", "relay"):
                    if meth in split:
                        row["limit_proxy_" + meth] = split[meth]["copy_ns"] / split["proxy"]["copy_ns"]
                rows.append(row)
    return rows


def fanout_kind(item):
    """The kind of a fan-out cell in merged results: the instruction-counted
    run's are kept apart from the timed run's."""
    if item.get("clock", "time") == "time":
        return "fanout"
    return "fanout_" + item["clock"]


def merge(main_path, other_path):
    """Adds another VM run's results (the instruction-counted one) to the
    main results.json, each figure tagged with its run's clock."""
    with open(main_path) as f:
        main = json.load(f)
    with open(other_path) as f:
        other = json.load(f)
    for key in ("cells", "ratios", "goals", "checks"):
        for item in main[key]:
            item.setdefault("clock", main.get("clock", "time"))
        for item in other[key]:
            item["clock"] = other.get("clock", "time")
            if key == "cells" and item["kind"] == "fanout":
                item["kind"] = fanout_kind(item)   # apart from the timed cells
        main[key] += other[key]
    main["memory"] = main.get("memory") or other.get("memory", {})
    main["profile"] = main.get("profile") or other.get("profile")
    with open(main_path, "w") as f:
        json.dump(main, f, indent=1)
    met = sum(1 for gl in main["goals"] if gl["met"])
    print(f"# goals of both runs: {met} met, {len(main['goals']) - met} missed")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def fmt_rate(s):
    return f"{s['median']:8.0f} [{s['min']:.0f}-{s['max']:.0f}]"


def print_table(res, out=sys.stdout, checks=True):
    g = res.get("guest", {})
    print(f"# bench: guest kernel {g.get('kernel')} ({g.get('cpus')} vCPUs, {g.get('cpu')})"
          + (f"; host {res['host']}" if res.get("host") else ""), file=out)
    print("# copies/s: median [min-max] of the runs; ratios: of the medians (min-max of the per-run ratios)", file=out)
    if res.get("clock") == "instructions":
        print("# the guest's clock counted instructions (QEMU -icount): a rate is per 10^9 instructions, "
              "a time ratio an instruction ratio", file=out)
    cells = {(c["kind"], c["ct"], c["members"], c["size"], c["method"]): c for c in res["cells"]}
    print(f"{'ct':>2} {'memb':>4} {'size':>4} | {'proxy copies/s':>24} | {'app sendmmsg/s':>24} | {'C relay/s':>24} | "
          f"{'proxy/app':>17} | {'proxy/relay':>17}", file=out)
    for row in res["ratios"]:
        if "members" not in row:
            continue
        k = (fanout_kind(row), row["ct"], row["members"], row["size"])
        line = f"{row['ct']:>2} {row['members']:>4} {row['size']:>4} |"
        for meth in ("proxy", "app", "relay"):
            c = cells.get(k + (meth,))
            line += f" {fmt_rate(c['rate']) if c else '-':>24} |"
        for meth in ("app", "relay"):
            x = row.get("proxy_" + meth)
            line += f" {x['ratio']:5.2f} ({x['min']:.2f}-{x['max']:.2f})" if x else " -"
            line += " |"
        print(line.rstrip("|"), file=out)
    for row in res["ratios"]:
        if "proxy_socat" in row:
            x, c = row["proxy_socat"], cells.get(("fanout", row["ct"], 1, row["size"], "socat"))
            print(f"socat (1 member) ct={row['ct']} size={row['size']}: {fmt_rate(c['rate'])} copies/s; "
                  f"proxy/socat {x['ratio']:.2f} ({x['min']:.2f}-{x['max']:.2f})", file=out)
    for c in res["cells"]:
        if c["kind"] in ("lookup", "untouched"):
            print(f"{c['kind']} ct={c['ct']} {c['method']}: {fmt_rate(c['rate'])} per s", file=out)
    mem = res.get("memory", {})
    if mem:
        print(f"memory (SUnreclaim + Percpu, 1024 groups x 1024 members): {mem.get('bytes_per_group')} bytes a group, "
              f"{mem.get('bytes_per_member')} bytes a member", file=out)
    if checks and res["checks"]:
        bad = [c for c in res["checks"] if not c["ok"]]
        for c in bad:
            print("FAIL: bench: " + c["text"], file=out)
        if not bad:
            print(f"PASS: bench: wire cross-check: in all {len(res['checks'])} cells the copies counted at the "
                  "wire match the sender's, module's or relay's own count (within 1%)", file=out)
    for row in res["ratios"]:
        if "empty_chain" in row:
            x = row["empty_chain"]
            print(f"reference: untouched {row['untouched']} ct={row['ct']}: time with an empty nftables chain "
                  f"at the same hook point / without: {x['ratio']:.3f} (runs {x['min']:.3f}-{x['max']:.3f})", file=out)
    def unit(row):
        return "instructions" if row_clock(row, res) == "instructions" else "ns"
    for row in res["ratios"]:
        ns = row.get("ns", {})
        if "unloaded" in ns and "loaded" in ns:
            extra = f", an empty nftables chain +{ns['empty_chain'] - ns['unloaded']:.0f}" if "empty_chain" in ns else ""
            print(f"untouched {row['untouched']} ct={row['ct']}: {ns['unloaded']:.0f} {unit(row)} a datagram without "
                  f"the module, the module +{ns['loaded'] - ns['unloaded']:.0f}{extra}", file=out)
    for row in res["ratios"]:
        if "marginal" in row:
            split = row["marginal"]
            costs = ", ".join(f"{m} {split[m]['copy_ns']:.0f} (+{split[m]['datagram_ns']:.0f} a datagram)" for m in split)
            limits = ", ".join(f"proxy/{m} -> {row['limit_proxy_' + m]:.2f}" for m in ("app", "relay")
                               if "limit_proxy_" + m in row)
            print(f"marginal cost ct={row['ct']} size={row['size']}: {unit(row)} a copy: {costs}; "
                  f"as members grow: {limits}", file=out)
    for gl in res["goals"]:
        print(("GOAL met: " if gl["met"] else "GOAL-MISSED: ") + gl["text"], file=out)
    met = sum(1 for gl in res["goals"] if gl["met"])
    print(f"# goals: {met} met, {len(res['goals']) - met} missed", file=out)


LINE = re.compile(r"^\s*(\d+)\)\s*(?:[!#*@$+]\s*)?(?:([\d.]+) us\s*)?\|\s?(.*)$")


def profile(path, root, copies, out=sys.stdout):
    """Sums a function_graph trace (funcgraph-tail) of everything under
    `root` per function: inclusive and own time, calls, and microseconds a
    copy (`copies` made in the trace). The proxy's root is ip_send_skb, the
    UDP send of a datagram (the hooks are Rust, without an ftrace entry: their
    own code is the own time of nf_hook_slow's callees); the application's
    is __sys_sendmmsg."""
    total, own_children, calls = defaultdict(float), defaultdict(float), defaultdict(int)
    stacks = defaultdict(list)
    roots = [0, 0.0]
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            cpu, dur, code = m.group(1), m.group(2), m.group(3).strip()
            st = stacks[cpu]
            # only what runs under the root counts (the trace may hold more)
            inside = root in st
            if code.endswith("{"):
                st.append(code[:-1].strip().rstrip("()").strip())
            elif code.startswith("}"):
                mm = re.search(r"/\* (.*?) \*/", code)
                name = mm.group(1).strip().rstrip("()") if mm else (st[-1] if st else "?")
                if st:
                    st.pop()
                if dur and (name == root or root in st):
                    d = float(dur)
                    total[name] += d
                    calls[name] += 1
                    if st and root in st:
                        own_children[st[-1]] += d
                    if root not in st:   # an outermost root call
                        roots[0] += 1
                        roots[1] += d
            elif code.endswith(";") and dur and inside:
                name = code[:-1].strip().rstrip("()").strip()
                d = float(dur)
                total[name] += d
                calls[name] += 1
                if st:
                    own_children[st[-1]] += d
    calls_root, time_root = roots
    per = max(copies, 1)
    print(f"# function_graph under {root}: {calls_root} calls, {copies} copies, {time_root:.0f} us in all, "
          f"{time_root / per:.1f} us a copy; tracing overhead included: compare shares and the two "
          f"profiles' per-copy columns, not absolute times", file=out)
    print(f"# {'inclusive us':>12} {'us/copy':>8} {'%':>6} {'own us':>10} {'calls':>7}  function   (by inclusive time)", file=out)
    for name in sorted(total, key=lambda n: -total[n]):
        own = total[name] - own_children.get(name, 0.0)
        print(f"  {total[name]:12.1f} {total[name] / per:8.2f} {100 * total[name] / time_root if time_root else 0:6.1f} "
              f"{own:10.1f} {calls[name]:7d}  {name}", file=out)
    print(f"# under {root}, by own time (inclusive minus the functions it called)", file=out)
    for name in sorted(total, key=lambda n: -(total[n] - own_children.get(n, 0.0)))[:40]:
        own = total[name] - own_children.get(name, 0.0)
        print(f"  {own:10.1f} us {own / per:8.2f} us/copy {100 * own / time_root if time_root else 0:6.1f}% "
              f"{calls[name]:7d} calls  {name}", file=out)


def markdown(res):
    cells = {(c["kind"], c["ct"], c["members"], c["size"], c["method"]): c for c in res["cells"]}

    def rate(k):
        c = cells.get(k)
        return f"{c['rate']['median']:.0f} ({c['rate']['min']:.0f}–{c['rate']['max']:.0f})" if c else "–"

    def ratio(x, digits=2):
        return f"{x['ratio']:.{digits}f} ({x['min']:.{digits}f}–{x['max']:.{digits}f})" if x else "–"
    print("| conntrack | members | bytes | proxy copies/s | app sendmmsg copies/s | C relay copies/s | proxy/app | proxy/relay |")
    print("|---|---|---|---|---|---|---|---|")
    for row in res["ratios"]:
        if "members" in row and fanout_kind(row) == "fanout":
            k = ("fanout", row["ct"], row["members"], row["size"])
            print(f"| {'on' if row['ct'] else 'off'} | {row['members']} | {row['size']} | {rate(k + ('proxy',))} | "
                  f"{rate(k + ('app',))} | {rate(k + ('relay',))} | {ratio(row.get('proxy_app'))} | "
                  f"{ratio(row.get('proxy_relay'))} |")
    rows = [row for row in res["ratios"] if "members" in row and fanout_kind(row) != "fanout"]
    if rows:
        print()
        print("Counted in instructions (QEMU -icount), proxy and application only:")
        print()
        print("| conntrack | members | bytes | proxy copies/10⁹ instructions | app sendmmsg copies/10⁹ instructions | proxy/app |")
        print("|---|---|---|---|---|---|")
    for row in rows:
        k = (fanout_kind(row), row["ct"], row["members"], row["size"])
        print(f"| {'on' if row['ct'] else 'off'} | {row['members']} | {row['size']} | {rate(k + ('proxy',))} | "
              f"{rate(k + ('app',))} | {ratio(row.get('proxy_app'))} |")
    print()
    print("| conntrack | figure | ratio (min–max of runs) | goal |")
    print("|---|---|---|---|")
    for row in res["ratios"]:
        if "proxy_socat" in row:
            print(f"| {'on' if row['ct'] else 'off'} | proxy / socat, 1 member, {row['size']} B | {ratio(row['proxy_socat'])} | (reference) |")
        clock = row.get("clock", "time")
        if "lookup_1024_vs_1" in row:
            print(f"| {'on' if row['ct'] else 'off'} | lookup: 1024 groups / 1 group ({clock} a copy) | {ratio(row['lookup_1024_vs_1'], 3)} | ≤ {GOAL_LOOKUP} |")
        if "untouched" in row:
            print(f"| {'on' if row['ct'] else 'off'} | untouched {row['untouched']}: loaded / unloaded ({clock}) | {ratio(row['slowdown'], 3)} | ≤ {GOAL_UNTOUCHED} |")
        if "empty_chain" in row:
            print(f"| {'on' if row['ct'] else 'off'} | untouched {row['untouched']}: an empty nftables chain / unloaded ({clock}) | {ratio(row['empty_chain'], 3)} | (reference) |")
    def table_head(rows, title, columns):   # a titled Markdown table, when it has rows
        if rows:
            print(f"\n{title}\n")
            print("| " + " | ".join(columns) + " |")
            print("|" + "---|" * len(columns))

    rows = [row for row in res["ratios"] if "loaded" in row.get("ns", {})]
    table_head(rows, "What traffic the modules do not touch costs a datagram (ns of the guest's clock, instructions "
               "when counted): without the module, and what the module's hook and an empty nftables chain add:",
               ("clock", "conntrack", "traffic", "without", "the module's hook", "an empty nftables chain"))
    for row in rows:
        ns = row["ns"]
        chain = f"+{ns['empty_chain'] - ns['unloaded']:.0f}" if "empty_chain" in ns else "–"
        print(f"| {row_clock(row, res)} | {'on' if row['ct'] else 'off'} | {row['untouched']} | "
              f"{ns['unloaded']:.0f} | +{ns['loaded'] - ns['unloaded']:.0f} | {chain} |")
    rows = [row for row in res["ratios"] if "marginal" in row]
    table_head(rows, "What a copy costs and what a datagram costs once (from the 16- and 128-member cells; ns of "
               "the guest's clock, instructions when counted), and what proxy/app and proxy/relay tend to as "
               "members grow:",
               ("clock", "conntrack", "bytes", "proxy a copy (a datagram)", "app a copy (a call)",
                "relay a copy (a datagram)", "proxy/app →", "proxy/relay →"))
    for row in rows:
        split = row["marginal"]

        def cost(m):
            return f"{split[m]['copy_ns']:.0f} ({split[m]['datagram_ns']:.0f})" if m in split else "–"

        def limit(m):
            return f"{row['limit_proxy_' + m]:.2f}" if "limit_proxy_" + m in row else "–"
        print(f"| {row_clock(row, res)} | {'on' if row['ct'] else 'off'} | {row['size']} | {cost('proxy')} | "
              f"{cost('app')} | {cost('relay')} | {limit('app')} | {limit('relay')} |")
    mem = res.get("memory", {})
    if mem:
        print()
        print(f"Memory (SUnreclaim + Percpu, 1024 groups × 1024 members): {mem.get('bytes_per_group')} bytes a group, "
              f"{mem.get('bytes_per_member')} bytes a member.")


def plot(res, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cts = sorted({c["ct"] for c in res["cells"] if c["kind"] == "fanout"})
    fig, axes = plt.subplots(1, len(cts), figsize=(6.5 * len(cts), 5), sharey=True, squeeze=False)
    colors = {"proxy": "tab:blue", "app": "tab:orange", "relay": "tab:green", "socat": "tab:red"}
    styles = {64: "-", 512: "--", 1400: ":"}
    for ax, ct in zip(axes[0], cts):
        for meth in METHODS:
            for size in sorted({c["size"] for c in res["cells"] if c["kind"] == "fanout"}):
                pts = sorted((c["members"], c["rate"]) for c in res["cells"]
                             if c["kind"] == "fanout" and c["ct"] == ct and c["method"] == meth and c["size"] == size)
                if not pts:
                    continue
                xs = [p[0] for p in pts]
                ys = [p[1]["median"] for p in pts]
                err = [[p[1]["median"] - p[1]["min"] for p in pts], [p[1]["max"] - p[1]["median"] for p in pts]]
                ax.errorbar(xs, ys, yerr=err, color=colors[meth], linestyle=styles.get(size, "-"),
                            marker="o", capsize=3, label=f"{meth} {size} B")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks([1, 16, 128])
        ax.set_xticklabels(["1", "16", "128"])
        ax.set_xlabel("members")
        ax.set_title("with conntrack (stateful firewall)" if ct else "without conntrack")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("copies/s (median, min-max bars)")
    axes[0][-1].legend(fontsize=7, ncol=2)
    g = res.get("guest", {})
    fig.suptitle(f"make bench: kernel {g.get('kernel')} under QEMU TCG, {g.get('cpus')} vCPUs"
                 + (f"; host {res['host']}" if res.get("host") else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=90)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "results" and len(argv) >= 4:
        res = build(load_records(argv[2]), argv[4] if len(argv) > 4 else None)
        with open(argv[3], "w") as f:
            json.dump(res, f, indent=1)
        print_table(res)
        if res["profile"]:
            lines = res["profile"].splitlines()
            print("\n".join(lines[:18]))
            # every profile's title, total and netfilter hook line
            print("\n".join(l for l in lines if l.startswith(("## ", "# function_graph"))
                            or (l.endswith(" nf_hook_slow") and "us/copy" not in l)))
        return 0
    if cmd == "merge" and len(argv) == 4:
        merge(argv[2], argv[3])
        return 0
    if cmd == "profile" and len(argv) == 5:
        profile(argv[2], argv[3], int(argv[4]))
        return 0
    if cmd == "table" and len(argv) == 3:
        with open(argv[2]) as f:
            print_table(json.load(f), checks=False)
        return 0
    if cmd == "markdown" and len(argv) == 3:
        with open(argv[2]) as f:
            markdown(json.load(f))
        return 0
    if cmd == "plot" and len(argv) == 4:
        with open(argv[2]) as f:
            res = json.load(f)
        if not res.get("host"):
            res["host"] = f"{cpu_model()}, {os.cpu_count()} cores, {platform.release()}"
            with open(argv[2], "w") as f:
                json.dump(res, f, indent=1)
        plot(res, argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
