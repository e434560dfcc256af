// Package clientinfo renders one client as a line of CLIENT LIST and
// CLIENT INFO, with every field of Redis 7.2 in Redis's order
// (networking.c catClientInfoString), and parses CLIENT LIST's filters
// (TYPE, ID). Pure: the front end gathers an Info from its connection
// and this package formats it; docs/DESIGN.md §6 says which values are
// exact and which approximate Redis's.
package clientinfo

import (
	"strconv"
	"strings"

	"github.com/meshcache/meshcache/server/resp"
)

// Info is one client as CLIENT LIST shows it, field by field in Redis's
// order; see Redis's CLIENT LIST documentation for each.
type Info struct {
	ID          uint64
	Addr, LAddr string
	FD          int // the socket's descriptor; -1 for a client without one
	Name        string
	Age, Idle   int64 // seconds
	Flags       Flags
	DB          int
	Sub, PSub   int
	SSub        int
	Multi       int // queued commands inside MULTI; -1 outside
	QBuf        int64
	QBufFree    int64
	ArgvMem     int64
	MultiMem    int64
	RBS, RBP    int64
	OBL, OLL    int64
	OMem        int64
	TotMem      int64
	// Readable, Writable: the event loop waits to read from the client,
	// to write to it (events=r, w).
	Readable, Writable bool
	Cmd                string // the last command's full name ("client|list"); "" = NULL
	User               string
	Redir              int64 // the client tracking redirects to; -1 when not tracking
	RESP               int
	LibName, LibVer    string
}

// Flags are the client's states that CLIENT LIST's flags= shows, one
// letter each, in Redis's order.
type Flags struct {
	Monitor    bool // O
	PubSub     bool // P: subscribed to something
	Multi      bool // x
	Blocked    bool // b
	Tracking   bool // t
	BrokenRed  bool // R: tracking's redirect client is gone
	BCast      bool // B: tracking in BCAST mode
	DirtyCAS   bool // d: a watched key changed
	CloseAfter bool // c: closes once its reply is written
	ReadOnly   bool // r: READONLY (cluster)
	NoEvict    bool // e
	NoTouch    bool // T
}

// String returns the flags' letters, "N" when none is set.
func (f Flags) String() string {
	var b [16]byte
	n := 0
	for _, x := range [...]struct {
		on bool
		c  byte
	}{{f.Monitor, 'O'}, {f.PubSub, 'P'}, {f.Multi, 'x'}, {f.Blocked, 'b'}, {f.Tracking, 't'},
		{f.BrokenRed, 'R'}, {f.BCast, 'B'}, {f.DirtyCAS, 'd'}, {f.CloseAfter, 'c'}, {f.ReadOnly, 'r'},
		{f.NoEvict, 'e'}, {f.NoTouch, 'T'}} {
		if x.on {
			b[n] = x.c
			n++
		}
	}
	if n == 0 {
		return "N"
	}
	return string(b[:n])
}

// RequestSize is the size of a command as a client sends it in RESP's
// multibulk form: what it takes in the query buffer (an inline command
// takes a little less).
func RequestSize(args [][]byte) int64 {
	n := 1 + len(strconv.Itoa(len(args))) + 2
	for _, a := range args {
		n += 1 + len(strconv.Itoa(len(a))) + 2 + len(a) + 2
	}
	return int64(n)
}

// Derive sets the fields computed from the others: events=w (output is
// waiting) and tot-mem (size is the client's own structure).
func (i *Info) Derive(size int64) {
	i.Writable = i.OMem > 0
	i.TotMem = size + i.QBuf + i.QBufFree + i.ArgvMem + i.MultiMem + i.RBS + i.OMem
}

