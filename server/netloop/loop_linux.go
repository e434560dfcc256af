//go:build linux

package netloop

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/meshcache/meshcache/cluster/transport/rawsock"
)

// Supported reports whether this system has the event loop.
const Supported = true

// TickInterval is about how often a Loop calls its Handler's Tick.
const TickInterval = time.Second

// maxEvents bounds the readiness events one epoll_wait returns; more wait
// for the next (level-triggered, nothing is lost).
const maxEvents = 256

// ticksEvery: under load the loop rarely parks long enough for its Tick
// deadline to pass, so it looks at the clock for Tick once every this
// many rounds of events, not at every round.
const ticksEvery = 1024

// Handler is what a Loop calls, always on the loop's goroutine (Run), one
// call at a time.
type Handler interface {
	// Ready is called when c is readable, hung up or failed. It reads
	// (Conn.Read: once is enough, the set is level-triggered), may write
	// (Conn.Write), and leaves c registered or gives it up (Conn.Detach).
	// It must not wait on anything another connection of the loop would
	// have to do: every connection of the loop waits while it runs.
	Ready(c *Conn)
	// Tick is called about every TickInterval (idle timeouts); it may
	// walk the connections (Each) and Detach some.
	Tick(l *Loop)
	// Resume is called for a connection another goroutine handed back
	// with Post (not for one detached since); as Ready, it must not wait.
	Resume(c *Conn)
	// Later is called once at the end of a round (the Ready, Resume and
	// Tick calls of one look at the epoll set), when connections asked
	// for it in the round (Conn.Later), with those still registered, in
	// the order they asked. Asks made during the call are for the next
	// round, but for connections of cs, which are already served. As
	// Ready, it must not wait.
	Later(cs []*Conn)
}

// Loop is one epoll set and the goroutine that serves it (Run). The owner
// starts Run on a goroutine of its own (go l.Run()) and ends it with Stop,
// which waits for it; Run closes the epoll set, its wake-up descriptor
// and the descriptor of every connection still registered as it returns.
type Loop struct {
	epfd int      // the epoll set
	ep   *os.File // epfd registered with Go's network poller (Run parks on it)
	evfd int      // eventfd that wakes Run for Add, Post and Stop (edge-triggered, never read)
	h    Handler

	mu      sync.Mutex // guards adds, posts and stopped; held while evfd is written or closed
	adds    []*Conn    // connections added, not yet registered by Run
	posts   []*Conn    // connections posted, not yet resumed by Run
	spare   []*Conn    // the posts slice Run took last, to post into next
	stopped bool       // Stop was called: Run returns, Add refuses
	// serving: Run is in a round (from a look at the epoll set that found
	// events to the round's Later); a post meanwhile is resumed at the
	// round's end, with no wake-up (Post). Written by Run alone. posted:
	// a post was made since Run last looked (set by Post before it reads
	// serving, so that Run, which clears serving before it reads posted,
	// sees one of the two): a round with no post takes no lock.
	serving, posted atomic.Bool

	// conns are the registered connections indexed by descriptor (nil
	// where none), n how many; Run's goroutine only (the handler's calls
	// included). Descriptors are small numbers: a slice is a cheaper
	// lookup per readiness than a map.
	conns []*Conn
	n     int
	// laters are the connections that asked for the handler's Later at
	// the end of this round (Conn.Later), spareLaters the slice endRound
	// took last; Run's goroutine only.
	laters, spareLaters []*Conn
	done                chan struct{} // closed when Run returns
	// tickEvery is TickInterval (tests lengthen it); set before Run.
	tickEvery time.Duration
}

// Conn is a connection registered with a Loop: a duplicate of the
// socket's descriptor, owned by the loop (closed by Detach or when Run
// returns), so that the original's owner may close its own at any time;
// the socket stays open until both are closed. Its methods are for the
// loop's goroutine (the Handler) only.
type Conn struct {
	fd       int
	l        *Loop
	detached bool
	// read and full: the handler's Ready read the socket, and a read
	// filled its buffer (more may be there); Run's, reset before Ready.
	read, full bool
	// later: c asked for the handler's Later this round (Conn.Later).
	later bool
	// Ctx is the caller's state for the connection, given to Add.
	Ctx any
}

