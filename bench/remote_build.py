#!/usr/bin/env python3
"""go build through larder tiers with a remote cache (larder serve) behind a simulated WAN.

Usage: bench/remote_build.py [-n RUNS] [--rtt MS] [--signed] [--go PATH/TO/go]
Default go: $LARDER_TOOLCHAINS/go1.24/bin/go (see .ci/install-go-toolchains).

Starts `larder serve` on loopback and, in front of it, a TCP proxy that delays every byte by
RTT/2 in each direction (latency, not bandwidth). A first build fills the remote. Then, with
a fresh GOCACHE each time and interleaved so that machine noise hits them alike:
  local-warm        the local store holds everything (no remote in play): the floor
  remote-fresh      empty local store: every hit comes from the remote (a new CI machine)
  remote-prefetch   local store emptied by `larder trim` but its prefetch record kept: the
                    helper fetches last session's actions in the background as it starts
  remote-noprefetch the same with --no-prefetch: each hit fetched when cmd/go asks
  remote-trusted    with --signed: the remote was filled with --sign-key, and this fresh machine
                    reads it with --trust-key (every record's signature checked)
Prints the median seconds of each and the prefetch ratio.
"""
import argparse, os, queue, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

from gomod import check_go, default_go, fresh, go_env, write_module
from gomod import larder as built_larder



def pipe(src, dst, delay):
    """Forwards src to dst, each chunk sent `delay` seconds after it arrived."""
    q = queue.Queue()

    def reader():
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            q.put((time.monotonic() + delay, data))
            if not data:
                return

    def writer():
        while True:
            due, data = q.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            try:
                dst.sendall(data)
            except OSError:
                return

    threading.Thread(target=reader, daemon=True).start()
    threading.Thread(target=writer, daemon=True).start()


def proxy(target_port, delay):
    """A latency proxy on a free loopback port; returns the port."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)

    def accept():
        while True:
            c, _ = ls.accept()
            s = socket.create_connection(("127.0.0.1", target_port))
            for x in (c, s):
                x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pipe(c, s, delay)
            pipe(s, c, delay)

    threading.Thread(target=accept, daemon=True).start()
    return ls.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--rtt", type=float, default=20.0, help="simulated round-trip time in ms (default 20)")
    ap.add_argument("--signed", action="store_true",
                    help="fill the remote with signed records and add a fresh machine that checks them")
    ap.add_argument("--go", default=default_go())
    a = ap.parse_args()
    check_go(a.go)
    larder = built_larder()
    work = tempfile.mkdtemp(prefix="larder-bench-")
    serve = None
    try:
        serve = subprocess.Popen([larder, "serve", "--listen", "127.0.0.1:0", "--dir", os.path.join(work, "remote")],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        port = None
        for line in serve.stdout:
            m = re.search(r"http://127\.0\.0\.1:(\d+)/ serving", line)
            if m:
                port = int(m.group(1))
                break
        if port is None:
            sys.exit("larder serve printed no address")
        threading.Thread(target=lambda: [None for _ in serve.stdout], daemon=True).start()  # drain its log
        url = "http://127.0.0.1:%d/" % proxy(port, a.rtt / 2000.0)

        mod = write_module(work)
        base = go_env(work)

        def build(store, *helper_args):
            env = dict(base, GOCACHE=fresh(os.path.join(work, "gocache")))
            env["GOCACHEPROG"] = " ".join([larder, "helper", "--dir", store] + list(helper_args))
            t0 = time.perf_counter()
            r = subprocess.run([a.go, "build", "-o", os.path.join(work, "out"), "."], cwd=mod, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            dt = time.perf_counter() - t0
            if r.returncode != 0:
                sys.exit("build failed:\n" + r.stdout.decode())
            return dt

        def empty_keeping_record(store):
            # Two hours on, every entry is old enough to go; the prefetch/ record is not an entry.
            subprocess.run([larder, "trim", "--dir", store, "--max-size", "0"], check=True,
                           stdout=subprocess.DEVNULL, env=dict(os.environ, LARDER_TEST_CLOCK_OFFSET="7200"))

        fill = ["--store", url]
        key = os.path.join(work, "ci.key")
        if a.signed:
            subprocess.run([larder, "keygen", "--out", key], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            fill += ["--sign-key", key]
        build(fresh(os.path.join(work, "machine-a")), *fill)  # fills the remote
        local = os.path.join(work, "local")
        build(fresh(local))
        remote = os.path.join(work, "machine-b")
        results = {k: [] for k in ["local-warm", "remote-fresh", "remote-prefetch", "remote-noprefetch"]
                   + (["remote-trusted"] if a.signed else [])}
        for i in range(a.n):
            results["local-warm"].append(build(local))
            results["remote-fresh"].append(build(fresh(remote), "--store", url))
            empty_keeping_record(remote)
            results["remote-prefetch"].append(build(remote, "--store", url))
            empty_keeping_record(remote)
            results["remote-noprefetch"].append(build(remote, "--store", url, "--no-prefetch"))
            if a.signed:
                results["remote-trusted"].append(build(fresh(remote), "--store", url, "--trust-key", key + ".pub"))
            print("run %d/%d done" % (i + 1, a.n), file=sys.stderr)
        med = {k: statistics.median(v) for k, v in results.items()}
        out = subprocess.run([a.go, "version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        print("%s, remote behind %.0f ms RTT, %d runs each, median seconds (min-max)" % (out, a.rtt, a.n))
        for k, v in results.items():
            print("  %-18s %7.2f  (%.2f-%.2f)" % (k, med[k], min(v), max(v)))
        print("  remote-prefetch / remote-noprefetch  %.2fx" % (med["remote-prefetch"] / med["remote-noprefetch"]))
        print("  remote-fresh / local-warm            %.2fx" % (med["remote-fresh"] / med["local-warm"]))
        if a.signed:
            print("  remote-trusted / remote-fresh        %.2fx" % (med["remote-trusted"] / med["remote-fresh"]))
    finally:
        if serve:
            serve.kill()
        shutil.rmtree(work, ignore_errors=True)

main()
