#!/usr/bin/env python3
"""make -j2 of a generated C project: untraced, under larder run (cold and warm), under strace,
and with ccache (cold and warm), side by side in one run.

Usage: bench/run_build.py [-n RUNS] [--files N] [--keep]

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
"""
import argparse, hashlib, json, os, resource, shutil, stat, statistics, subprocess, sys, tempfile, time

from gomod import fresh
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--files", type=int, default=40, help="number of .c files besides main.c")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (printed)")
    a = ap.parse_args()
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
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work, "LANG": "C", "LC_ALL": "C"}
        if "JAVA_HOME" in os.environ:
            env["JAVA_HOME"] = os.environ["JAVA_HOME"]

        def run(label, cmd, extra_env=None):
            """Runs CMD from a clean tree; returns (seconds, stdout+stderr). Also notes its CPU seconds."""
            subprocess.run(["make", "clean"], cwd=proj, env=env, stdout=subprocess.DEVNULL, check=True)
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            r = subprocess.run(cmd, cwd=proj, env=dict(env, **(extra_env or {})), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            dt = time.perf_counter() - t0
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[0] = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
            if r.returncode != 0:
                sys.exit("%s failed (exit %d):\n%s" % (label, r.returncode, r.stdout.decode(errors="replace")))
            return dt, r.stdout.decode(errors="replace")

        def explain(out):
            return "\n".join(l for l in out.splitlines() if l.startswith("larder"))

        def larder_run(label, store, cmd, want):
            sj = os.path.join(work, "stats.json")
            if os.path.exists(sj):
                os.remove(sj)
            dt, out = run(label, [larder, "run", "--dir", store, "--explain", "--stats-json", sj, "--"] + cmd)
            stats = json.load(open(sj)) if os.path.exists(sj) else {}
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
        if problems:
            print("\nPROBLEMS:", file=sys.stderr)
            for p in problems:
                print("  " + p, file=sys.stderr)
            sys.exit(1)
        print("outputs of larder-cold and larder-warm identical to the untraced build's (SHA-256 and mode of every"
              " file, program output)")
    finally:
        if a.keep:
            print("kept " + work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


main()
