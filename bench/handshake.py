#!/usr/bin/env python3
"""Time from spawning a GOCACHEPROG helper to its handshake line, and to the answer of a first get.

Usage: bench/handshake.py [-n RUNS] [--peer NAME=CMD]... [--no-default-peer] [--larder PATH] [--] [HELPER COMMAND...]
Contenders: larder (bin/larder helper --dir DIR; HELPER COMMAND, if given, takes its place), the
diskcache peer (bench/peers/diskcache, a plain Go helper; left out by --no-default-peer) and each
--peer NAME=CMD. {dir} in a command is replaced by a fresh directory of that contender's own; an
untimed first session creates its store, so the timed ones open an existing store as cmd/go's
usually do. larder gets a daemon directory of its own (LARDER_DAEMON_DIR), so the untimed first
session starts its daemon, and the daemon is stopped at the end. The runs are interleaved (run i of each contender before run i+1 of any).
Prints, per contender, the median and min-max in ms of: the handshake, the first get answered
(a miss: it waits for the store to open, so it shows what a build's first lookup costs), and the
whole session (close answered, stdout closed, exited).
"""
import argparse, base64, json, os, shlex, statistics, subprocess, sys, tempfile, time

from gomod import add_peer_args, default_go, diskcache, larder, private_daemon, stop_daemon

WHAT = ["handshake", "first get answered", "whole session (close, exit)"]


def one(cmd, env):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    line = p.stdout.readline()
    t1 = time.perf_counter()
    if not line or not json.loads(line).get("KnownCommands"):
        sys.exit("%s: no handshake: %r" % (cmd[0], line))
    req = {"ID": 1, "Command": "get", "ActionID": base64.b64encode(os.urandom(32)).decode()}
    p.stdin.write((json.dumps(req) + "\n\n").encode()); p.stdin.flush()
    got = p.stdout.readline()
    t2 = time.perf_counter()
    r = json.loads(got) if got.strip() else {}
    if r.get("ID") != 1 or not r.get("Miss"):
        sys.exit("%s: the first get: got %r, want a miss with ID 1" % (cmd[0], got))
    p.stdin.write(b'{"ID":2,"Command":"close"}\n\n'); p.stdin.flush()
    p.stdout.read(); p.wait()
    t3 = time.perf_counter()
    return (t1 - t0) * 1000, (t2 - t0) * 1000, (t3 - t0) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("--go", default=default_go(), help="go command to build the diskcache peer with")
    add_peer_args(ap)
    ap.add_argument("cmd", nargs="*")
    a = ap.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as d:
        private_daemon(d, env)
        who = [("larder", [larder(a.larder), "helper", "--dir", "{dir}"]) if not a.cmd else (os.path.basename(a.cmd[0]), a.cmd)]
        if not a.no_default_peer:
            who.append(("diskcache", shlex.split(diskcache(a.go))))
        for p in a.peer:
            name, sep, cmd = p.partition("=")
            if not sep or not name or not cmd.strip():
                sys.exit("--peer %r: want NAME=CMD" % p)
            who.append((name, shlex.split(cmd)))
        cmds = {}
        for i, (name, argv) in enumerate(who):
            store = os.path.join(d, "%d-%s" % (i, name))
            os.makedirs(store)
            cmds[name] = [x.replace("{dir}", store) for x in argv]
            one(cmds[name], env)  # warm the page cache, create the store (and build larder's jar if needed)
        runs = {name: [] for name in cmds}
        try:
            for _ in range(a.n):
                for name, cmd in cmds.items():
                    runs[name].append(one(cmd, env))
        finally:
            stop_daemon(larder(a.larder), env)
    print("median ms (min-max), n=%d each, interleaved" % a.n)
    print("%-30s" % "" + "".join("%-24s" % name for name in runs))
    for i, what in enumerate(WHAT):
        cells = []
        for name, rs in runs.items():
            xs = [r[i] for r in rs]
            cells.append("%-24s" % ("%7.1f (%.1f-%.1f)" % (statistics.median(xs), min(xs), max(xs))))
        print("%-30s" % what + "".join(cells))


main()