// Append appends the client's line (without the newline) to b.
func (i *Info) Append(b []byte) []byte {
	num := func(b []byte, name string, v int64) []byte {
		b = append(b, ' ')
		b = append(b, name...)
		b = append(b, '=')
		return strconv.AppendInt(b, v, 10)
	}
	str := func(b []byte, name, v string) []byte {
		b = append(b, ' ')
		b = append(b, name...)
		b = append(b, '=')
		return append(b, v...)
	}
	b = append(b, "id="...)
	b = strconv.AppendUint(b, i.ID, 10)
	b = str(b, "addr", i.Addr)
	b = str(b, "laddr", i.LAddr)
	b = num(b, "fd", int64(i.FD))
	b = str(b, "name", i.Name)
	b = num(b, "age", i.Age)
	b = num(b, "idle", i.Idle)
	b = str(b, "flags", i.Flags.String())
	b = num(b, "db", int64(i.DB))
	b = num(b, "sub", int64(i.Sub))
	b = num(b, "psub", int64(i.PSub))
	b = num(b, "ssub", int64(i.SSub))
	b = num(b, "multi", int64(i.Multi))
	b = num(b, "qbuf", i.QBuf)
	b = num(b, "qbuf-free", i.QBufFree)
	b = num(b, "argv-mem", i.ArgvMem)
	b = num(b, "multi-mem", i.MultiMem)
	b = num(b, "rbs", i.RBS)
	b = num(b, "rbp", i.RBP)
	b = num(b, "obl", i.OBL)
	b = num(b, "oll", i.OLL)
	b = num(b, "omem", i.OMem)
	b = num(b, "tot-mem", i.TotMem)
	ev := ""
	if i.Readable {
		ev = "r"
	}
	if i.Writable {
		ev += "w"
	}
	b = str(b, "events", ev)
	cmd := i.Cmd
	if cmd == "" {
		cmd = "NULL"
	}
	b = str(b, "cmd", cmd)
	b = str(b, "user", i.User)
	b = num(b, "redir", i.Redir)
	b = num(b, "resp", int64(i.RESP))
	b = str(b, "lib-name", i.LibName)
	return str(b, "lib-ver", i.LibVer)
}

// ArgvMem is what Redis counts as the memory of a command's arguments
// (argv-mem, and per queued command in multi-mem): their lengths.
func ArgvMem(args [][]byte) int64 {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	return int64(n)
}

// QueuedMem is what one command queued by MULTI adds to multi-mem, as
// Redis's queueMultiCommand: its arguments' lengths and a pointer per
// argument.
func QueuedMem(args [][]byte) int64 { return ArgvMem(args) + 8*int64(len(args)) }

// Type is a client type of CLIENT LIST TYPE and CLIENT KILL TYPE.
type Type uint8

// Client types, as Redis's getClientType (a monitor is a normal client).
const (
	Normal Type = iota
	PubSub
	Replica
	Master
)

// ParseType reads a client type's name, as Redis's getClientTypeByName.
func ParseType(name []byte) (Type, bool) {
	switch strings.ToLower(string(name)) {
	case "normal":
		return Normal, true
	case "pubsub":
		return PubSub, true
	case "replica", "slave":
		return Replica, true
	case "master":
		return Master, true
	}
	return 0, false
}

// Filter is CLIENT LIST's choice of clients: one type, a list of IDs
// (ByID: listed in the order given, repeats included, as Redis), or all.
type Filter struct {
	Type    Type
	HasType bool
	ByID    bool
	IDs     []int64
}

// ParseFilter reads CLIENT LIST's options (args after LIST) as Redis 7.2
// does: nothing, TYPE <type>, or ID <id> [<id> ...], with Redis's errors.
func ParseFilter(args [][]byte) (Filter, string) {
	var f Filter
	switch {
	case len(args) == 2 && resp.EqualFold(args[0], "type"):
		t, ok := ParseType(args[1])
		if !ok {
			return f, "ERR Unknown client type '" + string(args[1]) + "'"
		}
		f.Type, f.HasType = t, true
	case len(args) > 1 && resp.EqualFold(args[0], "id"):
		f.ByID = true
		for _, a := range args[1:] {
			id, ok := resp.ParseInt64(a)
			if !ok {
				return f, "ERR Invalid client ID"
			}
			f.IDs = append(f.IDs, id)
		}
	case len(args) != 0:
		return f, resp.ErrSyntax
	}
	return f, ""
}

// Match reports whether a client of type t is chosen (by a filter that
// is not ByID).
func (f Filter) Match(t Type) bool { return !f.HasType || f.Type == t }

// Chosen returns the clients of all (sorted by ID) that f lists, in the
// order CLIENT LIST shows them: by ID in the order given, repeats
// included, as Redis; else those of the filter's type.
func Chosen[C any](f Filter, all []C, id func(C) uint64, typ func(C) Type) []C {
	var out []C
	if !f.ByID {
		for _, c := range all {
			if f.Match(typ(c)) {
				out = append(out, c)
			}
		}
		return out
	}
	byID := make(map[uint64]C, len(all))
	for _, c := range all {
		byID[id(c)] = c
	}
	for _, want := range f.IDs {
		if c, ok := byID[uint64(want)]; ok && want > 0 {
			out = append(out, c)
		}
	}
	return out
}
