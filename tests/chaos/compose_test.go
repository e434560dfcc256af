package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// composeImage is the image deploy/docker-compose.yml runs.
const composeImage = "meshcache:local"

// composeFormTimeout bounds the wait for the compose cluster to form.
const composeFormTimeout = 120 * time.Second

// composeNode is one service of deploy/docker-compose.yml as the host sees
// it: its published RESP and admin addresses.
type composeNode struct {
	service string
	resp    string
	admin   string
}

// composeNodes are the services and the host ports the compose file
// publishes; the test cannot choose them.
var composeNodes = []composeNode{
	{"node1", "127.0.0.1:7001", "127.0.0.1:9001"},
	{"node2", "127.0.0.1:7002", "127.0.0.1:9002"},
	{"node3", "127.0.0.1:7003", "127.0.0.1:9003"},
}

// composeProject runs one compose project of deploy/docker-compose.yml
// with the compose tool found on this machine.
type composeProject struct {
	tool    []string // "docker compose" (v2 plugin) or "docker-compose" (v1)
	file    string   // absolute path of the compose file
	project string   // unique project name: its containers and network
}

// findCompose returns the compose tool's argv prefix: the v2 plugin if
// docker has it, else the v1 docker-compose binary, else nil.
func findCompose(ctx context.Context) []string {
	for _, tool := range [][]string{{"docker", "compose"}, {"docker-compose"}} {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := exec.CommandContext(cctx, tool[0], append(tool[1:], "version")...).Run()
		cancel()
		if err == nil {
			return tool
		}
	}
	return nil
}

// run runs one compose subcommand for the project, bounded by d, and
// returns its combined output.
func (p *composeProject) run(ctx context.Context, d time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	argv := append(append(append([]string{}, p.tool[1:]...), "-f", p.file, "-p", p.project), args...)
	cmd := exec.CommandContext(ctx, p.tool[0], argv...)
	cmd.Dir = filepath.Dir(filepath.Dir(p.file)) // the repository root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", strings.Join(p.tool, " "), strings.Join(argv[len(p.tool)-1:], " "),
			err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// busyPorts returns the compose file's published addresses on which
// something already listens.
func busyPorts() []string {
	var busy []string
	for _, n := range composeNodes {
		for _, addr := range []string{n.resp, n.admin} {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				busy = append(busy, addr)
				continue
			}
			_ = l.Close()
		}
	}
	return busy
}

// httpGet fetches an admin URL with a short timeout and returns its status
// and body.
func httpGet(ctx context.Context, url string) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", fmt.Errorf("request %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("read %s: %w", url, err)
	}
	return resp.StatusCode, string(body), nil
}

