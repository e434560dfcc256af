package server

import (
	"fmt"
	"net"
	"strings"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/debug"
)

// The front end's side of DEBUG (package debug): who may run it
// (enable-debug-command) and what it reaches of the node.

// DebugHost gives DEBUG's handler its node (debug.Conn).
func (c *Call) DebugHost() debug.Host { return debugHost{c.Server} }

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

// protectedAllowed: enable-debug-command lets c run a protected command
// (yes, or local and c connected over loopback), as Redis's
// allowProtectedAction.
func (s *Server) protectedAllowed(c *Client) bool {
	switch s.Config().EnableDebugCommand {
	case "yes":
		return true
	case "local":
		host, _, err := net.SplitHostPort(c.addr)
		ip := net.ParseIP(host)
		return err == nil && ip != nil && ip.IsLoopback()
	}
	return false
}

// errProtected is Redis's refusal of a protected command.
func errProtected(e *entry) string {
	return "ERR " + strings.ToUpper(e.Name) + " command not allowed. If the enable-" + e.Name +
		"-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
}
