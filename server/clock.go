package server

import "time"

// Command timing (package cmdclock): the connection's clock, given its
// read count so that it knows where a batch begins.

// cmdStart returns the start time of the command about to run.
func (c *Client) cmdStart() time.Time { return c.clock.Start(c.reads()) }

// cmdBegin fixes the start of the command about to run (cmdclock.Clock.Begin).
func (c *Client) cmdBegin() { c.clock.Begin(c.reads()) }

// freshNow returns the command's start time when the store and the lease
// may take it as their clock (cmdclock.Clock.Locked), else the zero time.
func (c *Client) freshNow() time.Time { return c.clock.Locked(c.reads()) }

// freshMS is freshNow in Unix milliseconds, the store's clock (0: none).
func (c *Client) freshMS() int64 { return c.clock.LockedMS(c.reads()) }

// reads returns the connection's read count; false for an internal client.
func (c *Client) reads() (uint64, bool) {
	if c.pc == nil {
		return 0, false
	}
	return c.pc.Reads(), true
}

// cmdEnd stamps the end of the command that just ran, records it as the
// client's last activity (CLIENT LIST idle=) and returns how long it ran.
func (c *Client) cmdEnd() time.Duration {
	ran, active := c.clock.End()
	if active {
		c.lastActive.Store(c.clock.EndNano())
	}
	return ran
}

// flushStats publishes the connection's pending command counters: before
// its replies leave, and before a command that may read them runs (callIn),
// so that whoever saw a reply, and the connection itself, sees its calls
// counted. A CONFIG RESETSTAT from another connection may be followed by
// counts of calls made before it (the batch then running).
func (c *Client) flushStats() {
	c.pendCalls.Flush()
	if c.pendProcessed != 0 {
		c.srv.stats.commandsProcessed.Add(c.pendProcessed)
		c.pendProcessed = 0
	}
}
