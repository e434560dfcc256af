package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// Every TCP connection to the cluster port from a meshcache node starts with a
// preface: six magic bytes naming what follows, one length byte, and the
// sender's advertised cluster address. The address lets the receiver apply
// Faults to inbound streams, whose source port is ephemeral. Connections that
// do not start with 'M' are handed to memberlist unchanged (memberlist's own
// stream messages start with a small message-type byte or 244, never 'M').
const (
	rpcPreface    = "MESH1\n" // internode RPC (client.go, server.go)
	streamPreface = "MESHG\n" // a memberlist stream (push/pull, fallback probe)
	prefaceLen    = len(rpcPreface)

	// udpPacketBufSize bounds one gossip packet, as in memberlist's NetTransport.
	udpPacketBufSize = 65536
	// udpRecvBufSize is the socket receive buffer we ask for.
	udpRecvBufSize = 2 << 20
	// prefaceTimeout bounds how long an accepted connection may take to
	// send its preface.
	prefaceTimeout = 5 * time.Second
)

// ErrClosed is returned by dials after Shutdown.
var ErrClosed = errors.New("cluster transport closed")

// TCP is the Endpoint of a real cluster port: memberlist's transport and
// the internode RPC listener on ONE port: a UDP socket for gossip packets
// and a TCP listener whose accepted connections are sorted by their first
// bytes into memberlist streams and RPC connections.
//
// Goroutines: Start runs the UDP read loop and the TCP accept loop; the accept
// loop runs one short-lived goroutine per accepted connection to read its
// preface (bounded by prefaceTimeout). All of them stop in Shutdown, which
// closes the sockets and waits for them. Once handed over, a memberlist
// stream belongs to memberlist and an RPC connection to the Acceptor.
type TCP struct {
	logger    *slog.Logger
	faults    *Faults
	advertise string // host:port others reach us at; the "self" side for Faults

	udp *net.UDPConn
	tcp *net.TCPListener

	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
	done     chan struct{} // closed by Shutdown
	shutdown atomic.Bool

	rpc Acceptor // set by Start, read-only after

	wg       sync.WaitGroup // read loop, accept loop, preface readers
	stopOnce sync.Once
}

var _ Endpoint = (*TCP)(nil)

// NewTCP binds the UDP socket and the TCP listener on bindAddr
// (host:port, port 0 picks a free port used for both). advertise, when not
// empty, is the host:port peers should use; otherwise the bound address is
// advertised (with a private interface address when bound to all interfaces).
func NewTCP(bindAddr, advertise string, faults *Faults, logger *slog.Logger) (*TCP, error) {
	host, portStr, err := net.SplitHostPort(bindAddr)
	if err != nil {
		return nil, fmt.Errorf("cluster bind address %q: %w", bindAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("cluster bind port %q: %w", portStr, err)
	}
	ip := net.ParseIP(host)
	if host != "" && ip == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return nil, fmt.Errorf("cluster bind host %q: %w", host, err)
		}
		ip = ips[0]
	}
	tcp, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: port})
	if err != nil {
		return nil, fmt.Errorf("listen on cluster port (tcp): %w", err)
	}
	port = tcp.Addr().(*net.TCPAddr).Port
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port})
	if err != nil {
		_ = tcp.Close()
		return nil, fmt.Errorf("listen on cluster port (udp): %w", err)
	}
	for size := udpRecvBufSize; size > 0; size /= 2 {
		if udp.SetReadBuffer(size) == nil {
			break
		}
	}
	if advertise == "" {
		advIP := ip
		if ip == nil || ip.IsUnspecified() {
			if advIP, err = privateIP(); err != nil {
				_ = tcp.Close()
				_ = udp.Close()
				return nil, err
			}
		}
		advertise = net.JoinHostPort(advIP.String(), strconv.Itoa(port))
	}
	return &TCP{
		logger:    logger,
		faults:    faults,
		advertise: advertise,
		udp:       udp,
		tcp:       tcp,
		packetCh:  make(chan *memberlist.Packet),
		streamCh:  make(chan net.Conn),
		done:      make(chan struct{}),
	}, nil
}

