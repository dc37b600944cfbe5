#!/usr/bin/env python3
"""make -j2 of a generated C project: untraced, under larder run (cold and warm), under strace,
and with ccache (cold and warm), side by side in one run.

Usage: bench/run_build.py [-n RUNS] [--files N] [--keep]
       bench/run_build.py --incremental [-n RUNS] [--files N] [--keep] [--scenarios clean-edit,edit,clone-edit]
                          [--cc-wrapper NAME=CMD]...

Writes a C project in a temp dir: N .c files (default 40), each with a few functions of loops,
switches and table arithmetic so that gcc -O2 takes a little while over each, all including two
shared headers, plus main.c and a Makefile that builds every object and links one program
(`make clean` removes them). Every scenario builds from a clean tree (`make clean` before, not
timed) and is timed RUNS times, interleaved so machine noise hits them alike:
  untraced     make -j2
  larder-cold  bin/larder run --dir EMPTY-STORE -- make -j2 (traced, recorded)
  larder-warm  bin/larder run --dir STORE -- make -j2, STORE holding larder-cold's recording
               (must be a hit: nothing runs, the outputs are replayed)
  strace       strace -f --seccomp-bpf -e trace=%file,%process -o /dev/null make -j2
               (what tracing alone costs, for reference)
  ccache-cold  make -j2 CC="ccache gcc", CCACHE_DIR empty
  ccache-warm  the same with ccache-cold's CCACHE_DIR
  larder-true  bin/larder run --dir STORE -- true, a hit (the second run): larder's fixed cost
Checks that larder-cold and larder-warm (and the others) leave a tree identical to the untraced
build's: every file's SHA-256 and mode, and the program's output; exits 1 if not, or if
larder-warm was not a hit (printing larder's --explain lines). Prints the median wall seconds
of each, ratios against untraced, larder-warm against ccache-warm, and the median CPU seconds
(user+sys of the whole process tree, larder's JVM included): on a busy machine they show what
the wall times may hide.

--incremental runs the other set instead: one edit after a cached build, the developer's loop
(the issue "nested execution caching"). The edit changes one constant of the middle .c file
(mod20.c by default), so its object and the program's output really change. Scenarios
(--scenarios picks some):
  clean-edit  (a) after a full build cached by each tool: make clean, the edit, make -j2
  edit        (b) after that full build: the edit, no clean, make -j2 (make's own incremental)
  clone-edit  (c) after that full build: rm -rf the tree, its sources written anew at the same
              path (what a fresh clone gives), the edit, make -j2
each timed for
  untraced    make -j2
  larder      bin/larder run --dir STORE --explain --stats-json F -- make -j2
  ccache      make -j2 CC="ccache gcc" with CCACHE_DIR
  NAME        each --cc-wrapper NAME=CMD: make -j2 CC="CMD gcc", {dir} in CMD replaced by its
              cache directory, e.g. --cc-wrapper "sccache=env SCCACHE_DIR={dir} sccache"
Every run starts from the same warm state: each cache's full build of the unedited tree into an
empty cache is done once (untimed); every run gets a copy of that cache, a fresh tree, and the
tool's full build of it (untimed: all hits; larder's must be a whole-run hit), then the
scenario's steps (untimed) and the timed make. A quarter second's pause follows the tree's
writing and that full build, so file times have settled as in a developer's tree (larder trusts
a file's stat only 200 ms after its last change). Runs are interleaved (RUNS times, the tools'
order rotating). Every tool must leave a tree identical to an untraced build of the edited
sources (SHA-256 and mode of every file, objects and program, and the program's output); exits
1 if not. Prints per scenario the medians, ratios to untraced, larder against ccache and the
issue's targets ((a), (c): larder at least 5x faster than untraced and no slower than ccache;
(b): at most 1.2x untraced), the median CPU seconds (larder's private daemon's CPU included:
it is no child of this script), and, of larder's first run of each scenario, its --explain
lines and the unit counts of --stats-json (units, unitsRun, unitsSkipped, unitsUncacheable;
a larder without nested units says the whole run missed). larder uses a daemon directory of
its own, stopped at the end. ccache is required (exit 2 with how to install it if missing).
"""
import argparse, hashlib, json, os, re, resource, shutil, stat, statistics, subprocess, sys, tempfile, time

