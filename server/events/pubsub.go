package events

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/tidwall/redcon"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/events/pubsub"
	"github.com/meshcache/meshcache/server/resp"
)

// Pub/Sub (docs/DESIGN.md §6): the commands, the connection's
// subscriptions and delivery on this node. The subscribers of this node
// are in Hub.reg (package pubsub), keyed by *Client; a message reaches a
// subscriber through its outbox (outbox.go); messages published here reach
// the other nodes' subscribers through the fan-out (fanout.go).

const (
	errSubscribedContext = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	errSSubscribeInExec  = "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"
	// A MULTI block forwarded to another node runs there on an internal
	// client, which has no connection to deliver messages to.
	errSubscribeForwarded = "ERR Pub/Sub subscriptions cannot run inside a transaction forwarded to another node"
)

// kindWords are the words of each kind's replies and messages.
var kindWords = [...]struct{ sub, unsub, message string }{
	pubsub.Channel: {"subscribe", "unsubscribe", "message"},
	pubsub.Pattern: {"psubscribe", "punsubscribe", "pmessage"},
	pubsub.Shard:   {"ssubscribe", "sunsubscribe", "smessage"},
}

// PubSubCommands is the Pub/Sub group of the command table: SUBSCRIBE
// PSUBSCRIBE SSUBSCRIBE (and UN-), PUBLISH SPUBLISH PUBSUB. Their handlers
// find the connection in commands.Call.Conn (a Session).
func PubSubCommands() []*commands.Command {
	type Command = commands.Command
	const (
		g      = "pubsub"
		always = commands.FlagPubSub | commands.FlagLoading | commands.FlagStale
		sub    = always | commands.FlagNoScript | commands.FlagSubscribedOK
		local  = commands.FlagLocal
	)
	shardKeys := []commands.KeySpec{commands.Range(commands.NotKey, 1, -1, 1)}
	psub := func(name string, arity int, since, summary string, h func(*commands.Call), help ...string) *Command {
		return &Command{Name: "pubsub|" + name, Arity: arity, Flags: always, Group: g,
			Since: since, Summary: summary, Handler: h, Help: help}
	}
	return []*Command{
		{Name: "subscribe", Arity: -2, Flags: sub, Group: g, Since: "2.0.0",
			Summary: "Listens for messages published to channels.", Handler: subscribeCmd(pubsub.Channel)},
		{Name: "psubscribe", Arity: -2, Flags: sub, Group: g, Since: "2.0.0",
			Summary: "Listens for messages published to channels that match one or more patterns.", Handler: subscribeCmd(pubsub.Pattern)},
		{Name: "ssubscribe", Arity: -2, Flags: sub | local, Keys: shardKeys, Group: g, Since: "7.0.0",
			Summary: "Listens for messages published to shard channels.", Handler: subscribeCmd(pubsub.Shard)},
		{Name: "unsubscribe", Arity: -1, Flags: sub, Group: g, Since: "2.0.0",
			Summary: "Stops listening to messages posted to channels.", Handler: unsubscribeCmd(pubsub.Channel)},
		{Name: "punsubscribe", Arity: -1, Flags: sub, Group: g, Since: "2.0.0",
			Summary: "Stops listening to messages published to channels that match one or more patterns.", Handler: unsubscribeCmd(pubsub.Pattern)},
		{Name: "sunsubscribe", Arity: -1, Flags: sub | local, Keys: shardKeys, Group: g, Since: "7.0.0",
			Summary: "Stops listening to messages posted to shard channels.", Handler: unsubscribeCmd(pubsub.Shard)},
		{Name: "publish", Arity: 3, Flags: always | commands.FlagFast | commands.FlagMayReplicate, Group: g, Since: "2.0.0",
			Summary: "Posts a message to a channel.", Handler: publishCmd(pubsub.Channel)},
		{Name: "spublish", Arity: 3, Flags: always | commands.FlagFast | local | commands.FlagMayReplicate,
			Keys: []commands.KeySpec{commands.Range(commands.NotKey, 1, 0, 1)}, Group: g, Since: "7.0.0",
			Summary: "Post a message to a shard channel", Handler: publishCmd(pubsub.Shard)},
		{Name: "pubsub", Arity: -2, Group: g, Since: "2.8.0", Summary: "A container for Pub/Sub commands.",
			Subcommands: []*Command{
				psub("channels", -2, "2.8.0", "Returns the active channels.", namesCmd(pubsub.Channel),
					"CHANNELS [<pattern>]",
					"    Return the currently active channels matching a <pattern> (default: '*')."),
				psub("numpat", 2, "2.8.0", "Returns a count of unique pattern subscriptions.",
					func(c *commands.Call) { c.Reply.Int(int64(hubOf(c).reg.Distinct(pubsub.Pattern))) },
					"NUMPAT",
					"    Return number of subscriptions to patterns."),
				psub("numsub", -2, "2.8.0", "Returns a count of subscribers to channels.", countCmd(pubsub.Channel),
					"NUMSUB [<channel> ...]",
					"    Return the number of subscribers for the specified channels, excluding",
					"    pattern subscriptions(default: no channels)."),
				psub("shardchannels", -2, "7.0.0", "Returns the active shard channels.", namesCmd(pubsub.Shard),
					"SHARDCHANNELS [<pattern>]",
					"    Return the currently active shard level channels matching a <pattern> (default: '*')."),
				psub("shardnumsub", -2, "7.0.0", "Returns the count of subscribers of shard channels.", countCmd(pubsub.Shard),
					"SHARDNUMSUB [<shardchannel> ...]",
					"    Return the number of subscribers for the specified shard level channel(s)"),
				{Name: "pubsub|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, Group: g, Since: "6.2.0",
					Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
			}},
	}
}

// clientOf returns the events state of the connection running c.
func clientOf(c *commands.Call) *Client { return c.Conn.(Session).Events() }

// hubOf returns the node's Hub, as the connection running c knows it.
func hubOf(c *commands.Call) *Hub { return clientOf(c).hub }

// subState is a connection's subscriptions; the counts are mirrored in
// Client.subN for other goroutines.
type subState struct {
	mu    sync.Mutex             // guards names
	names [3]map[string]struct{} // kind -> names subscribed
}

// subCount is the count Redis puts in a (un)subscribe reply: channels plus
// patterns, or shard channels.
func (c *Client) subCount(k pubsub.Kind) int {
	if k == pubsub.Shard {
		return len(c.subs.names[pubsub.Shard])
	}
	return len(c.subs.names[pubsub.Channel]) + len(c.subs.names[pubsub.Pattern])
}

func (c *Client) syncSubState(k pubsub.Kind) {
	c.subN[k].Store(int32(len(c.subs.names[k])))
	c.inPubSub.Store(c.Subscribed())
}

// writeSubReply writes a (un)subscription's confirmation, a push that
// CLIENT REPLY OFF does not silence (Reply.MarkPush), as Redis's.
func writeSubReply(r *resp.Reply, verb string, name []byte, count int) {
	start := r.Len()
	defer r.MarkPush(start)
	if r.RESP3() {
		r.Push(3)
	} else {
		r.Array(3)
	}
	r.BulkString(verb)
	if name == nil {
		r.Null()
	} else {
		r.Bulk(name)
	}
	r.Int(int64(count))
}

func subscribeCmd(k pubsub.Kind) func(*commands.Call) {
	return func(c *commands.Call) {
		sess := c.Conn.(Session)
		cl := sess.Events()
		if k == pubsub.Shard && sess.Execing() {
			c.Reply.Error(errSSubscribeInExec)
			return
		}
		if cl.forwarded {
			c.Reply.Error(errSubscribeForwarded)
			return
		}
		if k == pubsub.Shard {
			h := cl.hub
			h.shardMu.Lock()
			defer h.shardMu.Unlock()
			h.checkShardChannels() // before cl.subs.mu: it may drop cl's channels
		}
		cl.subs.mu.Lock()
		defer cl.subs.mu.Unlock()
		for _, ch := range c.Args[1:] {
			name := string(ch)
			set := cl.subs.names[k]
			if set == nil {
				set = make(map[string]struct{})
				cl.subs.names[k] = set
			}
			if _, ok := set[name]; !ok {
				set[name] = struct{}{}
				// Messages from now on wait until this reply is in the
				// outbox (outbox.hold), so none precedes it.
				cl.outbox().hold()
				cl.hub.reg.Subscribe(k, name, cl)
			}
			cl.syncSubState(k)
			writeSubReply(c.Reply, kindWords[k].sub, ch, cl.subCount(k))
		}
	}
}

func unsubscribeCmd(k pubsub.Kind) func(*commands.Call) {
	return func(c *commands.Call) {
		cl := clientOf(c)
		words := kindWords[k]
		cl.subs.mu.Lock()
		defer cl.subs.mu.Unlock()
		if len(c.Args) == 1 {
			names := cl.subNames(k)
			if len(names) == 0 {
				writeSubReply(c.Reply, words.unsub, nil, cl.subCount(k))
				return
			}
			for _, n := range names {
				cl.unsubscribe(k, n)
				writeSubReply(c.Reply, words.unsub, []byte(n), cl.subCount(k))
			}
			return
		}
		for _, ch := range c.Args[1:] {
			cl.unsubscribe(k, string(ch))
			writeSubReply(c.Reply, words.unsub, ch, cl.subCount(k))
		}
	}
}

// subNames returns the client's names of kind k, sorted; subs.mu is held.
func (c *Client) subNames(k pubsub.Kind) []string {
	out := make([]string, 0, len(c.subs.names[k]))
	for n := range c.subs.names[k] {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// unsubscribe drops one subscription of the client, in the registry too;
// subs.mu is held.
func (c *Client) unsubscribe(k pubsub.Kind, name string) {
	if _, ok := c.subs.names[k][name]; !ok {
		return
	}
	delete(c.subs.names[k], name)
	c.hub.reg.Unsubscribe(k, name, c)
	c.syncSubState(k)
}

// unsubscribeAll drops every subscription without replies (RESET, and
// the connection's end).
func (c *Client) unsubscribeAll() {
	c.subs.mu.Lock()
	defer c.subs.mu.Unlock()
	for k := range c.subs.names {
		for name := range c.subs.names[k] {
			c.hub.reg.Unsubscribe(pubsub.Kind(k), name, c)
		}
		c.subs.names[k] = nil
		c.syncSubState(pubsub.Kind(k))
	}
}

func publishCmd(k pubsub.Kind) func(*commands.Call) {
	return func(c *commands.Call) {
		n := hubOf(c).publish(k, c.Args[1], c.Args[2])
		c.Reply.Int(int64(n))
	}
}

// namesCmd is PUBSUB CHANNELS / SHARDCHANNELS [pattern]: this node's
// channels with subscribers, as Redis Cluster answers for its node.
func namesCmd(k pubsub.Kind) func(*commands.Call) {
	return func(c *commands.Call) {
		if len(c.Args) > 3 {
			commands.SubcommandSyntaxError(c)
			return
		}
		var pattern []byte
		if len(c.Args) == 3 {
			pattern = c.Args[2]
		}
		names := hubOf(c).reg.Names(k, pattern)
		c.Reply.Array(len(names))
		for _, n := range names {
			c.Reply.BulkString(n)
		}
	}
}

// countCmd is PUBSUB NUMSUB / SHARDNUMSUB [name ...]: the subscribers of
// each name on this node.
func countCmd(k pubsub.Kind) func(*commands.Call) {
	return func(c *commands.Call) {
		h := hubOf(c)
		c.Reply.Array(2 * (len(c.Args) - 2))
		for _, n := range c.Args[2:] {
			c.Reply.Bulk(n)
			c.Reply.Int(int64(h.reg.Count(k, n)))
		}
	}
}

// Publish delivers message to the subscribers of channel on every node of
// the cluster and returns how many received it on this node (what
// PUBLISH answers, as Redis Cluster counts). It is the API the keyspace
// notifications use; with no subscriber anywhere it costs one atomic load
// per peer queue check (see Active).
func (h *Hub) Publish(channel, message []byte) int {
	return h.publish(pubsub.Channel, channel, message)
}

// Active reports whether a message published now could reach a
// subscriber on this node; a producer of events can skip building
// messages when it is false and no peer listens either (fan-out).
func (h *Hub) Active() bool { return h.reg.Active() }

// publish delivers to this node's subscribers and hands the message to the
// fan-out for the other nodes'.
func (h *Hub) publish(k pubsub.Kind, channel, message []byte) int {
	n := h.deliverLocal(k, channel, message)
	h.fanout.send(k, channel, message)
	return n
}

// receiversPool recycles the receiver slices of deliverLocal.
var receiversPool = sync.Pool{New: func() any { return new([]pubsub.Receiver[*Client]) }}

// deliverLocal writes the message to every receiver on this node and
// returns their number. Each receiver's outbox takes the whole message at
// once; a subscriber over its output buffer limit is closed instead.
func (h *Hub) deliverLocal(k pubsub.Kind, channel, message []byte) int {
	if k == pubsub.Shard && !h.reg.ActiveShard() || k != pubsub.Shard && !h.reg.Active() {
		return 0
	}
	bufp := receiversPool.Get().(*[]pubsub.Receiver[*Client])
	var rcv []pubsub.Receiver[*Client]
	if k == pubsub.Shard {
		rcv = h.reg.ShardReceivers(channel, (*bufp)[:0])
	} else {
		rcv = h.reg.Receivers(channel, (*bufp)[:0])
	}
	var enc [2][]byte // the direct message, RESP2 and RESP3, built once
	var scratch []byte
	for _, r := range rcv {
		v := 0
		if r.Sub.RESP3() {
			v = 1
		}
		var msg []byte
		if r.Pattern == "" {
			if enc[v] == nil {
				enc[v] = encodeMessage(nil, v == 1, kindWords[k].message, "", channel, message)
			}
			msg = enc[v]
		} else {
			scratch = encodeMessage(scratch[:0], v == 1, kindWords[pubsub.Pattern].message, r.Pattern, channel, message)
			msg = scratch
		}
		if o := r.Sub.out; o != nil {
			o.deliver(msg)
		}
	}
	n := len(rcv)
	clear(rcv)
	*bufp = rcv[:0]
	receiversPool.Put(bufp)
	return n
}

// encodeMessage appends a message push: [message channel payload], or
// [pmessage pattern channel payload], as an array (RESP2) or push (RESP3).
func encodeMessage(b []byte, resp3 bool, verb, pattern string, channel, message []byte) []byte {
	n := 3
	if pattern != "" {
		n = 4
	}
	if resp3 {
		b = append(b, '>', byte('0'+n), '\r', '\n')
	} else {
		b = append(b, '*', byte('0'+n), '\r', '\n')
	}
	b = redcon.AppendBulkString(b, verb)
	if pattern != "" {
		b = redcon.AppendBulkString(b, pattern)
	}
	b = redcon.AppendBulk(b, channel)
	return redcon.AppendBulk(b, message)
}

// PingSubscribed answers PING in RESP2 subscribed mode: ["pong", arg].
// It reports false, writing nothing, when PING answers as usual.
func (c *Client) PingSubscribed(r *resp.Reply, args [][]byte) bool {
	if !c.inPubSub.Load() || r.RESP3() || len(args) > 2 {
		return false
	}
	r.Array(2)
	r.BulkString("pong")
	if len(args) == 2 {
		r.Bulk(args[1])
	} else {
		r.BulkString("")
	}
	return true
}

// SubscribedContextError is the error for a command (name) a RESP2 client
// in subscribed mode may not run.
func SubscribedContextError(name string) string {
	return fmt.Sprintf(errSubscribedContext, strings.ToLower(name))
}

// OneSlot reports whether the arguments at pos (the shard channels of
// SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH) are all in one slot, as a cluster
// node requires (-CROSSSLOT otherwise).
func OneSlot(args [][]byte, pos []int) bool {
	slot := ring.KeySlot(args[pos[0]])
	for _, i := range pos[1:] {
		if ring.KeySlot(args[i]) != slot {
			return false
		}
	}
	return true
}

// checkShardChannels tells the shard subscribers on this node that their
// channel's slot changed leader since the table they were last checked
// against, as Redis 7 tells them when a slot leaves a node: each gets
// `sunsubscribe <channel> <count>` and is no longer subscribed (a client
// such as go-redis subscribes again). Called by the fan-out's goroutine
// (Run) each turn, and by SSUBSCRIBE before it subscribes (h.shardMu
// held by the caller), so that a subscription is never judged against a
// table older than the one it was made under.
func (h *Hub) checkShardChannels() {
	t := h.cluster.Table()
	prev := h.shardTable
	if t == nil || t == prev {
		return
	}
	h.shardTable = t
	if prev == nil || !h.reg.ActiveShard() {
		return
	}
	moved := h.reg.ShardNamesIn(func(name string) bool {
		slot := ring.KeySlot([]byte(name))
		return t.Primary(slot) != prev.Primary(slot)
	})
	for _, name := range moved {
		for _, c := range h.reg.Subscribers(pubsub.Shard, name) {
			c.dropShardChannel(name)
		}
	}
}

// dropShardChannel unsubscribes the client from a shard channel and pushes
// the sunsubscribe notice (any goroutine).
func (c *Client) dropShardChannel(name string) {
	c.subs.mu.Lock()
	if _, ok := c.subs.names[pubsub.Shard][name]; !ok {
		c.subs.mu.Unlock()
		return
	}
	c.unsubscribe(pubsub.Shard, name)
	var r resp.Reply
	r.SetRESP3(c.RESP3())
	writeSubReply(&r, kindWords[pubsub.Shard].unsub, []byte(name), c.subCount(pubsub.Shard))
	c.subs.mu.Unlock()
	if o := c.outPub.Load(); o != nil {
		o.deliver(r.Bytes())
	}
}
