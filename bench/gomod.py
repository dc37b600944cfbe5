"""What the Go benchmarks share: the module they build, the go command's environment."""
import os
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


def larder():
    """bin/larder of this clone, its jar built now (first use) rather than inside a timed run."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin", "larder")
    subprocess.run([path, "--version"], check=True, stdout=subprocess.DEVNULL)
    return path


def fresh(d):
    """Empties (or makes) directory D and returns it."""
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d
