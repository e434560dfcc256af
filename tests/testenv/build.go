package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"testing"
)

// Module is the module path of meshcache's packages.
const Module = "github.com/meshcache/meshcache"

// built holds the binaries built by this test binary, by package and race
// flavour; buildDir is where they are, removed by Main.
var (
	buildMu  sync.Mutex // guards built and buildDir
	built    = map[string]*buildResult{}
	buildDir string
)

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// Main runs the package's tests and then removes the binaries Binary built:
// call it from TestMain (os.Exit(testenv.Main(m))).
func Main(m *testing.M) int {
	code := m.Run()
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	return code
}

// Binary builds the main package pkg (a path inside the module, such as
// "cmd/meshcache") once per test binary, with -race when race is set, and
// returns the binary's path. Tests that call it at once share one build; a
// failed build fails every test that asks for it.
func Binary(t testing.TB, pkg string, race bool) string {
	t.Helper()
	path, err := Build(pkg, race)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Build is Binary for callers without a test (TestMain, goroutines): it
// returns the build's error instead of failing a test.
func Build(pkg string, race bool) (string, error) {
	key := fmt.Sprintf("%s race=%v", pkg, race)
	buildMu.Lock()
	r := built[key]
	if r == nil {
		r = &buildResult{}
		built[key] = r
	}
	buildMu.Unlock()
	r.once.Do(func() { r.path, r.err = build(pkg, race) })
	return r.path, r.err
}

func build(pkg string, race bool) (string, error) {
	buildMu.Lock()
	if buildDir == "" {
		dir, err := os.MkdirTemp("", "meshcache-testenv-")
		if err != nil {
			buildMu.Unlock()
			return "", fmt.Errorf("build %s: %w", pkg, err)
		}
		buildDir = dir
	}
	dir := buildDir
	buildMu.Unlock()
	name := path.Base(pkg)
	if race {
		name += "-race"
	}
	out := filepath.Join(dir, name)
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, path.Join(Module, pkg))...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}