from gomod import fresh, private_daemon, stop_daemon
from gomod import larder as built_larder

PARTS = 3  # parts per .c file: about 0.25 s of gcc -O2 each file here

COMMON_H = '''#ifndef COMMON_H
#define COMMON_H
#include <stdint.h>
#include <stddef.h>

#define ROUNDS 64
#define TABLE 256

static inline uint32_t rotl32(uint32_t x, int r) { return (x << (r & 31)) | (x >> ((32 - r) & 31)); }
static inline uint64_t mix64(uint64_t h, uint64_t x) {
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}
static inline double poly(double x, const double *c, int n) {
    double r = 0.0;
    for (int i = n - 1; i >= 0; i--) r = r * x + c[i];
    return r;
}
#endif
'''

HEAD_TMPL = '''#include "common.h"
#include "util.h"
'''

# One part of a file: a table, and functions with loops, a switch, floating point and parsing.
PART_TMPL = '''
static uint32_t tab{i}[TABLE];
static const double coef{i}[8] = {{{coefs}}};

static void init{i}(uint32_t seed) {{
    for (int k = 0; k < TABLE; k++) {{
        seed = seed * 1664525u + 1013904223u;
        tab{i}[k] = rotl32(seed, k % 29) ^ (uint32_t)(k * {m1});
    }}
}}

static uint64_t scramble{i}(const uint32_t *v, size_t n, uint64_t acc) {{
    for (size_t k = 0; k < n; k++) {{
        uint32_t x = v[k] ^ (uint32_t)acc;
        switch ((x + (uint32_t)k) % 8u) {{
        case 0: acc += (uint64_t)rotl32(x, 3) * {m1}u; break;
        case 1: acc ^= (uint64_t)x << 17; break;
        case 2: acc = mix64(acc, x * {m2}u); break;
        case 3: acc -= (uint64_t)(x >> 5) * 0x51ed27u; break;
        case 4: acc = (acc << 7) | (acc >> 57); acc += x; break;
        case 5: acc *= (x | 1u); break;
        case 6: acc += tab{i}[x & (TABLE - 1)]; break;
        default: acc = mix64(acc ^ k, tab{i}[(x >> 8) & (TABLE - 1)]); break;
        }}
    }}
    return acc;
}}

static void matmul{i}(double a[8][8], const double b[8][8]) {{
    double c[8][8];
    for (int r = 0; r < 8; r++)
        for (int s = 0; s < 8; s++) {{
            double t = 0.0;
            for (int k = 0; k < 8; k++) t += a[r][k] * b[k][s];
            c[r][s] = t * 0.125 + poly((double)(r - s) * 0.01, coef{i}, 8);
        }}
    for (int r = 0; r < 8; r++)
        for (int s = 0; s < 8; s++) a[r][s] = c[r][s] / (1.0 + (c[r][s] < 0 ? -c[r][s] : c[r][s]));
}}

static uint64_t matrix{i}(uint64_t seed) {{
    double a[8][8], b[8][8];
    for (int r = 0; r < 8; r++)
        for (int s = 0; s < 8; s++) {{
            seed = mix64(seed, (uint64_t)(r * 8 + s));
            a[r][s] = (double)(seed % 1000) / 1000.0;
            b[r][s] = (double)((seed >> 20) % 1000) / 500.0 - 1.0;
        }}
    for (int k = 0; k < ROUNDS / 8; k++) matmul{i}(a, b);
    uint64_t h = 0;
    for (int r = 0; r < 8; r++)
        for (int s = 0; s < 8; s++) h = mix64(h, (uint64_t)(int64_t)(a[r][s] * 1e6));
    return h;
}}

static int parse{i}(const char *s, int *out, int max) {{
    int n = 0, cur = 0, neg = 0, in = 0;
    for (; *s && n < max; s++) {{
        char ch = *s;
        if (ch == '-' && !in) {{ neg = 1; in = 1; }}
        else if (ch >= '0' && ch <= '9') {{ cur = cur * 10 + (ch - '0'); in = 1; }}
        else if (in) {{ out[n++] = neg ? -cur : cur; cur = 0; neg = 0; in = 0; }}
    }}
    if (in && n < max) out[n++] = neg ? -cur : cur;
    return n;
}}

static uint64_t sieve{i}(int limit) {{
    unsigned char mark[2048];
    uint64_t sum = 0;
    if (limit > 2048) limit = 2048;
    for (int k = 0; k < limit; k++) mark[k] = 1;
    for (int p = 2; p * p < limit; p++)
        if (mark[p])
            for (int q = p * p; q < limit; q += p) mark[q] = 0;
    for (int k = 2; k < limit; k++)
        if (mark[k]) sum = sum * 31 + (uint64_t)k;
    return sum;
}}

static uint64_t part{i}(void) {{
    uint32_t v[512];
    int nums[16];
    init{i}({seed}u);
    for (int k = 0; k < 512; k++) v[k] = tab{i}[k & (TABLE - 1)] + (uint32_t)k * {m2}u;
    uint64_t acc = scramble{i}(v, 512, {seed}u);
    acc = mix64(acc, matrix{i}(acc));
    int n = parse{i}("{text}", nums, 16);
    for (int k = 0; k < n; k++) acc = mix64(acc, (uint64_t)(int64_t)nums[k]);
    return mix64(acc, sieve{i}(1000 + {q} * 17));
}}
'''

