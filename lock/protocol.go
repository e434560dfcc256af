package lock

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/redcon"
)

// The LOCK.* command protocol, served by every meshcache node from its own
// Table. The commands have no key positions: they are never routed by slot,
// never forwarded to another node, and never replicated. Each node answers
// for itself; the client (Locker) runs Redlock across nodes.
//
//	LOCK.ACQUIRE name holder ttl-ms
//	    Grant the lease on name to holder for ttl-ms milliseconds if the name
//	    is free, its lease expired, or holder already holds it (a retry; the
//	    lease is renewed). Reply: *2 :1 :mark when granted, where mark is the
//	    name's fencing high-water mark; *2 :0 :pttl when another holder has
//	    it, pttl being its remaining lease in milliseconds.
//	LOCK.CONFIRM name holder token
//	    Raise name's mark to token if holder holds the lease and token is
//	    above the mark (or equals the token holder already confirmed). Reply:
//	    +OK, or -NOTHELD / -STALETOKEN errors.
//	LOCK.RELEASE name holder
//	    End holder's lease. Reply :1 if holder held it, :0 otherwise. The
//	    mark stays.
//	LOCK.EXTEND name holder ttl-ms
//	    Renew holder's lease to ttl-ms from now. Reply :1 if holder held it,
//	    :0 otherwise (an expired lease is not extended).
//
// Argument errors are Redis's: "ERR wrong number of arguments for
// 'lock.acquire' command", "ERR value is not an integer or out of range",
// "ERR invalid expire time in 'lock.acquire' command". An empty holder is
// refused with "ERR invalid holder in 'lock.acquire' command".

// Command names, as sent on the wire.
const (
	CmdAcquire = "LOCK.ACQUIRE"
	CmdConfirm = "LOCK.CONFIRM"
	CmdRelease = "LOCK.RELEASE"
	CmdExtend  = "LOCK.EXTEND"
)

// Error codes of LOCK.CONFIRM's error replies (the first word of the error).
const (
	CodeNotHeld    = "NOTHELD"
	CodeStaleToken = "STALETOKEN"
)

// CommandSpec describes one LOCK.* command for the server's command table.
// All of them are "write" and "fast" (O(1)), and have no keys (FirstKey 0):
// they must run on the node that received them.
type CommandSpec struct {
	Name    string // lower case, as COMMAND reports it
	Arity   int    // Redis convention: name included, exact
	Summary string // one line for COMMAND DOCS
}

// Commands lists the LOCK.* commands a meshcache node serves with Table.Do.
var Commands = []CommandSpec{
	{Name: "lock.acquire", Arity: 4, Summary: "Takes a node-local lock lease and returns the lock's fencing high-water mark."},
	{Name: "lock.confirm", Arity: 4, Summary: "Raises a held lock's fencing high-water mark to the holder's token."},
	{Name: "lock.release", Arity: 3, Summary: "Ends a node-local lock lease if the caller holds it."},
	{Name: "lock.extend", Arity: 4, Summary: "Renews a node-local lock lease if the caller holds it."},
}

// ReplyKind is the shape of a LOCK.* reply.
type ReplyKind uint8

// Reply shapes.
const (
	ReplyInt  ReplyKind = iota // an integer (Reply.Int)
	ReplyOK                    // the simple string OK
	ReplyPair                  // an array of two integers (Reply.Pair)
)

// Reply is the successful result of one LOCK.* command, for the server to
// write with its own encoder (or with AppendRESP, which is the same in RESP2
// and RESP3: only integers, arrays and +OK).
type Reply struct {
	Kind ReplyKind
	Int  int64
	Pair [2]int64
}

// AppendRESP appends the reply's RESP encoding to b.
func (r Reply) AppendRESP(b []byte) []byte {
	switch r.Kind {
	case ReplyOK:
		return append(b, "+OK\r\n"...)
	case ReplyPair:
		b = redcon.AppendArray(b, 2)
		b = redcon.AppendInt(b, r.Pair[0])
		return redcon.AppendInt(b, r.Pair[1])
	default:
		return redcon.AppendInt(b, r.Int)
	}
}

// CommandError is an error reply. Its Error() is the exact text to send
// after '-', code first ("ERR ...", "NOTHELD ...").
type CommandError struct {
	Msg string
	err error // the sentinel it stands for, if any
}

func (e *CommandError) Error() string { return e.Msg }

// Unwrap returns the sentinel the error stands for (ErrNotHeld,
// ErrStaleToken), or nil for argument errors.
func (e *CommandError) Unwrap() error { return e.err }

func errArity(name string) error {
	return &CommandError{Msg: fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)}
}

var errNotInteger = &CommandError{Msg: "ERR value is not an integer or out of range"}

