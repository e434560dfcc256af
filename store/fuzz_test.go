package store

import (
	"testing"
	"time"
)

// modelEntry is the simple model's view of a key.
type modelEntry struct {
	str    *string
	hash   map[string]string
	expire int64
}

// FuzzOps runs an operation sequence decoded from the input against the
// store and against a plain map model, comparing every answer.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
	f.Add([]byte("\x00\x01\x05\x05\x05\x06\x07\x09\x0a\x03\x02\x00\x0b\x0c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		clk := newFakeClock()
		s := New(Config{Now: clk.Now})
		// A tiny hash makes long collision runs likely.
		s.hashFn = func(k []byte) uint64 {
			var h uint64
			for _, c := range k {
				h = h*31 + uint64(c)
			}
			return (h % 3) << 32
		}
		model := map[string]*modelEntry{}
		keys := []string{"{a}1", "{a}2", "{a}3", "{b}1", "k", ""}
		live := func(k string) *modelEntry {
			e := model[k]
			if e != nil && e.expire != 0 && e.expire <= clk.MS() {
				delete(model, k)
				return nil
			}
			return e
		}
		next := func() byte {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return b
		}
		for steps := 0; len(data) > 0 && steps < 500; steps++ {
			op := next()
			k := keys[int(next())%len(keys)]
			k2 := keys[int(next())%len(keys)]
			arg := next()
			val := string(make([]byte, int(arg)%70))
			field := string(rune('a' + arg%4))
			tx := lockKeys(s, k, k2)
			switch op % 12 {
			case 0: // SET
				exp := int64(0)
				if arg%3 == 0 {
					exp = clk.MS() + int64(arg)*10
				}
				if err := tx.Put([]byte(k), []byte(val), exp); err != nil {
					t.Fatal(err)
				}
				v := val
				model[k] = &modelEntry{str: &v, expire: exp}
			case 1: // GET
				v, ok, err := tx.Get([]byte(k))
				e := live(k)
				switch {
				case e == nil && (ok || err != nil):
					t.Fatalf("GET %q: got %q %v %v, want missing", k, v, ok, err)
				case e != nil && e.str == nil && err != ErrWrongType:
					t.Fatalf("GET %q on hash: err %v", k, err)
				case e != nil && e.str != nil && (!ok || string(v) != *e.str):
					t.Fatalf("GET %q: got %q, want %q", k, v, *e.str)
				}
			case 2: // DEL
				ok, _ := tx.Delete([]byte(k))
				if want := live(k) != nil; ok != want {
					t.Fatalf("DEL %q: %v want %v", k, ok, want)
				}
				delete(model, k)
			case 3: // HSET
				isNew, err := tx.HSet([]byte(k), []byte(field), []byte(val))
				e := live(k)
				if e != nil && e.str != nil {
					if err != ErrWrongType {
						t.Fatalf("HSET on string: %v", err)
					}
					break
				}
				if e == nil {
					e = &modelEntry{hash: map[string]string{}}
					model[k] = e
				}
				_, had := e.hash[field]
				if isNew == had || err != nil {
					t.Fatalf("HSET %q %q: new %v had %v err %v", k, field, isNew, had, err)
				}
				e.hash[field] = val
			case 4: // HDEL
				ok, err := tx.HDel([]byte(k), []byte(field))
				e := live(k)
				if e != nil && e.str != nil {
					if err != ErrWrongType {
						t.Fatalf("HDEL on string: %v", err)
					}
					break
				}
				_, had := e.hashField(field)
				if ok != had {
					t.Fatalf("HDEL %q %q: %v want %v", k, field, ok, had)
				}
				if had {
					delete(e.hash, field)
					if len(e.hash) == 0 {
						delete(model, k)
					}
				}
			case 5: // HGET
				v, ok, err := tx.HGet([]byte(k), []byte(field))
				e := live(k)
				if e != nil && e.str != nil {
					if err != ErrWrongType {
						t.Fatalf("HGET on string: %v", err)
					}
					break
				}
				want, had := e.hashField(field)
				if ok != had || string(v) != want {
					t.Fatalf("HGET %q %q: %q %v want %q %v", k, field, v, ok, want, had)
				}
			case 6: // EXPIREAT
				at := clk.MS() + int64(arg) - 20
				ok, _ := tx.SetExpireAt([]byte(k), at)
				e := live(k)
				if ok != (e != nil) {
					t.Fatalf("EXPIREAT %q: %v", k, ok)
				}
				if e != nil {
					if at <= clk.MS() {
						delete(model, k)
					} else {
						e.expire = at
					}
				}
			case 7: // PERSIST
				ok, _ := tx.SetExpireAt([]byte(k), 0)
				if e := live(k); ok != (e != nil) {
					t.Fatalf("PERSIST %q: %v", k, ok)
				} else if e != nil {
					e.expire = 0
				}
			case 8: // TTL
				at, ok, _ := tx.ExpireAt([]byte(k))
				e := live(k)
				if ok != (e != nil) || (e != nil && at != e.expire) {
					t.Fatalf("PEXPIRETIME %q: %d %v", k, at, ok)
				}
			case 9: // RENAME
				renamed, exists, err := tx.Rename([]byte(k), []byte(k2), arg%2 == 0)
				if err != nil {
					t.Fatal(err)
				}
				e, d := live(k), live(k2)
				if exists != (e != nil) {
					t.Fatalf("RENAME %q: exists %v", k, exists)
				}
				want := e != nil && (k == k2 && arg%2 != 0 || k != k2 && (arg%2 != 0 || d == nil))
				if renamed != want {
					t.Fatalf("RENAME %q %q nx=%v: %v want %v", k, k2, arg%2 == 0, renamed, want)
				}
				if renamed && k != k2 {
					model[k2] = e
					delete(model, k)
				}
			case 10: // COPY
				copied, err := tx.Copy([]byte(k), []byte(k2), arg%2 == 0)
				if k == k2 {
					if err != ErrSameObject {
						t.Fatalf("COPY same: %v", err)
					}
					break
				}
				e, d := live(k), live(k2)
				want := e != nil && (d == nil || arg%2 == 0)
				if copied != want || err != nil {
					t.Fatalf("COPY %q %q: %v %v want %v", k, k2, copied, err, want)
				}
				if copied {
					c := &modelEntry{expire: e.expire}
					if e.str != nil {
						v := *e.str
						c.str = &v
					} else {
						c.hash = map[string]string{}
						for f, v := range e.hash {
							c.hash[f] = v
						}
					}
					model[k2] = c
				}
			case 11:
				clk.Advance(time.Duration(arg) * time.Millisecond)
			}
			tx.Close()
			for _, key := range []string{k, k2} {
				sl := &s.slots[keySlot(key)]
				if sl.t != nil && sl.t.accBytes != sl.t.bytes() {
					t.Fatalf("memory of slot %d not published: %d vs %d", sl.id, sl.t.accBytes, sl.t.bytes())
				}
			}
		}
		if s.UsedMemory() != recomputeUsed(s) {
			t.Fatalf("memory accounting drifted: %d vs %d", s.UsedMemory(), recomputeUsed(s))
		}
		n := 0
		for k := range model {
			if live(k) != nil {
				n++
			}
		}
		got := 0
		for sn := range s.slots {
			s.ScanSlot(uint16(sn), func([]byte, Type) bool { got++; return true })
		}
		if got != n {
			t.Fatalf("store has %d live keys, model %d", got, n)
		}
	})
}

// hashField reads a field of a hash entry (nil entry: none).
func (e *modelEntry) hashField(f string) (string, bool) {
	if e == nil {
		return "", false
	}
	v, ok := e.hash[f]
	return v, ok
}
