package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// TestConsoleInBrowser drives headless Chromium against one node's
// console on a real 3-node cluster: every node and the whole slot map
// appear, a killed node is marked failed, and a drain started from the
// console's button finishes. With MESHCACHE_SCREENSHOTS=dir it leaves the
// screenshots of docs/OPERATIONS.md there.
func TestConsoleInBrowser(t *testing.T) {
	nodes := startConsoleCluster(t, 3)
	browser := testenv.StartBrowser(t, 1440, 1180)
	shots := os.Getenv("MESHCACHE_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	stopLoad := runLoad(t, nodes)
	defer stopLoad()

	browser.Navigate("http://" + nodes[0].admin + "/console/")
	// state reads what the page shows: rows by node and state, slots drawn,
	// the action line.
	type pageState struct {
		Rows   map[string]string `json:"rows"`
		Drawn  string            `json:"drawn"`
		Events int               `json:"events"`
		Action string            `json:"action"`
		Text   string            `json:"text"`
	}
	state := func() pageState {
		var s pageState
		require.NoError(t, browser.Eval(`(() => {
			const rows = {};
			for (const tr of document.querySelectorAll("#members tr[data-node]")) rows[tr.dataset.node] = tr.dataset.state;
			const a = document.getElementById("action"), map = document.getElementById("slotmap");
			if (!a || !map) return {rows};
			return {rows, drawn: map.dataset.drawn || "",
				events: document.querySelectorAll("#events li").length, action: a.dataset.state || "", text: a.textContent};
		})()`, &s))
		return s
	}
	testenv.WaitWhy(t, 30*time.Second, "every node and every slot on the page", func() string {
		s := state()
		if s.Drawn != "16384" || s.Events == 0 {
			return fmt.Sprintf("%d slots drawn, %d events", atoi(s.Drawn), s.Events)
		}
		for _, n := range nodes {
			if s.Rows[n.id] != "serving" {
				return fmt.Sprintf("node %s: %q", n.id[:8], s.Rows[n.id])
			}
		}
		return ""
	})
	testenv.WaitWhy(t, 30*time.Second, "a few seconds of charts", func() string {
		var points int
		require.NoError(t, browser.Eval(`history.size ? Math.min(...[...history.values()].map(h => h.length)) : 0`, &points))
		if points < 8 {
			return strconv.Itoa(points) + " points"
		}
		return ""
	})
	browser.Screenshot(filepath.Join(shots, "console-healthy.png"))

	killed := nodes[2]
	killed.proc.Kill()
	testenv.WaitWhy(t, 60*time.Second, "the killed node marked failed", func() string {
		if st := state().Rows[killed.id]; st != "failed" {
			return fmt.Sprintf("its row says %q", st)
		}
		return ""
	})
	browser.Screenshot(filepath.Join(shots, "console-failed.png"))

	// Drain node 1 by its button; the page's confirm() is answered yes.
	drained := nodes[1]
	testenv.WaitWhy(t, 120*time.Second, "the drain button enabled and pressed", func() string {
		var clicked bool
		require.NoError(t, browser.Eval(`(() => {
			window.confirm = () => true;
			const b = document.querySelector('#members tr[data-node="`+drained.id+`"] button[data-action="drain"]');
			if (!b || b.disabled) return false;
			b.click();
			return true;
		})()`, &clicked))
		if !clicked {
			return "not enabled yet"
		}
		return ""
	})
	testenv.WaitWhy(t, 180*time.Second, "the drain shown done", func() string {
		s := state()
		switch s.Action {
		case "done":
			return ""
		case "failed":
			t.Fatalf("the drain failed: %s", s.Text)
		}
		return s.Action + ": " + s.Text
	})
	browser.Screenshot(filepath.Join(shots, "console-drained.png"))
	s := state()
	assert.Contains(t, s.Text, "left")
	assert.Equal(t, "serving", s.Rows[nodes[0].id])
	testenv.WaitWhy(t, 30*time.Second, "the drained node shown as left, not failed", func() string {
		if st := state().Rows[drained.id]; st != "left" {
			return fmt.Sprintf("its row says %q", st)
		}
		return ""
	})
	select {
	case <-drained.proc.Done():
	case <-time.After(60 * time.Second):
		t.Error("the drained node did not stop")
	}
}

// runLoad writes and reads keys through every node until the returned stop
// is called or the node fails a command, so that the console's charts have something to draw.
func runLoad(t *testing.T, nodes []consoleNode) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i, n := range nodes {
		c := n.proc.Client(2)
		wg.Add(1)
		go func() { // owned by stop
			defer wg.Done()
			for k := 0; ctx.Err() == nil; k++ {
				key := "console:" + strconv.Itoa(i) + ":" + strconv.Itoa(k%5000)
				if c.Set(ctx, key, k, 0).Err() != nil || c.Get(ctx, key).Err() != nil {
					return // the node was killed or drained: its load ends
				}
				if k%200 == 0 {
					select {
					case <-ctx.Done():
					case <-time.After(20 * time.Millisecond): // pace, not an assertion
					}
				}
			}
		}()
	}
	var once sync.Once
	return func() { once.Do(func() { cancel(); wg.Wait() }) }
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
