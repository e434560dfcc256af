// Package console is the admin port's web console: a page, a script and a
// style sheet embedded in the binary (no CDN, no network), served under
// /console/ by every node. The page polls the node's /api/cluster and draws
// the whole cluster: the slot map, per-node load and memory, live charts
// kept in the browser over the last minutes, the events timeline, and the
// operator actions (/api/actions). It writes every value it shows with
// textContent, never as HTML: keys, client names and addresses are data.
package console

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

// Handler serves the console's files; mount it under prefix (such as
// "/console/"), which it strips.
func Handler(prefix string) http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix(prefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'")
		files.ServeHTTP(w, r)
	})
}