// composeFormed reports whether the compose cluster is up: every admin port
// answers /readyz with 200, every node's CLUSTER INFO says cluster_state:ok
// with 3 known nodes and all show the same epoch, and Docker reports every
// container healthy (the compose file's own healthcheck). When it is not,
// the string says why.
func composeFormed(ctx context.Context, p *composeProject, clients []*redis.Client) (bool, string) {
	var why []string
	epochs := map[string]bool{}
	for i, n := range composeNodes {
		code, _, err := httpGet(ctx, "http://"+n.admin+"/readyz")
		switch {
		case err != nil:
			why = append(why, err.Error())
		case code != http.StatusOK:
			why = append(why, fmt.Sprintf("%s /readyz: %d", n.service, code))
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		s, err := clients[i].ClusterInfo(cctx).Result()
		cancel()
		if err != nil {
			why = append(why, fmt.Sprintf("%s cluster info: %v", n.service, err))
			continue
		}
		info := parseFields(s)
		epochs[info["cluster_current_epoch"]] = true
		if info["cluster_state"] != "ok" || info["cluster_known_nodes"] != "3" {
			why = append(why, fmt.Sprintf("%s: state=%s known=%s epoch=%s", n.service,
				info["cluster_state"], info["cluster_known_nodes"], info["cluster_current_epoch"]))
		}
	}
	if len(epochs) > 1 {
		why = append(why, fmt.Sprintf("epochs differ: %v", epochs))
	}
	ids, err := p.run(ctx, 30*time.Second, "ps", "-q")
	if err != nil {
		why = append(why, err.Error())
	} else {
		list := strings.Fields(ids)
		if len(list) != len(composeNodes) {
			why = append(why, fmt.Sprintf("%d containers, want %d", len(list), len(composeNodes)))
		}
		for _, id := range list {
			health, err := docker(ctx, "inspect", "--format", "{{.Name}} {{.State.Health.Status}}", id)
			if err != nil {
				why = append(why, err.Error())
			} else if !strings.HasSuffix(health, " healthy") {
				why = append(why, health)
			}
		}
	}
	return len(why) == 0, strings.Join(why, "; ")
}

// TestComposeCluster starts deploy/docker-compose.yml exactly as the
// operations guide documents it (`docker compose up -d`, or
// docker-compose v1), waits until the three nodes form one cluster, then
// writes keys through one node and reads each back through the other two.
func TestComposeCluster(t *testing.T) {
	requireDocker(t)
	ctx := testContext(t, 5*time.Minute)

	tool := findCompose(ctx)
	if tool == nil {
		t.Skip("chaos: no compose tool: neither `docker compose version` nor `docker-compose version` works")
	}
	if busy := busyPorts(); len(busy) > 0 {
		t.Skipf("chaos: the compose file publishes fixed ports and something listens on %s", strings.Join(busy, ", "))
	}
	if image != composeImage {
		// MESHCACHE_CHAOS_IMAGE named another image: the compose file runs
		// meshcache:local, so that name must point at the image under test.
		_, err := docker(ctx, "tag", image, composeImage)
		require.NoError(t, err, "tag %s as %s", image, composeImage)
	}
	file, err := filepath.Abs("../../deploy/docker-compose.yml")
	require.NoError(t, err)
	p := &composeProject{
		tool:    tool,
		file:    file,
		project: fmt.Sprintf("mccompose%d%d", os.Getpid(), time.Now().UnixMilli()%1e6),
	}
	t.Logf("compose tool %q, project %s", strings.Join(tool, " "), p.project)

	clients := make([]*redis.Client, len(composeNodes))
	for i, n := range composeNodes {
		clients[i] = redis.NewClient(&redis.Options{
			Addr: n.resp, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
			DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		})
	}
	// Registered before up, so that a failing or half-done up is torn down
	// too. Its own context: the test's may have ended.
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		for _, c := range clients {
			_ = c.Close()
		}
		if t.Failed() {
			logs, err := p.run(cctx, 30*time.Second, "logs", "--no-color", "--tail", "50")
			if err != nil {
				t.Logf("compose logs: %v", err)
			}
			t.Logf("compose logs (last 50 lines per node):\n%s", logs)
		}
		downStart := time.Now()
		if _, err := p.run(cctx, 2*time.Minute, "down", "-v", "--remove-orphans"); err != nil {
			t.Errorf("tear down compose project %s: %v", p.project, err)
			return
		}
		t.Logf("down -v took %s", time.Since(downStart).Round(100*time.Millisecond))
	})

	start := time.Now()
	_, err = p.run(ctx, 2*time.Minute, "up", "-d")
	require.NoError(t, err)
	t.Logf("up -d returned after %s", time.Since(start).Round(100*time.Millisecond))

	// Each poll runs to completion (its calls have their own timeouts), so
	// that the failure message describes a whole poll, not one the
	// deadline cut short.
	deadline := time.Now().Add(composeFormTimeout)
	for {
		ok, why := composeFormed(ctx, p, clients)
		if ok {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("the compose cluster did not form within %s: %s", composeFormTimeout, why)
		}
		sleep(ctx, 500*time.Millisecond)
	}
	t.Logf("cluster formed %s after up: ready, healthy, cluster_state:ok, 3 known nodes, one epoch",
		time.Since(start).Round(100*time.Millisecond))

	// Any node serves every key: it forwards commands for slots it does
	// not lead. Write all through node1, read each back through the others.
	const keys = 300
	ioStart := time.Now()
	key := func(i int) string { return fmt.Sprintf("compose:%s:%d", p.project, i) }
	for i := range keys {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := clients[0].Set(cctx, key(i), fmt.Sprintf("v%d", i), 0).Err()
		cancel()
		require.NoError(t, err, "set %s through %s", key(i), composeNodes[0].resp)
	}
	for n := 1; n < len(composeNodes); n++ {
		for i := range keys {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			got, err := clients[n].Get(cctx, key(i)).Result()
			cancel()
			if errors.Is(err, redis.Nil) {
				t.Fatalf("get %s through %s: missing", key(i), composeNodes[n].resp)
			}
			require.NoError(t, err, "get %s through %s", key(i), composeNodes[n].resp)
			require.Equal(t, fmt.Sprintf("v%d", i), got, "get %s through %s", key(i), composeNodes[n].resp)
		}
	}

	t.Logf("%d keys written through %s and read back through the other two in %s",
		keys, composeNodes[0].resp, time.Since(ioStart).Round(100*time.Millisecond))

	code, body, err := httpGet(ctx, "http://"+composeNodes[0].admin+"/metrics")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code, "/metrics status")
	assert.Contains(t, body, "meshcache_cluster_members", "/metrics of %s", composeNodes[0].service)
}
