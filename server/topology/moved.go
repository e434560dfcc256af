package topology

import (
	"bytes"
	"strconv"

	"github.com/meshcache/meshcache/ring"
)

// Redirections: the -MOVED answers a node gives for a slot it does not
// lead (--cluster-redirect, or a request forwarded to a node that no
// longer leads it), and how the forwarding node reads them back.

// NextHop returns the member that a -MOVED answer to a request forwarded to
// node `to` names, when that is a third node: the request follows it at
// once, as a cluster client would. Otherwise it returns "" and the caller
// routes again once its table has caught up.
func NextHop(t *ring.Table, movedTo string, self, to ring.NodeID) ring.NodeID {
	if id := MemberAt(t, movedTo); id != self && id != to {
		return id
	}
	return ""
}

// MemberAt returns the member of t whose client address is addr, or "".
func MemberAt(t *ring.Table, addr string) ring.NodeID {
	if addr == "" {
		return ""
	}
	for _, m := range t.Members() {
		if m.Addr == addr {
			return m.ID
		}
	}
	return ""
}

// MovedAddr returns the address of a raw -MOVED reply ("-MOVED slot
// host:port").
func MovedAddr(reply []byte) string {
	f := bytes.Fields(reply)
	if len(f) != 3 {
		return ""
	}
	return string(f[2])
}

// MovedError is Redis Cluster's -MOVED error (without the dash) for slot
// led by owner: the slot and the owner's client address.
func MovedError(t *ring.Table, slot uint16, owner ring.NodeID) string {
	m, _ := t.Member(owner)
	return "MOVED " + strconv.Itoa(int(slot)) + " " + m.Addr
}

// IsMoved reports whether a raw reply is a -MOVED error.
func IsMoved(reply []byte) bool { return bytes.HasPrefix(reply, []byte("-MOVED ")) }
