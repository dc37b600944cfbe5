#!/usr/bin/env python3
"""go build with Go's own cache versus larder as GOCACHEPROG, side by side in one run.

Usage: bench/go_build.py [-n RUNS] [--go PATH/TO/go]
Default go: $LARDER_TOOLCHAINS/go1.24/bin/go (see .ci/install-go-toolchains).

Builds a small module that imports a broad slice of the standard library (net/http,
encoding/json, crypto/tls, ...), so a cold build compiles a few hundred packages. Scenarios,
each timed RUNS times, interleaved so machine noise hits them alike:
  go-cold      empty GOCACHE, Go's own cache
  go-warm      GOCACHE filled by an earlier build, Go's own cache
  larder-cold  empty GOCACHE, empty larder store (every action missed and put)
  larder-warm  empty GOCACHE, larder store filled by an earlier build (a fresh CI machine
               with a shared cache: everything comes from larder)
  larder-warm2 the same again: the store's blobs are now verified (each blob is hashed once,
               at its first get after it was written; see README, Crash safety and damage)
  larder-hot   GOCACHE and larder store both filled (a developer's second build)
Prints the median seconds of each and ratios against Go's own cache.
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

from gomod import check_go, default_go, fresh, go_env, write_module
from gomod import larder as built_larder


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--go", default=default_go())
    a = ap.parse_args()
    check_go(a.go)
    larder = built_larder()
    work = tempfile.mkdtemp(prefix="larder-bench-")
    try:
        mod = write_module(work)
        base = go_env(work)

        def build(gocache, store=None):
            env = dict(base, GOCACHE=gocache)
            if store:
                env["GOCACHEPROG"] = "%s helper --dir %s" % (larder, store)
            t0 = time.perf_counter()
            r = subprocess.run([a.go, "build", "-o", os.path.join(work, "out"), "."], cwd=mod, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            dt = time.perf_counter() - t0
            if r.returncode != 0:
                sys.exit("build failed:\n" + r.stdout.decode())
            return dt

        gc, st = os.path.join(work, "gocache"), os.path.join(work, "store")
        results = {k: [] for k in ["go-cold", "go-warm", "larder-cold", "larder-warm", "larder-warm2", "larder-hot"]}
        for i in range(a.n):
            results["go-cold"].append(build(fresh(gc)))
            results["go-warm"].append(build(gc))
            fresh(st)
            results["larder-cold"].append(build(fresh(gc), st))
            results["larder-warm"].append(build(fresh(gc), st))
            results["larder-warm2"].append(build(fresh(gc), st))
            results["larder-hot"].append(build(gc, st))
            print("run %d/%d done" % (i + 1, a.n), file=sys.stderr)
        med = {k: statistics.median(v) for k, v in results.items()}
        out = subprocess.run([a.go, "version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        print("%s, %d runs each, median seconds (min-max)" % (out, a.n))
        for k, v in results.items():
            print("  %-12s %7.2f  (%.2f-%.2f)" % (k, med[k], min(v), max(v)))
        print("  larder-cold / go-cold  %.2fx" % (med["larder-cold"] / med["go-cold"]))
        print("  larder-warm / go-warm  %.2fx" % (med["larder-warm"] / med["go-warm"]))
        print("  larder-warm / go-cold  %.2fx" % (med["larder-warm"] / med["go-cold"]))
        print("  larder-warm2 / go-cold %.2fx" % (med["larder-warm2"] / med["go-cold"]))
        print("  larder-hot  / go-warm  %.2fx" % (med["larder-hot"] / med["go-warm"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)

main()
