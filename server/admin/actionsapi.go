package admin

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/meshcache/meshcache/server/admin/actions"
)

// The operator actions on the admin port (POST /api/actions, package
// actions) and the credential that guards them and the cluster view.

// credential is what a request to the guarded endpoints must carry as
// "Authorization: Bearer <credential>": the admin-token setting, or
// requirepass when no admin-token is set; empty: no credential is needed.
// Both are read at each request, so CONFIG SET applies at once.
func (a *Admin) credential() string {
	c := a.front.Config()
	if c.AdminToken != "" {
		return c.AdminToken
	}
	return c.RequirePass
}

// guard refuses requests without the credential (401), comparing in
// constant time.
func (a *Admin) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		want := a.credential()
		if want != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="meshcache admin"`)
				writeJSON(w, http.StatusUnauthorized, errorBody{"this node requires its admin-token (or requirepass) as a bearer token"})
				return
			}
		}
		h(w, r)
	}
}

type errorBody struct {
	Error string `json:"error"`
}

// actionsBody is GET /api/actions: the running or last action.
type actionsBody struct {
	Current *actions.Action `json:"current"`
}

func (a *Admin) serveActions(w http.ResponseWriter, _ *http.Request) {
	var body actionsBody
	if cur, ok := a.runner.Current(); ok {
		body.Current = &cur
	}
	writeJSON(w, http.StatusOK, body)
}

func (a *Admin) startAction(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, actions.MaxBody+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody{"read request: " + err.Error()})
		return
	}
	if len(b) > actions.MaxBody {
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{"request over 4 KiB"})
		return
	}
	req, err := actions.Parse(b)
	if err == nil {
		var act actions.Action
		if act, err = a.runner.Start(req); err == nil {
			writeJSON(w, http.StatusAccepted, act)
			return
		}
	}
	status := http.StatusInternalServerError
	if e := (*actions.Error)(nil); errors.As(err, &e) {
		status = e.Status
	}
	writeJSON(w, status, errorBody{err.Error()})
}

// actionState is the cluster's state as the actions judge it.
type actionState struct{ a *Admin }

func (s actionState) State() actions.State {
	return actions.State{Self: s.a.cl.Self().ID, Members: s.a.cl.Members(), Table: s.a.cl.Table()}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // a failed write is the client's problem
}
