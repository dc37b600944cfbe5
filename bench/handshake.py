#!/usr/bin/env python3
"""Time from spawning a GOCACHEPROG helper to its handshake line, and to the answer of a first get.

Usage: bench/handshake.py [-n RUNS] [--] [HELPER COMMAND...]
Default helper: bin/larder helper --dir <fresh temp dir>. Prints median and min/max in ms.
The first get waits for the store to open, so it shows what a build's first lookup costs.
"""
import argparse, base64, json, os, statistics, subprocess, sys, tempfile, time

def one(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = p.stdout.readline()
    t1 = time.perf_counter()
    if not json.loads(line).get("KnownCommands"):
        sys.exit("no handshake: %r" % line)
    req = {"ID": 1, "Command": "get", "ActionID": base64.b64encode(os.urandom(32)).decode()}
    p.stdin.write((json.dumps(req) + "\n\n").encode()); p.stdin.flush()
    p.stdout.readline()
    t2 = time.perf_counter()
    p.stdin.write(b'{"ID":2,"Command":"close"}\n\n'); p.stdin.flush()
    p.stdout.read(); p.wait()
    t3 = time.perf_counter()
    return (t1 - t0) * 1000, (t2 - t0) * 1000, (t3 - t0) * 1000

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=10)
    ap.add_argument("cmd", nargs="*")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as d:
        cmd = a.cmd or [os.path.join(root, "bin", "larder"), "helper", "--dir", os.path.join(d, "store")]
        one(cmd)  # warm the page cache (and build the jar if needed)
        runs = [one(cmd) for _ in range(a.n)]
    for i, what in enumerate(["handshake", "first get answered", "whole session (close, exit)"]):
        xs = [r[i] for r in runs]
        print("%-28s median %6.0f ms  min %6.0f  max %6.0f  (n=%d)" % (what, statistics.median(xs), min(xs), max(xs), len(xs)))

main()
