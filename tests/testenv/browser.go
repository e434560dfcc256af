package testenv

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// Browser is a headless Chromium (Debian's chromium package) driven over
// the DevTools protocol: one page, calls one at a time. StartBrowser skips
// the test when chromium is not installed (.ci/run installs it).
type Browser struct {
	t   testing.TB
	cmd *exec.Cmd
	ws  *websocket.Conn

	mu     sync.Mutex // guards nextID and the connection's reads and writes (one call at a time)
	nextID int
}

// devtoolsURL finds the browser's DevTools address in its stderr.
var devtoolsURL = regexp.MustCompile(`DevTools listening on ws://([^/\s]+)/`)

// StartBrowser starts headless Chromium with a width x height window and
// connects to its page; it stops when the test ends.
func StartBrowser(t testing.TB, width, height int) *Browser {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium): the browser test needs it")
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--hide-scrollbars", "--mute-audio",
		"--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir="+t.TempDir(),
		fmt.Sprintf("--window-size=%d,%d", width, height), "about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its helpers too stop with it
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	b := &Browser{t: t, cmd: cmd}
	t.Cleanup(b.close)
	found := make(chan string, 1)
	go func() { // reads chromium's stderr until it exits (closing the pipe)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	var host string
	select {
	case host = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("chromium did not print its DevTools address within 30 s")
	}
	page := b.pageURL(host)
	ws, err := websocket.Dial(page, "", "http://"+host)
	if err != nil {
		t.Fatalf("connect to chromium's page %s: %v", page, err)
	}
	ws.MaxPayloadBytes = 64 << 20 // screenshots
	b.ws = ws
	b.Call("Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height,
		"deviceScaleFactor": 1, "mobile": false})
	return b
}

// pageURL returns the DevTools WebSocket URL of the browser's page.
func (b *Browser) pageURL(host string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/json/list", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatalf("chromium's target list: %v", err)
	}
	defer res.Body.Close()
	var targets []struct {
		Type string `json:"type"`
		WS   string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(res.Body).Decode(&targets); err != nil {
		b.t.Fatalf("chromium's target list: %v", err)
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			return tg.WS
		}
	}
	b.t.Fatalf("chromium has no page target: %+v", targets)
	return ""
}

func (b *Browser) close() {
	if b.ws != nil {
		_ = b.ws.Close()
	}
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL) // the group: browser, renderer, GPU and zygote processes
	_ = b.cmd.Wait()
}

// Call sends one DevTools command and returns its result; a protocol error
// fails the test.
func (b *Browser) Call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	id := b.nextID
	if err := websocket.JSON.Send(b.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		b.t.Fatalf("devtools %s: %v", method, err)
	}
	_ = b.ws.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		var msg struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := websocket.JSON.Receive(b.ws, &msg); err != nil {
			b.t.Fatalf("devtools %s: %v", method, err)
		}
		if msg.ID != id {
			continue // an event, or the answer to nothing we wait for
		}
		if msg.Error != nil {
			b.t.Fatalf("devtools %s: %s", method, msg.Error.Message)
		}
		return msg.Result
	}
}

// Navigate loads url in the page.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Call("Page.navigate", map[string]any{"url": url})
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into out (nil: ignore it). A thrown exception is
// returned as an error.
func (b *Browser) Eval(expr string, out any) error {
	b.t.Helper()
	raw := b.Call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("evaluate %.60q: %w", expr, err)
	}
	if res.Exception != nil {
		return fmt.Errorf("evaluate %.60q: %s %s", expr, res.Exception.Text, res.Exception.Exception.Description)
	}
	if out == nil || len(res.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// Screenshot writes a PNG of the page's viewport to path.
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	var shot struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(b.Call("Page.captureScreenshot", map[string]any{"format": "png"}), &shot); err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	png, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, strings.NewReader(shot.Data)))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
}
