package commands

import (
	"math"

	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// ListCommands are the commands on list values, with Redis 7.2 semantics,
// the blocking ones included (see blocking.go for how they wait).
func ListCommands() []*Command {
	const g = "list"
	w, wd, wdf, wf := FlagWrite, FlagWrite|FlagDenyOOM, FlagWrite|FlagDenyOOM|FlagFast, FlagWrite|FlagFast
	r, rf := FlagReadOnly, FlagReadOnly|FlagFast
	wb, wdb := FlagWrite|FlagBlocking, FlagWrite|FlagDenyOOM|FlagBlocking
	ins := []KeySpec{Range(RW|Insert, 1, 0, 1)}
	pop := []KeySpec{Range(RW|Access|Delete, 1, 0, 1)}
	move := []KeySpec{Range(RW|Access|Delete, 1, 0, 1), Range(RW|Insert, 2, 0, 1)}
	// at marks the handlers read for FlagArgsTransient: they copy what
	// they store (store/list encodes elements into its chunks) and append
	// what they answer; the blocking and moving forms keep the old way.
	const at = FlagArgsTransient
	return []*Command{
		{Name: "lpush", Arity: -3, Flags: wdf | at, ACL: ACLList, Keys: ins, Group: g, Since: "1.0.0",
			Summary: "Prepends one or more elements to a list. Creates the key if it doesn't exist.", Handler: lpushCommand},
		{Name: "rpush", Arity: -3, Flags: wdf | at, ACL: ACLList, Keys: ins, Group: g, Since: "1.0.0",
			Summary: "Appends one or more elements to a list. Creates the key if it doesn't exist.", Handler: rpushCommand},
		{Name: "lpushx", Arity: -3, Flags: wdf | at, ACL: ACLList, Keys: ins, Group: g, Since: "2.2.0",
			Summary: "Prepends one or more elements to a list only when the list exists.", Handler: lpushxCommand},
		{Name: "rpushx", Arity: -3, Flags: wdf | at, ACL: ACLList, Keys: ins, Group: g, Since: "2.2.0",
			Summary: "Appends an element to a list only when the list exists.", Handler: rpushxCommand},
		{Name: "lpop", Arity: -2, Flags: wf | at, ACL: ACLList, Keys: pop, Group: g, Since: "1.0.0",
			Summary: "Returns the first elements in a list after removing it. Deletes the list if the last element was popped.", Handler: lpopCommand},
		{Name: "rpop", Arity: -2, Flags: wf | at, ACL: ACLList, Keys: pop, Group: g, Since: "1.0.0",
			Summary: "Returns and removes the last elements of a list. Deletes the list if the last element was popped.", Handler: rpopCommand},
		{Name: "llen", Arity: 2, Flags: rf | at, ACL: ACLList, Keys: []KeySpec{Range(RO, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Returns the length of a list.", Handler: llenCommand},
		{Name: "lrange", Arity: 4, Flags: r | at, ACL: ACLList, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Returns a range of elements from a list.", Handler: lrangeCommand},
		{Name: "lindex", Arity: 3, Flags: r | at, ACL: ACLList, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Returns an element from a list by its index.", Handler: lindexCommand},
		{Name: "lset", Arity: 4, Flags: wd | at, ACL: ACLList, Keys: []KeySpec{Range(RW|Update, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Sets the value of an element in a list by its index.", Event: notify.Event{Class: notify.List, Name: "lset"}, Handler: lsetCommand},
		{Name: "linsert", Arity: 5, Flags: wd | at, ACL: ACLList, Keys: ins, Group: g, Since: "2.2.0",
			Summary: "Inserts an element before or after another element in a list.", Event: notify.Event{Class: notify.List, Name: "linsert"}, Handler: linsertCommand},
		{Name: "lrem", Arity: 4, Flags: w | at, ACL: ACLList, Keys: []KeySpec{Range(RW|Delete, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Removes elements from a list. Deletes the list if the last element was removed.", Event: notify.Event{Class: notify.List, Name: "lrem"}, Handler: lremCommand},
		{Name: "ltrim", Arity: 4, Flags: w | at, ACL: ACLList, Keys: []KeySpec{Range(RW|Delete, 1, 0, 1)}, Group: g, Since: "1.0.0",
			Summary: "Removes elements from both ends a list. Deletes the list if all elements were trimmed.", Event: notify.Event{Class: notify.List, Name: "ltrim"}, Handler: ltrimCommand},
		{Name: "lpos", Arity: -3, Flags: r | at, ACL: ACLList, Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}, Group: g, Since: "6.0.6",
			Summary: "Returns the index of matching elements in a list.", Handler: lposCommand},
		{Name: "lmove", Arity: 5, Flags: wd, ACL: ACLList, Keys: move, Group: g, Since: "6.2.0",
			Summary: "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved.", Handler: lmoveCommand},
		{Name: "rpoplpush", Arity: 3, Flags: wd, ACL: ACLList, Keys: move, Group: g, Since: "1.2.0",
			Summary: "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.", Handler: rpoplpushCommand},
		{Name: "lmpop", Arity: -4, Flags: w, ACL: ACLList, Keys: []KeySpec{KeyNum(RW|Access|Delete, 1, 0, 1, 1)}, Group: g, Since: "7.0.0",
			Summary: "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", Handler: lmpopCommand},
		{Name: "blpop", TimeoutArg: -1, Arity: -3, Flags: wb, ACL: ACLList, Keys: []KeySpec{Range(RW|Access|Delete, 1, -2, 1)}, Group: g, Since: "2.0.0",
			Summary: "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Handler: blpopCommand},
		{Name: "brpop", TimeoutArg: -1, Arity: -3, Flags: wb, ACL: ACLList, Keys: []KeySpec{Range(RW|Access|Delete, 1, -2, 1)}, Group: g, Since: "2.0.0",
			Summary: "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Handler: brpopCommand},
		{Name: "blmove", TimeoutArg: -1, Arity: 6, Flags: wdb, ACL: ACLList, Keys: move, Group: g, Since: "6.2.0",
			Summary: "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved.", Handler: blmoveCommand},
		{Name: "brpoplpush", TimeoutArg: -1, Arity: 4, Flags: wdb, ACL: ACLList, Keys: move, Group: g, Since: "2.2.0",
			Summary: "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.", Handler: brpoplpushCommand},
		{Name: "blmpop", TimeoutArg: 1, Arity: -5, Flags: wb, ACL: ACLList, Keys: []KeySpec{KeyNum(RW|Access|Delete, 2, 0, 1, 1)}, Group: g, Since: "7.0.0",
			Summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Handler: blmpopCommand},
	}
}

// List error texts, as Redis words them.
const (
	errRankZero      = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	errCountPositive = "ERR count should be greater than 0"
)

func lpushCommand(c *Call)  { pushGeneric(c, true, false) }
func rpushCommand(c *Call)  { pushGeneric(c, false, false) }
func lpushxCommand(c *Call) { pushGeneric(c, true, true) }
func rpushxCommand(c *Call) { pushGeneric(c, false, true) }

// pushGeneric is [LR]PUSH[X] key element [element ...], answering the new
// length (0 for a missing key with the X forms).
func pushGeneric(c *Call, left, onlyIfExists bool) {
	n, err := c.Tx.ListPush(c.Args[1], c.Args[2:], left, onlyIfExists)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if n > 0 {
		c.Notify(notify.Pushed(left), c.Args[1])
		c.CountChanges(len(c.Args) - 2) // Redis counts the elements
	}
	c.Reply.Int(int64(n))
}

func lpopCommand(c *Call) { popGeneric(c, true) }
func rpopCommand(c *Call) { popGeneric(c, false) }

// popGeneric is [LR]POP key [count]: one element (null when missing) or,
// with a count, an array of up to count elements (a null array when the
// key is missing, an empty one for count 0).
func popGeneric(c *Call, left bool) {
	if len(c.Args) > 3 {
		c.Reply.Error(resp.ErrWrongArgs(c.Name()))
		return
	}
	key := c.Args[1]
	if len(c.Args) == 2 {
		found := false
		_, err := c.Tx.ListPop(key, 1, left, nil, func(e []byte) {
			found = true
			c.Reply.Bulk(e)
		})
		if err != nil {
			c.ReplyStoreError(err)
		} else if !found {
			c.Reply.Null()
		} else {
			c.NotifyChanged(notify.Popped(left), key)
		}
		return
	}
	count, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(errNotPositive)
		return
	}
	if count < 0 {
		c.Reply.Error(errNotPositive)
		return
	}
	if count == 0 {
		n, err := c.Tx.ListLen(key)
		switch {
		case err != nil:
			c.ReplyStoreError(err)
		case n == 0:
			c.Reply.NullArray()
		default:
			c.Reply.Array(0)
		}
		return
	}
	n, err := c.Tx.ListPop(key, int(min(count, math.MaxInt32)), left, func(n int) { c.Reply.Array(n) }, func(e []byte) { c.Reply.Bulk(e) })
	if err != nil {
		c.ReplyStoreError(err)
	} else if n == 0 {
		c.Reply.NullArray()
	} else {
		c.NotifyChanged(notify.Popped(left), key)
		c.CountChanges(n)
	}
}

func llenCommand(c *Call) {
	n, err := c.Tx.ListLen(c.Args[1])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.Reply.Int(int64(n))
}

// parseIndexes parses the two integer arguments at i and i+1.
func parseIndexes(c *Call, i int) (a, b int64, ok bool) {
	if a, ok = resp.ParseInt64(c.Args[i]); !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if b, ok = resp.ParseInt64(c.Args[i+1]); !ok {
		c.Reply.Error(resp.ErrNotInteger)
	}
	return
}

func lrangeCommand(c *Call) {
	start, stop, ok := parseIndexes(c, 2)
	if !ok {
		return
	}
	err := c.Tx.ListRange(c.Args[1], start, stop, func(n int) { c.Reply.Array(n) }, func(e []byte) { c.Reply.Bulk(e) })
	if err != nil {
		c.ReplyStoreError(err)
	}
}

// parseIndexAfterKey parses LINDEX's and LSET's index, which Redis reads
// after looking the key up: a missing key (missing is its reply) or one of
// another type answers before a bad index. It reports whether to go on.
func parseIndexAfterKey(c *Call, missing func()) (int64, bool) {
	i, ok := resp.ParseInt64(c.Args[2])
	if ok {
		return i, true
	}
	t, err := c.Tx.Type(c.Args[1])
	switch {
	case err != nil:
		c.ReplyStoreError(err)
	case t == store.TypeNone:
		missing()
	case t != store.TypeList:
		c.ReplyStoreError(store.ErrWrongType)
	default:
		c.Reply.Error(resp.ErrNotInteger)
	}
	return 0, false
}

func lindexCommand(c *Call) {
	i, ok := parseIndexAfterKey(c, c.Reply.Null)
	if !ok {
		return
	}
	v, found, err := c.Tx.ListIndex(c.Args[1], i)
	replyLookup(c, v, found, err)
}

func lsetCommand(c *Call) {
	i, ok := parseIndexAfterKey(c, func() { c.Reply.Error(resp.ErrNoSuchKey) })
	if !ok {
		return
	}
	if err := c.Tx.ListSet(c.Args[1], i, c.Args[3]); err != nil {
		c.ReplyStoreError(err)
		return
	}
	c.NotifyOwn(c.Args[1])
	c.Reply.OK()
}

// linsertCommand is LINSERT key BEFORE|AFTER pivot element: the new
// length, -1 without the pivot, 0 for a missing key.
func linsertCommand(c *Call) {
	var before bool
	switch {
	case resp.EqualFold(c.Args[2], "after"):
	case resp.EqualFold(c.Args[2], "before"):
		before = true
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	n, err := c.Tx.ListInsert(c.Args[1], before, c.Args[3], c.Args[4])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if n > 0 {
		c.NotifyOwn(c.Args[1])
	}
	c.Reply.Int(int64(n))
}

func lremCommand(c *Call) {
	count, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if count == math.MinInt64 {
		// Redis 7.2 negates it into itself, a negative count that never
		// reaches its target: every match goes (8.0 refuses it).
		count = 0
	}
	n, err := c.Tx.ListRem(c.Args[1], count, c.Args[3])
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if n > 0 {
		c.NotifyChanged(c.Own(), c.Args[1])
		c.CountChanges(n)
	}
	c.Reply.Int(int64(n))
}

func ltrimCommand(c *Call) {
	start, stop, ok := parseIndexes(c, 2)
	if !ok {
		return
	}
	existed := c.Wants(notify.List) && c.Tx.Has(c.Args[1])
	removed, err := c.Tx.ListTrim(c.Args[1], start, stop)
	if err != nil {
		c.ReplyStoreError(err)
		return
	}
	if existed {
		c.NotifyChanged(c.Own(), c.Args[1])
	}
	c.CountChanges(removed) // Redis counts the elements removed
	c.Reply.OK()
}

// lposCommand is LPOS key element [RANK rank] [COUNT num-matches]
// [MAXLEN len]: the first match's index (or null), or with COUNT an array
// of up to num-matches indexes (0: all).
func lposCommand(c *Call) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch {
		case resp.EqualFold(c.Args[j], "rank") && more:
			j++
			v, ok := resp.ParseInt64(c.Args[j])
			if !ok {
				c.Reply.Error(resp.ErrNotInteger)
				return
			}
			if v == math.MinInt64 {
				c.Reply.Error(errLongRange)
				return
			}
			if v == 0 {
				c.Reply.Error(errRankZero)
				return
			}
			rank = v
		case resp.EqualFold(c.Args[j], "count") && more:
			j++
			v, ok := resp.ParseInt64(c.Args[j])
			if !ok || v < 0 {
				c.Reply.Error("ERR COUNT can't be negative")
				return
			}
			count = v
		case resp.EqualFold(c.Args[j], "maxlen") && more:
			j++
			v, ok := resp.ParseInt64(c.Args[j])
			if !ok || v < 0 {
				c.Reply.Error("ERR MAXLEN can't be negative")
				return
			}
			maxlen = v
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	var idx []int64
	want := count
	if count == -1 {
		want = 1
	}
	exists, err := c.Tx.ListPos(c.Args[1], c.Args[2], rank, maxlen, func(i int64) bool {
		idx = append(idx, i)
		return want == 0 || int64(len(idx)) < want
	})
	switch {
	case err != nil:
		c.ReplyStoreError(err)
	case count != -1:
		c.Reply.Array(len(idx))
		for _, i := range idx {
			c.Reply.Int(i)
		}
	case !exists || len(idx) == 0:
		c.Reply.Null()
	default:
		c.Reply.Int(idx[0])
	}
}

// parseWhere parses LEFT or RIGHT (true for LEFT).
func parseWhere(c *Call, arg []byte) (left, ok bool) {
	switch {
	case resp.EqualFold(arg, "left"):
		return true, true
	case resp.EqualFold(arg, "right"):
		return false, true
	}
	c.Reply.Error(resp.ErrSyntax)
	return false, false
}

func lmoveCommand(c *Call) {
	from, ok := parseWhere(c, c.Args[3])
	if !ok {
		return
	}
	to, ok := parseWhere(c, c.Args[4])
	if !ok {
		return
	}
	moveGeneric(c, from, to)
}

func rpoplpushCommand(c *Call) { moveGeneric(c, false, true) }

// moveGeneric moves one element from c.Args[1] to c.Args[2] and answers
// it, or null when the source is missing.
func moveGeneric(c *Call, fromLeft, toLeft bool) {
	e, ok, err := c.Tx.ListMove(c.Args[1], c.Args[2], fromLeft, toLeft)
	if ok && err == nil {
		moved(c, fromLeft, toLeft)
	}
	replyLookup(c, e, ok, err)
}

// moved finishes an LMOVE that moved an element: it emits the events, in
// Redis's order (the push on the destination, then the pop on the source
// and "del" if that emptied it), and counts one change, as Redis does for
// the two keys.
func moved(c *Call, fromLeft, toLeft bool) {
	c.Notify(notify.Pushed(toLeft), c.Args[2])
	c.NotifyChanged(notify.Popped(fromLeft), c.Args[1])
	c.CountChanges(1)
}

// mpopArgs are LMPOP's and BLMPOP's parsed arguments.
type mpopArgs struct {
	keys  [][]byte
	left  bool
	count int64
}

// parseMpop parses numkeys key [key ...] LEFT|RIGHT [COUNT count] from
// args (numkeys first), answering the error when it fails.
func parseMpop(c *Call, args [][]byte) (mpopArgs, bool) {
	var a mpopArgs
	numkeys, ok := resp.ParseInt64(args[0])
	if !ok || numkeys < 1 {
		c.Reply.Error(errNumkeys)
		return a, false
	}
	if numkeys >= int64(len(args))-1 {
		c.Reply.Error(resp.ErrSyntax)
		return a, false
	}
	a.keys = args[1 : 1+numkeys]
	if a.left, ok = parseWhere(c, args[1+numkeys]); !ok {
		return a, false
	}
	a.count = -1
	for j := int(2 + numkeys); j < len(args); j++ {
		if a.count == -1 && resp.EqualFold(args[j], "count") && j+1 < len(args) {
			j++
			n, ok := resp.ParseInt64(args[j])
			if !ok || n < 1 {
				c.Reply.Error(errCountPositive)
				return a, false
			}
			a.count = n
			continue
		}
		c.Reply.Error(resp.ErrSyntax)
		return a, false
	}
	if a.count == -1 {
		a.count = 1
	}
	return a, true
}

// mpop pops up to a.count elements from the first non-empty list of
// a.keys and answers [key, [elements]]; it reports whether it found one
// (nothing is written when it did not).
func mpop(c *Call, a mpopArgs) bool {
	for _, key := range a.keys {
		n, err := c.Tx.ListPop(key, int(min(a.count, math.MaxInt32)), a.left, func(n int) {
			c.Reply.Array(2)
			c.Reply.Bulk(key)
			c.Reply.Array(n)
		}, func(e []byte) { c.Reply.Bulk(e) })
		if err != nil {
			c.ReplyStoreError(err)
			return true
		}
		if n > 0 {
			c.NotifyChanged(notify.Popped(a.left), key)
			c.CountChanges(n)
			return true
		}
	}
	return false
}

func lmpopCommand(c *Call) {
	a, ok := parseMpop(c, c.Args[1:])
	if !ok {
		return
	}
	if !mpop(c, a) {
		c.Reply.NullArray()
	}
}

// nowMS is the clock blocking commands measure their timeout from.
func nowMS(c *Call) int64 {
	if c.Tx != nil {
		return c.Tx.NowMS()
	}
	return c.Store.NowMS()
}

// parseTimeoutArg parses a blocking command's timeout argument,
// answering its error when it fails.
func parseTimeoutArg(c *Call, arg []byte) (int64, bool) {
	deadline, msg := ParseTimeout(arg, nowMS(c))
	if msg != "" {
		c.Reply.Error(msg)
		return 0, false
	}
	return deadline, true
}

func blpopCommand(c *Call) { bpopGeneric(c, true) }
func brpopCommand(c *Call) { bpopGeneric(c, false) }

// bpopGeneric is B[LR]POP key [key ...] timeout: [key, element] from the
// first non-empty list, else the client blocks (timing out with a null
// array).
func bpopGeneric(c *Call, left bool) {
	deadline, ok := parseTimeoutArg(c, c.Args[len(c.Args)-1])
	if !ok {
		return
	}
	for _, key := range c.Args[1 : len(c.Args)-1] {
		n, err := c.Tx.ListPop(key, 1, left, func(int) {
			c.Reply.Array(2)
			c.Reply.Bulk(key)
		}, func(e []byte) { c.Reply.Bulk(e) })
		if err != nil {
			c.ReplyStoreError(err)
			return
		}
		if n > 0 {
			c.NotifyChanged(notify.Popped(left), key)
			return
		}
	}
	c.Block(deadline, true)
}

// blmoveCommand is BLMOVE source destination LEFT|RIGHT LEFT|RIGHT
// timeout; it times out with a null bulk string.
func blmoveCommand(c *Call) {
	from, ok := parseWhere(c, c.Args[3])
	if !ok {
		return
	}
	to, ok := parseWhere(c, c.Args[4])
	if !ok {
		return
	}
	bmoveGeneric(c, from, to, c.Args[5])
}

func brpoplpushCommand(c *Call) { bmoveGeneric(c, false, true, c.Args[3]) }

// bmoveGeneric moves like LMOVE when the source has elements, else blocks.
func bmoveGeneric(c *Call, fromLeft, toLeft bool, timeout []byte) {
	deadline, ok := parseTimeoutArg(c, timeout)
	if !ok {
		return
	}
	e, ok, err := c.Tx.ListMove(c.Args[1], c.Args[2], fromLeft, toLeft)
	switch {
	case err != nil:
		c.ReplyStoreError(err)
	case ok:
		moved(c, fromLeft, toLeft)
		c.Reply.Bulk(e)
	default:
		c.Block(deadline, false)
	}
}

// blmpopCommand is BLMPOP timeout numkeys key [key ...] LEFT|RIGHT
// [COUNT count]: as LMPOP, else the client blocks (timing out with a null
// array). The arguments are checked before the timeout, as Redis does.
func blmpopCommand(c *Call) {
	a, ok := parseMpop(c, c.Args[2:])
	if !ok {
		return
	}
	deadline, ok := parseTimeoutArg(c, c.Args[1])
	if !ok {
		return
	}
	if !mpop(c, a) {
		c.Block(deadline, true)
	}
}
