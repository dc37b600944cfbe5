"""What the Go benchmarks share: the module they build, the go command's environment."""
import os
import re
import shutil
import subprocess
import sys

# A module that imports a broad slice of the standard library (net/http, encoding/json,
# crypto/tls, ...), so that a cold build compiles a few hundred packages.
MAIN = '''package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"text/template"
)

func main() {
	_ = tls.Config{}
	_ = template.New("x")
	b, _ := json.Marshal(map[string]int{"a": 1})
	fmt.Fprintln(os.Stdout, string(b), http.StatusOK)
}
'''


def default_go():
    """$LARDER_TOOLCHAINS/go1.24/bin/go, where .ci/install-go-toolchains puts it."""
    tc = os.environ.get("LARDER_TOOLCHAINS", os.path.expanduser("~/.cache/larder-toolchains"))
    return os.path.join(tc, "go1.24", "bin", "go")


def write_module(work):
    """Writes the module under WORK/mod and returns its directory."""
    mod = os.path.join(work, "mod")
    os.makedirs(mod)
    open(os.path.join(mod, "go.mod"), "w").write("module example.com/bench\n\ngo 1.21\n")
    open(os.path.join(mod, "main.go"), "w").write(MAIN)
    return mod


def go_env(work):
    """A sealed environment for the go command, its HOME and GOPATH under WORK."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work, "GOPATH": os.path.join(work, "gopath"),
           "GOTOOLCHAIN": "local", "GOPROXY": "off", "GOTELEMETRY": "off", "CGO_ENABLED": "0"}
    if "JAVA_HOME" in os.environ:
        env["JAVA_HOME"] = os.environ["JAVA_HOME"]
    return env


def check_go(go):
    """Exits with a hint unless GO is an executable go command."""
    if not os.access(go, os.X_OK):
        sys.exit("no go at %s: run .ci/install-go-toolchains or pass --go" % go)


def larder(path=None):
    """bin/larder of this clone (or PATH, e.g. a clone of a fixed commit), its jar built now (first
    use, or sources changed) rather than inside a timed run."""
    path = path or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin", "larder")
    if subprocess.run([path, "--version"], stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("%s --version failed (see above): it cannot build its jar; --larder CLONE/bin/larder "
                 "benchmarks another clone" % path)
    return path


def fresh(d):
    """Empties (or makes) directory D and returns it."""
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


BENCH = os.path.dirname(os.path.abspath(__file__))


def build_go_tool(go, pkg, name):
    """Builds the Go program in bench/PKG (a directory of one of bench's own modules) into
    bench/.build/NAME, unless it is newer than every .go and go.mod file of its module; returns
    its path. The benchmarks' own Go programs use the standard library only."""
    out = os.path.join(BENCH, ".build", name)
    src = os.path.join(BENCH, pkg)
    mod = src
    while not os.path.exists(os.path.join(mod, "go.mod")):
        mod = os.path.dirname(mod)
    newest = max(os.path.getmtime(os.path.join(d, f)) for d, _, fs in os.walk(mod)
                 for f in fs if f.endswith(".go") or f == "go.mod")
    if os.path.exists(out) and os.path.getmtime(out) >= newest:
        return out
    os.makedirs(os.path.dirname(out), exist_ok=True)
    env = dict(os.environ, GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="", CGO_ENABLED="0")
    subprocess.run([go, "build", "-o", out, "."], cwd=src, env=env, check=True)
    return out


def diskcache(go):
    """The Go-written peer helper (bench/peers/diskcache), built now; its command with {dir}."""
    return build_go_tool(go, "peers/diskcache", "diskcache") + " -dir {dir}"


def contenders(ap_args, go):
    """[(name, command template with {dir})] of the helpers to compare: larder, the diskcache
    peer unless --no-default-peer, then every --peer NAME=CMD in order."""
    out = [("larder", larder(ap_args.larder) + " helper --dir {dir}")]
    if not ap_args.no_default_peer:
        out.append(("diskcache", diskcache(go)))
    for p in ap_args.peer:
        name, sep, cmd = p.partition("=")
        if not sep or not name or not cmd.strip():
            sys.exit("--peer %r: want NAME=CMD" % p)
        if "{dir}" not in cmd:
            print("note: --peer %s has no {dir}: its store is not emptied between scenarios" % name, file=sys.stderr)
        out.append((name, cmd))
    check_names(out)
    return out


def check_names(helpers):
    """Exits unless the contenders' names are distinct and none is 'go'."""
    names = [n for n, _ in helpers]
    if len(set(names)) != len(names) or "go" in names:
        sys.exit("contender names must be distinct and not 'go': %s" % names)


def add_peer_args(ap):
    """--larder PATH, --peer NAME=CMD (repeatable) and --no-default-peer."""
    ap.add_argument("--larder", metavar="PATH", help="the bin/larder to benchmark (default: this clone's)")
    ap.add_argument("--peer", action="append", default=[], metavar="NAME=CMD",
                    help="another GOCACHEPROG helper; {dir} in CMD is replaced by its store directory")
    ap.add_argument("--no-default-peer", action="store_true", help="leave out the built-in diskcache peer")


def private_daemon(work, env):
    """Points larder at a daemon directory of its own under WORK (set in ENV and returned): the
    benchmark then never talks to, nor stops, another clone's daemon. stop_daemon ends it."""
    d = os.path.join(work, "daemon")
    os.makedirs(d, mode=0o700, exist_ok=True)
    os.chmod(d, 0o700)
    env["LARDER_DAEMON_DIR"] = d
    return d


def stop_daemon(larder_path, env):
    """Stops the daemons of ENV's LARDER_DAEMON_DIR (those this benchmark started) and shows on
    stderr what their logs say beyond starting and stopping."""
    subprocess.run([larder_path, "daemon", "stop"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = env["LARDER_DAEMON_DIR"]
    started = 0
    for name in sorted(os.listdir(d)):
        if name.endswith(".log"):
            for line in open(os.path.join(d, name), errors="replace"):
                if re.match(r"larder daemon: pid \d+ listening", line):
                    started += 1
                elif not re.match(r"larder daemon: (stopping|exiting|retiring)", line):
                    print("larder daemon log: " + line.rstrip()[:300], file=sys.stderr)
    print("larder daemon: %d started in this benchmark's daemon directory" % started, file=sys.stderr)
