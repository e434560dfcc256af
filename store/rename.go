package store

import "bytes"

// Copy copies src's value and TTL to dst, replacing dst when replace is set.
// It reports whether the copy happened. src and dst may be in different
// slots when the Tx holds both; src == dst gives ErrSameObject.
func (tx *Tx) Copy(src, dst []byte, replace bool) (bool, error) {
	ss, sh, err := tx.at(src)
	if err != nil {
		return false, err
	}
	ds, dh, err := tx.at(dst)
	if err != nil {
		return false, err
	}
	if bytes.Equal(src, dst) {
		return false, ErrSameObject
	}
	if _, _, ok := tx.find(ss, src, sh); !ok {
		return false, nil
	}
	doff, dpos, dfound := tx.find(ds, dst, dh)
	if dfound && !replace {
		return false, nil
	}
	// Source bytes are passed by reference into dst's arena below: never
	// overwrite arena bytes in place from here on.
	tx.pinned = true
	// Both finds may have expired keys and compacted; re-read src's offset.
	soff, _, _ := ss.t.find(src, sh)
	sa := ss.t.arena
	exp := eExpire(sa, soff)
	if isObject(eType(sa, soff)) {
		o := ss.t.obj(soff).clone()
		if _, err := tx.install(ds, dh, dst, nil, o, exp, dpos, doff, dfound); err != nil {
			return false, err
		}
		ds.touchWatch(dst)
		tx.emitObject(ds.id, dst, o, exp)
	} else {
		val := eVal(sa, soff)
		if _, err := tx.install(ds, dh, dst, val, nil, exp, dpos, doff, dfound); err != nil {
			return false, err
		}
		ds.touchWatch(dst)
		tx.emit(Effect{Kind: EffectSet, Slot: ds.id, Key: dst, Value: val, ExpireAt: exp})
	}
	replacedIsNew(ds, dst, dfound)
	tx.done(ds)
	return true, nil
}

// Rename moves src's value and TTL to dst (RENAME; with nx, RENAMENX).
// It reports whether the rename happened; a missing src gives (false, nil)
// and the caller answers "ERR no such key". src and dst may be in
// different slots when the Tx holds both. Renaming a key to itself is a
// successful no-op for RENAME and a refusal for RENAMENX, as in Redis.
func (tx *Tx) Rename(src, dst []byte, nx bool) (renamed, srcExists bool, err error) {
	ss, sh, err := tx.at(src)
	if err != nil {
		return false, false, err
	}
	ds, dh, err := tx.at(dst)
	if err != nil {
		return false, false, err
	}
	if _, _, ok := tx.find(ss, src, sh); !ok {
		return false, false, nil
	}
	if bytes.Equal(src, dst) {
		return !nx, true, nil
	}
	doff, dpos, dfound := tx.find(ds, dst, dh)
	if dfound && nx {
		return false, true, nil
	}
	tx.pinned = true
	soff, _, _ := ss.t.find(src, sh)
	sa := ss.t.arena
	exp := eExpire(sa, soff)
	m := entryMeta{lru: eLRU(sa, soff), ldt: eLDT(sa, soff), lfu: eLFU(sa, soff)}
	if isObject(eType(sa, soff)) {
		// Move the collection itself: detach it from src's entry so that
		// releasing src does not free it.
		o := ss.t.takeObj(objNum(sa, soff))
		sa[soff+hdrType] = byte(TypeString)
		noff, err := tx.install(ds, dh, dst, nil, o, exp, dpos, doff, dfound)
		if err != nil {
			// Put the collection back; src is otherwise unchanged.
			soff, _, _ = ss.t.find(src, sh)
			ss.t.reattach(soff, o)
			return false, true, err
		}
		restoreMeta(ds.t.arena, noff, m)
		ds.touchWatch(dst)
		tx.emitObject(ds.id, dst, o, exp)
	} else {
		val := eVal(sa, soff)
		noff, err := tx.install(ds, dh, dst, val, nil, exp, dpos, doff, dfound)
		if err != nil {
			return false, true, err
		}
		restoreMeta(ds.t.arena, noff, m)
		ds.touchWatch(dst)
		tx.emit(Effect{Kind: EffectSet, Slot: ds.id, Key: dst, Value: val, ExpireAt: exp})
	}
	replacedIsNew(ds, dst, dfound)
	// dst's insert may have moved src's index word; find it again.
	soff, spos, _ := ss.t.find(src, sh)
	tx.remove(ss, spos, soff, src)
	tx.done(ss)
	tx.done(ds)
	return true, true, nil
}

// restoreMeta gives a renamed entry the access history of its source.
func restoreMeta(a []byte, off uint32, m entryMeta) {
	setLRU(a, off, m.lru)
	setLFU(a, off, m.ldt, m.lfu)
}

// replacedIsNew tells the hook that dst, which existed (found) and was
// replaced by COPY REPLACE or RENAME, is a new key: Redis deletes it and
// adds it anew ("new"); a dst that did not exist was told by install.
// Neither runs in a replay (Apply never calls them).
func replacedIsNew(ds *slot, dst []byte, found bool) {
	if found {
		ds.keyEvent(dst, KeyCreated)
	}
}
