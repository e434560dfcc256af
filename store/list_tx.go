package store

import (
	"errors"
	"fmt"
	"strconv"
)

// The list commands' Tx API and the list effects.
//
// Effects name elements by absolute position (list.List.Head() + index), so
// each is idempotent:
//
//   - EffectListSet (Key, Field = position, Value = element) sets the
//     element at that position: one just before the head prepends, one just
//     after the tail appends, one inside overwrites; a missing key is
//     created with its head at that position. Pushes and LSET emit one per
//     element.
//   - EffectListTrim (Key, Field = first kept position, Value = end
//     position, exclusive) keeps only that range and deletes the key when
//     nothing is left. Pops and LTRIM emit one.
//
// LINSERT and LREM move elements in the middle. Positions are labels, so
// the primary chooses which elements keep theirs: LINSERT rewrites the
// shorter side of the insertion with list-set effects (moving the head
// when it is the front side); LREM keeps the longest run of survivors
// between two removals in place and rewrites the others, then trims
// (emitRemoved). Each effect is still idempotent, nothing ships the whole
// list, and the key keeps its TTL on the replica. The positions a
// primary's list gets from these edits are replicated too: a snapshot
// (rebuild) ships them as they are.

// Errors of the list commands, Redis's texts.
var (
	ErrNoSuchKey     = errors.New("ERR no such key")
	ErrIndexRange    = errors.New("ERR index out of range")
	errListEffectPos = errors.New("list effect position is not next to the list")
)

// appendPos renders an absolute position as decimal text.
func appendPos(dst []byte, pos int64) []byte { return strconv.AppendInt(dst, pos, 10) }

// listAt returns key's list for reading: nil when missing.
func (tx *Tx) listAt(key []byte) (*listObj, error) {
	o, err := tx.readObject(key, TypeList)
	if o == nil || err != nil {
		return nil, err
	}
	return o.(*listObj), nil
}

// emitSet emits the list-set effect of the element at absolute pos.
func (tx *Tx) emitSet(sn uint16, key []byte, pos int64, e []byte) {
	if tx.sink == nil {
		return
	}
	var num [20]byte
	tx.emit(Effect{Kind: EffectListSet, Slot: sn, Key: key, Field: appendPos(num[:0], pos), Value: e})
}

// emitTrim emits the list-trim effect that keeps l's current range.
func (tx *Tx) emitTrim(sn uint16, key []byte, l *listObj) {
	if tx.sink == nil {
		return
	}
	var a, b [20]byte
	tx.emit(Effect{Kind: EffectListTrim, Slot: sn, Key: key,
		Field: appendPos(a[:0], l.Head()), Value: appendPos(b[:0], l.Head()+int64(l.Len()))})
}

// push adds elems to l at one end, emitting their effects.
func (tx *Tx) push(sn uint16, key []byte, l *listObj, elems [][]byte, left bool) {
	raw := 0
	for _, e := range elems {
		raw += len(e)
	}
	l.Grow(len(elems), raw, tx.enc.List)
	for _, e := range elems {
		if left {
			l.PushFront(e)
			tx.emitSet(sn, key, l.Head(), e)
		} else {
			l.PushBack(e)
			tx.emitSet(sn, key, l.Head()+int64(l.Len())-1, e)
		}
	}
}

// ListPush pushes elems one by one at the left end (LPUSH: the last one
// ends up first) or the right end, creating the list unless onlyIfExists
// (LPUSHX, RPUSHX). It returns the new length (0 for a missing key with
// onlyIfExists).
func (tx *Tx) ListPush(key []byte, elems [][]byte, left, onlyIfExists bool) (int, error) {
	mk := func() object { return newList() }
	if onlyIfExists {
		mk = nil
	}
	w, err := tx.writeObject(key, TypeList, mk, false)
	if w.obj == nil || err != nil {
		return 0, err
	}
	l := w.obj.(*listObj)
	tx.push(w.sl.id, key, l, elems, left)
	n := l.Len()
	tx.commitObject(w, len(elems) > 0)
	return n, nil
}

// ListPop pops up to count elements (count >= 1) from the left or right
// end. When the key exists, begin is called first with the number that
// will be popped, then fn with each element in pop order (the slices are
// valid during fn only). It returns that number, 0 when the key is
// missing. The key goes away with its last element.
func (tx *Tx) ListPop(key []byte, count int, left bool, begin func(n int), fn func(e []byte)) (int, error) {
	w, err := tx.writeObject(key, TypeList, nil, false)
	if w.obj == nil || err != nil {
		return 0, err
	}
	l := w.obj.(*listObj)
	k := min(count, l.Len())
	if begin != nil {
		begin(k)
	}
	for i := 0; i < k; i++ {
		var e []byte
		if left {
			e = l.PopFront()
		} else {
			e = l.PopBack()
		}
		fn(e)
	}
	if k > 0 {
		l.Shrunk(tx.enc.List)
		tx.emitTrim(w.sl.id, key, l)
	}
	tx.commitObject(w, k > 0)
	return k, nil
}

