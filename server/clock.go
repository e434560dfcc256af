package server

import "time"

// Command timing. Redis times every command (INFO commandstats usec, the
// slow log); doing that with two clock reads per command costs about 5% of
// a pipelined SET/GET run. A connection's commands run back to back on its
// goroutine, so within one batch of pipelined commands the end of one
// command is the start of the next: the clock is read once per command plus
// once per batch. A batch ends when the connection's goroutine asks for more
// input (resp.Conn.Reads changes), since the wait for the network must not
// count as command time.

// cmdStart returns the start time of the command about to run.
func (c *Client) cmdStart() time.Time {
	if c.stamp.IsZero() || c.pc == nil || c.pc.Reads() != c.stampReads {
		return time.Now()
	}
	return c.stamp
}

// cmdEnd stamps the end of the command that just ran and records it as the
// client's last activity (CLIENT LIST idle=).
func (c *Client) cmdEnd() time.Time {
	now := time.Now()
	c.stamp = now
	if c.pc != nil {
		c.stampReads = c.pc.Reads()
	}
	c.lastActive.Store(now.UnixNano())
	return now
}
