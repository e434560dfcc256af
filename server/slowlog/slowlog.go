// Package slowlog is the slow log's log: the most recent commands that ran
// longer than slowlog-log-slower-than, newest first, as SLOWLOG GET reports
// them, and the SLOWLOG command that reads it (command.go). The decision
// of what to log stays with the front end.
package slowlog

import (
	"strconv"
	"sync"
	"time"
)

// Limits on what an entry keeps of a command's arguments, as Redis's
// slowlog.h.
const (
	MaxArgc   = 32  // arguments kept; the last kept one says how many more there were
	MaxArgLen = 128 // bytes kept of an argument; the rest is counted
)

// Entry is one logged command, with the fields SLOWLOG GET reports, in its
// order.
type Entry struct {
	ID       int64    // unique, increasing from 0 for the life of the Log (RESET does not restart it)
	At       int64    // when the command started, unix seconds
	Duration int64    // how long it ran, microseconds
	Args     []string // its arguments, cut to MaxArgc and MaxArgLen
	Addr     string   // the client's address (ip:port) when it ran
	Name     string   // the client's name when it ran ("" for none)
}

// Log keeps the newest entries, at most the maxLen given to its latest Add.
// The zero Log is empty and ready. It is safe for concurrent use: mu guards
// every field, and Get returns copies.
type Log struct {
	mu      sync.Mutex
	nextID  int64
	entries []Entry // newest first
}

// Add records a command that started at at and ran for dur, from the
// client at addr named name, then trims the log to maxLen entries. With
// maxLen <= 0 it records nothing (and takes no ID).
func (l *Log) Add(args [][]byte, at time.Time, dur time.Duration, addr, name string, maxLen int) {
	if maxLen <= 0 {
		return
	}
	n := len(args)
	if n > MaxArgc {
		n = MaxArgc
	}
	kept := make([]string, n)
	for i := 0; i < n; i++ {
		if i == MaxArgc-1 && len(args) > MaxArgc {
			kept[i] = "... (" + strconv.Itoa(len(args)-MaxArgc+1) + " more arguments)"
			break
		}
		a := args[i]
		if len(a) > MaxArgLen {
			kept[i] = string(a[:MaxArgLen]) + "... (" + strconv.Itoa(len(a)-MaxArgLen) + " more bytes)"
		} else {
			kept[i] = string(a)
		}
	}
	e := Entry{At: at.Unix(), Duration: int64(dur / time.Microsecond), Args: kept, Addr: addr, Name: name}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.ID = l.nextID
	l.nextID++
	l.entries = append(l.entries, Entry{})
	copy(l.entries[1:], l.entries)
	l.entries[0] = e
	if len(l.entries) > maxLen {
		l.entries = l.entries[:maxLen]
	}
}

// Get returns up to n newest entries, newest first (all when n < 0).
func (l *Log) Get(n int) []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	return append([]Entry(nil), l.entries[:n]...)
}

// Len returns the number of entries held.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Reset drops every entry; IDs continue from where they were.
func (l *Log) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// Trim drops the oldest entries beyond maxLen at once (a smaller
// slowlog-max-len).
func (l *Log) Trim(maxLen int) {
	l.mu.Lock()
	if len(l.entries) > maxLen {
		l.entries = l.entries[:maxLen]
	}
	l.mu.Unlock()
}
