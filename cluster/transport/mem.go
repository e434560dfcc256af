package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// MemNetwork connects in-memory endpoints, as memberlist's MockNetwork
// does: gossip packets go through channels and streams and RPC connections
// through net.Pipe, so a test cluster needs no socket and no port. Faults
// apply as on TCP: a cut drops packets, refuses dials and drops frames on
// established RPC connections (the frame layer consults the same Faults);
// a delay holds packets, dials and frames.
//
// Each endpoint gets an address 127.0.0.1:port with a port no socket uses
// (memberlist wants an IP and a port). Methods are safe for concurrent use.
type MemNetwork struct {
	faults *Faults

	mu   sync.Mutex // guards eps, port
	eps  map[string]*MemEndpoint
	port int
}

// NewMemNetwork returns an empty network whose endpoints consult faults
// (nil: nothing is dropped or delayed).
func NewMemNetwork(faults *Faults) *MemNetwork {
	return &MemNetwork{faults: faults, eps: make(map[string]*MemEndpoint), port: 1}
}

// Faults returns the network's fault injector.
func (n *MemNetwork) Faults() *Faults { return n.faults }

// Endpoint adds an endpoint with a fresh address.
func (n *MemNetwork) Endpoint() *MemEndpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.port++
	e := &MemEndpoint{
		net:      n,
		addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(n.port)),
		packetCh: make(chan *memberlist.Packet, memPacketQueue),
		streamCh: make(chan net.Conn, memStreamBacklog),
		done:     make(chan struct{}),
	}
	n.eps[e.addr] = e
	return e
}

func (n *MemNetwork) lookup(addr string) *MemEndpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.eps[addr]
}

func (n *MemNetwork) remove(e *MemEndpoint) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.eps[e.addr] == e {
		delete(n.eps, e.addr)
	}
}

// memPacketQueue bounds the packets waiting for memberlist at one
// endpoint; beyond it packets are dropped, as a full UDP buffer drops them.
const memPacketQueue = 1024

// memStreamBacklog is how many dialed streams may wait for memberlist to
// take them, as a listen backlog.
const memStreamBacklog = 64

// errRefused answers a dial to an address no endpoint holds, or one shut down.
var errRefused = errors.New("connection refused")

// MemEndpoint is one endpoint of a MemNetwork.
//
// Goroutines: none of its own. A delayed packet waits in a runtime timer;
// Shutdown stops delivery to this endpoint (delayed packets arriving later
// are dropped). Connections belong to their users.
type MemEndpoint struct {
	net  *MemNetwork
	addr string

	packetCh chan *memberlist.Packet
	streamCh chan net.Conn

	mu   sync.Mutex // guards rpc
	rpc  Acceptor
	done chan struct{} // closed by Shutdown
	once sync.Once
}

var _ Endpoint = (*MemEndpoint)(nil)

// Addr implements Endpoint.
func (e *MemEndpoint) Addr() string { return e.addr }

// Start implements Endpoint.
func (e *MemEndpoint) Start(rpc Acceptor) {
	e.mu.Lock()
	e.rpc = rpc
	e.mu.Unlock()
}

func (e *MemEndpoint) closed() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// FinalAdvertiseAddr implements memberlist.Transport.
func (e *MemEndpoint) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	host, portStr, err := net.SplitHostPort(e.addr)
	if err != nil {
		return nil, 0, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, 0, err
	}
	return net.ParseIP(host).To4(), port, nil
}

// memAddr is a MemEndpoint's address as a net.Addr.
type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

// WriteTo implements memberlist.Transport.
func (e *MemEndpoint) WriteTo(b []byte, addr string) (time.Time, error) {
	return e.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress implements memberlist.NodeAwareTransport. Like UDP, a
// packet to a cut, full or absent peer is lost without an error.
func (e *MemEndpoint) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	now := time.Now()
	f := e.net.faults
	if e.closed() || !f.Allow(e.addr, a.Addr) {
		return now, nil
	}
	to := e.net.lookup(a.Addr)
	if to == nil {
		return now, nil
	}
	p := &memberlist.Packet{Buf: append([]byte(nil), b...), From: memAddr(e.addr), Timestamp: now}
	if d := f.DelayOf(e.addr, a.Addr); d > 0 {
		time.AfterFunc(d, func() {
			p.Timestamp = time.Now()
			to.deliver(p)
		})
		return now, nil
	}
	to.deliver(p)
	return now, nil
}

// deliver queues a packet for memberlist, checking the receiving side's
// cut as TCP's read loop does.
func (e *MemEndpoint) deliver(p *memberlist.Packet) {
	if e.closed() || !e.net.faults.Allow(p.From.String(), e.addr) {
		return
	}
	select {
	case e.packetCh <- p:
	default: // full: dropped
	}
}

// PacketCh implements memberlist.Transport.
func (e *MemEndpoint) PacketCh() <-chan *memberlist.Packet { return e.packetCh }

// StreamCh implements memberlist.Transport.
func (e *MemEndpoint) StreamCh() <-chan net.Conn { return e.streamCh }

// DialTimeout implements memberlist.Transport.
func (e *MemEndpoint) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return e.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport: the far end
// of a pipe goes to the peer's StreamCh.
func (e *MemEndpoint) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	to, err := e.reach(ctx, a.Addr)
	if err != nil {
		return nil, err
	}
	mine, theirs := net.Pipe()
	select {
	case to.streamCh <- theirs:
		return mine, nil
	case <-to.done:
	case <-e.done:
	case <-ctx.Done():
	}
	_ = mine.Close()
	_ = theirs.Close()
	return nil, fmt.Errorf("dial %s: %w", a.Addr, errRefused)
}

// DialRPC implements Endpoint: the far end of a pipe goes to the peer's
// Acceptor.
func (e *MemEndpoint) DialRPC(ctx context.Context, addr string) (net.Conn, error) {
	to, err := e.reach(ctx, addr)
	if err != nil {
		return nil, err
	}
	to.mu.Lock()
	rpc := to.rpc
	to.mu.Unlock()
	if rpc == nil || to.closed() {
		return nil, fmt.Errorf("dial %s: %w", addr, errRefused)
	}
	mine, theirs := net.Pipe()
	rpc.ServeConn(theirs, e.addr)
	return mine, nil
}

// reach applies the faults and the delay to a dial and finds the peer.
func (e *MemEndpoint) reach(ctx context.Context, addr string) (*MemEndpoint, error) {
	if e.closed() {
		return nil, ErrClosed
	}
	f := e.net.faults
	if !f.Allow(e.addr, addr) {
		return nil, fmt.Errorf("dial %s: connection refused by fault injection", addr)
	}
	if d := f.DelayOf(e.addr, addr); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, fmt.Errorf("dial %s: %w", addr, ctx.Err())
		case <-e.done:
			return nil, ErrClosed
		}
	}
	to := e.net.lookup(addr)
	if to == nil || to.closed() {
		return nil, fmt.Errorf("dial %s: %w", addr, errRefused)
	}
	return to, nil
}

// Shutdown implements memberlist.Transport: the endpoint leaves the
// network; dials to it are refused and packets to it dropped.
func (e *MemEndpoint) Shutdown() error {
	e.once.Do(func() {
		close(e.done)
		e.net.remove(e)
	})
	return nil
}
