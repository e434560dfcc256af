package admin

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/admin/actions"
	"github.com/meshcache/meshcache/tests/testenv"
)

// call sends method path with body and the bearer token (if any) to h.
func call(h http.Handler, method, path, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestAdminCredential: the cluster view and the actions need no credential
// on a node without requirepass or admin-token; with requirepass they need
// it, with admin-token that instead; probes and metrics never do.
func TestAdminCredential(t *testing.T) {
	ts := startServer(t)
	h := New(ts.srv, ts.srv.Solo(), slog.New(slog.DiscardHandler)).Handler()
	c := client(t, ts.addr, 2)
	ctx := testCtx(t)

	assert.Equal(t, http.StatusOK, call(h, "GET", "/api/cluster", "", "").Code)
	require.NoError(t, c.ConfigSet(ctx, "requirepass", "s3cret").Err())
	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/api/cluster", "", http.StatusUnauthorized},
		{"GET", "/api/cluster", "wrong", http.StatusUnauthorized},
		{"GET", "/api/cluster", "s3cret", http.StatusOK},
		{"GET", "/api/actions", "", http.StatusUnauthorized},
		{"POST", "/api/actions", "", http.StatusUnauthorized},
		{"GET", "/healthz", "", http.StatusOK},
		{"GET", "/metrics", "", http.StatusOK},
		{"GET", "/console/", "", http.StatusOK}, // the page itself holds no data: it asks for the token
	} {
		rec := call(h, tc.method, tc.path, tc.token, "")
		assert.Equal(t, tc.want, rec.Code, "%s %s with %q", tc.method, tc.path, tc.token)
		if tc.want == http.StatusUnauthorized {
			assert.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
		}
	}
	require.NoError(t, c.ConfigSet(ctx, "admin-token", "t0ken").Err())
	assert.Equal(t, http.StatusUnauthorized, call(h, "GET", "/api/cluster", "s3cret", "").Code, "admin-token replaces requirepass")
	assert.Equal(t, http.StatusOK, call(h, "GET", "/api/cluster", "t0ken", "").Code)
}

// actionOf reads the current action from h.
func actionOf(t *testing.T, h http.Handler) *actions.Action {
	t.Helper()
	rec := call(h, "GET", "/api/actions", "", "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var body actionsBody
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	return body.Current
}

// waitAction waits until the current action of h is no longer running and
// requires it done.
func waitAction(t *testing.T, h http.Handler, id int) *actions.Action {
	t.Helper()
	var last *actions.Action
	testenv.WaitWhy(t, 120*time.Second, "the action to finish", func() string {
		last = actionOf(t, h)
		if last == nil || last.ID != id {
			return "another action"
		}
		if last.State == actions.Running {
			return last.Text
		}
		return ""
	})
	require.Equal(t, actions.Done, last.State, "%+v", last)
	return last
}

// TestActions: from one node's admin port, bad requests get clear errors,
// a drain of another node finishes with the node out of the routing
// table, a second action while one runs is refused, migration-rate is set
// on every node, and a failover moves the slots a node replicates to it.
func TestActions(t *testing.T) {
	nodes := startReplNodes(t, 3, 1)
	h := New(nodes[0].srv, nodes[0].node, slog.New(slog.DiscardHandler)).Handler()
	ctx := testCtx(t)

	for body, want := range map[string]int{
		`{"action":`:          http.StatusBadRequest,
		`{"action":"reboot"}`: http.StatusBadRequest,
		`{"action":"drain","node":"` + strings.Repeat("e", 40) + `"}`:    http.StatusNotFound,
		`{"action":"drain","node":"` + string(nodes[0].node.ID()) + `"}`: http.StatusBadRequest,
		`{"action":"migration-rate","value":"lots"}`:                     http.StatusBadRequest,
		`{"action":"drain","node":"` + strings.Repeat("x", 5000) + `"}`:  http.StatusRequestEntityTooLarge,
	} {
		rec := call(h, "POST", "/api/actions", "", body)
		assert.Equal(t, want, rec.Code, "%.60s: %s", body, rec.Body.String())
		var e errorBody
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
		assert.NotEmpty(t, e.Error)
	}
	assert.Nil(t, actionOf(t, h), "no action started")

	leaving := nodes[2].node.ID()
	rec := call(h, "POST", "/api/actions", "", `{"action":"drain","node":"`+string(leaving)+`"}`)
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	var drain actions.Action
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &drain))
	second := call(h, "POST", "/api/actions", "", `{"action":"migration-rate","value":"8mb"}`)
	if second.Code == http.StatusConflict {
		assert.Contains(t, second.Body.String(), "is running")
		waitAction(t, h, drain.ID)
	} else { // only if the drain had finished already
		require.Equal(t, http.StatusAccepted, second.Code, second.Body.String())
		testenv.WaitWhy(t, 60*time.Second, "the second action to end", func() string {
			if a := actionOf(t, h); a.State == actions.Running {
				return a.Text
			}
			return ""
		})
	}
	_, in := nodes[0].node.Table().Member(leaving)
	assert.False(t, in, "the drained node left the routing table")

	rec = call(h, "POST", "/api/actions", "", `{"action":"migration-rate","value":"8mb"}`)
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	var rate actions.Action
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &rate))
	assert.Contains(t, waitAction(t, h, rate.ID).Text, "set on 2 of 2")
	for _, cn := range nodes[:2] {
		v, err := client(t, cn.addr, 2).ConfigGet(ctx, "migration-rate").Result()
		require.NoError(t, err)
		assert.Equal(t, "8388608", v["migration-rate"], "8mb")
	}

	target := nodes[1].node.ID()
	require.NotEmpty(t, nodes[0].node.Table().ReplicaSlots(target))
	rec = call(h, "POST", "/api/actions", "", `{"action":"failover","node":"`+string(target)+`"}`)
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	var fo actions.Action
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &fo))
	waitAction(t, h, fo.ID)
	assert.Empty(t, nodes[0].node.Table().PrimarySlots(nodes[0].node.ID()), "the replica now leads every slot")
}
