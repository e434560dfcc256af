// Package chaos is the container fault suite: it runs meshcache clusters as
// Docker containers (the FROM scratch image deploy/build-image.sh builds),
// drives a recorded write workload through them while it kills, pauses,
// partitions and restarts nodes, then reads every key back from every live
// node and checks the result against a model of the acknowledged operations.
//
// It needs Docker and a few minutes, so it runs only when asked:
//
//	MESHCACHE_CHAOS=1 go test -v -timeout 8m ./tests/chaos/
//
// Without MESHCACHE_CHAOS=1, or without a working `docker info`, the fault
// tests skip with the reason (the model's own unit tests still run).
// MESHCACHE_CHAOS_IMAGE names an image to use instead of building
// meshcache:local from this tree.
package chaos

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	// image is the meshcache image the containers run.
	image string
	// probeBinary is the static probe built for the containers (probe/).
	probeBinary string
	// skipReason is set when the fault tests cannot or should not run.
	skipReason string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	// go-redis logs every failed dial of its pool; the workload records
	// each operation's outcome itself, and a dead node's dials fail by the
	// thousand.
	redis.SetLogger(quietLogger{})
	// The fault tests run in parallel while their clusters settle, then
	// take turns (see begin); let all four settle at once unless the
	// command line says otherwise.
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", "4") // the flag exists: testing registered it
	}
	dir, err := os.MkdirTemp("", "meshcache-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := setup(dir); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	if skipReason != "" {
		fmt.Println("chaos: fault tests skipped:", skipReason)
	}
	code := m.Run()
	printSummary()
	return code
}

// setup decides whether the fault tests run and, if so, builds the image
// and the probe. A failing build is an error, not a skip.
func setup(dir string) error {
	if os.Getenv("MESHCACHE_CHAOS") != "1" {
		skipReason = "set MESHCACHE_CHAOS=1 to run the container fault suite (needs Docker)"
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		skipReason = fmt.Sprintf("no docker (`docker info`: %v %s)", err, strings.TrimSpace(string(out)))
		return nil
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		return err
	}
	image = os.Getenv("MESHCACHE_CHAOS_IMAGE")
	if image == "" {
		image = "meshcache:local"
		build := exec.CommandContext(ctx, filepath.Join(root, "deploy", "build-image.sh"))
		build.Env = append(os.Environ(), "IMAGE="+image)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		start := time.Now()
		if err := build.Run(); err != nil {
			return fmt.Errorf("build image %s: %w", image, err)
		}
		fmt.Fprintf(os.Stderr, "chaos: built %s in %s\n", image, time.Since(start).Round(time.Millisecond))
	}
	probeBinary = filepath.Join(dir, "probe")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", probeBinary, "./probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build probe: %w", err)
	}
	return nil
}

// requireDocker skips the calling test unless the fault suite is enabled.
func requireDocker(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip("chaos: " + skipReason)
	}
}

// result is one fault test's measured outcome, for the summary table.
type result struct {
	fault   string
	verdict verdict
	stats   workloadStats
	notes   string
}

var (
	resultsMu sync.Mutex // guards results
	results   []result
)

// record adds a fault test's outcome to the summary and to its log; the
// notes say when the cluster had not settled before the fault.
func record(t *testing.T, c *dockerCluster, r result) {
	t.Helper()
	if !c.settled {
		r.notes = "cluster " + c.unsettled + " before the fault; " + r.notes
	}
	t.Logf("RESULT %s: %s; %s; %s", r.fault, r.stats, r.verdict, r.notes)
	resultsMu.Lock()
	results = append(results, r)
	resultsMu.Unlock()
}

// printSummary prints one line per fault test that ran.
func printSummary() {
	resultsMu.Lock()
	defer resultsMu.Unlock()
	if len(results) == 0 {
		return
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].fault < results[j].fault })
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "fault\tacked\tfailed\tunknown\tkeys\tlost\tresurrected\tstale\tunexpected\tread errors\tnotes")
	for _, r := range results {
		v, s := r.verdict, r.stats
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.fault, s.acked, s.failed, s.unknown,
			v.keys, v.lost, v.resurrected, v.stale, v.unexpected, v.readErrors, r.notes)
	}
	_ = w.Flush()
}

// quietLogger drops go-redis's internal log lines.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}