// privateIP returns the first non-loopback IPv4 interface address, used to
// advertise a node bound to all interfaces.
func privateIP() (net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("list interface addresses: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP, nil
		}
	}
	return nil, errors.New("no non-loopback IPv4 address to advertise: set the cluster advertise address")
}

// Addr returns the advertised cluster address (host:port).
func (t *TCP) Addr() string { return t.advertise }

// Start runs the UDP read loop and the TCP accept loop; RPC connections go
// to rpc (nil: they are closed).
func (t *TCP) Start(rpc Acceptor) {
	t.rpc = rpc
	t.wg.Add(2)
	go t.readPackets()
	go t.acceptLoop()
}

// FinalAdvertiseAddr implements memberlist.Transport.
func (t *TCP) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	if ip != "" {
		adv := net.ParseIP(ip)
		if adv == nil {
			return nil, 0, fmt.Errorf("parse advertise address %q", ip)
		}
		if v4 := adv.To4(); v4 != nil {
			adv = v4
		}
		return adv, port, nil
	}
	host, portStr, err := net.SplitHostPort(t.advertise)
	if err != nil {
		return nil, 0, fmt.Errorf("advertise address %q: %w", t.advertise, err)
	}
	p, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, 0, fmt.Errorf("advertise port %q: %w", portStr, err)
	}
	adv := net.ParseIP(host)
	if adv == nil {
		return nil, 0, fmt.Errorf("advertise address %q is not an IP", host)
	}
	if v4 := adv.To4(); v4 != nil {
		adv = v4
	}
	return adv, p, nil
}

// WriteTo implements memberlist.Transport.
func (t *TCP) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

// WriteToAddress implements memberlist.NodeAwareTransport. A packet to a cut
// peer is dropped without an error, as the network would.
func (t *TCP) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if !t.faults.Allow(t.advertise, a.Addr) {
		return time.Now(), nil
	}
	udpAddr, err := net.ResolveUDPAddr("udp", a.Addr)
	if err != nil {
		return time.Time{}, fmt.Errorf("resolve gossip peer %q: %w", a.Addr, err)
	}
	if _, err = t.udp.WriteTo(b, udpAddr); err != nil && t.shutdown.Load() {
		err = nil // memberlist still gossips while it shuts down; the packet is lost
	}
	return time.Now(), err
}

// PacketCh implements memberlist.Transport.
func (t *TCP) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

// StreamCh implements memberlist.Transport.
func (t *TCP) StreamCh() <-chan net.Conn { return t.streamCh }

// DialTimeout implements memberlist.Transport.
func (t *TCP) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

// DialAddressTimeout implements memberlist.NodeAwareTransport: it dials a
// gossip stream and writes the stream preface.
func (t *TCP) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return t.dial(ctx, a.Addr, streamPreface)
}

// DialRPC implements Endpoint: it dials an RPC connection.
func (t *TCP) DialRPC(ctx context.Context, addr string) (net.Conn, error) {
	return t.dial(ctx, addr, rpcPreface)
}

// dial opens a TCP connection to a peer's cluster port and writes the given
// preface; Faults may refuse it.
func (t *TCP) dial(ctx context.Context, addr, preface string) (net.Conn, error) {
	if t.shutdown.Load() {
		return nil, ErrClosed
	}
	if !t.faults.Allow(t.advertise, addr) {
		return nil, fmt.Errorf("dial %s: connection refused by fault injection", addr)
	}
	// Shutdown aborts dials in flight (memberlist's Join has no context).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-t.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	hdr := make([]byte, 0, prefaceLen+1+len(t.advertise))
	hdr = append(hdr, preface...)
	hdr = append(hdr, byte(len(t.advertise)))
	hdr = append(hdr, t.advertise...)
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetWriteDeadline(dl)
	}
	if _, err := c.Write(hdr); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("write preface to %s: %w", addr, err)
	}
	_ = c.SetWriteDeadline(time.Time{})
	return c, nil
}

