package transport

import (
	"context"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemNetwork(t *testing.T) {
	faults := NewFaults()
	mn := NewMemNetwork(faults)
	a, b := mn.Endpoint(), mn.Endpoint()
	require.NotEqual(t, a.Addr(), b.Addr())
	serveEndpoint(t, a, faults, nil)
	bClient := serveEndpoint(t, b, faults, nil)
	ip, port, err := a.FinalAdvertiseAddr("", 0)
	require.NoError(t, err)
	assert.Equal(t, a.Addr(), (&netAddr{ip.String(), port}).String())

	// Streams reach the peer's StreamCh.
	c, err := b.DialTimeout(a.Addr(), time.Second)
	require.NoError(t, err)
	got := recvStream(t, a)
	go func() { _, _ = c.Write([]byte{1, 2, 3}) }()
	buf := make([]byte, 3)
	_, err = io.ReadFull(got, buf)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3}, buf)
	require.NoError(t, c.Close())
	require.NoError(t, got.Close())

	// Packets carry the sender's address.
	_, err = b.WriteTo([]byte("ping"), a.Addr())
	require.NoError(t, err)
	p := <-a.PacketCh()
	assert.Equal(t, "ping", string(p.Buf))
	assert.Equal(t, b.Addr(), p.From.String())

	// RPC: the server learns the caller's address.
	ctx := testCtx(t, 10*time.Second)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	reply, err := bClient.Call(cctx, a.Addr(), KindPing, []byte("!"))
	require.NoError(t, err)
	assert.Equal(t, b.Addr()+"!", string(reply))

	// A partition drops frames on the established connection.
	faults.Cut([]string{a.Addr()}, []string{b.Addr()})
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = bClient.Call(short, a.Addr(), KindPing, nil)
	cancelShort()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	dropped := faults.Dropped()
	_, err = b.WriteTo([]byte("lost"), a.Addr())
	require.NoError(t, err)
	assert.Greater(t, faults.Dropped(), dropped)
	select {
	case p := <-a.PacketCh():
		t.Fatalf("a packet crossed the cut: %q", p.Buf)
	default:
	}
	faults.Heal()
	cctx2, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	_, err = bClient.Call(cctx2, a.Addr(), KindPing, nil)
	require.NoError(t, err, "healed")

	// A shut endpoint refuses dials.
	require.NoError(t, a.Shutdown())
	_, err = b.DialTimeout(a.Addr(), time.Second)
	assert.ErrorIs(t, err, errRefused)
	_, err = b.DialRPC(ctx, a.Addr())
	assert.ErrorIs(t, err, errRefused)
	_, err = a.DialRPC(ctx, b.Addr())
	assert.ErrorIs(t, err, ErrClosed)
}

func TestMemDelay(t *testing.T) {
	faults := NewFaults()
	mn := NewMemNetwork(faults)
	a, b := mn.Endpoint(), mn.Endpoint()
	serveEndpoint(t, a, faults, nil)
	bClient := serveEndpoint(t, b, faults, nil)
	const d = 200 * time.Millisecond
	faults.Delay(b.Addr(), a.Addr(), d)
	assert.Equal(t, d, faults.DelayOf(b.Addr(), a.Addr()))
	assert.Zero(t, faults.DelayOf(a.Addr(), b.Addr()), "a delay is one way")

	// A delayed packet arrives, later; nothing is waiting meanwhile.
	_, err := b.WriteTo([]byte("late"), a.Addr())
	require.NoError(t, err)
	select {
	case p := <-a.PacketCh():
		t.Fatalf("a delayed packet arrived at once: %q", p.Buf)
	default:
	}
	select {
	case p := <-a.PacketCh():
		assert.Equal(t, "late", string(p.Buf))
	case <-time.After(10 * time.Second):
		t.Fatal("the delayed packet never arrived")
	}

	// A call through a delayed link answers, and a deadline shorter than
	// the delay ends it.
	ctx := testCtx(t, 10*time.Second)
	short, cancel := context.WithTimeout(ctx, d/4)
	_, err = bClient.Call(short, a.Addr(), KindPing, nil)
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	long, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err = bClient.Call(long, a.Addr(), KindPing, nil)
	require.NoError(t, err)

	faults.Heal()
	assert.Zero(t, faults.DelayOf(b.Addr(), a.Addr()))
}

type netAddr struct {
	host string
	port int
}

func (a *netAddr) String() string { return net.JoinHostPort(a.host, strconv.Itoa(a.port)) }
