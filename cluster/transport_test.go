package cluster

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestTransport binds a transport with a real RPC server answering pings.
func newTestTransport(t *testing.T, faults *Faults, key []byte) (*Transport, *rpcClient) {
	t.Helper()
	logger := testLogger(t)
	tr, err := NewTransport("127.0.0.1:0", "", faults, logger)
	require.NoError(t, err)
	srv := newRPCServer(tr.Addr(), key, faults, MinFrameSize, logger)
	srv.handle(KindPing, func(_ context.Context, from string, req, reply []byte) ([]byte, error) {
		return append(append(reply, from...), req...), nil
	})
	tr.SetRPC(srv)
	tr.Start()
	client := newRPCClient(tr.Addr(), key, faults, MinFrameSize, func(ctx context.Context, addr string) (net.Conn, error) {
		return tr.dial(ctx, addr, rpcPreface)
	})
	t.Cleanup(func() {
		client.close()
		require.NoError(t, tr.Shutdown())
		srv.close()
	})
	return tr, client
}

func recvStream(t *testing.T, tr *Transport) net.Conn {
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
	reply, err := bClient.call(ctx, a.Addr(), KindPing, []byte("!"))
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

func TestTransportFaults(t *testing.T) {
	faults := NewFaults()
	a, _ := newTestTransport(t, faults, nil)
	b, bClient := newTestTransport(t, faults, nil)
	faults.CutOneWay(b.Addr(), a.Addr())

	_, err := b.DialTimeout(a.Addr(), 5*time.Second)
	assert.ErrorContains(t, err, "refused by fault injection")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = bClient.call(ctx, a.Addr(), KindPing, nil)
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
	reply, err := bClient.call(ctx, a.Addr(), KindPing, []byte("x"))
	require.NoError(t, err)
	assert.Equal(t, b.Addr()+"x", string(reply))
}

func TestRPCAuth(t *testing.T) {
	keyA := []byte("0123456789abcdef")
	keyB := []byte("fedcba9876543210")
	a, aClient := newTestTransport(t, nil, keyA)
	_, bClient := newTestTransport(t, nil, keyB)
	_, noKey := newTestTransport(t, nil, nil)
	c, cClient := newTestTransport(t, nil, keyA)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := cClient.call(ctx, a.Addr(), KindPing, []byte("hi"))
	require.NoError(t, err, "same key")
	assert.Equal(t, c.Addr()+"hi", string(reply))

	_, err = bClient.call(ctx, a.Addr(), KindPing, nil)
	assert.ErrorIs(t, err, errAuth, "a server with another key is refused")
	_, err = aClient.call(ctx, c.Addr(), KindPing, nil)
	require.NoError(t, err)

	// A client without a key never gets a frame through.
	_, err = noKey.call(ctx, a.Addr(), KindPing, nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "the server closes the connection")
}
