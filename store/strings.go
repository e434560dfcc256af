package store

import (
	"math"

	"github.com/meshcache/meshcache/store/evict"
	"github.com/meshcache/meshcache/store/rdb"
)

// Get returns a string value. The slice is valid until tx is closed and
// must not be modified. A missing key gives (nil, false, nil); a hash gives
// ErrWrongType.
func (tx *Tx) Get(key []byte) ([]byte, bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return nil, false, err
	}
	off, ok := tx.read(sl, key, h)
	if !ok {
		return nil, false, nil
	}
	t := sl.t
	if eType(t.arena, off) != TypeString {
		return nil, false, ErrWrongType
	}
	tx.access(t, off)
	tx.pinned = true
	return eVal(t.arena, off), true, nil
}

// Put stores a string value at key, replacing any value of any type.
// expireAt is unix milliseconds, 0 for none; a time not in the future
// deletes the key, as SET with a past PXAT does in Redis.
func (tx *Tx) Put(key, value []byte, expireAt int64) error {
	sl, h, err := tx.at(key)
	if err != nil {
		return err
	}
	off, pos, found := tx.find(sl, key, h)
	if expireAt != 0 && expireAt <= tx.now && !tx.replay {
		if found {
			tx.remove(sl, pos, off, key)
			tx.done(sl)
		}
		return nil
	}
	if _, err := tx.install(sl, h, key, value, nil, expireAt, pos, off, found); err != nil {
		return err
	}
	sl.touchWatch(key)
	tx.emit(Effect{Kind: EffectSet, Slot: sl.id, Key: key, Value: value, ExpireAt: expireAt})
	tx.done(sl)
	return nil
}

// install makes key hold a string value (o == nil) or the collection o, with
// expiry expireAt, replacing the live entry at (pos, off) when found. A
// string that fits the old string's room is written in place unless the Tx
// is pinned. It returns the entry's offset; the caller emits the effect and
// calls done.
func (tx *Tx) install(sl *slot, h uint64, key, val []byte, o object, expireAt int64, pos int, off uint32, found bool) (uint32, error) {
	return tx.installRoom(sl, h, key, val, len(val), o, expireAt, pos, off, found)
}

// installRoom is install with room >= len(val) bytes reserved for a string
// value, so that a string that keeps growing (SETBIT, APPEND) is not copied
// on every write.
func (tx *Tx) installRoom(sl *slot, h uint64, key, val []byte, room int, o object, expireAt int64, pos int, off uint32, found bool) (uint32, error) {
	t := sl.table()
	m := tx.newMeta()
	if found {
		a := t.arena
		if o == nil && !tx.pinned && eType(a, off) == TypeString && uint32(max(len(val), room)) <= eValCap(a, off) {
			setValLen(a, off, uint32(len(val)))
			copy(a[off+hdrSize+eKeyLen(a, off):], val)
			a[off+hdrType] = byte(TypeString) // a whole new value: not raw
			sl.setExpire(off, expireAt)
			tx.access(t, off)
			return off, nil
		}
		// Keep the key's access history, as Redis keeps the LFU counter
		// of an overwritten key.
		m.ldt, m.lfu = eLDT(a, off), eLFU(a, off)
		sl.release(pos, off)
	}
	var num [4]byte
	typ := TypeString
	if o != nil {
		le.PutUint32(num[:], t.addObj(o))
		val, typ = num[:], o.typ()
	}
	noff, err := t.appendEntryRoom(key, val, max(room, len(val)), typ, m)
	if err != nil {
		if o != nil {
			t.takeObj(le.Uint32(num[:]))
		}
		return 0, err
	}
	t.idx.Insert(h, noff)
	sl.keys.Add(1)
	if !found && !tx.replay {
		sl.keyEvent(key, KeyCreated)
	}
	if expireAt != 0 {
		sl.setExpire(noff, expireAt)
	}
	if found && tx.lfu {
		a := t.arena
		setLFU(a, noff, tx.nowMin, tx.s.lfu.Touch(eLFU(a, noff), eLDT(a, noff), tx.nowMin))
	}
	return noff, nil
}

// Object returns OBJECT/MEMORY USAGE facts about key. It does not count as
// an access (Redis looks the key up with LOOKUP_NOTOUCH).
func (tx *Tx) Object(key []byte) (ObjectInfo, bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return ObjectInfo{}, false, err
	}
	off, ok := tx.read(sl, key, h)
	if !ok {
		return ObjectInfo{}, false, nil
	}
	t := sl.t
	a := t.arena
	info := ObjectInfo{RefCount: 1, Bytes: t.entryBytes(off)}
	if lru := eLRU(a, off); tx.nowSec > lru {
		info.IdleMS = int64(tx.nowSec-lru) * 1000
	}
	info.Freq = int(tx.s.lfu.Decay(eLFU(a, off), eLDT(a, off), tx.nowMin))
	switch eType(a, off) {
	case TypeString:
		v := eVal(a, off)
		info.Encoding = stringEncoding(v)
		if eRaw(a, off) {
			info.Encoding = "raw"
		}
		if info.Encoding == "int" && tx.sharedInt(v) {
			info.RefCount = math.MaxInt32
		}
	default:
		info.Encoding = t.obj(off).encoding()
	}
	return info, true, nil
}

// ObjectInfo is what OBJECT and MEMORY USAGE report for a key.
type ObjectInfo struct {
	Encoding string // "int", "embstr", "raw", "listpack", "hashtable", "quicklist", "intset", "skiplist"
	IdleMS   int64
	Freq     int // LFU counter
	Bytes    int64
	RefCount int
}

// embstrLimit is OBJ_ENCODING_EMBSTR_SIZE_LIMIT.
const embstrLimit = 44

// stringEncoding is the encoding Redis gives a string set by SET: "int" for
// a canonical int64 (at most 20 characters, no sign on zero, no leading
// zeros or '+'), "embstr" up to 44 bytes, else "raw".
func stringEncoding(v []byte) string {
	if _, ok := rdb.CanonicalInt(v); ok {
		return "int"
	}
	if len(v) <= embstrLimit {
		return "embstr"
	}
	return "raw"
}

// sharedInt reports whether Redis would answer OBJECT REFCOUNT of v with
// its shared-integer refcount: values 0..9999 are shared unless maxmemory
// is set with an LRU or LFU policy.
func (tx *Tx) sharedInt(v []byte) bool {
	n, _ := rdb.CanonicalInt(v)
	if n < 0 || n >= 10000 {
		return false
	}
	p := tx.s.Policy()
	return tx.s.MaxMemory() == 0 || !(p == evict.AllKeysLRU || p == evict.VolatileLRU || p.LFU())
}
