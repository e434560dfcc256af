package commands

import (
	"math"

	"github.com/meshcache/meshcache/server/resp"
)

// KeyFlags are the flags of a key spec, as Redis 7 names them.
type KeyFlags uint16

// Key spec flags: how the command uses the value of the key (RO RW OW RM,
// exactly one) and what it does to the data (access update insert delete).
const (
	RO            KeyFlags = 1 << iota // reads the value
	RW                                 // reads and changes the value
	OW                                 // overwrites the value without reading it
	RM                                 // deletes the key
	Access                             // returns, copies or uses the user data
	Update                             // updates data in place (no insert or delete)
	Insert                             // adds data to the value
	Delete                             // removes data from the value
	NotKey                             // not a key (a channel ...): routed as one, not returned by GETKEYS
	Incomplete                         // the spec may miss keys
	VariableFlags                      // the flags depend on the arguments
)

var keyFlagNames = []struct {
	f    KeyFlags
	name string
}{
	{RO, "RO"}, {RW, "RW"}, {OW, "OW"}, {RM, "RM"}, {Access, "access"}, {Update, "update"},
	{Insert, "insert"}, {Delete, "delete"}, {NotKey, "not_key"}, {Incomplete, "incomplete"},
	{VariableFlags, "variable_flags"},
}