// New returns a Loop calling h. Start it with go l.Run().
func New(h Handler) (*Loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netloop: epoll_create1: %w", err)
	}
	evfd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("netloop: eventfd: %w", err)
	}
	// Edge-triggered: every write to the eventfd is an event of its own,
	// so Run need not read the counter back (a system call per wake-up)
	// to see the next; a counter of 2^64-2 wake-ups does not fill.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(evfd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		_ = unix.Close(evfd)
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("netloop: register eventfd: %w", err)
	}
	// A non-blocking descriptor given to os.NewFile joins the runtime's
	// poller: an epoll set is readable when one of its descriptors is
	// ready, so Run's goroutine parks as any goroutine waiting on a
	// socket does, not in a blocking epoll_wait that holds a thread.
	if err := unix.SetNonblock(epfd, true); err != nil {
		_ = unix.Close(evfd)
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("netloop: epoll set non-blocking: %w", err)
	}
	ep := os.NewFile(uintptr(epfd), "netloop-epoll")
	return &Loop{epfd: epfd, ep: ep, evfd: evfd, h: h, done: make(chan struct{}), tickEvery: TickInterval}, nil
}

// Add registers the socket sc with the loop, with ctx as the Conn's Ctx:
// from the next wait on, the handler is called when it is readable. It
// takes a duplicate of sc's descriptor (sc stays the caller's, to close
// whenever it likes); the descriptor must be non-blocking, as every
// descriptor of Go's net package is. Safe from any goroutine. It fails
// with ErrStopped once Stop was called.
func (l *Loop) Add(sc syscall.Conn, ctx any) (*Conn, error) {
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("netloop: add: %w", err)
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, fmt.Errorf("netloop: add: %w", err)
	}
	if derr != nil {
		return nil, fmt.Errorf("netloop: add: dup: %w", derr)
	}
	c := &Conn{fd: fd, l: l, Ctx: ctx}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped {
		_ = unix.Close(fd)
		return nil, ErrStopped
	}
	l.adds = append(l.adds, c)
	l.wake()
	return c, nil
}

// Post asks Run to call the handler's Resume for c (a connection of this
// loop) soon: a goroutine that finished what c waited for hands it back.
// Safe from any goroutine, and cheap: posts made before Run takes them
// share one wake-up, and a post made while Run is in a round (by the
// handler itself: a reply read on another connection of the loop) is
// resumed at the round's end, before its Later, with none. A post after
// Stop, or for a connection detached before Run takes it, is dropped.
func (l *Loop) Post(c *Conn) {
	l.mu.Lock()
	if !l.stopped {
		l.posts = append(l.posts, c)
		// Run clears serving before it looks at posted for the last time
		// in a round (endServing): a post that saw serving set is taken
		// by that look.
		l.posted.Store(true)
		if len(l.posts) == 1 && len(l.adds) == 0 && !l.serving.Load() {
			l.wake()
		}
	}
	l.mu.Unlock()
}

// wake makes Run's wait return (l.mu held, Run not returned).
func (l *Loop) wake() {
	one := [8]byte{1}
	// EAGAIN only for a full counter, 2^64-2 wake-ups away: Run never
	// reads it (the set takes it edge-triggered). A raw call, as
	// the connections' reads and writes: a runtime system call here (one
	// per post) kept the runtime's monitor thread waking every 20 us.
	_, _ = rawsock.Write(l.evfd, one[:])
}

// Stop makes Run return and waits until it did. Call it once, after Run
// was started.
func (l *Loop) Stop() {
	l.mu.Lock()
	if !l.stopped {
		l.stopped = true
		l.wake()
	}
	l.mu.Unlock()
	<-l.done
}

