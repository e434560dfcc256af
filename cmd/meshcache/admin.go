package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/meshcache/meshcache/server"
	"github.com/meshcache/meshcache/server/admin"
)

// startAdmin starts the HTTP admin port (health, readiness, metrics, status
// page) on addr, or does nothing when addr is empty. The listener is opened
// before it returns, so a busy port fails the start. The returned stop
// cancels the admin server and waits for it; call it after the RESP server
// has stopped, so that liveness probes pass for as long as the node drains.
// cl is the node's cluster membership (srv.Solo() for a server alone).
func startAdmin(addr string, srv *server.Server, cl admin.Cluster, logger *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin port: listen %s: %w", addr, err)
	}
	port := admin.New(srv, cl, logger)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { // owned by stop: it cancels ctx and waits for done
		defer close(done)
		if err := port.Serve(ctx, ln); err != nil {
			logger.Error("admin port stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}, nil
}

// healthcheck is `meshcache healthcheck`: it asks a node's admin port for
// /healthz (or --path) and exits 0 on 200, 1 otherwise. Container images
// built FROM scratch have no curl; this is their HEALTHCHECK.
func healthcheck(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) int {
	fs := flag.NewFlagSet("meshcache healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defAddr := "127.0.0.1:9379"
	if v, ok := lookupEnv("MESHCACHE_ADMIN_ADDR"); ok && v != "" {
		defAddr = localAddr(v)
	}
	addr := fs.String("addr", defAddr, "admin address host:port (default: MESHCACHE_ADMIN_ADDR with a wildcard host as 127.0.0.1)")
	path := fs.String("path", "/healthz", "endpoint to check: /healthz (alive) or /readyz (serving its slots)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := admin.CheckHealth(ctx, *addr, *path); err != nil {
		fmt.Fprintln(stderr, "meshcache:", err)
		return 1
	}
	return 0
}

// localAddr turns a listen address with a wildcard or empty host
// (":9379", "0.0.0.0:9379") into one this host can dial.
func localAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// healthcheckMain runs the subcommand with the process's environment.
func healthcheckMain(args []string) int { return healthcheck(args, os.LookupEnv, os.Stderr) }
