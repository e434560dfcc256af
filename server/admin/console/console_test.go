package console

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

func TestHandlerServesTheEmbeddedFiles(t *testing.T) {
	h := Handler("/console/")
	for path, ctype := range map[string]string{
		"/console/":            "text/html",
		"/console/console.js":  "javascript",
		"/console/console.css": "text/css",
	} {
		res := get(t, h, path)
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		assert.Contains(t, res.Header.Get("Content-Type"), ctype, path)
		assert.Contains(t, res.Header.Get("Content-Security-Policy"), "default-src 'self'", path)
	}
	assert.Equal(t, http.StatusNotFound, get(t, h, "/console/nothing.js").StatusCode)
}

// TestAssetsNeedNoNetworkAndEscape: the console loads nothing from
// elsewhere (no CDN: it must work without internet), and its script never
// writes server data as HTML.
func TestAssetsNeedNoNetworkAndEscape(t *testing.T) {
	require.NoError(t, fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := assets.Open(path)
		require.NoError(t, err)
		defer f.Close()
		b, err := io.ReadAll(f)
		require.NoError(t, err)
		text := string(b)
		for _, bad := range []string{"http://", "https://", "//cdn", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"} {
			assert.False(t, strings.Contains(text, bad), "%s contains %q", path, bad)
		}
		return nil
	}))
	index := get(t, Handler("/console/"), "/console/")
	body, err := io.ReadAll(index.Body)
	require.NoError(t, err)
	for _, ref := range []string{`src="console.js"`, `href="console.css"`, `id="slotmap"`, `id="members"`, `id="events"`} {
		assert.Contains(t, string(body), ref)
	}
}
