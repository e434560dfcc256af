package store

// Collections (hashes, lists, sets, sorted sets) are ordinary Go values: an
// object per key, held in its slot's table.objs and named by number from
// the key's arena entry (the entry's value is the 4-byte number, its type
// byte the collection's Type). Each type's data structure is a pure
// package (store/hash, store/list, store/set, store/zset) that its object
// here embeds (hash.go, list.go, set.go, zset.go); what they share is here:
//
//   - a write finds or creates the key's object (tx.writeObject), mutates
//     it, emits its effects, and ends with tx.commitObject, which keeps the
//     table's memory count in step, deletes the key when the object became
//     empty (Redis never keeps an empty collection), wakes WATCH and
//     blocked-pop watchers, and compacts;
//   - a read takes the object with tx.readObject (nil when missing,
//     ErrWrongType on another type);
//   - a slot snapshot, COPY and RENAME recreate an object at a key from
//     nothing with DEL, the object's rebuild effects, then PEXPIREAT.

// object is one collection value.
type object interface {
	// typ is the value's Type (TYPE's answer).
	typ() Type
	// bytes estimates the heap the value holds, for memory accounting.
	bytes() int64
	// encoding is OBJECT ENCODING's answer, in Redis's names.
	encoding() string
	// length is the number of elements (fields, members); a key whose
	// object reaches 0 is deleted.
	length() int
	// clone returns a deep copy (COPY).
	clone() object
	// rebuild calls fn with the effects that recreate the value at key
	// from nothing (after a DEL), until fn returns false; it reports
	// whether fn always returned true.
	rebuild(slot uint16, key []byte, fn func(Effect) bool) bool
}

// objNum returns the object number a collection entry's value holds.
func objNum(a []byte, off uint32) uint32 { return le.Uint32(eVal(a, off)) }

// isObject reports whether t is a collection type, held in table.objs.
func isObject(t Type) bool { return t >= TypeHash }

// obj returns the object of the collection entry at off.
func (t *table) obj(off uint32) object { return t.objs.list[objNum(t.arena, off)] }

// addObj stores o in the table and returns its number.
func (t *table) addObj(o object) uint32 {
	if t.objs == nil {
		t.objs = &objects{}
	}
	ob := t.objs
	ob.bytes += o.bytes()
	if n := len(ob.free); n > 0 {
		num := ob.free[n-1]
		ob.free = ob.free[:n-1]
		ob.list[num] = o
		return num
	}
	ob.list = append(ob.list, o)
	return uint32(len(ob.list) - 1)
}

// takeObj removes object num from the table and returns it.
func (t *table) takeObj(num uint32) object {
	ob := t.objs
	o := ob.list[num]
	ob.bytes -= o.bytes()
	ob.list[num] = nil
	ob.free = append(ob.free, num)
	return o
}

// reattach makes the entry at off (whose object was taken) hold o again.
func (t *table) reattach(off uint32, o object) {
	le.PutUint32(t.arena[off+hdrSize+eKeyLen(t.arena, off):], t.addObj(o))
	t.arena[off+hdrType] = byte(o.typ())
}

// readObject returns key's object of type typ for reading: nil when the key
// is missing, ErrWrongType when it holds another type. It counts as an
// access.
func (tx *Tx) readObject(key []byte, typ Type) (object, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return nil, err
	}
	off, ok := tx.read(sl, key, h)
	if !ok {
		return nil, nil
	}
	t := sl.t
	if eType(t.arena, off) != typ {
		return nil, ErrWrongType
	}
	tx.access(t, off)
	return t.obj(off), nil
}

// objWrite is a write in progress on one key's object (tx.writeObject to
// tx.commitObject).
//
// Between the two, the caller may run other operations of the Tx, on this
// slot too (LMOVE's destination): the write holds the object, not the
// entry's offset or index position, which those may change.
type objWrite struct {
	sl     *slot
	key    []byte
	h      uint64 // key's hash
	obj    object
	before int64 // obj.bytes() when the write began
}

// writeObject returns key's object of type typ for writing. A missing key
// gets mk() when mk is not nil, else obj is nil and nothing is to be
// committed. Another type gives ErrWrongType, unless force (replication:
// the primary's effect wins) replaces it.
func (tx *Tx) writeObject(key []byte, typ Type, mk func() object, force bool) (objWrite, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return objWrite{}, err
	}
	off, pos, ok := tx.find(sl, key, h)
	if ok && eType(sl.t.arena, off) != typ {
		if !force {
			return objWrite{}, ErrWrongType
		}
		tx.remove(sl, pos, off, key)
		ok = false
	}
	if !ok {
		if mk == nil {
			return objWrite{}, nil
		}
		o := mk()
		if off, err = tx.install(sl, h, key, nil, o, 0, 0, 0, false); err != nil {
			return objWrite{}, err
		}
	} else {
		tx.access(sl.t, off)
	}
	o := sl.t.obj(off)
	return objWrite{sl: sl, key: key, h: h, obj: o, before: o.bytes()}, nil
}

// commitObject ends a write begun by writeObject: it brings the table's
// memory count up to date, deletes the key when its object is empty, and
// wakes the key's watchers. changed false (nothing was modified) only
// deletes an empty object that mk created.
func (tx *Tx) commitObject(w objWrite, changed bool) {
	if w.obj == nil {
		return
	}
	t := w.sl.t
	t.objs.bytes += w.obj.bytes() - w.before
	if w.obj.length() == 0 {
		if off, pos, ok := t.find(w.key, w.h); ok && t.obj(off) == w.obj {
			w.sl.release(pos, off)
		}
	}
	if changed {
		w.sl.touchWatch(w.key)
	}
	tx.done(w.sl)
}

// emitObject emits the effects that recreate o at key from nothing: DEL,
// o's rebuild effects, and PEXPIREAT when it has a TTL.
func (tx *Tx) emitObject(sn uint16, key []byte, o object, exp int64) {
	if tx.sink == nil {
		return
	}
	tx.emit(Effect{Kind: EffectDel, Slot: sn, Key: key})
	o.rebuild(sn, key, func(e Effect) bool { tx.emit(e); return true })
	if exp != 0 {
		tx.emit(Effect{Kind: EffectExpire, Slot: sn, Key: key, ExpireAt: exp})
	}
}

// elementer is implemented by the collections SORT reads (lists, sets,
// sorted sets): it calls fn with each element in the collection's own
// order (a list's from head to tail, a sorted set's by score, a set's in
// any order) until fn returns false.
type elementer interface {
	elements(fn func(e []byte) bool)
}

// Elements calls fn with the elements of the list, set or sorted set at
// key, in its own order (see elementer), until fn returns false, and
// returns the key's type: TypeNone, with no call, when the key is missing;
// ErrWrongType for a string or a hash. The slices are valid only during
// fn.
func (tx *Tx) Elements(key []byte, fn func(e []byte) bool) (Type, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return TypeNone, err
	}
	off, ok := tx.read(sl, key, h)
	if !ok {
		return TypeNone, nil
	}
	t := sl.t
	typ := eType(t.arena, off)
	if !isObject(typ) {
		return TypeNone, ErrWrongType
	}
	el, ok := t.obj(off).(elementer)
	if !ok {
		return TypeNone, ErrWrongType
	}
	tx.access(t, off)
	el.elements(fn)
	return typ, nil
}