// ListLen returns the length of the list at key (0 when missing).
func (tx *Tx) ListLen(key []byte) (int, error) {
	l, err := tx.listAt(key)
	if l == nil || err != nil {
		return 0, err
	}
	return l.Len(), nil
}

// ListIndex returns element i (negative: from the end) of the list at key.
// The slice is valid until the Tx writes the list.
func (tx *Tx) ListIndex(key []byte, i int64) ([]byte, bool, error) {
	l, err := tx.listAt(key)
	if l == nil || err != nil {
		return nil, false, err
	}
	if i < 0 {
		i += int64(l.Len())
	}
	if i < 0 || i >= int64(l.Len()) {
		return nil, false, nil
	}
	return l.Index(int(i)), true, nil
}

// ListSet sets element i (negative: from the end): ErrNoSuchKey for a
// missing key, ErrIndexRange outside the list.
func (tx *Tx) ListSet(key []byte, i int64, v []byte) error {
	w, err := tx.writeObject(key, TypeList, nil, false)
	if err != nil {
		return err
	}
	if w.obj == nil {
		return ErrNoSuchKey
	}
	l := w.obj.(*listObj)
	if i < 0 {
		i += int64(l.Len())
	}
	if i < 0 || i >= int64(l.Len()) {
		tx.commitObject(w, false)
		return ErrIndexRange
	}
	l.Grow(1, len(v), tx.enc.List)
	l.Set(int(i), v)
	l.Shrunk(tx.enc.List)
	tx.emitSet(w.sl.id, key, l.Head()+i, v)
	tx.commitObject(w, true)
	return nil
}

// IndexSpan normalises Redis's inclusive start and stop indexes (negative:
// from the end) over n elements into [from, to), empty when from >= to,
// as LRANGE, LTRIM and ZRANGE by rank do.
func IndexSpan(start, stop int64, n int) (from, to int) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, 0
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop) + 1
}

// ListRange calls begin with the number of elements of LRANGE key start
// stop, then fn with each of them in order (the slices are valid during fn
// only). A missing key is an empty range.
func (tx *Tx) ListRange(key []byte, start, stop int64, begin func(n int), fn func(e []byte)) error {
	l, err := tx.listAt(key)
	if err != nil {
		return err
	}
	if l == nil {
		begin(0)
		return nil
	}
	from, to := IndexSpan(start, stop, l.Len())
	begin(to - from)
	left := to - from
	if left > 0 {
		l.Each(from, func(e []byte) bool {
			fn(e)
			left--
			return left > 0
		})
	}
	return nil
}

// ListTrim keeps only LTRIM key start stop's range, deleting the key when
// it is empty, and returns how many elements it removed.
func (tx *Tx) ListTrim(key []byte, start, stop int64) (int, error) {
	w, err := tx.writeObject(key, TypeList, nil, false)
	if w.obj == nil || err != nil {
		return 0, err
	}
	l := w.obj.(*listObj)
	before := l.Len()
	from, to := IndexSpan(start, stop, l.Len())
	changed := from > 0 || to < l.Len()
	if to <= from {
		l.TrimFront(l.Len())
	} else {
		l.TrimBack(l.Len() - to)
		l.TrimFront(from)
	}
	if changed {
		l.Shrunk(tx.enc.List)
		tx.emitTrim(w.sl.id, key, l)
	}
	removed := before - l.Len()
	tx.commitObject(w, changed)
	return removed, nil
}

// ListPos calls fn with the index of each element equal to e, as LPOS
// finds them: from the head for rank > 0 (skipping the first rank-1
// matches), from the tail for rank < 0, looking at no more than maxlen
// elements (0: all), until fn returns false. It reports whether the key
// exists.
func (tx *Tx) ListPos(key, e []byte, rank, maxlen int64, fn func(i int64) bool) (bool, error) {
	l, err := tx.listAt(key)
	if l == nil || err != nil {
		return false, err
	}
	l.Pos(e, rank, maxlen, fn)
	return true, nil
}