MAIN_TMPL = '''#include <stdio.h>
#include "common.h"
#include "util.h"

int main(void) {{
    uint64_t h = 0;
{calls}
    printf("%016llx\\n", (unsigned long long)h);
    return 0;
}}
'''


def write_project(d, nfiles):
    """Writes the C project into D (which exists)."""
    names = ["mod%02d" % i for i in range(nfiles)]
    w = lambda name, text: open(os.path.join(d, name), "w").write(text)
    w("common.h", COMMON_H)
    w("util.h", "#ifndef UTIL_H\n#define UTIL_H\n#include <stdint.h>\n"
      + "".join("uint64_t mod%d_run(void);\n" % i for i in range(nfiles)) + "#endif\n")
    for i, name in enumerate(names):
        text = HEAD_TMPL
        for j in range(PARTS):
            p, q = "%d_%d" % (i, j), i * PARTS + j
            coefs = ", ".join("%.3f" % ((q * 7 + k * 13) % 17 / 10.0 - 0.8) for k in range(8))
            text += PART_TMPL.format(i=p, q=q, coefs=coefs, m1=2654435761 % (1000003 + q), m2=40503 + 2 * q,
                                     seed=12345 + q * 977, text="%d, -%d; %d x %d" % (q, q * 3, q * 11, 42))
        text += "\nuint64_t mod%d_run(void) {\n    uint64_t h = %d;\n" % (i, i)
        text += "".join("    h = mix64(h, part%d_%d());\n" % (i, j) for j in range(PARTS))
        w(name + ".c", text + "    return h;\n}\n")
    w("main.c", MAIN_TMPL.format(calls="\n".join("    h = mix64(h, mod%d_run());" % i for i in range(nfiles))))
    objs = " ".join(n + ".o" for n in names + ["main"])
    w("Makefile", "CC = gcc\nCFLAGS = -O2 -Wall\nOBJS = %s\n\n"
      "prog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n\n"
      "%%.o: %%.c common.h util.h\n\t$(CC) $(CFLAGS) -c $< -o $@\n\n"
      "clean:\n\trm -f $(OBJS) prog\n\n.PHONY: clean\n" % objs)


def snapshot(d):
    """{relative path: (sha256, mode)} of every file under D, and the program's output."""
    files = {}
    for root, _, names in os.walk(d):
        for n in names:
            p = os.path.join(root, n)
            files[os.path.relpath(p, d)] = (hashlib.sha256(open(p, "rb").read()).hexdigest(),
                                            stat.S_IMODE(os.stat(p).st_mode))
    out = subprocess.run([os.path.join(d, "prog")], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL).stdout \
        if "prog" in files else None
    return files, out


def diff(ref, got):
    """Human-readable differences between two snapshots (empty if identical)."""
    (rf, ro), (gf, go) = ref, got
    d = ["missing: " + p for p in sorted(set(rf) - set(gf))]
    d += ["extra: " + p for p in sorted(set(gf) - set(rf))]
    d += ["differs: %s %s" % (p, "(content)" if rf[p][0] != gf[p][0] else "(mode %o, want %o)" % (gf[p][1], rf[p][1]))
          for p in sorted(set(rf) & set(gf)) if rf[p] != gf[p]]
    if ro != go:
        d.append("program output %r, want %r" % (go, ro))
    return d


