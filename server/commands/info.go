package commands

import (
	"slices"
	"strings"

	"github.com/meshcache/meshcache/server/resp"
)

// COMMAND INFO and COMMAND DOCS entries, written from a Command's facts
// alone; the COMMAND command itself (which commands to list, lookups by
// name through Host) is commandcmd.go.

// WriteInfo writes c as one entry of Redis 7's COMMAND and COMMAND INFO:
// name, arity, flags, first key, last key, step (LegacyRange), ACL
// categories, tips, key specs, then its subcommands' entries by name.
func (c *Command) WriteInfo(r *resp.Reply) {
	first, last, step, _ := c.LegacyRange()
	r.Array(10)
	r.BulkString(c.Name)
	r.Int(int64(c.Arity))
	flags := c.FlagNames()
	r.Set(len(flags))
	for _, f := range flags {
		r.Status(f)
	}
	r.Int(int64(first))
	r.Int(int64(last))
	r.Int(int64(step))
	cats := c.Categories().Names()
	r.Set(len(cats))
	for _, cat := range cats {
		r.Status(cat)
	}
	r.Set(len(c.Tips))
	for _, tip := range c.Tips {
		r.BulkString(tip)
	}
	c.WriteKeySpecs(r)
	subs := c.sortedSubcommands()
	r.Set(len(subs))
	for _, sub := range subs {
		sub.WriteInfo(r)
	}
}

// WriteDocs writes c's documentation as the value of its entry in Redis 7's
// COMMAND DOCS map: summary, since, group, then its subcommands' docs by
// name. The tips are COMMAND INFO's, as in Redis.
func (c *Command) WriteDocs(r *resp.Reply) {
	subs := c.sortedSubcommands()
	n := 3
	if len(subs) > 0 {
		n++
	}
	r.Map(n)
	r.BulkString("summary")
	r.BulkString(c.Summary)
	r.BulkString("since")
	r.BulkString(c.Since)
	r.BulkString("group")
	r.BulkString(c.Group)
	if len(subs) > 0 {
		r.BulkString("subcommands")
		r.Map(len(subs))
		for _, sub := range subs {
			r.BulkString(sub.Name)
			sub.WriteDocs(r)
		}
	}
}

// sortedSubcommands returns c's subcommands by name (COMMAND's order), a
// copy: Subcommands keeps the table's order, which HELP follows.
func (c *Command) sortedSubcommands() []*Command {
	if len(c.Subcommands) == 0 {
		return nil
	}
	subs := slices.Clone(c.Subcommands)
	slices.SortFunc(subs, func(a, b *Command) int { return strings.Compare(a.Name, b.Name) })
	return subs
}