// emitRange emits list-set effects for the elements from..to-1 of l at
// their positions, in order.
func (tx *Tx) emitRange(sn uint16, key []byte, l *listObj, from, to int) {
	if tx.sink == nil || from >= to {
		return
	}
	i := from
	l.Each(from, func(x []byte) bool {
		tx.emitSet(sn, key, l.Head()+int64(i), x)
		i++
		return i < to
	})
}

// ListInsert inserts e before (or after) the first element equal to pivot.
// It returns the new length, -1 when pivot is not found, 0 when the key is
// missing. It replicates as the side of the list that shifts (see the top
// of the file).
func (tx *Tx) ListInsert(key []byte, before bool, pivot, e []byte) (int, error) {
	w, err := tx.writeObject(key, TypeList, nil, false)
	if w.obj == nil || err != nil {
		return 0, err
	}
	l := w.obj.(*listObj)
	l.Grow(1, len(e), tx.enc.List)
	at := -1
	i := 0
	l.Each(0, func(x []byte) bool {
		if string(x) == string(pivot) {
			at = i
			return false
		}
		i++
		return true
	})
	if at < 0 {
		tx.commitObject(w, false)
		return -1, nil
	}
	if !before {
		at++
	}
	sn := w.sl.id
	switch {
	case at == 0:
		l.PushFront(e)
		tx.emitSet(sn, key, l.Head(), e)
	case at == l.Len():
		l.PushBack(e)
		tx.emitSet(sn, key, l.Head()+int64(l.Len())-1, e)
	case at <= l.Len()-at:
		// The elements before shift one position down: the head moves.
		l.Insert(at, e)
		l.SetHead(l.Head() - 1)
		tx.emitRange(sn, key, l, 0, at+1)
	default:
		// The elements from at on shift one position up: the appended
		// last one first, so that the range grows before the overwrites.
		l.Insert(at, e)
		tx.emitRange(sn, key, l, l.Len()-1, l.Len())
		tx.emitRange(sn, key, l, at, l.Len()-1)
	}
	n := l.Len()
	tx.commitObject(w, true)
	return n, nil
}

// ListRem removes elements equal to e: the first count from the head
// (count > 0), the last -count from the tail (count < 0), or all (0). It
// returns how many it removed. It replicates as the elements that move
// (emitRemoved), then a trim.
func (tx *Tx) ListRem(key []byte, count int64, e []byte) (int, error) {
	w, err := tx.writeObject(key, TypeList, nil, false)
	if w.obj == nil || err != nil {
		return 0, err
	}
	l := w.obj.(*listObj)
	gone := l.RemoveEqual(e, count)
	removed := len(gone)
	if removed > 0 {
		l.Shrunk(tx.enc.List)
		tx.emitRemoved(w.sl.id, key, l, gone)
	}
	tx.commitObject(w, removed > 0)
	return removed, nil
}

// emitRemoved emits the effects of removing the elements at old indexes
// gone (ascending) from l, which now holds the rest. The run of survivors
// between two removals (or an end) that is longest keeps its positions:
// with d removals before it, the head moves up by d, and the survivors
// before and after the run are rewritten at their new positions, then a
// trim cuts the range. Removing both ends of a list ships a trim alone.
func (tx *Tx) emitRemoved(sn uint16, key []byte, l *listObj, gone []int) {
	oldN := l.Len() + len(gone)
	best, bestLen := 0, -1
	for d := 0; d <= len(gone); d++ {
		from, to := -1, oldN
		if d > 0 {
			from = gone[d-1]
		}
		if d < len(gone) {
			to = gone[d]
		}
		if to-from-1 > bestLen {
			best, bestLen = d, to-from-1
		}
	}
	start := 0 // new index of the run's first survivor
	if best > 0 {
		start = gone[best-1] + 1 - best
	}
	l.SetHead(l.Head() + int64(best))
	tx.emitRange(sn, key, l, 0, start)
	tx.emitRange(sn, key, l, start+bestLen, l.Len())
	tx.emitTrim(sn, key, l)
}

