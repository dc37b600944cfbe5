#!/usr/bin/env python3
"""go build with Go's own cache versus larder and other GOCACHEPROG helpers, side by side in one run.

Usage: bench/go_build.py [-n RUNS] [--target small|cmdgo|all] [--scenarios cold,warm,warm2,hot]
                         [--peer NAME=CMD]... [--no-default-peer] [--larder PATH] [--json FILE]
                         [--go PATH/TO/go]
Default go: $LARDER_TOOLCHAINS/go1.24/bin/go (see .ci/install-go-toolchains).

Targets:
  small  a module that imports a broad slice of the standard library (net/http, encoding/json,
         crypto/tls, ...): a cold build compiles about 190 packages (about 5-10 s on 2 cores).
         `go build -o WORK/out-CONTENDER .`; the binary is removed before cold and warm builds (a
         fresh machine has none), kept for hot ones (nothing changed: cmd/go sees its build ID is
         up to date and skips the link, as the earlier go_build.py always did)
  cmdgo  `go build -o /dev/null cmd/go` in GOROOT/src/cmd/go: about 300 packages of a real
         mid-size program (a cold build takes about 30-60 s per contender on 2 cores). With
         -o /dev/null cmd/go links every time (about 1.3 s here), hot builds included
Contenders: `go` (Go's own cache, GOCACHE), `larder` (bin/larder helper --dir STORE), `diskcache`
(bench/peers/diskcache, a plain Go helper on a directory; left out by --no-default-peer) and every
--peer NAME=CMD, where {dir} in CMD is replaced by the contender's store directory, e.g.
  --peer mine="/usr/local/bin/myhelper -dir {dir}"
and every --larder-variant NAME=JAVA_OPTS: larder again, its daemon run with other JVM options
(LARDER_JAVA_OPTS) in a daemon directory of its own, e.g.
  --larder-variant c1=-XX:TieredStopAtLevel=1
Scenarios, each timed RUNS times per contender:
  cold   empty GOCACHE, empty store (every action missed and put)
  warm   empty GOCACHE, store filled by an earlier build: a fresh CI machine with a shared cache
         (helpers only: Go's own cache has no such state)
  warm2  the same again: for larder, the store's blobs are now verified (each blob is hashed once,
         at its first get after it was written; see README, Crash safety and damage)
  hot    GOCACHE and store both filled: a developer's second build. With GOCACHEPROG set, cmd/go
         keeps nothing in GOCACHE (but its fuzz corpus), so a helper's hot run differs from its
         warm one only by what the store's earlier sessions left (page cache, verified blobs).
If cold is not among --scenarios, each helper's store is filled once, untimed, by a cold build.
Runs are interleaved (run i of every contender before run i+1 of any; the contenders' order
rotates from run to run) so that machine noise hits them alike.

Prints per target x scenario x contender the median seconds (min-max) and the ratio to Go's own
cache (hot: to go hot; cold, warm, warm2: to go cold) and to the best helper of that scenario.
Anything the go command printed (a helper's warnings go to its stderr) is shown at the end.

larder runs with a daemon directory of its own (LARDER_DAEMON_DIR under the work dir), started
(untimed, a no-op if it runs) before each larder build and stopped at the end; bin/larder --version runs (untimed) before
each larder build, so that a jar rebuilt because someone edited the sources is not timed.

Cost on 2 cores, defaults (-n 3, three contenders): --target small about 2 min; --target cmdgo
about 20 min (the cold builds dominate: --scenarios warm,hot takes about 5 min).
"""
import argparse, json, os, shlex, statistics, subprocess, sys, tempfile, time, shutil

from gomod import add_peer_args, check_go, check_names, contenders, default_go, fresh, go_env, private_daemon, stop_daemon, write_module
from gomod import larder as built_larder