// Run waits for readiness and calls the handler, until Stop. It is the
// loop's goroutine: its owner starts it and Stop ends it. It returns nil
// after Stop, or the error that broke the epoll set (a bug, not a
// condition); either way the connections still registered or queued by
// Add get a last Ready whose reads fail.
//
// It waits as any goroutine waiting for a socket does: the epoll set is
// registered with the runtime's poller (edge-triggered), Run takes events
// with epoll_wait(2) that does not wait, and parks when that found nothing
// or when the handler read every connection it was called for to the end
// (a read that did not fill its buffer). Every readiness callback of a
// descriptor in the set wakes the set's own waiters, so an event arriving
// after the look, or on a connection already read, is an edge the poller
// reports: none is missed. A connection the handler did not read, or read
// only in part, may still be ready without a new callback (the set is
// level-triggered), so then Run looks again before it parks. A
// blocking epoll_wait would hold a thread in the kernel, which the
// runtime answers by handing the thread's processor to another thread
// while it waits and taking it back when it returns: two context
// switches per wake-up.
func (l *Loop) Run() error {
	defer l.shutdown()
	rc, err := l.ep.SyscallConn()
	if err != nil {
		return fmt.Errorf("netloop: epoll set: %w", err)
	}
	events := make([]unix.EpollEvent, maxEvents)
	lastTick := time.Now()
	rounds := 0
	var stop bool
	var werr error
	// serve takes and serves events until a look finds none (false: park
	// until the epoll set is readable) or Run must return (true).
	serve := func(uintptr) bool {
		for {
			n, err := epollPoll(l.epfd, events)
			if err != nil {
				if errors.Is(err, unix.EINTR) {
					continue
				}
				werr = fmt.Errorf("netloop: epoll_wait: %w", err)
				return true
			}
			if n == 0 {
				return false
			}
			l.serving.Store(true)
			// drained: no descriptor of the set can be ready now without a
			// wake-up the poller will report (see Run's comment).
			drained := n < len(events)
			woke := false
			for i := range n {
				fd := int(events[i].Fd)
				if fd == l.evfd {
					woke = true
					continue
				}
				if fd < len(l.conns) && l.conns[fd] != nil {
					c := l.conns[fd]
					c.read, c.full = false, false
					l.h.Ready(c)
					if !c.detached && (!c.read || c.full) {
						drained = false
					}
				}
			}
			if woke && l.takeAdds() {
				stop = true
				return true
			}
			if rounds++; rounds >= ticksEvery {
				rounds = 0
				lastTick = l.tick(lastTick)
			}
			l.resumePosts()
			l.endRound()
			l.endServing()
			if drained {
				return false
			}
		}
	}
	for {
		// The deadline is Tick's timer while the loop is idle; a busy
		// loop looks at the clock every ticksEvery rounds instead.
		if err := l.ep.SetReadDeadline(lastTick.Add(l.tickEvery)); err != nil {
			return fmt.Errorf("netloop: epoll set deadline: %w", err)
		}
		err := rc.Read(serve)
		switch {
		case werr != nil:
			return werr
		case stop:
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			lastTick = l.tick(lastTick)
			l.endRound()
		case err != nil:
			return fmt.Errorf("netloop: epoll set wait: %w", err)
		}
	}
}

// endRound calls the handler's Later with the connections that asked for
// it in the round (Conn.Later) and are still registered.
func (l *Loop) endRound() {
	if len(l.laters) == 0 {
		return
	}
	asked := l.laters
	l.laters, l.spareLaters = l.spareLaters[:0], nil
	due := asked[:0]
	for _, c := range asked {
		if !c.detached {
			due = append(due, c)
		} else {
			c.later = false
		}
	}
	if len(due) > 0 {
		l.h.Later(due) // their later flags stay set: their asks meanwhile are this call's
	}
	for _, c := range due {
		c.later = false
	}
	clear(asked)
	l.spareLaters = asked[:0]
}

// tick calls the handler's Tick when TickInterval has passed since last
// and returns when it was last called.
func (l *Loop) tick(last time.Time) time.Time {
	now := time.Now()
	if now.Sub(last) < l.tickEvery {
		return last
	}
	l.h.Tick(l)
	return now
}

// epollPoll is epoll_wait(2) of epfd that does not wait: the events ready
// now, or none. Made without telling the scheduler, as it cannot block
// (as the loops' reads and writes, rawsock.Read and Write).
func epollPoll(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd),
		uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// resumePosts resumes the connections posted during the round, and those
// posted by their Resume calls, until none is left.
func (l *Loop) resumePosts() {
	for l.posted.Load() && l.posted.Swap(false) { // a load first: no locked instruction without a post
		l.mu.Lock()
		posts, stop := l.posts, l.stopped
		if len(posts) == 0 || stop {
			l.mu.Unlock()
			return
		}
		l.posts = l.spare[:0]
		l.spare = posts
		l.mu.Unlock()
		l.resume(posts, false)
	}
}

// endServing ends the round for Post: a post from now on wakes Run, and
// one made during the round's Later, which nothing took, wakes it now.
func (l *Loop) endServing() {
	l.serving.Store(false)
	if !l.posted.Load() {
		return
	}
	l.mu.Lock()
	if len(l.posts) > 0 && !l.stopped {
		l.wake()
	}
	l.mu.Unlock()
}

// resume calls the handler's Resume for each of posts still registered,
// unless Run is stopping, and clears posts.
func (l *Loop) resume(posts []*Conn, stop bool) {
	for _, c := range posts {
		if !c.detached && !stop {
			l.h.Resume(c)
		}
	}
	clear(posts)
}

