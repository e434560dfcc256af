package events

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// The CLIENT subcommands of client-side caching (tracking.go), with
// Redis's replies and errors (networking.c clientCommand).

// clientTracking is CLIENT TRACKING (ON|OFF) [REDIRECT id] [BCAST]
// [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP].
func clientTracking(c *commands.Call) {
	var (
		redir                        int64
		redirTo                      *Client
		bcast, optin, optout, noloop bool
		prefixes                     []string
	)
	args := c.Args
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		switch strings.ToLower(string(args[j])) {
		case "redirect":
			if more == 0 {
				c.Reply.Error(resp.ErrSyntax)
				return
			}
			j++
			if redir != 0 {
				c.Reply.Error("ERR A client can only redirect to a single other client")
				return
			}
			n, err := strconv.ParseInt(string(args[j]), 10, 64)
			if err != nil {
				c.Reply.Error("ERR value is not an integer or out of range")
				return
			}
			redir = n
			redirTo = hubOf(c).clients.EventsClient(uint64(n))
			if redirTo == nil {
				c.Reply.Error("ERR The client ID you want redirect to does not exist")
				return
			}
		case "bcast":
			bcast = true
		case "optin":
			optin = true
		case "optout":
			optout = true
		case "noloop":
			noloop = true
		case "prefix":
			if more == 0 {
				c.Reply.Error(resp.ErrSyntax)
				return
			}
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	cl := clientOf(c)
	t := cl.hub.tracking
	switch strings.ToLower(string(args[2])) {
	case "on":
	case "off":
		t.mu.Lock()
		if cl.track.on {
			t.disable(cl)
		}
		t.mu.Unlock()
		c.Reply.OK()
		return
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if cl.forwarded {
		c.Reply.Error("ERR CLIENT TRACKING cannot run inside a transaction forwarded to another node")
		return
	}
	// The outbox carries the invalidations (outbox.go); made here, on the
	// connection's goroutine, before the client can be sent any.
	cl.outbox()
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &cl.track
	switch {
	case !bcast && len(prefixes) > 0:
		c.Reply.Error("ERR PREFIX option requires BCAST mode to be enabled")
		return
	case st.on && st.bcast != bcast:
		c.Reply.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
		return
	case bcast && (optin || optout):
		c.Reply.Error("ERR OPTIN and OPTOUT are not compatible with BCAST")
		return
	case optin && optout:
		c.Reply.Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
		return
	case (optin && st.optout) || (optout && st.optin):
		c.Reply.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
		return
	}
	if bcast {
		if msg := prefixCollision(st.prefixes, prefixes); msg != "" {
			c.Reply.Error(msg)
			return
		}
	}
	st.on = true
	st.bcast, st.optin, st.optout, st.noloop, st.brokenRedir = bcast, optin, optout, noloop, false
	st.redirect, st.redirTo = uint64(redir), redirTo
	if bcast {
		if len(prefixes) == 0 {
			prefixes = []string{""}
		}
		for _, p := range prefixes {
			set := t.prefixes[p]
			if set == nil {
				set = map[*Client]struct{}{}
				t.prefixes[p] = set
			}
			if _, ok := set[cl]; !ok {
				set[cl] = struct{}{}
				st.prefixes = append(st.prefixes, p)
			}
		}
		sort.Strings(st.prefixes)
	}
	t.clients[cl] = struct{}{}
	t.active.Store(true)
	cl.tracking.Store(true)
	c.Reply.OK()
}

// prefixCollision returns Redis's error when a new prefix overlaps one the
// client has or another new one (one is a prefix of the other), else "".
func prefixCollision(have, add []string) string {
	overlap := func(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }
	for i, p := range add {
		for _, h := range have {
			if overlap(p, h) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap.", p, h)
			}
		}
		for _, q := range add[i+1:] {
			if overlap(p, q) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap.", p, q)
			}
		}
	}
	return ""
}

// clientCaching is CLIENT CACHING YES|NO: the next command's keys are
// (OPTIN) or are not (OPTOUT) remembered. The setting lasts until a
// command other than a CLIENT subcommand ends outside MULTI (the front
// end calls ClearCaching).
func clientCaching(c *commands.Call) {
	cl := clientOf(c)
	t := cl.hub.tracking
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &cl.track
	if !st.on {
		c.Reply.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch strings.ToLower(string(c.Args[2])) {
	case "yes":
		if !st.optin {
			c.Reply.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case "no":
		if !st.optout {
			c.Reply.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	st.caching = true
	c.Reply.OK()
}

// ClearCaching ends CLIENT CACHING's effect: the front end calls it after
// each command of a tracking client, except where Redis's resetClient
// keeps the setting (inside MULTI, after a CLIENT subcommand).
func (c *Client) ClearCaching() {
	t := c.hub.tracking
	t.mu.Lock()
	c.track.caching = false
	t.mu.Unlock()
}

func clientTrackingInfo(c *commands.Call) {
	cl := clientOf(c)
	t := cl.hub.tracking
	t.mu.Lock()
	st := cl.track
	st.prefixes = append([]string(nil), st.prefixes...)
	t.mu.Unlock()
	flags := []string{"off"}
	if st.on {
		flags[0] = "on"
	}
	if st.bcast {
		flags = append(flags, "bcast")
	}
	if st.optin {
		flags = append(flags, "optin")
		if st.caching {
			flags = append(flags, "caching-yes")
		}
	}
	if st.optout {
		flags = append(flags, "optout")
		if st.caching {
			flags = append(flags, "caching-no")
		}
	}
	if st.noloop {
		flags = append(flags, "noloop")
	}
	if st.brokenRedir {
		flags = append(flags, "broken_redirect")
	}
	r := c.Reply
	r.Map(3)
	r.BulkString("flags")
	r.Set(len(flags))
	for _, f := range flags {
		r.BulkString(f)
	}
	r.BulkString("redirect")
	if st.on {
		r.Int(int64(st.redirect))
	} else {
		r.Int(-1)
	}
	r.BulkString("prefixes")
	r.Array(len(st.prefixes))
	for _, p := range st.prefixes {
		r.BulkString(p)
	}
}
