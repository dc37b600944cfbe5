"""What the Go benchmarks share: the module they build, the go command's environment."""
import os

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
