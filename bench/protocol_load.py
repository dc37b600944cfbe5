#!/usr/bin/env python3
"""GOCACHEPROG protocol load: pipelined get hits, many sessions at once, and put throughput, per
helper, side by side, after the load generator's own ceiling.

Usage: bench/protocol_load.py [--duration SECONDS] [--sessions N] [-n SMALL] [--inflight K]
         [--put1m COUNT] [--put64m COUNT] [--phases hits,sessions,puts] [--verify-content]
         [--rss-pid PID | --rss-pidfile FILE | --rss-of-cmd-matching REGEX] [--peer NAME=CMD]... [--no-default-peer]
         [--larder PATH] [--rounds R] [--no-ceiling] [--json FILE] [--go PATH/TO/go]

Builds bench/load (the generator), bench/load/trivial and bench/peers/diskcache into
bench/.build/ with the standard library only, then runs the generator (see bench/load/main.go)
against, in turn:
  trivial    a helper that stores nothing (every get a hit on one fixed file, every put body
             decoded and dropped): the generator's ceiling; no helper can score above it here
  larder     bin/larder helper --dir {dir} (through the native bridge and a daemon of its own,
             LARDER_DAEMON_DIR under the work dir, started before and stopped after; its RSS is
             sampled unless --rss-pid or --rss-of-cmd-matching is given)
  diskcache  the plain Go peer (left out by --no-default-peer)
  NAME       each --peer NAME=CMD, {dir} replaced by a fresh store directory
With --rounds R every contender runs R times, interleaved (round r of all before round r+1),
and the table shows medians (the JSON has every round). Each contender run gets a fresh store directory (its 32 sessions share it). Phases: hits (put -n
small outputs, then gets with --inflight in flight over one session for --duration: hits/s),
sessions (the same from --sessions helper processes at once: aggregate hits/s), puts (MB/s of
1 MiB and of 64 MiB bodies). Every hit is verified (OutputID, Size, a file of that size at
DiskPath). Defaults take about 15 s per contender on 2 cores; the machine's two cores are shared
by the generator and the helper, which the ceiling row shows.
"""
import argparse, json, os, re, shutil, statistics, subprocess, sys, tempfile

from gomod import add_peer_args, build_go_tool, default_go, diskcache, larder, private_daemon, stop_daemon

