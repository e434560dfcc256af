package transport

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestTransport binds a TCP endpoint with a real RPC server answering
// pings.
func newTestTransport(t *testing.T, faults *Faults, key []byte) (*TCP, *Client) {
	t.Helper()
	tr, err := NewTCP("127.0.0.1:0", "", faults, testLogger(t))
	require.NoError(t, err)
	return tr, serveEndpoint(t, tr, faults, key)
}

func recvStream(t *testing.T, tr Endpoint) net.Conn {
	t.Helper()
	select {
	case c := <-tr.StreamCh():
		return c
	case <-time.After(10 * time.Second):
		require.FailNow(t, "no stream handed to memberlist")
		return nil
	}
}

func TestTransportDemultiplexes(t *testing.T) {
	a, _ := newTestTransport(t, nil, nil)
	b, bClient := newTestTransport(t, nil, nil)

	// A memberlist stream without our preface reaches StreamCh intact.
	raw, err := net.Dial("tcp", a.Addr())
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.Write([]byte("\x00plain memberlist"))
	require.NoError(t, err)
	got := recvStream(t, a)
	buf := make([]byte, len("\x00plain memberlist"))
	_, err = io.ReadFull(got, buf)
	require.NoError(t, err)
	assert.Equal(t, "\x00plain memberlist", string(buf))
	require.NoError(t, got.Close())

	// A stream dialed by a peer transport: the preface is consumed.
	c, err := b.DialTimeout(a.Addr(), 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte{1, 2, 3})
	require.NoError(t, err)
	got = recvStream(t, a)
	buf = make([]byte, 3)
	_, err = io.ReadFull(got, buf)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3}, buf)
	require.NoError(t, got.Close())

	// RPC on the same port; the server learns the caller's address.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := bClient.Call(ctx, a.Addr(), KindPing, []byte("!"))
	require.NoError(t, err)
	assert.Equal(t, b.Addr()+"!", string(reply))

	// An unknown preface is closed.
	bad, err := net.Dial("tcp", a.Addr())
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.Write([]byte("MESHX\n\x00"))
	require.NoError(t, err)
	require.NoError(t, bad.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = bad.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)

	// Gossip packets carry the sender's cluster address.
	_, err = b.WriteTo([]byte("ping"), a.Addr())
	require.NoError(t, err)
	select {
	case p := <-a.PacketCh():
		assert.Equal(t, "ping", string(p.Buf))
		assert.Equal(t, b.Addr(), p.From.String())
	case <-time.After(10 * time.Second):
		require.FailNow(t, "packet not delivered")
	}
}

// endpointKinds makes a pair of endpoints, with an RPC server each, of
// each kind: the tests of the Endpoint contract run on both.
var endpointKinds = []struct {
	name string
	make func(t *testing.T, faults *Faults) func(key []byte) (Endpoint, *Client)
}{
	{"tcp", func(t *testing.T, faults *Faults) func([]byte) (Endpoint, *Client) {
		return func(key []byte) (Endpoint, *Client) { return newTestTransport(t, faults, key) }
	}},
	{"mem", func(t *testing.T, faults *Faults) func([]byte) (Endpoint, *Client) {
		mn := NewMemNetwork(faults)
		return func(key []byte) (Endpoint, *Client) {
			e := mn.Endpoint()
			return e, serveEndpoint(t, e, faults, key)
		}
	}},
}

func TestTransportFaults(t *testing.T) {
	for _, kind := range endpointKinds {
		t.Run(kind.name, func(t *testing.T) { testTransportFaults(t, kind.make) })
	}
}

func testTransportFaults(t *testing.T, mk func(*testing.T, *Faults) func([]byte) (Endpoint, *Client)) {
	faults := NewFaults()
	newEndpoint := mk(t, faults)
	a, _ := newEndpoint(nil)
	b, bClient := newEndpoint(nil)
	faults.CutOneWay(b.Addr(), a.Addr())

	_, err := b.DialTimeout(a.Addr(), 5*time.Second)
	assert.ErrorContains(t, err, "refused by fault injection")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = bClient.Call(ctx, a.Addr(), KindPing, nil)
	assert.ErrorContains(t, err, "refused by fault injection")

	dropped := faults.Dropped()
	_, err = b.WriteTo([]byte("lost"), a.Addr())
	require.NoError(t, err, "a dropped packet is not an error, as on a real network")
	assert.Greater(t, faults.Dropped(), dropped)

	// The other direction still works: a can reach b.
	c, err := a.DialTimeout(b.Addr(), 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	got := recvStream(t, b)
	require.NoError(t, got.Close())

	faults.Heal()
	reply, err := bClient.Call(ctx, a.Addr(), KindPing, []byte("x"))
	require.NoError(t, err)
	assert.Equal(t, b.Addr()+"x", string(reply))
}

func TestRPCAuth(t *testing.T) {
	for _, kind := range endpointKinds {
		t.Run(kind.name, func(t *testing.T) { testRPCAuth(t, kind.make) })
	}
}

func testRPCAuth(t *testing.T, mk func(*testing.T, *Faults) func([]byte) (Endpoint, *Client)) {
	keyA := []byte("0123456789abcdef")
	keyB := []byte("fedcba9876543210")
	newEndpoint := mk(t, nil)
	a, aClient := newEndpoint(keyA)
	_, bClient := newEndpoint(keyB)
	_, noKey := newEndpoint(nil)
	c, cClient := newEndpoint(keyA)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := cClient.Call(ctx, a.Addr(), KindPing, []byte("hi"))
	require.NoError(t, err, "same key")
	assert.Equal(t, c.Addr()+"hi", string(reply))

	_, err = bClient.Call(ctx, a.Addr(), KindPing, nil)
	assert.ErrorIs(t, err, errAuth, "a server with another key is refused")
	_, err = aClient.Call(ctx, c.Addr(), KindPing, nil)
	require.NoError(t, err)

	// A client without a key never gets a frame through.
	_, err = noKey.Call(ctx, a.Addr(), KindPing, nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "the server closes the connection")
}