// ListMove pops an element from one end of src and pushes it at one end
// of dst (LMOVE; src and dst may be the same list: a rotation). It returns
// the element (valid until the Tx writes either list again) and whether
// src existed. dst of another type fails with ErrWrongType before anything
// is popped.
func (tx *Tx) ListMove(src, dst []byte, srcLeft, dstLeft bool) ([]byte, bool, error) {
	ws, err := tx.writeObject(src, TypeList, nil, false)
	if ws.obj == nil || err != nil {
		return nil, false, err
	}
	sl := ws.obj.(*listObj)
	if string(src) == string(dst) {
		return tx.rotate(ws, sl, srcLeft, dstLeft), true, nil
	}
	wd, err := tx.writeObject(dst, TypeList, func() object { return newList() }, false)
	if err != nil {
		tx.commitObject(ws, false)
		return nil, false, err
	}
	dl := wd.obj.(*listObj)
	var e []byte
	if srcLeft {
		e = sl.PopFront()
	} else {
		e = sl.PopBack()
	}
	sl.Shrunk(tx.enc.List)
	tx.emitTrim(ws.sl.id, src, sl)
	tx.push(wd.sl.id, dst, dl, [][]byte{e}, dstLeft)
	tx.commitObject(ws, true)
	tx.commitObject(wd, true)
	return e, true, nil
}

// rotate is ListMove on one list. It emits the push before the trim, so
// that a replica's list never becomes empty (which would delete the key
// and its TTL) and its positions stay the primary's.
func (tx *Tx) rotate(w objWrite, l *listObj, srcLeft, dstLeft bool) []byte {
	var e []byte
	if srcLeft {
		e = append([]byte(nil), l.Index(0)...)
	} else {
		e = append([]byte(nil), l.Index(l.Len()-1)...)
	}
	if srcLeft == dstLeft {
		tx.commitObject(w, true) // unchanged, but touched as Redis does (WATCH)
		return e
	}
	first, end := l.Head(), l.Head()+int64(l.Len())
	l.Grow(1, len(e), tx.enc.List)
	if srcLeft {
		l.PopFront()
		l.PushBack(e)
		tx.emitSet(w.sl.id, w.key, end, e)
		tx.emitTrim(w.sl.id, w.key, l)
	} else {
		l.PopBack()
		l.PushFront(e)
		tx.emitSet(w.sl.id, w.key, first-1, e)
		tx.emitTrim(w.sl.id, w.key, l)
	}
	l.Shrunk(tx.enc.List)
	tx.commitObject(w, true)
	return e
}

// applyListSet applies an EffectListSet (see the top of the file).
func (tx *Tx) applyListSet(e Effect) error {
	pos, err := strconv.ParseInt(string(e.Field), 10, 64)
	if err != nil {
		return fmt.Errorf("list set position %q: %w", e.Field, err)
	}
	w, err := tx.writeObject(e.Key, TypeList, func() object { return newList() }, true)
	if err != nil {
		return err
	}
	l := w.obj.(*listObj)
	if l.Len() == 0 {
		l.SetHead(pos)
	}
	switch {
	case pos == l.Head()+int64(l.Len()):
		l.Grow(1, len(e.Value), tx.enc.List)
		l.PushBack(e.Value)
	case pos == l.Head()-1:
		l.Grow(1, len(e.Value), tx.enc.List)
		l.PushFront(e.Value)
	case pos >= l.Head() && pos < l.Head()+int64(l.Len()):
		l.Grow(1, len(e.Value), tx.enc.List)
		l.Set(int(pos-l.Head()), e.Value)
	default:
		tx.commitObject(w, false)
		return fmt.Errorf("list set position %d, list at [%d, %d): %w", pos, l.Head(), l.Head()+int64(l.Len()), errListEffectPos)
	}
	tx.commitObject(w, true)
	return nil
}

// applyListTrim applies an EffectListTrim: a missing key, or one of
// another type, has nothing to trim.
func (tx *Tx) applyListTrim(e Effect) error {
	from, err1 := strconv.ParseInt(string(e.Field), 10, 64)
	to, err2 := strconv.ParseInt(string(e.Value), 10, 64)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("list trim range %q %q: bad number", e.Field, e.Value)
	}
	w, err := tx.writeObject(e.Key, TypeList, nil, false)
	if err == ErrWrongType {
		return nil
	}
	if w.obj == nil || err != nil {
		return err
	}
	l := w.obj.(*listObj)
	end := l.Head() + int64(l.Len())
	from, to = max(from, l.Head()), min(to, end)
	changed := false
	if from >= to {
		changed = l.Len() > 0
		l.TrimFront(l.Len())
	} else {
		changed = from > l.Head() || to < end
		l.TrimBack(int(end - to))
		l.TrimFront(int(from - l.Head()))
	}
	if changed {
		l.Shrunk(tx.enc.List)
	}
	tx.commitObject(w, changed)
	return nil
}

// applyList applies a list effect (effect.go's apply switch).
func (tx *Tx) applyList(e Effect) error {
	if e.Kind == EffectListSet {
		return tx.applyListSet(e)
	}
	return tx.applyListTrim(e)
}
