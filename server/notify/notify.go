// Package notify holds the facts of Redis's keyspace notifications
// (docs/DESIGN.md §6): the classes of notify-keyspace-events, their
// parsing and rendering exactly as Redis's notify.c
// (keyspaceEventsStringToFlags, keyspaceEventsFlagsToString), and the
// events a command or the keyspace emits, each a class and Redis's name.
// It is pure: the Hub (server/events) publishes the events, the command
// handlers (server/commands) and the store's hook produce them.
package notify

// Class is a set of notification classes, Redis's NOTIFY_* bits.
type Class uint32

// The classes, with Redis's bit values and letters.
const (
	Keyspace Class = 1 << 0  // K: __keyspace@<db>__:<key> messages
	Keyevent Class = 1 << 1  // E: __keyevent@<db>__:<event> messages
	Generic  Class = 1 << 2  // g: DEL, EXPIRE, RENAME ...
	String   Class = 1 << 3  // $
	List     Class = 1 << 4  // l
	Set      Class = 1 << 5  // s
	Hash     Class = 1 << 6  // h
	ZSet     Class = 1 << 7  // z
	Expired  Class = 1 << 8  // x: a key expired (lazily or by the active cycle)
	Evicted  Class = 1 << 9  // e: a key evicted for maxmemory
	Stream   Class = 1 << 10 // t
	KeyMiss  Class = 1 << 11 // m: excluded from A, as in Redis
	Module   Class = 1 << 13 // d
	New      Class = 1 << 14 // n: excluded from A, as in Redis
	// All is A: every class of events but m and n (and neither K nor E).
	All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module
)

// Parse turns a notify-keyspace-events value into classes, as Redis's
// keyspaceEventsStringToFlags: ok is false when a character names no class.
func Parse(s string) (c Class, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			c |= All
		case 'g':
			c |= Generic
		case '$':
			c |= String
		case 'l':
			c |= List
		case 's':
			c |= Set
		case 'h':
			c |= Hash
		case 'z':
			c |= ZSet
		case 'x':
			c |= Expired
		case 'e':
			c |= Evicted
		case 'K':
			c |= Keyspace
		case 'E':
			c |= Keyevent
		case 't':
			c |= Stream
		case 'm':
			c |= KeyMiss
		case 'd':
			c |= Module
		case 'n':
			c |= New
		default:
			return 0, false
		}
	}
	return c, true
}

// String renders classes as Redis's keyspaceEventsFlagsToString (what
// CONFIG GET answers): A for all of All, else the type letters in Redis's
// order, then K, E and m. With A, n is not shown (it is still set), as in
// Redis.
func (c Class) String() string {
	var b []byte
	if c&All == All {
		b = append(b, 'A')
	} else {
		for _, l := range []struct {
			c Class
			l byte
		}{{Generic, 'g'}, {String, '$'}, {List, 'l'}, {Set, 's'}, {Hash, 'h'}, {ZSet, 'z'},
			{Expired, 'x'}, {Evicted, 'e'}, {Stream, 't'}, {Module, 'd'}, {New, 'n'}} {
			if c&l.c != 0 {
				b = append(b, l.l)
			}
		}
	}
	if c&Keyspace != 0 {
		b = append(b, 'K')
	}
	if c&Keyevent != 0 {
		b = append(b, 'E')
	}
	if c&KeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}

// Emits reports whether classes c publish anything at all: some type
// class and at least one of K and E (Redis builds no message otherwise).
func (c Class) Emits() bool { return c&(Keyspace|Keyevent) != 0 && c&^(Keyspace|Keyevent) != 0 }

// Event is one keyspace notification: its class and Redis's event name.
// The zero Event is no event (a command that emits none).
type Event struct {
	Class Class
	Name  string
}

// The events that are not one command's own (several commands or the
// keyspace emit them), with Redis's names. An event named after one
// command is that command's table entry's fact (commands.Command.Event).
var (
	Del        = Event{Generic, "del"}
	Expire     = Event{Generic, "expire"}
	Persist    = Event{Generic, "persist"}
	RenameFrom = Event{Generic, "rename_from"}
	RenameTo   = Event{Generic, "rename_to"}
	CopyTo     = Event{Generic, "copy_to"}
	Restore    = Event{Generic, "restore"}
	SetEvent   = Event{String, "set"}
	SetBit     = Event{String, "setbit"}
	PFAdd      = Event{String, "pfadd"}
	LPush      = Event{List, "lpush"}
	RPush      = Event{List, "rpush"}
	LPop       = Event{List, "lpop"}
	RPop       = Event{List, "rpop"}
	HSet       = Event{Hash, "hset"}
	SAdd       = Event{Set, "sadd"}
	SRem       = Event{Set, "srem"}
	ZAdd       = Event{ZSet, "zadd"}
	ZIncr      = Event{ZSet, "zincr"}
	ZPopMin    = Event{ZSet, "zpopmin"}
	ZPopMax    = Event{ZSet, "zpopmax"}
	KeyNew     = Event{New, "new"}
	KeyExpired = Event{Expired, "expired"}
	KeyEvicted = Event{Evicted, "evicted"}
	KeyMissed  = Event{KeyMiss, "keymiss"}
)

// Pushed is the event of a push at the head (left) or the tail.
func Pushed(left bool) Event {
	if left {
		return LPush
	}
	return RPush
}

// Popped is the event of a pop from the head (left) or the tail.
func Popped(left bool) Event {
	if left {
		return LPop
	}
	return RPop
}

// AppendKeyspace appends the channel of key's keyspace message in db 0,
// "__keyspace@0__:<key>".
func AppendKeyspace(b, key []byte) []byte {
	return append(append(b, "__keyspace@0__:"...), key...)
}

// AppendKeyevent appends the channel of an event's keyevent message in db
// 0, "__keyevent@0__:<name>".
func AppendKeyevent(b []byte, name string) []byte {
	return append(append(b, "__keyevent@0__:"...), name...)
}