ROWS = [("handshake_ms", "handshake ms", "%.1f"),
        ("small_puts_per_sec", "small puts/s (64 in flight)", "%.0f"),
        ("hits_per_sec", "hits/s, 1 session", "%.0f"),
        ("hit_p50_us", "  hit latency p50 us", "%.0f"),
        ("hit_p99_us", "  hit latency p99 us", "%.0f"),
        ("sessions_start_ms", "sessions: all handshakes ms", "%.0f"),
        ("sessions_hits_per_sec", "hits/s, all sessions", "%.0f"),
        ("put_1mib_mb_per_sec", "puts MB/s, 1 MiB bodies", "%.0f"),
        ("put_64mib_mb_per_sec", "puts MB/s, 64 MiB bodies", "%.0f"),
        ("helper_rss_mib", "helper peak RSS MiB", "%.0f"),
        ("sampled_rss_mib", "sampled RSS MiB (max)", "%.0f"),
        ("failures", "failed checks", "%d")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=3, help="seconds of each get phase (default 3)")
    ap.add_argument("--count", type=int, default=0, help="gets per session instead of --duration")
    ap.add_argument("--sessions", type=int, default=32)
    ap.add_argument("-n", type=int, default=2000, help="small outputs put before the get phases")
    ap.add_argument("--inflight", type=int, default=64)
    ap.add_argument("--put1m", type=int, default=128)
    ap.add_argument("--put64m", type=int, default=3)
    ap.add_argument("--put-inflight", type=int, default=4)
    ap.add_argument("--phases", default="hits,sessions,puts")
    ap.add_argument("--verify-content", action="store_true")
    ap.add_argument("--rss-pid", type=int)
    ap.add_argument("--rss-pidfile", metavar="FILE")
    ap.add_argument("--rss-of-cmd-matching", metavar="REGEX")
    ap.add_argument("--rounds", type=int, default=1, help="runs of every contender, interleaved; medians shown")
    ap.add_argument("--no-ceiling", action="store_true", help="skip the run against trivial")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--go", default=default_go())
    add_peer_args(ap)
    a = ap.parse_args()
    gen = build_go_tool(a.go, "load", "load")
    trivial = build_go_tool(a.go, "load/trivial", "trivial")
    who = [] if a.no_ceiling else [("trivial", trivial + " -dir {dir}")]
    lpath = larder(a.larder)
    who.append(("larder", lpath + " helper --dir {dir}"))
    if not a.no_default_peer:
        who.append(("diskcache", diskcache(a.go)))
    for p in a.peer:
        name, sep, cmd = p.partition("=")
        if not sep or not name or not cmd.strip():
            sys.exit("--peer %r: want NAME=CMD" % p)
        who.append((name, cmd))

    common = ["-n", str(a.n), "-inflight", str(a.inflight), "-duration", "%gs" % a.duration,
              "-count", str(a.count), "-sessions", str(a.sessions), "-put1m", str(a.put1m),
              "-put64m", str(a.put64m), "-put-inflight", str(a.put_inflight), "-phases", a.phases]
    if a.verify_content:
        common.append("-verify-content")
    runs, failed = [], []
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="larder-load-") as work:
        private_daemon(work, env)
        try:
            for rnd, i in ((rnd, i) for rnd in range(a.rounds) for i in range(len(who))):
                name, cmd = who[i]
                store = os.path.join(work, "%d-%d-%s" % (rnd, i, name))
                out = os.path.join(work, "%d-%d.json" % (rnd, i))
                argv = [gen, "-name", name, "-cmd", cmd, "-dir", store, "-json", out] + common
                if name == "trivial":
                    argv.append("-fixed")
                pid = daemon_pid(lpath, env) if name == "larder" else None  # not started inside a timed run
                if a.rss_pid:
                    argv += ["-rss-pid", str(a.rss_pid)]
                elif a.rss_pidfile:
                    argv += ["-rss-pidfile", a.rss_pidfile]
                elif a.rss_of_cmd_matching:
                    argv += ["-rss-of-cmd-matching", a.rss_of_cmd_matching]
                elif pid:
                    argv += ["-rss-pid", str(pid)]
                r = subprocess.run(argv, env=env)
                if r.returncode != 0:
                    failed.append(name)
                if os.path.exists(out):
                    runs.append(json.load(open(out)))
                shutil.rmtree(store, ignore_errors=True)
        finally:
            stop_daemon(lpath, env)
    results = [median_run([r for r in runs if r["name"] == name]) for name, _ in who]
    table(results, a.rounds)
    if a.json:
        json.dump({"cpus": os.cpu_count(), "args": vars(a), "results": results}, open(a.json, "w"), indent=2)
    if failed:
        sys.exit("failed: " + ", ".join(failed))


def daemon_pid(lpath, env):
    """Starts larder's daemon (of ENV's LARDER_DAEMON_DIR) and returns its pid, or None."""
    subprocess.run([lpath, "daemon", "start"], env=env, stdout=subprocess.DEVNULL)
    st = subprocess.run([lpath, "daemon", "status"], env=env, stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r"^pid\s+(\d+)", st, re.M)
    return int(m.group(1)) if m else None


def median_run(rs):
    """One result whose every number is the median over the rounds RS (failures: the sum)."""
    out = dict(rs[0]) if rs else {}
    for k, v in out.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = sum(r[k] for r in rs) if k == "failures" else statistics.median(r.get(k, 0) for r in rs)
        elif isinstance(v, dict):
            out[k] = {kk: statistics.median(r.get(k, {}).get(kk, 0) for r in rs) for kk in v}
    out["rounds"] = rs
    return out


def table(results, rounds):
    for r in results:
        lat = r.get("hit_latency_us") or {}
        r["hit_p50_us"], r["hit_p99_us"] = lat.get("p50"), lat.get("p99")
        rss = r.get("helper_peak_rss_kib") or {}
        r["helper_rss_mib"] = max(rss.values()) / 1024 if rss else None
        s = r.get("sampled_rss_kib") or {}
        r["sampled_rss_mib"] = max(s.values()) / 1024 if s else None
    print("\n%d CPUs; median of %d round(s)%s" % (os.cpu_count(), rounds, "; trivial = the generator's ceiling (a helper"
          " that stores nothing)" if any(r["name"] == "trivial" for r in results) else ""))
    print("%-30s" % "" + "".join("%14s" % r["name"] for r in results))
    for key, label, fmt in ROWS:
        cells = [(fmt % r[key]) if r.get(key) not in (None, 0) or key == "failures" else "-" for r in results]
        print("%-30s" % label + "".join("%14s" % c for c in cells))


main()
