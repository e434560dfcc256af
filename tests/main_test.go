// Package tests holds the integration suites: they build the real meshcache
// binary, start nodes as processes on loopback ports, and talk to them with
// real clients (go-redis, redis-cli, redis-py).
package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binary is the meshcache binary built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "meshcache-tests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "meshcache")
	build := exec.Command("go", "build", "-race", "-o", binary, "../cmd/meshcache")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "tests: build meshcache:", err)
		return 1
	}
	return m.Run()
}
