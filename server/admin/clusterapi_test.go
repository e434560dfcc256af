package admin

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/events"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/admin/clusterview"
	"github.com/meshcache/meshcache/tests/testenv"
)

// getView asks h for /api/cluster.
func getView(t *testing.T, h http.Handler) clusterview.View {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/cluster", nil))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var v clusterview.View
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &v))
	return v
}

// TestClusterViewFromEveryNode: three in-process nodes; each one's
// /api/cluster shows all three with their figures, every slot, and the
// joins the coordinator recorded; a stopped node is marked unreachable and
// then dead, and the view still answers.
func TestClusterViewFromEveryNode(t *testing.T) {
	nodes := startReplNodes(t, 3, 1)
	handlers := make([]http.Handler, len(nodes))
	for i, cn := range nodes {
		handlers[i] = New(cn.srv, cn.node, slog.New(slog.DiscardHandler)).Handler()
	}
	ctx := testCtx(t)
	for i, cn := range nodes {
		key := keyOn(t, cn, fmt.Sprintf("k%d-", i))
		require.NoError(t, client(t, cn.addr, 2).Set(ctx, key, "v", 0).Err())
	}

	for i, h := range handlers {
		v := getView(t, h)
		assert.Equal(t, string(nodes[i].node.ID()), v.Node)
		require.Len(t, v.Members, 3)
		covered, led := 0, 0
		for _, r := range v.Slots {
			covered += int(r.End-r.Start) + 1
			require.GreaterOrEqual(t, r.Primary, 0)
			assert.Len(t, r.Replicas, 1)
		}
		assert.Equal(t, ring.SlotCount, covered, "the slot map covers every slot")
		for _, m := range v.Members {
			assert.True(t, m.Reachable, "%s: %s", m.ID, m.Error)
			assert.True(t, m.Alive)
			require.NotNil(t, m.Report)
			assert.Positive(t, m.Report.Keys, "%s holds a key it leads and one it replicates", m.ID)
			led += m.Led
		}
		assert.Equal(t, ring.SlotCount, led)
		assert.Equal(t, 3, v.Totals.Alive)
		joined := map[string]bool{}
		for _, e := range v.Events {
			if e.Kind == events.Joined {
				joined[e.Node] = true
			}
		}
		for _, cn := range nodes {
			assert.True(t, joined[string(cn.node.ID())], "join of %s recorded", cn.node.ID())
		}
	}

	stopped := nodes[2]
	require.NoError(t, stopped.node.Close())
	testenv.WaitWhy(t, 60*time.Second, "the stopped node marked unreachable and dead, its failure recorded", func() string {
		v := getView(t, handlers[0])
		if !slices.ContainsFunc(v.Events, func(e clusterview.Event) bool {
			return e.Kind == events.Failed && e.Node == string(stopped.node.ID())
		}) {
			return "no failure event"
		}
		for _, m := range v.Members {
			if m.ID != string(stopped.node.ID()) {
				continue
			}
			if m.Reachable || m.Alive {
				return fmt.Sprintf("reachable %v, alive %v", m.Reachable, m.Alive)
			}
			return ""
		}
		return "the stopped node left the member list"
	})
	for _, m := range getView(t, handlers[1]).Members {
		if m.ID != string(stopped.node.ID()) {
			assert.True(t, m.Reachable, "%s: %s", m.ID, m.Error)
		}
	}
}