TARGETS = ["small", "cmdgo"]
SCENARIOS = ["cold", "warm", "warm2", "hot"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=3, help="runs of each scenario per contender (default 3)")
    ap.add_argument("--target", choices=TARGETS + ["all"], default="small")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--json", metavar="FILE", help="also write every time measured to FILE")
    ap.add_argument("--go", default=default_go())
    add_peer_args(ap)
    ap.add_argument("--larder-variant", action="append", default=[], metavar="NAME=JAVA_OPTS",
                    help="another larder contender whose daemon runs with LARDER_JAVA_OPTS=JAVA_OPTS "
                         "(its own daemon directory, started untimed like larder's)")
    a = ap.parse_args()
    check_go(a.go)
    scenarios = [s for s in SCENARIOS if s in a.scenarios.split(",")]
    unknown = set(a.scenarios.split(",")) - set(SCENARIOS)
    if unknown or not scenarios:
        sys.exit("--scenarios: want some of %s, got %s" % (",".join(SCENARIOS), a.scenarios))
    targets = TARGETS if a.target == "all" else [a.target]
    helpers = contenders(a, a.go)
    goroot = subprocess.run([a.go, "env", "GOROOT"], stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    work = tempfile.mkdtemp(prefix="larder-bench-")
    variants = {}  # --larder-variant's name -> the environment of its daemon
    try:
        base = go_env(work)
        private_daemon(work, base)
        mod = write_module(work)
        said = {}  # (contender, line) -> count: what the go command printed
        larder = dict(helpers)["larder"].split()[0]
        for v in a.larder_variant:
            name, sep, opts = v.partition("=")
            if not sep or not name:
                sys.exit("--larder-variant %r: want NAME=JAVA_OPTS" % v)
            d = private_daemon(os.path.join(work, "variant-" + name), {})
            variants[name] = {"LARDER_DAEMON_DIR": d, "LARDER_JAVA_OPTS": opts}
            helpers.append((name, "env LARDER_DAEMON_DIR=%s LARDER_JAVA_OPTS=%s %s helper --dir {dir}"
                            % (shlex.quote(d), shlex.quote(opts), larder)))
        check_names(helpers)
        names = ["go"] + [n for n, _ in helpers]

        def build(target, name, gocache, helper=None, store=None, keep_output=False):
            env = dict(base, GOCACHE=gocache)
            if helper:
                env["GOCACHEPROG"] = helper.replace("{dir}", store)
            if target == "small":
                out = os.path.join(work, "out-" + name)
                if not keep_output and os.path.exists(out):
                    os.remove(out)
                cwd, argv = mod, [a.go, "build", "-o", out, "."]
            else:
                cwd, argv = os.path.join(goroot, "src", "cmd", "go"), [a.go, "build", "-o", "/dev/null", "cmd/go"]
            if name == "larder" or name in variants:
                # Others edit the sources: rebuild the jar now if they changed, not inside the timed run.
                built_larder(larder)
                # The daemon retires once every store it served is deleted (a cold run's fresh store
                # does that): start it outside the timed run (a no-op if it runs).
                subprocess.run([larder, "daemon", "start"], env=dict(base, **variants.get(name, {})), check=True,
                               stdout=subprocess.DEVNULL)
            t0 = time.perf_counter()
            r = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            dt = time.perf_counter() - t0
            printed = r.stdout.decode(errors="replace")
            if r.returncode != 0:
                sys.exit("%s build with %s failed:\n%s" % (target, name, printed))
            for line in printed.splitlines():
                said[(name, line)] = said.get((name, line), 0) + 1
            return dt

        times = {(t, s, c): [] for t in targets for s in SCENARIOS for c in names}
        filled = set()
        total = a.n * len(targets) * len(names)
        done = 0
        for i in range(a.n):
            for t in targets:
                order = names[i % len(names):] + names[:i % len(names)]
                for name in order:
                    gc = os.path.join(work, "gocache-%s-%s" % (t, name))
                    if name == "go":
                        if "cold" in scenarios:
                            times[(t, "cold", name)].append(build(t, name, fresh(gc)))
                        elif (t, name) not in filled:
                            build(t, name, fresh(gc))
                            filled.add((t, name))
                        if "hot" in scenarios:
                            times[(t, "hot", name)].append(build(t, name, gc, keep_output=True))
                    else:
                        helper = dict(helpers)[name]
                        st = os.path.join(work, "store-%s-%s" % (t, name))
                        if "cold" in scenarios:
                            times[(t, "cold", name)].append(build(t, name, fresh(gc), helper, fresh(st)))
                        elif (t, name) not in filled:
                            build(t, name, fresh(gc), helper, fresh(st))
                            filled.add((t, name))
                        for s in ("warm", "warm2"):
                            if s in scenarios:
                                times[(t, s, name)].append(build(t, name, fresh(gc), helper, st))
                        if "hot" in scenarios:
                            times[(t, "hot", name)].append(build(t, name, gc, helper, st, keep_output=True))
                    done += 1
                    print("run %d/%d: %s %s done (%d/%d)" % (i + 1, a.n, t, name, done, total), file=sys.stderr)

        version = subprocess.run([a.go, "version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        report(version, a.n, targets, scenarios, names, times, helpers, said, a.json)
    finally:
        stop_daemon(larder, base)
        for name, venv in variants.items():
            stop_daemon(larder, dict(base, **venv))
        shutil.rmtree(work, ignore_errors=True)


def report(version, n, targets, scenarios, names, times, helpers, said, json_file):
    print("%s, %d CPUs, %d runs each, median seconds (min-max)" % (version, os.cpu_count(), n))
    print("ratios: vs go = to Go's own cache (hot: go hot; cold, warm, warm2: go cold); vs best = to the best helper")
    rows = []
    for t in targets:
        for s in scenarios:
            med = {c: statistics.median(v) for c in names for v in [times[(t, s, c)]] if v}
            if not med:
                continue
            ref = med.get("go") if s in ("cold", "hot") else None
            if ref is None:
                ref = statistics.median(times[(t, "cold", "go")]) if times[(t, "cold", "go")] else None
            best = min((m for c, m in med.items() if c != "go"), default=None)
            print("\n%s %s" % (t, s))
            print("  %-12s %8s  %-15s %8s %8s" % ("contender", "median", "(min-max)", "vs go", "vs best"))
            for c in names:
                v = times[(t, s, c)]
                if not v:
                    continue
                m = med[c]
                vs_go = m / ref if ref else None
                vs_best = m / best if best and c != "go" else None
                print("  %-12s %8.2f  %-15s %8s %8s" % (c, m, "(%.2f-%.2f)" % (min(v), max(v)),
                                                       "%.2fx" % vs_go if vs_go else "-", "%.2fx" % vs_best if vs_best else "-"))
                rows.append({"target": t, "scenario": s, "contender": c, "seconds": v, "median": m,
                             "min": min(v), "max": max(v), "ratio_vs_go": vs_go, "ratio_vs_best_helper": vs_best})
    if said:
        print("\nthe go command printed (count, contender, line):")
        for (c, line), k in sorted(said.items()):
            print("  %3d  %-10s %s" % (k, c, line[:200]))
    if json_file:
        with open(json_file, "w") as f:
            json.dump({"go_version": version, "cpus": os.cpu_count(), "runs": n, "helpers": dict(helpers),
                       "results": rows, "go_output": [{"contender": c, "line": l, "count": k} for (c, l), k in said.items()]},
                      f, indent=2)


main()
