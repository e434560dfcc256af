package chaos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Packet filtering between containers. `docker network disconnect` can only
// isolate one node at a time (each node gossips one fixed address, and
// Docker refuses a second network with an overlapping subnet), so the
// partition tests cut the network the way a failed switch does: the host
// silently drops packets between chosen container addresses with DROP
// rules in iptables' DOCKER-USER chain, which Docker runs first in FORWARD
// for its bridges (bridged traffic goes through it when
// net.bridge.bridge-nf-call-iptables is 1). A rule drops one direction, so
// a cut can be asymmetric. Every rule carries the comment
// io.meshcache.chaos.run=<run>, and the test's cleanup deletes its run's
// rules; after a test binary that was killed, list leftovers with
// `iptables -S DOCKER-USER | grep io.meshcache.chaos`.

// netfilterSkip returns why the host cannot filter packets between
// containers, or "" when it can.
func netfilterSkip(ctx context.Context) string {
	if _, err := exec.LookPath("iptables"); err != nil {
		return "no iptables on the host"
	}
	if out, err := exec.CommandContext(ctx, "iptables", "-w", "-S", "DOCKER-USER").CombinedOutput(); err != nil {
		return fmt.Sprintf("no DOCKER-USER chain to filter containers with (`iptables -S DOCKER-USER`: %v %s)",
			err, strings.TrimSpace(string(out)))
	}
	if b, err := os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-iptables"); err != nil || strings.TrimSpace(string(b)) != "1" {
		return "bridged traffic does not go through iptables (net.bridge.bridge-nf-call-iptables is not 1)"
	}
	return ""
}

// netFilter holds the DROP rules one cluster's test added.
type netFilter struct {
	comment string
	mu      sync.Mutex // guards rules
	rules   [][]string // rule specs in DOCKER-USER, without -I/-D
}

func newNetFilter(run string) *netFilter {
	return &netFilter{comment: runLabel + "=" + run}
}

// iptables runs iptables (waiting for the xtables lock: other tests and
// Docker change rules too).
func iptables(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "iptables", append([]string{"-w", "5"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("iptables %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// drop silently drops every packet from each node of from to each node of
// to (one direction).
func (f *netFilter) drop(ctx context.Context, from, to []*node) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range from {
		for _, b := range to {
			spec := []string{"-s", a.ip + "/32", "-d", b.ip + "/32", "-m", "comment", "--comment", f.comment, "-j", "DROP"}
			if err := iptables(ctx, append([]string{"-I", "DOCKER-USER"}, spec...)...); err != nil {
				return err
			}
			f.rules = append(f.rules, spec)
		}
	}
	return nil
}

// split cuts a and b apart both ways: each side still hears itself.
func (f *netFilter) split(ctx context.Context, a, b []*node) error {
	if err := f.drop(ctx, a, b); err != nil {
		return err
	}
	return f.drop(ctx, b, a)
}

// heal deletes every rule added so far.
func (f *netFilter) heal(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var first error
	for _, spec := range f.rules {
		if err := iptables(ctx, append([]string{"-D", "DOCKER-USER"}, spec...)...); err != nil && first == nil {
			first = err
		}
	}
	f.rules = nil
	return first
}

// cleanup heals with a context of its own (the test's may have ended).
func (f *netFilter) cleanup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.heal(ctx)
}
