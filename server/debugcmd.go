package server

import (
	"fmt"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/debug"
	"github.com/meshcache/meshcache/server/module"
)

// The front end's side of DEBUG (package debug) and MODULE (package
// module): who may run their protected commands (enable-debug-command,
// enable-module-command) and what they reach of the node.

// DebugHost gives DEBUG's handler its node (debug.Conn).
func (c *Call) DebugHost() debug.Host { return debugHost{c.Server} }

// ModuleHost gives MODULE's handlers their node (module.Conn): the log.
func (c *Call) ModuleHost() module.Host { return debugHost{c.Server} }

type debugHost struct{ s *Server }

func (h debugHost) SetActiveExpiry(on bool) { h.s.store.SetActiveExpiry(on) }
func (h debugHost) Log(msg string)          { h.s.log.Warn(msg) }

// Object answers for a key of a slot this node leads: DEBUG has no key
// specs, so it is never routed, and another node's copy is not this
// node's to describe.
func (h debugHost) Object(key []byte) (string, bool, error) {
	slot := ring.KeySlot(key)
	if !h.s.Leads(slot) {
		return "", false, fmt.Errorf("DEBUG OBJECT runs on the node it is sent to, and slot %d is led by another node", slot)
	}
	tx := h.s.store.Lock(slot)
	defer tx.Close()
	return commands.DebugObject(tx, key)
}

// protectedAllowed: the setting of container (a protected command's, or
// its container's, name: "debug", "module"), enable-<container>-command,
// lets c run it (debug.Allowed), as Redis's allowProtectedAction.
func (s *Server) protectedAllowed(c *Client, container string) bool {
	cfg := s.Config()
	setting := config.Lookup("enable-" + container + "-command")
	return setting != nil && debug.Allowed(setting.Get(&cfg), c.addr)
}