def base_env(work):
    """The builds' sealed environment, HOME under WORK."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work, "LANG": "C", "LC_ALL": "C"}
    if "JAVA_HOME" in os.environ:
        env["JAVA_HOME"] = os.environ["JAVA_HOME"]
    return env


def timed(label, cmd, cwd, env):
    """Runs CMD in CWD with ENV (stdin /dev/null); returns (wall seconds, CPU seconds of its process
    tree (user+sys of the children it waited for), stdout+stderr). Exits if it fails."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    dt = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = r.stdout.decode(errors="replace")
    if r.returncode != 0:
        sys.exit("%s failed (exit %d):\n%s" % (label, r.returncode, out))
    return dt, ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime, out


def explain(out):
    """larder's own lines (--explain, warnings) of a run's output."""
    return "\n".join(l for l in out.splitlines() if l.startswith("larder"))


def larder_argv(larder, store, stats_json, cmd):
    """bin/larder run of CMD on STORE with --explain and --stats-json STATS_JSON (removed first)."""
    if os.path.exists(stats_json):
        os.remove(stats_json)
    return [larder, "run", "--dir", store, "--explain", "--stats-json", stats_json, "--"] + cmd


def read_stats(stats_json):
    """The --stats-json of a larder run, {} if it wrote none."""
    return json.load(open(stats_json)) if os.path.exists(stats_json) else {}