// Names returns the flags as COMMAND INFO lists them, in Redis's order.
func (f KeyFlags) Names() []string {
	var out []string
	for _, n := range keyFlagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// KeySpec is one Redis 7 key spec: where the search for keys begins (an
// argument index, or the argument after a keyword) and how the keys are
// found from there (a range, or a count argument followed by the keys).
type KeySpec struct {
	Flags KeyFlags
	Notes string
	// Unknown: Redis cannot say where these keys are from the arguments
	// alone (begin_search and find_keys "unknown", as SORT's STORE and
	// BY/GET keys); the command's KeysProc finds them.
	Unknown bool
	// begin_search: the argument Index (type "index") when Keyword is
	// empty, else the argument after Keyword, searched from StartFrom
	// (negative: from the end, backwards) (type "keyword").
	Index     int
	Keyword   string
	StartFrom int
	// find_keys: a range (type "range") of keys from the beginning to
	// LastKey (relative to the beginning; negative counts from the end of
	// the arguments), one every Step, Limit bounding a negative LastKey
	// (0: no bound); or, with KeyNum, a count at KeyNumIdx (relative to
	// the beginning) and the keys from FirstKey (relative), one every Step
	// (type "keynum").
	KeyNum    bool
	LastKey   int
	Step      int
	Limit     int
	KeyNumIdx int
	FirstKey  int
}

// Range is a key spec of type index/range: keys from argument index to
// index+lastkey (lastkey < 0: len(args)+lastkey), one every step.
func Range(flags KeyFlags, index, lastkey, step int) KeySpec {
	return KeySpec{Flags: flags, Index: index, LastKey: lastkey, Step: step}
}

// KeyNum is a key spec of type index/keynum: the count of keys at
// argument index+numidx, the keys from index+first, one every step.
func KeyNum(flags KeyFlags, index, numidx, first, step int) KeySpec {
	return KeySpec{Flags: flags, Index: index, KeyNum: true, KeyNumIdx: numidx, FirstKey: first, Step: step}
}

// Unknown is a key spec of type unknown (see KeySpec.Unknown).
func Unknown(flags KeyFlags, notes string) KeySpec {
	return KeySpec{Flags: flags, Notes: notes, Unknown: true}
}

// simple reports whether s is an index/range spec, the only kind the
// legacy first/last/step of COMMAND can express.
func (s KeySpec) simple() bool { return s.Keyword == "" && !s.KeyNum && !s.Unknown }

// LegacyRange derives COMMAND's first key, last key and step from the key
// specs as Redis's populateCommandLegacyRangeSpec does; movable reports
// that they do not describe every key (the "movablekeys" flag).
func (c *Command) LegacyRange() (first, last, step int, movable bool) {
	switch {
	case len(c.Keys) == 0:
		return 0, 0, 0, false
	case len(c.Keys) == 1 && c.Keys[0].simple():
		s := c.Keys[0]
		last = s.LastKey
		if last >= 0 {
			last += s.Index
		}
		return s.Index, last, s.Step, s.Flags&Incomplete != 0
	}
	first, last = math.MaxInt, 0
	prevLast := 0
	for _, s := range c.Keys {
		if !s.simple() || s.Step != 1 || (prevLast != 0 && prevLast != s.Index-1) {
			movable = true
			continue
		}
		if s.Flags&Incomplete != 0 {
			movable = true
		}
		first = min(first, s.Index)
		abs := s.LastKey
		if abs >= 0 {
			abs += s.Index
		}
		if uint(abs) > uint(last) { // unsigned, as Redis: a negative last wins
			last = abs
		}
		prevLast = last
	}
	if first == math.MaxInt {
		return 0, 0, 0, true
	}
	return first, last, 1, movable
}

// MovableKeys reports whether the legacy range misses keys of the command
// (COMMAND's "movablekeys" flag).
func (c *Command) MovableKeys() bool {
	_, _, _, movable := c.LegacyRange()
	return movable
}

// HasKeys reports whether the command names keys in its arguments (a key
// spec that is not NotKey), as Redis's doesCommandHaveKeys.
func (c *Command) HasKeys() bool {
	for _, s := range c.Keys {
		if s.Flags&NotKey == 0 {
			return true
		}
	}
	return false
}

// KeyRef is one key found in a command's arguments.
type KeyRef struct {
	Pos   int // index in args
	Flags KeyFlags
}

// GetKeys finds the keys of args (args[0] the command name) from the key
// specs, as Redis's getKeysUsingKeySpecs does, appending them to out. NotKey
// specs are skipped; a VariableFlags spec takes its flags from
// VariableKeyFlags. ok is false when a spec does not fit the arguments
// (a syntax error the command will report).
func (c *Command) GetKeys(args [][]byte, out []KeyRef) (_ []KeyRef, ok bool) {
	if c.KeysProc != nil {
		return c.KeysProc(args, out), true
	}
	for i := range c.Keys {
		s := &c.Keys[i]
		if s.Flags&NotKey != 0 {
			continue
		}
		first, last, step, found, fits := s.span(args)
		if !fits {
			return out, false
		}
		if !found {
			continue
		}
		flags := s.Flags
		if flags&VariableFlags != 0 && c.VariableKeyFlags != nil {
			flags = c.VariableKeyFlags(args)
		}
		for k := first; k <= last; k += step {
			out = append(out, KeyRef{Pos: k, Flags: flags})
		}
	}
	return out, true
}

// KeyPositions appends to out the argument indexes of the keys of args
// (args[0] the command name) that a cluster routes the command by, as
// Redis Cluster finds them (getKeysFromCommand, which for commands with
// movable keys runs their getkeys procs): every key spec counts, NotKey
// ones too (a shard channel is routed as a key); a limited range (XREAD's
// STREAMS k1 k2 id1 id2) needs the arguments after its beginning to divide
// evenly, as xreadGetKeys does; and when a spec does not fit the arguments
// (a keynum count that is not a number, negative, zero with no key, or
// larger than the arguments) the command has no keys at all: ok is false,
// out is returned as given, and the command runs where it was sent, whose
// handler answers the syntax error, as Redis does. It allocates only when
// out is too short.
func (c *Command) KeyPositions(args [][]byte, out []int) (_ []int, ok bool) {
	if c.KeysProc != nil {
		var refs [4]KeyRef
		for _, k := range c.KeysProc(args, refs[:0]) {
			out = append(out, k.Pos)
		}
		return out, true
	}
	n := len(out)
	for i := range c.Keys {
		s := &c.Keys[i]
		first, last, step, found, fits := s.span(args)
		if fits && found && s.Limit > 1 && s.LastKey < 0 && (len(args)-first)%s.Limit != 0 {
			fits = false
		}
		if !fits {
			return out[:n], false
		}
		if !found {
			continue
		}
		for k := first; k <= last; k += step {
			out = append(out, k)
		}
	}
	return out, true
}

// span finds where the keys of spec s lie in args, as Redis's
// getKeysUsingKeySpecs does: args[first], args[first+step] ... up to
// args[last]. found is false when a keyword spec's keyword is absent (the
// spec has no keys here); fits is false when the spec does not fit the
// arguments (Redis's invalid_spec: a syntax error the command reports).
func (s *KeySpec) span(args [][]byte) (first, last, step int, found, fits bool) {
	if s.Unknown {
		return 0, 0, 0, false, true // the command's KeysProc finds them
	}
	argc := len(args)
	if s.Keyword == "" {
		first = s.Index
	} else {
		start, end := s.StartFrom, argc-1
		if s.StartFrom <= 0 {
			start, end = argc+s.StartFrom, 1
		}
		for i := start; i != end; {
			if i >= argc || i < 1 {
				break
			}
			if foldEqual(args[i], s.Keyword) {
				first = i + 1
				break
			}
			if start <= end {
				i++
			} else {
				i--
			}
		}
		if first == 0 {
			return 0, 0, 0, false, true // keyword not found
		}
	}
	step = s.Step
	if !s.KeyNum {
		switch {
		case s.LastKey >= 0:
			last = first + s.LastKey
		case s.Limit == 0:
			last = argc + s.LastKey
		default:
			last = first + ((argc-first)/s.Limit + s.LastKey)
		}
	} else {
		if s.KeyNumIdx >= argc || first+s.KeyNumIdx >= argc {
			return 0, 0, 0, false, false
		}
		n, okN := resp.ParseInt64(args[first+s.KeyNumIdx])
		if !okN || n < 0 || n > int64(argc) {
			return 0, 0, 0, false, false
		}
		first += s.FirstKey
		last = first + int(n) - 1
	}
	if last >= argc || last < first || first >= argc {
		return 0, 0, 0, false, false
	}
	if step <= 0 {
		step = 1
	}
	return first, last, step, true, true
}

// WriteKeySpecs writes c's key specs as Redis 7's COMMAND INFO does (a set
// of maps in RESP3).
func (c *Command) WriteKeySpecs(r *resp.Reply) {
	r.Set(len(c.Keys))
	for _, s := range c.Keys {
		n := 3
		if s.Notes != "" {
			n++
		}
		r.Map(n)
		if s.Notes != "" {
			r.BulkString("notes")
			r.BulkString(s.Notes)
		}
		r.BulkString("flags")
		names := s.Flags.Names()
		r.Set(len(names))
		for _, f := range names {
			r.Status(f)
		}
		r.BulkString("begin_search")
		r.Map(2)
		r.BulkString("type")
		if s.Unknown {
			r.BulkString("unknown")
			r.BulkString("spec")
			r.Map(0)
			r.BulkString("find_keys")
			r.Map(2)
			r.BulkString("type")
			r.BulkString("unknown")
			r.BulkString("spec")
			r.Map(0)
			continue
		}
		if s.Keyword == "" {
			r.BulkString("index")
			r.BulkString("spec")
			r.Map(1)
			r.BulkString("index")
			r.Int(int64(s.Index))
		} else {
			r.BulkString("keyword")
			r.BulkString("spec")
			r.Map(2)
			r.BulkString("keyword")
			r.BulkString(s.Keyword)
			r.BulkString("startfrom")
			r.Int(int64(s.StartFrom))
		}
		r.BulkString("find_keys")
		r.Map(2)
		r.BulkString("type")
		if !s.KeyNum {
			r.BulkString("range")
			r.BulkString("spec")
			r.Map(3)
			r.BulkString("lastkey")
			r.Int(int64(s.LastKey))
			r.BulkString("keystep")
			r.Int(int64(s.Step))
			r.BulkString("limit")
			r.Int(int64(s.Limit))
		} else {
			r.BulkString("keynum")
			r.BulkString("spec")
			r.Map(3)
			r.BulkString("keynumidx")
			r.Int(int64(s.KeyNumIdx))
			r.BulkString("firstkey")
			r.Int(int64(s.FirstKey))
			r.BulkString("keystep")
			r.Int(int64(s.Step))
		}
	}
}

// foldEqual reports whether b and s are equal ignoring ASCII case, as
// strcasecmp does.
func foldEqual(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ReadOnlyKeys returns the keys of args that the command only reads (their
// key spec says RO): a write command looks them up as reads, as Redis's
// lookupKeyRead (SINTERSTORE's sources, SORT's key, COPY's source), so
// their misses are keyspace misses ("keymiss").
func (c *Command) ReadOnlyKeys(args [][]byte) [][]byte {
	refs, _ := c.GetKeys(args, nil)
	var ro [][]byte
	for _, r := range refs {
		if r.Flags&RO != 0 {
			ro = append(ro, args[r.Pos])
		}
	}
	return ro
}