// Shutdown implements memberlist.Transport: it closes both sockets and waits
// for the read loop, the accept loop and the preface readers to return.
func (t *TCP) Shutdown() error {
	t.stopOnce.Do(func() {
		t.shutdown.Store(true)
		close(t.done)
		_ = t.tcp.Close()
		_ = t.udp.Close()
	})
	t.wg.Wait()
	return nil
}

// readPackets is the UDP read loop (one goroutine, stops when the socket is
// closed by Shutdown).
func (t *TCP) readPackets() {
	defer t.wg.Done()
	for {
		buf := make([]byte, udpPacketBufSize)
		n, from, err := t.udp.ReadFrom(buf)
		ts := time.Now()
		if err != nil {
			if t.shutdown.Load() {
				return
			}
			t.logger.Warn("read gossip packet", "err", err)
			continue
		}
		if n < 1 || !t.faults.Allow(from.String(), t.advertise) {
			continue
		}
		select {
		case t.packetCh <- &memberlist.Packet{Buf: buf[:n], From: from, Timestamp: ts}:
		case <-t.done:
			return
		}
	}
}

// acceptLoop accepts TCP connections until Shutdown and starts a preface
// reader for each.
func (t *TCP) acceptLoop() {
	defer t.wg.Done()
	var delay time.Duration
	for {
		c, err := t.tcp.AcceptTCP()
		if err != nil {
			if t.shutdown.Load() {
				return
			}
			// Temporary failures (EMFILE and the like): back off as
			// net/http does, up to a second.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			t.logger.Warn("accept on cluster port", "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-t.done:
				return
			}
			continue
		}
		delay = 0
		t.wg.Add(1)
		go t.sortConn(c)
	}
}

// sortConn reads an accepted connection's preface and hands it to the RPC
// acceptor or to memberlist.
func (t *TCP) sortConn(c net.Conn) {
	defer t.wg.Done()
	_ = c.SetReadDeadline(time.Now().Add(prefaceTimeout))
	var first [1]byte
	if _, err := io.ReadFull(c, first[:]); err != nil {
		_ = c.Close()
		return
	}
	if first[0] != rpcPreface[0] {
		// A plain memberlist stream (a peer without our preface).
		_ = c.SetReadDeadline(time.Time{})
		t.handStream(&prefixConn{Conn: c, prefix: first[:]})
		return
	}
	var hdr [prefaceLen]byte
	hdr[0] = first[0]
	if _, err := io.ReadFull(c, hdr[1:]); err != nil {
		_ = c.Close()
		return
	}
	from, err := readPrefaceAddr(c)
	if err != nil {
		t.logger.Debug("bad preface on cluster port", "remote", c.RemoteAddr(), "err", err)
		_ = c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	if !t.faults.Allow(from, t.advertise) {
		_ = c.Close()
		return
	}
	switch string(hdr[:]) {
	case rpcPreface:
		if t.rpc == nil {
			_ = c.Close()
			return
		}
		t.rpc.ServeConn(c, from)
	case streamPreface:
		t.handStream(c)
	default:
		t.logger.Debug("unknown preface on cluster port", "remote", c.RemoteAddr())
		_ = c.Close()
	}
}

func (t *TCP) handStream(c net.Conn) {
	select {
	case t.streamCh <- c:
	case <-t.done:
		_ = c.Close()
	}
}

func readPrefaceAddr(r io.Reader) (string, error) {
	var l [1]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return "", fmt.Errorf("read preface address length: %w", err)
	}
	addr := make([]byte, l[0])
	if _, err := io.ReadFull(r, addr); err != nil {
		return "", fmt.Errorf("read preface address: %w", err)
	}
	return string(addr), nil
}

// prefixConn replays bytes already read from a connection before reading on.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}
