package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/meshcache/meshcache/server/admin"
	"github.com/meshcache/meshcache/server/admin/clusterview"
)

// status is `meshcache status`: it asks one node's admin port for the
// whole cluster (/api/cluster) and prints it: members, slot ownership,
// load and recent events; with --watch it refreshes until ctx ends.
// Exit codes: 0 shown, 1 the node did not answer, 2 bad flags.
func status(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("meshcache status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defAddr := "127.0.0.1:9379"
	if v, ok := lookupEnv("MESHCACHE_ADMIN_ADDR"); ok && v != "" {
		defAddr = localAddr(v)
	}
	defToken, _ := lookupEnv("MESHCACHE_ADMIN_TOKEN")
	addr := fs.String("addr", defAddr, "admin address host:port of any node (default: MESHCACHE_ADMIN_ADDR)")
	token := fs.String("token", defToken, "admin credential: admin-token, or requirepass when no admin-token is set (default: MESHCACHE_ADMIN_TOKEN)")
	watch := fs.Bool("watch", false, "refresh until interrupted")
	interval := fs.Duration("interval", 2*time.Second, "refresh interval with --watch")
	events := fs.Int("events", 10, "recent events to show")
	asJSON := fs.Bool("json", false, "print the view as JSON (the /api/cluster document)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *interval <= 0 {
		fmt.Fprintln(stderr, "meshcache status: unexpected arguments (see --help)")
		return 2
	}
	show := func() error {
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		v, err := admin.FetchView(fctx, *addr, *token)
		if err != nil {
			return err
		}
		if *watch {
			fmt.Fprint(stdout, "\033[H\033[2J") // home and clear: redraw in place
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		}
		return clusterview.Render(stdout, v, *events)
	}
	if !*watch {
		if err := show(); err != nil {
			fmt.Fprintln(stderr, "meshcache:", err)
			return 1
		}
		return 0
	}
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		if err := show(); err != nil {
			fmt.Fprintln(stderr, "meshcache:", err) // keep watching: the node may come back
		}
		select {
		case <-ctx.Done():
			return 0
		case <-tick.C:
		}
	}
}

// statusMain runs the subcommand until SIGINT or SIGTERM.
func statusMain(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return status(ctx, args, os.LookupEnv, os.Stdout, os.Stderr)
}