// Do runs one LOCK.* command: args[0] is the command name in any case,
// as the client sent it. Errors are *CommandError, ready to send.
func (t *Table) Do(args [][]byte) (Reply, error) {
	if len(args) == 0 {
		return Reply{}, &CommandError{Msg: "ERR empty command"}
	}
	var lower [len("lock.acquire")]byte
	name := lowerName(lower[:0], args[0])
	switch name {
	case "lock.acquire":
		if len(args) != 4 {
			return Reply{}, errArity(name)
		}
		holder, err := parseHolder(name, args[2])
		if err != nil {
			return Reply{}, err
		}
		ttl, err := parseTTL(name, args[3])
		if err != nil {
			return Reply{}, err
		}
		granted, mark, remaining := t.Acquire(string(args[1]), holder, ttl)
		if !granted {
			return Reply{Kind: ReplyPair, Pair: [2]int64{0, pttl(remaining)}}, nil
		}
		return Reply{Kind: ReplyPair, Pair: [2]int64{1, clampInt64(mark)}}, nil
	case "lock.confirm":
		if len(args) != 4 {
			return Reply{}, errArity(name)
		}
		holder, err := parseHolder(name, args[2])
		if err != nil {
			return Reply{}, err
		}
		token, ok := parseInt(args[3])
		if !ok || token < 0 {
			return Reply{}, errNotInteger
		}
		if err := t.Confirm(string(args[1]), holder, uint64(token)); err != nil {
			if errors.Is(err, ErrNotHeld) {
				return Reply{}, &CommandError{Msg: CodeNotHeld + " the lock is not held by this holder", err: ErrNotHeld}
			}
			return Reply{}, &CommandError{Msg: CodeStaleToken + " " + err.Error(), err: ErrStaleToken}
		}
		return Reply{Kind: ReplyOK}, nil
	case "lock.release":
		if len(args) != 3 {
			return Reply{}, errArity(name)
		}
		holder, err := parseHolder(name, args[2])
		if err != nil {
			return Reply{}, err
		}
		return boolReply(t.Release(string(args[1]), holder)), nil
	case "lock.extend":
		if len(args) != 4 {
			return Reply{}, errArity(name)
		}
		holder, err := parseHolder(name, args[2])
		if err != nil {
			return Reply{}, err
		}
		ttl, err := parseTTL(name, args[3])
		if err != nil {
			return Reply{}, err
		}
		return boolReply(t.Extend(string(args[1]), holder, ttl)), nil
	}
	return Reply{}, unknownCommand(args)
}

// lowerName returns the command name in lower case, without allocating for
// names that fit buf (all LOCK.* names); longer names are unknown anyway.
func lowerName(buf, name []byte) string {
	if len(name) > cap(buf) {
		return strings.ToLower(string(name))
	}
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return string(buf)
}

// unknownCommand formats Redis 7's unknown-command error, with its limits:
// the name cut at 128 bytes, arguments quoted while the list is under 128
// bytes, and newlines turned into spaces so the error stays one line.
func unknownCommand(args [][]byte) error {
	name := args[0]
	if len(name) > 128 {
		name = name[:128]
	}
	var list []byte
	for _, a := range args[1:] {
		if len(list) >= 128 {
			break
		}
		room := 128 - len(list)
		if len(a) > room {
			a = a[:room]
		}
		list = append(append(append(list, '\''), a...), "' "...)
	}
	msg := fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", name, list)
	return &CommandError{Msg: strings.NewReplacer("\r", " ", "\n", " ").Replace(msg)}
}

func boolReply(ok bool) Reply {
	if ok {
		return Reply{Kind: ReplyInt, Int: 1}
	}
	return Reply{Kind: ReplyInt, Int: 0}
}

func parseHolder(cmd string, b []byte) (string, error) {
	if len(b) == 0 {
		return "", &CommandError{Msg: fmt.Sprintf("ERR invalid holder in '%s' command", cmd)}
	}
	return string(b), nil
}

// maxTTLms keeps now+ttl representable as a time.Duration.
const maxTTLms = math.MaxInt64 / int64(time.Millisecond)

func parseTTL(cmd string, b []byte) (time.Duration, error) {
	ms, ok := parseInt(b)
	if !ok {
		return 0, errNotInteger
	}
	if ms <= 0 || ms > maxTTLms {
		return 0, &CommandError{Msg: fmt.Sprintf("ERR invalid expire time in '%s' command", cmd)}
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// pttl rounds a remaining lease up to whole milliseconds, never below 1 for
// a live lease, as PTTL never says 0 for a key that still exists.
func pttl(d time.Duration) int64 {
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	return max(ms, 1)
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// parseInt parses a decimal integer exactly as Redis's string2ll does: an
// optional '-', then "0" or a digit 1-9 followed by digits; no '+', no
// spaces, no leading zeros, within int64.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	s := b
	if s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}
