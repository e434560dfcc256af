package transport

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// With a cluster key, both ends of an RPC connection prove they know it
// before any frame is exchanged (mutual challenge-response; the key never
// crosses the wire):
//
//	client -> server   nonceC (16 random bytes)
//	server -> client   nonceS (16) | HMAC-SHA256(key, "meshcache rpc server" | nonceC | nonceS)
//	client -> server   HMAC-SHA256(key, "meshcache rpc client" | nonceS | nonceC)
//
// Either side closes the connection on a bad MAC. This keeps anyone who can
// reach the cluster port but lacks the key from forwarding commands (which
// bypass the client port's AUTH) or pushing routing tables. Frames are not
// encrypted: keep the cluster network private, as with Redis's cluster bus.
// Without a key there is no handshake, and the cluster port must be
// firewalled.
const (
	authNonceLen = 16
	authMACLen   = sha256.Size
	authTimeout  = 5 * time.Second
)

var errAuth = errors.New("cluster key mismatch")

func authMAC(key []byte, label string, a, b []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(label))
	h.Write(a)
	h.Write(b)
	return h.Sum(nil)
}

// authClient runs the client side of the handshake on a fresh connection.
func authClient(c net.Conn, key []byte, deadline time.Time) error {
	if !deadline.IsZero() {
		_ = c.SetDeadline(deadline)
		defer func() { _ = c.SetDeadline(time.Time{}) }()
	}
	nonceC := make([]byte, authNonceLen)
	_, _ = rand.Read(nonceC)
	if _, err := c.Write(nonceC); err != nil {
		return fmt.Errorf("rpc handshake: %w", err)
	}
	buf := make([]byte, authNonceLen+authMACLen)
	if _, err := io.ReadFull(c, buf); err != nil {
		return fmt.Errorf("rpc handshake: %w (does the peer use the same cluster key?)", err)
	}
	nonceS, macS := buf[:authNonceLen], buf[authNonceLen:]
	if !hmac.Equal(macS, authMAC(key, "meshcache rpc server", nonceC, nonceS)) {
		return fmt.Errorf("rpc handshake: server: %w", errAuth)
	}
	if _, err := c.Write(authMAC(key, "meshcache rpc client", nonceS, nonceC)); err != nil {
		return fmt.Errorf("rpc handshake: %w", err)
	}
	return nil
}

// authServer runs the server side of the handshake on an accepted connection.
func authServer(c net.Conn, key []byte) error {
	_ = c.SetDeadline(time.Now().Add(authTimeout))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	nonceC := make([]byte, authNonceLen)
	if _, err := io.ReadFull(c, nonceC); err != nil {
		return fmt.Errorf("rpc handshake: %w", err)
	}
	nonceS := make([]byte, authNonceLen)
	_, _ = rand.Read(nonceS)
	out := append(nonceS[:authNonceLen:authNonceLen], authMAC(key, "meshcache rpc server", nonceC, nonceS)...)
	if _, err := c.Write(out); err != nil {
		return fmt.Errorf("rpc handshake: %w", err)
	}
	macC := make([]byte, authMACLen)
	if _, err := io.ReadFull(c, macC); err != nil {
		return fmt.Errorf("rpc handshake: %w", err)
	}
	if !hmac.Equal(macC, authMAC(key, "meshcache rpc client", nonceS, nonceC)) {
		return fmt.Errorf("rpc handshake: client: %w", errAuth)
	}
	return nil
}
