package commands

import (
	"bytes"
	"fmt"

	"github.com/meshcache/meshcache/server/resp"
)

// Part is one node's reply to its part of a split command: a
// request_policy:multi_shard command whose keys live on several nodes is
// sent to each node with that node's keys, and the replies are merged by
// the command's response policy (MergeReplies).
type Part struct {
	From  string // the node that answered, for error messages
	Reply []byte // its whole raw RESP reply
	Keys  []int  // for each key of the part, its position among the command's keys
}

// Mergeable reports whether MergeReplies can merge the parts of cmd, a
// request_policy:multi_shard command, by its response policy.
func (cmd *Command) Mergeable() bool {
	switch cmd.ResponsePolicy() {
	case "", "all_succeeded", "agg_sum":
		return true
	}
	return false
}

// MergeReplies writes the merged reply of a split command by its
// response_policy tip: none (MGET) concatenates the parts' arrays in key
// order, all_succeeded (MSET) answers +OK when every part did, agg_sum
// (DEL UNLINK EXISTS TOUCH) adds the parts' integers. nkeys is the number
// of keys of the whole command. A part whose reply does not fit the policy
// is an error, and nothing is written.
func (cmd *Command) MergeReplies(r *resp.Reply, parts []Part, nkeys int) error {
	switch cmd.ResponsePolicy() {
	case "":
		elems := make([][]byte, nkeys)
		for _, p := range parts {
			items, err := resp.SplitBulkArray(p.Reply)
			if err != nil {
				return fmt.Errorf("reply of %s: %w", p.From, err)
			}
			if len(items) != len(p.Keys) {
				return fmt.Errorf("reply of %s: %d values for %d keys", p.From, len(items), len(p.Keys))
			}
			for j, it := range items {
				elems[p.Keys[j]] = it
			}
		}
		r.Array(nkeys)
		for _, el := range elems {
			r.Raw(el)
		}
	case "all_succeeded":
		for _, p := range parts {
			if !bytes.Equal(p.Reply, []byte("+OK\r\n")) {
				return fmt.Errorf("reply of %s: %q, want +OK", p.From, p.Reply)
			}
		}
		r.OK()
	case "agg_sum":
		var sum int64
		for _, p := range parts {
			n, err := resp.ParseInteger(p.Reply)
			if err != nil {
				return fmt.Errorf("reply of %s: %w", p.From, err)
			}
			sum += n
		}
		r.Int(sum)
	default:
		return fmt.Errorf("response policy %q cannot be merged", cmd.ResponsePolicy())
	}
	return nil
}