def finish(problems, identical):
    """Exits 1 after listing PROBLEMS on stderr, if there are any; else prints IDENTICAL (what was checked)."""
    if problems:
        print("\nPROBLEMS:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        sys.exit(1)
    print(identical)


def leave(work, keep):
    """Removes the work directory WORK, or names it on stderr if KEEP."""
    if keep:
        print("kept " + work, file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)


INCREMENTAL = ["clean-edit", "edit", "clone-edit"]
INCREMENTAL_WHAT = {
    "clean-edit": "(a) clean-edit: after a full build cached by each tool, make clean and one .c file edited",
    "edit": "(b) edit: one .c file edited, no clean (make's own incremental rebuild)",
    "clone-edit": "(c) clone-edit: a fresh copy of the tree at the same path (rm -rf, sources written anew) with one edit",
}
# The targets for larder: (most larder / untraced, most larder / ccache) per scenario.
INCREMENTAL_TARGETS = {"clean-edit": (0.20, 1.00), "edit": (1.20, None), "clone-edit": (0.20, 1.00)}


def edit(proj, nfiles):
    """Changes one constant of the middle .c file, so that its object and the program's output
    change; returns the file's name. Always the same edit: every tool builds the same sources."""
    i = nfiles // 2
    name = "mod%02d.c" % i
    p = os.path.join(proj, name)
    old, new = "    uint64_t h = %d;\n" % i, "    uint64_t h = %d;\n" % (i + 7919)
    text = open(p).read()
    if text.count(old) != 1:
        sys.exit("edit: %s has %r %d times, want once" % (name, old, text.count(old)))
    open(p, "w").write(text.replace(old, new))
    obj = os.path.join(proj, name[:-2] + ".o")
    if os.path.exists(obj) and os.stat(p).st_mtime_ns <= os.stat(obj).st_mtime_ns:
        # make must see the source newer than its object (a replay may leave the object's time later).
        t = os.stat(obj).st_mtime_ns + 1000000
        os.utime(p, ns=(t, t))
    return name


def cc_wrappers(specs):
    """[(name, CC prefix, extra environment)] of the compiler caches: ccache (CCACHE_DIR={dir}), then
    each NAME=CMD of SPECS; {dir} stands for the cache's directory."""
    out = [("ccache", "ccache", {"CCACHE_DIR": "{dir}"})]
    for spec in specs:
        name, sep, cmd = spec.partition("=")
        if not sep or not name or not cmd.strip():
            sys.exit("--cc-wrapper %r: want NAME=CMD" % spec)
        if "{dir}" not in cmd:
            print("note: --cc-wrapper %s has no {dir}: its cache is not copied from the warm state per run, so later"
                  " runs find the edit cached" % name, file=sys.stderr)
        out.append((name, cmd.strip(), {}))
    names = ["untraced", "larder"] + [n for n, _, _ in out]
    if len(set(names)) != len(names):
        sys.exit("--cc-wrapper names must be distinct and not untraced, larder or ccache: %s" % names)
    return out


def daemon_pids(d):
    """The pids the daemon logs in directory D announce (larder daemon: pid N listening)."""
    pids = []
    for name in sorted(os.listdir(d)):
        if name.endswith(".log"):
            for line in open(os.path.join(d, name), errors="replace"):
                m = re.match(r"larder daemon: pid (\d+) listening", line)
                if m:
                    pids.append(int(m.group(1)))
    return pids


def proc_cpu(pid):
    """user+sys CPU seconds of live process PID, None if it is gone."""
    try:
        rest = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def daemon_cpu(d, seen):
    """CPU seconds used so far by the daemons of directory D (they are no children of ours, so
    rusage misses them); SEEN keeps each pid's last value, for daemons that exited since."""
    for pid in daemon_pids(d):
        c = proc_cpu(pid)
        if c is not None:
            seen[pid] = c
    return sum(seen.values())


def stop_daemons(larder, env):
    """Stops ENV's private daemons and waits (at most 60 s) until they have exited: their stores are
    then closed and can be copied."""
    subprocess.run([larder, "daemon", "stop"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while any(proc_cpu(p) is not None for p in daemon_pids(env["LARDER_DAEMON_DIR"])):
        if time.monotonic() > deadline:
            sys.exit("larder daemon stop: a daemon still runs after 60 s")
        time.sleep(0.1)


def unit_summary(out, stats):
    """What larder said about its units: its --explain lines (those naming units first, at most 8)
    and the unit counts of --stats-json."""
    lines = explain(out).splitlines()
    if len(lines) > 8:
        first = [l for l in lines if "units" in l] + [l for l in lines if "units" not in l]
        lines = first[:8] + ["(%d more --explain lines)" % (len(lines) - 8)]
    keys = ["units", "unitsRun", "unitsSkipped", "unitsUncacheable"]
    if any(k in stats for k in keys):
        lines.append("--stats-json: " + ", ".join("%s %s" % (k, stats.get(k)) for k in keys)
                     + ", executions %s" % stats.get("executions"))
    else:
        lines.append("--stats-json: no unit counts (result %s, executions %s): this larder caches the whole run only"
                     % (stats.get("result"), stats.get("executions")))
    return lines


def incremental(a):
    """The --incremental set: see the module's doc."""
    if not shutil.which("ccache"):
        print("ccache is not installed; the incremental set measures larder against it. Install it:"
              " apt-get install ccache", file=sys.stderr)
        sys.exit(2)
    scenarios = [s for s in INCREMENTAL if s in a.scenarios.split(",")]
    unknown = set(a.scenarios.split(",")) - set(INCREMENTAL)
    if unknown or not scenarios:
        sys.exit("--scenarios: want some of %s, got %s" % (",".join(INCREMENTAL), a.scenarios))
    wrappers = cc_wrappers(a.cc_wrapper)
    larder = built_larder()
    tools = ["untraced", "larder"] + [n for n, _, _ in wrappers]
    work = tempfile.mkdtemp(prefix="larder-bench-")
    env = base_env(work)
    private_daemon(work, env)
    proj = os.path.join(work, "proj")
    sj = os.path.join(work, "stats.json")
    make = ["make", "-j2"]
    problems = []
    try:
        def tree(edited):
            """A fresh tree at PROJ, as a clone gives it; edited or not. Returns the edited file's name."""
            fresh(proj)
            write_project(proj, a.files)
            return edit(proj, a.files) if edited else None

        def build(label, tool, d):
            """TOOL's make -j2 in PROJ with its cache in D; returns (seconds, CPU seconds, output)."""
            if tool == "untraced":
                return timed(label, make, proj, env)
            if tool == "larder":
                return timed(label, larder_argv(larder, d, sj, make), proj, env)
            prefix, extra = {n: (p, e) for n, p, e in wrappers}[tool]
            return timed(label, make + ["CC=%s gcc" % prefix.replace("{dir}", d)], proj,
                         dict(env, **{k: v.replace("{dir}", d) for k, v in extra.items()}))

        def compare(label, want):
            d = diff(want, snapshot(proj))
            if d:
                problems.append("%s: tree differs from the untraced build's of the same sources:\n    %s"
                                % (label, "\n    ".join(d[:20])))

        def want_result(label, out, want):
            got = read_stats(sj).get("result")
            if got != want:
                problems.append("%s: result %r, want %r; --explain said:\n    %s"
                                % (label, got, want, explain(out).replace("\n", "\n    ")))

        # The references: untraced builds of the sources as they are and as edited.
        tree(False)
        build("untraced build of the unedited sources", "untraced", None)
        unedited = snapshot(proj)
        obj = tree(True)[:-2] + ".o"
        build("untraced build of the edited sources", "untraced", None)
        ref = snapshot(proj)
        if unedited[0][obj][0] == ref[0][obj][0] or unedited[1] == ref[1]:
            sys.exit("the edit left %s or the program's output unchanged" % obj)
        # Each cache's warm state: its full build of the unedited tree, from empty (untimed).
        warm = {}
        for t in tools[1:]:
            warm[t] = fresh(os.path.join(work, "warm", t))
            tree(False)
            out = build("%s full build into an empty cache" % t, t, warm[t])[2]
            if t == "larder":
                want_result("larder full build into an empty store", out, "miss")
            compare("%s full build into an empty cache" % t, unedited)
        stop_daemons(larder, env)

        times = {(s, t): [] for s in scenarios for t in tools}
        cpus = {(s, t): [] for s in scenarios for t in tools}
        said = {}
        seen = {}
        load0 = os.getloadavg()[0]
        for i in range(a.n):
            for s in scenarios:
                for t in tools[i % len(tools):] + tools[:i % len(tools)]:
                    label = "%s %s run %d" % (s, t, i + 1)
                    # The same warm state for every run: a copy of the cache as the full build left it
                    # (kept to the end: a daemon retires when every store it served is gone).
                    d = None
                    if t != "untraced":
                        d = os.path.join(work, "state", "%s-%s-%d" % (t, s, i))
                        shutil.copytree(warm[t], d, symlinks=True)
                    tree(False)
                    # Past larder's "too fresh to trust its stat" rule (200 ms), as a developer's tree and
                    # store are: else every blob and source would be hashed again in the timed run.
                    time.sleep(0.25)
                    if t != "untraced" or s == "edit":
                        # The full build of the unedited tree the developer did before (its cache's
                        # hits; nothing of it survives for untraced (a) and (c)).
                        out = build(label + ": the full build before it", t, d)[2]
                        if t == "larder":
                            want_result(label + ": the full build before it", out, "hit")
                        time.sleep(0.25)  # the edit comes later than the build's last write
                    if s == "clean-edit":
                        subprocess.run(["make", "clean"], cwd=proj, env=env, stdout=subprocess.DEVNULL, check=True)
                        edit(proj, a.files)
                    elif s == "edit":
                        edit(proj, a.files)
                    else:
                        tree(True)
                    if t == "larder":
                        # Started outside the timed run (a no-op if it runs).
                        subprocess.run([larder, "daemon", "start"], env=env, check=True, stdout=subprocess.DEVNULL)
                    c0 = daemon_cpu(env["LARDER_DAEMON_DIR"], seen)
                    dt, cpu, out = build(label, t, d)
                    times[(s, t)].append(dt)
                    cpus[(s, t)].append(cpu + (daemon_cpu(env["LARDER_DAEMON_DIR"], seen) - c0 if t == "larder" else 0))
                    compare(label, ref)
                    if t == "larder" and i == 0:
                        said[s] = unit_summary(out, read_stats(sj))
            print("run %d/%d done" % (i + 1, a.n), file=sys.stderr)
        report_incremental(a, obj, tools, scenarios, times, cpus, said, load0)
        finish(problems, "outputs of every tool identical to the untraced build's of the same sources (SHA-256 and"
                         " mode of every file, objects and program, and the program's output)")
    finally:
        stop_daemon(larder, env)
        leave(work, a.keep)


def report_incremental(a, obj, tools, scenarios, times, cpus, said, load0):
    """Prints the incremental set's table, its ratios against the targets and larder's --explain lines."""
    gcc = subprocess.run(["gcc", "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
    ccache = subprocess.run(["ccache", "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
    print("incremental make -j2 of %d .c files + main.c (%s; %s), edit: one constant of %s, %d CPUs (load average"
          " %.1f before, %.1f after), %d runs each, median seconds (min-max)"
          % (a.files, gcc, ccache, obj[:-2] + ".c", os.cpu_count(), load0, os.getloadavg()[0], a.n))
    med = {k: statistics.median(v) for k, v in times.items()}
    for s in scenarios:
        print(INCREMENTAL_WHAT[s])
        base = med[(s, "untraced")]
        for t in tools:
            v = times[(s, t)]
            print("  %-10s %7.2f  %-13s %5.2fx untraced   CPU %6.2f s" % (
                t, med[(s, t)], "(%.2f-%.2f)" % (min(v), max(v)), med[(s, t)] / base, statistics.median(cpus[(s, t)])))
        vs_untraced, vs_ccache = INCREMENTAL_TARGETS[s]
        r = med[(s, "larder")] / base
        print("  larder / untraced %.2fx (target <= %.2f: %s)" % (r, vs_untraced, "met" if r <= vs_untraced else "NOT met"))
        r = med[(s, "larder")] / med[(s, "ccache")]
        print("  larder / ccache   %.2fx%s" % (r, "" if vs_ccache is None else " (target <= %.2f: %s)"
                                                % (vs_ccache, "met" if r <= vs_ccache else "NOT met")))
    for s in scenarios:
        print("larder run 1 of %s said:" % INCREMENTAL_WHAT[s].split(":")[0])
        for line in said.get(s, []):
            print("  " + line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--files", type=int, default=40, help="number of .c files besides main.c")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (printed)")
    ap.add_argument("--incremental", action="store_true",
                    help="run the incremental set (one edit after a cached build) instead of the full builds")
    ap.add_argument("--scenarios", default=",".join(INCREMENTAL),
                    help="with --incremental: some of %s (default all)" % ",".join(INCREMENTAL))
    ap.add_argument("--cc-wrapper", action="append", default=[], metavar="NAME=CMD",
                    help="with --incremental: another compiler cache beside ccache, used as CC=\"CMD gcc\";"
                         " {dir} in CMD is replaced by its cache directory (warmed like ccache's)")
    a = ap.parse_args()
    if a.incremental:
        incremental(a)
        return
    if a.cc_wrapper or a.scenarios != ",".join(INCREMENTAL):
        sys.exit("--scenarios and --cc-wrapper go with --incremental")
    larder = built_larder()
    have_strace, ccache = shutil.which("strace"), shutil.which("ccache")
    skipped = {}
    if not have_strace:
        skipped["strace"] = "strace not installed (apt-get install -y strace)"
    if not ccache:
        skipped["ccache-cold"] = skipped["ccache-warm"] = "ccache not installed (apt-get install -y ccache)"
    work = tempfile.mkdtemp(prefix="larder-bench-")
    problems = []
    try:
        proj = os.path.join(work, "proj")
        os.makedirs(proj)
        write_project(proj, a.files)
        env = base_env(work)

        def run(label, cmd, extra_env=None):
            """Runs CMD from a clean tree; returns (seconds, stdout+stderr). Also notes its CPU seconds."""
            subprocess.run(["make", "clean"], cwd=proj, env=env, stdout=subprocess.DEVNULL, check=True)
            dt, cpu[0], out = timed(label, cmd, proj, dict(env, **(extra_env or {})))
            return dt, out

        def larder_run(label, store, cmd, want):
            sj = os.path.join(work, "stats.json")
            dt, out = run(label, larder_argv(larder, store, sj, cmd))
            stats = read_stats(sj)
            if stats.get("result") != want:
                problems.append("%s: result %r, want %r; --explain said:\n    %s" % (
                    label, stats.get("result"), want, explain(out).replace("\n", "\n    ")))
            return dt, stats

        ref, cpu = [None], [0.0]

        def check(label):
            snap = snapshot(proj)
            if ref[0] is None:
                ref[0] = snap
                return
            d = diff(ref[0], snap)
            if d:
                problems.append("%s: tree differs from the untraced build's:\n    %s" % (label, "\n    ".join(d[:20])))

        load0 = os.getloadavg()[0]
        make = ["make", "-j2"]
        modes = ["untraced", "larder-cold", "larder-warm", "strace", "ccache-cold", "ccache-warm", "larder-true"]
        results = {k: [] for k in modes}
        cpus = {k: [] for k in modes}

        def note(k, dt):
            results[k].append(dt)
            cpus[k].append(cpu[0])

        cold_stats = []
        for i in range(a.n):
            note("untraced", run("untraced", make)[0])
            check("untraced")
            store = fresh(os.path.join(work, "store"))
            dt, st = larder_run("larder-cold run %d" % (i + 1), store, make, "miss")
            note("larder-cold", dt)
            cold_stats.append(st)
            check("larder-cold run %d" % (i + 1))
            note("larder-warm", larder_run("larder-warm run %d" % (i + 1), store, make, "hit")[0])
            check("larder-warm run %d" % (i + 1))
            if have_strace:
                note("strace", run("strace", ["strace", "-f", "--seccomp-bpf", "-e", "trace=%file,%process",
                                              "-o", "/dev/null"] + make)[0])
                check("strace")
            if ccache:
                cc = ["CC=ccache gcc"]
                cdir = {"CCACHE_DIR": fresh(os.path.join(work, "ccache"))}
                note("ccache-cold", run("ccache-cold", make + cc, cdir)[0])
                check("ccache-cold")
                note("ccache-warm", run("ccache-warm", make + cc, cdir)[0])
                check("ccache-warm")
            tstore = fresh(os.path.join(work, "store-true"))
            larder_run("larder-true first run %d" % (i + 1), tstore, ["true"], "miss")
            note("larder-true", larder_run("larder-true run %d" % (i + 1), tstore, ["true"], "hit")[0])
            print("run %d/%d done" % (i + 1, a.n), file=sys.stderr)

        med = {k: statistics.median(v) for k, v in results.items() if v}
        base = med["untraced"]
        gcc = subprocess.run(["gcc", "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
        print("make -j2 of %d .c files + main.c (%s), %d CPUs (load average %.1f before, %.1f after),"
              " %d runs each, median seconds (min-max)" % (a.files, gcc, os.cpu_count(), load0, os.getloadavg()[0], a.n))
        print("  %-12s %7s  %-13s %-10s %s" % ("mode", "median", "(min-max)", "/ untraced", "CPU s (user+sys, median)"))
        for k in modes:
            if k in skipped:
                print("  %-12s skipped: %s" % (k, skipped[k]))
                continue
            v = results[k]
            print("  %-12s %7.2f  %-13s %5.2fx     %6.2f" % (k, med[k], "(%.2f-%.2f)" % (min(v), max(v)), med[k] / base,
                                                        statistics.median(cpus[k])))
        if cold_stats and cold_stats[0]:
            s = cold_stats[0]
            print("larder-cold run 1: %s executions, %s traced syscalls, %s preconditions, %s outputs, %.1f MB hashed,"
                  " seccomp %s" % (s.get("executions"), s.get("tracedSyscalls"), s.get("preconditions"),
                                   s.get("outputs"), s.get("hashedBytes", 0) / 1e6, s.get("seccomp")))
        r = med["larder-cold"] / base
        print("  larder-cold / untraced   %.2fx  (target <= 1.10: %s)" % (r, "met" if r <= 1.10 else "NOT met"))
        if "strace" in med:
            print("  strace      / untraced   %.2fx" % (med["strace"] / base))
        if "ccache-warm" in med:
            print("  larder-warm / ccache-warm %.2fx" % (med["larder-warm"] / med["ccache-warm"]))
            print("  ccache-cold / untraced   %.2fx" % (med["ccache-cold"] / base))
        print("  larder-warm - larder-true %.2f s (replay beyond larder's fixed cost)"
              % (med["larder-warm"] - med["larder-true"]))
        finish(problems, "outputs of larder-cold and larder-warm identical to the untraced build's (SHA-256 and mode"
                         " of every file, program output)")
    finally:
        leave(work, a.keep)


main()