// takeAdds registers the connections Add queued, resumes those Post
// queued and reports whether Stop was called.
func (l *Loop) takeAdds() (stop bool) {
	l.mu.Lock()
	adds, posts, stop := l.adds, l.posts, l.stopped
	l.adds, l.posts = nil, l.spare[:0]
	l.spare = posts
	l.mu.Unlock()
	defer l.resume(posts, stop)
	for _, c := range adds {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(c.fd)}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
			// Not expected (the descriptor is a fresh duplicate); the
			// handler hears of it as a failed read.
			c.fd, c.detached = closedFD(c.fd), true
			l.h.Ready(c)
			continue
		}
		if c.fd >= len(l.conns) {
			l.conns = append(l.conns, make([]*Conn, c.fd+1-len(l.conns))...)
		}
		l.conns[c.fd] = c
		l.n++
	}
	return stop
}

// closedFD closes fd and returns the value a Conn without a descriptor has.
func closedFD(fd int) int {
	_ = unix.Close(fd)
	return -1
}

// shutdown closes the epoll set, the eventfd and every connection still
// registered or queued, calling the handler once more for each (its reads
// fail), and marks Run as returned.
func (l *Loop) shutdown() {
	l.mu.Lock()
	l.stopped = true
	adds := l.adds
	l.adds = nil
	_ = unix.Close(l.evfd)
	l.mu.Unlock()
	conns := l.conns
	l.conns, l.n = nil, 0
	// Their owners hear of it as a failed read (errDetached), so that no
	// connection is left without anyone serving it.
	for _, c := range slices.Concat(conns, adds) {
		if c != nil {
			_ = unix.Close(c.fd)
			c.fd, c.detached = -1, true
			l.h.Ready(c)
		}
	}
	_ = l.ep.Close() // the epoll set's descriptor
	close(l.done)
}

// Each calls f with every registered connection; f may Detach it. Only on
// the loop's goroutine (from the handler).
func (l *Loop) Each(f func(*Conn)) {
	for _, c := range l.conns {
		if c != nil {
			f(c)
		}
	}
}

// Len returns how many connections are registered. Only on the loop's
// goroutine.
func (l *Loop) Len() int { return l.n }

// errDetached is the error of I/O on a detached Conn.
var errDetached = errors.New("netloop: connection detached")

// Read reads what the socket has into p without waiting: (n, nil) with
// n > 0, (0, nil) when nothing is there yet, (0, io.EOF) when the peer
// closed its side (or the socket was shut down for reading), else the
// error.
func (c *Conn) Read(p []byte) (int, error) {
	if c.detached {
		return 0, errDetached
	}
	c.read = true
	for {
		n, err := rawsock.Read(c.fd, p)
		switch {
		case err == nil && n == 0 && len(p) > 0:
			return 0, io.EOF
		case err == nil:
			c.full = n == len(p)
			return n, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return 0, nil
		default:
			return 0, os.NewSyscallError("read", err)
		}
	}
}

// Write writes what the socket takes of p without waiting, with one
// write(2): (len(p), nil) when all of it, fewer bytes (perhaps 0) and nil
// when the socket's buffer is full, else the error.
func (c *Conn) Write(p []byte) (int, error) {
	if c.detached {
		return 0, errDetached
	}
	for {
		n, err := rawsock.Write(c.fd, p)
		switch {
		case err == nil:
			return n, nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			return 0, nil
		default:
			return 0, os.NewSyscallError("write", err)
		}
	}
}

// Later asks for the handler's Later at the end of the loop's round, after
// its calls for the other connections ready with c. A server that runs
// what it read then, and then writes its replies, can fetch the memory
// the round's commands will need while it reads them, and wakes a peer
// that serves many connections (redis-benchmark, a proxy) once for all
// of the round's replies, not once per connection, as a Redis server's
// beforeSleep writes. Only on the loop's goroutine; more asks in the round
// are the same ask, and a detached c is dropped.
func (c *Conn) Later() {
	if c.later || c.detached {
		return
	}
	c.later = true
	c.l.laters = append(c.l.laters, c)
}

// Detached reports whether c was detached (Detach, or the loop ended).
// Only on the loop's goroutine.
func (c *Conn) Detached() bool { return c.detached }

// Post is c's loop's Post of c: safe from any goroutine.
func (c *Conn) Post() { c.l.Post(c) }

// Detach removes c from the loop and closes the loop's descriptor of it;
// the socket stays open for the owner of the original. The handler is
// not called for c again. Only on the loop's goroutine; a second call
// does nothing.
func (c *Conn) Detach() error {
	if c.detached {
		return nil
	}
	c.detached = true
	c.l.conns[c.fd] = nil
	c.l.n--
	// Closing the descriptor removes it from the epoll set only when no
	// other descriptor refers to the socket; the original still does.
	err := unix.EpollCtl(c.l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	if cerr := unix.Close(c.fd); err == nil {
		err = cerr
	}
	c.fd = -1
	if err != nil {
		return fmt.Errorf("netloop: detach: %w", err)
	}
	return nil
}
