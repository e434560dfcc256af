package scripts

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/server/scripting"
)

// The decisions of this package that need no front end: which KILL
// answers what, the -BUSY text, the fan-in log, the library named by an
// error. The commands themselves are tested through the whole front end
// (server/scripts_test.go, functions_test.go, the differential test).

// registered returns scripts with runs registered as begin leaves them,
// busied (past the threshold) as the watchdog marks them.
func registered(runs ...*run) *Scripts {
	sc := &Scripts{log: slog.New(slog.DiscardHandler)}
	sc.runs.runs = make(map[*run]struct{})
	for _, r := range runs {
		r.busy.ctx = scripting.NewRunContext()
		sc.runs.runs[r] = struct{}{}
		if r.busy.busied {
			sc.runs.busy.Add(1)
		}
	}
	return sc
}

func newRun(busied, function, dirty bool) *run {
	r := &run{function: function, start: time.Unix(100, 0)}
	r.busy.busied = busied
	r.busy.dirty.Store(dirty)
	return r
}

func TestKill(t *testing.T) {
	for _, tc := range []struct {
		name      string
		runs      []*run
		functions bool   // FUNCTION KILL, else SCRIPT KILL
		want      string // "" is OK
		killed    []bool // per run
	}{
		{"none running", nil, false, errNotBusy, nil},
		{"running, not busy", []*run{newRun(false, false, false)}, false, errNotBusy, []bool{false}},
		{"busy script", []*run{newRun(true, false, false)}, false, "", []bool{true}},
		{"busy script, FUNCTION KILL", []*run{newRun(true, false, false)}, true, errBusyScript, []bool{false}},
		{"busy function, SCRIPT KILL", []*run{newRun(true, true, false)}, false, errBusyFunction, []bool{false}},
		{"busy function", []*run{newRun(true, true, false)}, true, "", []bool{true}},
		{"busy script that wrote", []*run{newRun(true, false, true)}, false, errUnkillable, []bool{false}},
		{"one wrote, one did not", []*run{newRun(true, false, true), newRun(true, false, false)}, false, "", []bool{false, true}},
		{"a young one is left alone", []*run{newRun(true, false, false), newRun(false, false, false)}, false, "", []bool{true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := registered(tc.runs...)
			assert.Equal(t, tc.want, sc.kill(tc.functions))
			for i, r := range tc.runs {
				assert.Equal(t, tc.killed[i], r.busy.ctx.Err() != nil, "run %d", i)
			}
		})
	}
}

func TestBusyErrorNamesTheOldest(t *testing.T) {
	script, function := newRun(true, false, false), newRun(true, true, false)
	function.start = script.start.Add(-time.Second)
	sc := registered(script, function)
	assert.True(t, sc.Busy())
	assert.Equal(t, errBusyFunction, sc.BusyError())
	function.start = script.start.Add(time.Second)
	assert.Equal(t, errBusyScript, sc.BusyError())

	sc.end(script)
	sc.end(function)
	assert.False(t, sc.Busy())
	assert.Nil(t, sc.running())
}

func TestRunningCopiesTheCommand(t *testing.T) {
	r := newRun(false, true, false)
	r.args = [][]byte{[]byte("FCALL"), []byte("f"), []byte("0")}
	sc := registered(r)
	ri := sc.running()
	r.args[1][0] = 'g' // the run's buffers are reused once it ends
	assert.True(t, ri.function)
	assert.Equal(t, "f", string(ri.args[1]))
}

func TestStopAllStopsWrittenScripts(t *testing.T) {
	runs := []*run{newRun(true, false, true), newRun(false, true, false)}
	sc := registered(runs...)
	sc.StopAll()
	for i, r := range runs {
		assert.Error(t, r.busy.ctx.Err(), "run %d", i)
	}
}

// TestFanIn: a client's own copy of a load or delete that a peer fanned
// out answers as the first did, once; anything else is answered anew.
func TestFanIn(t *testing.T) {
	forwarded, direct := Client{Forwarded: true}, Client{}
	code := []byte("#!lua name=lib\nredis.register_function('f', function() return 1 end)")

	sc := &Scripts{}
	sc.noteFanIn(direct, "lib", code)
	assert.False(t, sc.fannedIn("lib", code), "only forwarded commands are noted")

	sc.noteFanIn(forwarded, "lib", code)
	assert.False(t, sc.fannedIn("lib", []byte("other code")))
	assert.False(t, sc.fannedIn("lib", nil), "a delete is not the load")
	assert.False(t, sc.fannedIn("other", code))
	assert.True(t, sc.fannedIn("lib", code))
	assert.False(t, sc.fannedIn("lib", code), "answered once")

	sc.noteFanIn(forwarded, "lib", nil)
	assert.False(t, sc.fannedIn("lib", code), "a load is not the delete")
	assert.True(t, sc.fannedIn("lib", nil))

	sc.noteFanIn(forwarded, "old", code)
	sc.fanIn.m["old"] = fanInRecord{code: code, at: time.Now().Add(-fanInWindow - time.Second)}
	assert.False(t, sc.fannedIn("old", code), "past the window")
}

func TestExistingLibrary(t *testing.T) {
	for errText, want := range map[string]string{
		"Library 'lib' already exists":   "lib",
		"Library 'a b' already exists":   "a b",
		"Library 'lib' not found":        "",
		"Function 'f' already exists":    "",
		"Library 'lib' already exists!!": "",
		"":                               "",
	} {
		assert.Equal(t, want, existingLibrary(errText), errText)
	}
}
