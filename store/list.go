package store

import "github.com/meshcache/meshcache/store/list"

// A list is a listObj, one of the store's collections (object.go): the
// deque of store/list, which owns the layout, the chunk rules and the
// encoding OBJECT ENCODING reports. The list commands and effects are in
// list_tx.go.
type listObj struct {
	list.List
}

func newList() *listObj { return &listObj{} }

func (l *listObj) typ() Type        { return TypeList }
func (l *listObj) length() int      { return l.Len() }
func (l *listObj) bytes() int64     { return l.Bytes() }
func (l *listObj) encoding() string { return l.Encoding() }

// clone returns a deep copy (same head, same chunking, tight buffers).
func (l *listObj) clone() object { return &listObj{List: *l.Clone()} }

// rebuild emits one list-set effect per element from head on, so that the
// recreated list has the same positions.
func (l *listObj) rebuild(slot uint16, key []byte, fn func(Effect) bool) bool {
	more := true
	pos := l.Head()
	var num [20]byte
	l.Each(0, func(e []byte) bool {
		more = fn(Effect{Kind: EffectListSet, Slot: slot, Key: key, Field: appendPos(num[:0], pos), Value: e})
		pos++
		return more
	})
	return more
}

// elements is SORT's view of the list: head to tail.
func (l *listObj) elements(fn func(e []byte) bool) { l.Each(0, fn) }
