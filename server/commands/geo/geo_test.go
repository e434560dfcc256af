package geo

import (
	"bufio"
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/server/commands/geohash"
	"github.com/meshcache/meshcache/server/commands/zset"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// families are the groups the tests run: the GEO commands, with the
// sorted-set, string and key commands the tests also use.
var families = []commandstest.Family{commands.StringCommands, commands.KeyCommands, zset.Commands, Commands}

func geoArg(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// TestGeoSearchAgainstRedis loads the same 1200 positions (a sorted set
// big enough for the skiplist form) into redis-server and into this
// package's commands and compares the raw replies of random searches:
// circles and boxes of 1 m to 10000 km around random centers and members,
// every WITH option, orders, COUNT, ANY, the STORE forms, in RESP2 and
// RESP3. Unsorted results come in Redis's cell order, so every reply is
// compared byte for byte: this exercises the search cells, neighbours,
// the step estimate and the containment tests end to end.
func TestGeoSearchAgainstRedis(t *testing.T) {
	theirs := testenv.DialRaw(t, testenv.StartOneRedis(t).Addr)
	ours := testenv.DialRaw(t, commandstest.StartServer(t, families...))
	nonEmpty, total := 0, 0
	both := func(args ...string) {
		t.Helper()
		want, got := theirs.Must(t, args...), ours.Must(t, args...)
		assert.Equal(t, string(want), string(got), "%q", args)
		total++
		if len(want) > 4 && want[0] == '*' && want[1] != '0' {
			nonEmpty++
		}
	}
	pts := geohash.TestPoints(1200)
	for i := 0; i < len(pts); i += 100 {
		args := []string{"GEOADD", "g"}
		for j := i; j < min(i+100, len(pts)); j++ {
			args = append(args, geoArg(pts[j][0]), geoArg(pts[j][1]), "p"+strconv.Itoa(j))
		}
		both(args...)
	}
	both("GEOADD", "small", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
	rnd := rand.New(rand.NewPCG(7, 8))
	units := []string{"m", "km", "ft", "mi"}
	unitM := map[string]float64{"m": 1, "km": 1000, "ft": 0.3048, "mi": 1609.34}
	dist := func(u string) string {
		meters := math.Exp(rnd.Float64() * math.Log(1e7)) // 1 m to 10000 km
		return strconv.FormatFloat(meters/unitM[u], 'f', 3, 64)
	}
	for _, proto := range []string{"2", "3"} {
		theirs.Must(t, "HELLO", proto)
		ours.Must(t, "HELLO", proto)
		for q := range 400 {
			key := "g"
			if q%10 == 0 {
				key = "small"
			}
			u := units[rnd.IntN(len(units))]
			var from []string
			if rnd.IntN(3) == 0 {
				from = []string{"FROMMEMBER", "p" + strconv.Itoa(rnd.IntN(len(pts)))}
			} else {
				p := pts[rnd.IntN(len(pts))]
				if rnd.IntN(2) == 0 {
					p = [2]float64{rnd.Float64()*360 - 180, rnd.Float64()*170 - 85}
				}
				from = []string{"FROMLONLAT", geoArg(p[0]), geoArg(p[1])}
			}
			var by []string
			if rnd.IntN(2) == 0 {
				by = []string{"BYRADIUS", dist(u), u}
			} else {
				by = []string{"BYBOX", dist(u), dist(u), u}
			}
			var opts []string
			for _, o := range []string{"WITHDIST", "WITHHASH", "WITHCOORD"} {
				if rnd.IntN(2) == 0 {
					opts = append(opts, o)
				}
			}
			switch rnd.IntN(3) {
			case 0:
				opts = append(opts, "ASC")
			case 1:
				opts = append(opts, "DESC")
			}
			if rnd.IntN(2) == 0 {
				opts = append(opts, "COUNT", strconv.Itoa(1+rnd.IntN(20)))
				if rnd.IntN(3) == 0 {
					opts = append(opts, "ANY")
				}
			}
			args := append(append(append([]string{"GEOSEARCH", key}, from...), by...), opts...)
			both(args...)
			// The same search through GEORADIUS[BYMEMBER] when it is a circle.
			if by[0] == "BYRADIUS" {
				var radius []string
				if from[0] == "FROMMEMBER" {
					radius = []string{"GEORADIUSBYMEMBER_RO", key, from[1], by[1], by[2]}
				} else {
					radius = []string{"GEORADIUS_RO", key, from[1], from[2], by[1], by[2]}
				}
				both(append(radius, opts...)...)
			}
			if q%8 == 0 {
				var store []string
				for _, o := range opts {
					if o[0] != 'W' {
						store = append(store, o)
					}
				}
				if rnd.IntN(2) == 0 {
					store = append(store, "STOREDIST")
				}
				both(append(append(append([]string{"GEOSEARCHSTORE", "dst", key}, from...), by...), store...)...)
				both("GEOSEARCH", "dst", "FROMLONLAT", "0", "0", "BYRADIUS", "30000", "km", "WITHHASH")
			}
		}
	}
	// The searches must find something most of the time to test anything.
	assert.Greater(t, nonEmpty, total/2, "%d of %d replies have results", nonEmpty, total)
	t.Logf("%d of %d replies have results", nonEmpty, total)
}

// TestGeoCommands covers what the differential scripts cannot show well:
// GEOADD's counts and conditions against the set's state, a search
// storing into its own source, and a big set's results.
func TestGeoCommands(t *testing.T) {
	commandstest.RunTable(t, map[string][]testenv.Step{
		"geoadd conditions": {
			{Args: []any{"GEOADD", "g", "1", "1", "a", "2", "2", "b"}, Want: int64(2)},
			{Args: []any{"GEOADD", "g", "1", "1", "a", "1", "1", "a"}, Want: int64(0)},
			{Args: []any{"GEOADD", "g", "CH", "1", "1", "a", "3", "3", "b", "4", "4", "c"}, Want: int64(2)},
			{Args: []any{"GEOADD", "g", "NX", "CH", "5", "5", "a", "5", "5", "d"}, Want: int64(1)},
			{Args: []any{"GEOADD", "g", "XX", "CH", "6", "6", "a", "6", "6", "e"}, Want: int64(1)},
			{Args: []any{"GEOADD", "g", "1", "1", "x", "200", "1", "y"}, Err: "ERR invalid longitude,latitude pair 200.000000,1.000000"},
			{Args: []any{"GEOPOS", "g", "x"}, Want: []any{nil}}, // nothing added before the bad pair is found
			{Args: []any{"GEOHASH", "g", "a", "d", "e"}, Want: []any{"s1h60s30d10", "s0gs3y0zh70", nil}},
			{Args: []any{"TYPE", "g"}, Want: "zset"},
		},
		"geosearchstore into its source": {
			{Args: []any{"GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"}, Want: int64(2)},
			{Args: []any{"GEOSEARCHSTORE", "g", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "10", "km"}, Want: int64(1)},
			{Args: []any{"GEOPOS", "g", "Catania"}, Want: []any{nil}},
			{Args: []any{"GEOHASH", "g", "Palermo"}, Want: []any{"sqc8b49rny0"}},
			{Args: []any{"GEOSEARCHSTORE", "g", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "10", "km", "STOREDIST"}, Want: int64(1)},
			{Args: []any{"GEODIST", "g", "Palermo", "Palermo"}, Want: "0.0000"},
			{Args: []any{"GEOSEARCHSTORE", "g", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "10", "km"}, Want: int64(0)},
			{Args: []any{"EXISTS", "g"}, Want: int64(0)},
		},
		"the store key is the last one": {
			// Redis routes GEORADIUS by its last STORE/STOREDIST key
			// (georadiusGetKeys) while the key specs find the first: a last
			// key in a slot the call does not hold is CROSSSLOT.
			{Args: []any{"GEOADD", "{g}src", "13.361389", "38.115556", "Palermo"}, Want: int64(1)},
			{Args: []any{"GEORADIUS", "{g}src", "13", "38", "100", "km", "STORE", "{g}d", "STORE", "elsewhere"}, Err: geoErrCrossSlot},
			{Args: []any{"GEORADIUS", "{g}src", "13", "38", "100", "km", "STORE", "elsewhere", "STOREDIST", "{g}d"}, Want: int64(1)},
			{Args: []any{"EXISTS", "elsewhere", "{g}d"}, Want: int64(1)},
			{Args: []any{"GEORADIUS", "{g}nokey", "13", "38", "100", "km", "STORE", "{g}d", "STORE", "elsewhere"}, Err: geoErrCrossSlot},
		},
	}, families...)
}

// TestGeoEffectsReplicate runs GEO writes on one store and applies the
// effects they emit to a second store, once and then again: both answer
// every read the same (GEOADD's and the STORE forms' effects are the
// sorted set's, idempotent).
func TestGeoEffectsReplicate(t *testing.T) {
	rp := commandstest.NewReplPair(families...)
	primary, replica, run := rp.Primary, rp.Replica, rp.Run
	pts := geohash.TestPoints(300)
	for i, p := range pts {
		run(primary, "GEOADD", "{g}src", geoArg(p[0]), geoArg(p[1]), "p"+strconv.Itoa(i))
	}
	writes := [][]string{
		{"GEOADD", "{g}src", "XX", "CH", "1", "1", "p1", "2", "2", "p2"},
		{"GEOADD", "{g}src", "NX", "3", "3", "p3", "4", "4", "new"},
		{"GEOSEARCHSTORE", "{g}near", "{g}src", "FROMLONLAT", "14", "37", "BYRADIUS", "300", "km"},
		{"GEOSEARCHSTORE", "{g}dist", "{g}src", "FROMLONLAT", "14", "37", "BYBOX", "500", "500", "km", "STOREDIST", "COUNT", "10"},
		{"GEORADIUS", "{g}src", "0", "0", "20000", "km", "STORE", "{g}all"},
		{"SET", "{g}str", "x"},
		{"GEOSEARCHSTORE", "{g}str", "{g}src", "FROMLONLAT", "14", "37", "BYRADIUS", "300", "km"},
		{"GEOSEARCHSTORE", "{g}near", "{g}src", "FROMLONLAT", "100.5", "10.5", "BYRADIUS", "1", "m"},
	}
	for _, w := range writes {
		run(primary, w...)
	}
	require.NotEmpty(t, rp.Effects)
	reads := [][]string{
		{"TYPE", "{g}str"}, {"EXISTS", "{g}near"},
		{"GEOSEARCH", "{g}src", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "WITHHASH"},
		{"GEOSEARCH", "{g}dist", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "WITHHASH"},
		{"GEOSEARCH", "{g}all", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "WITHHASH"},
		{"GEOSEARCH", "{g}str", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km", "WITHHASH"},
		{"GEOPOS", "{g}src", "p1", "p2", "p3", "new"},
	}
	for round := range 2 {
		require.NoError(t, replica.Apply(rp.Effects))
		for _, r := range reads {
			want := run(primary, r...)
			assert.Equal(t, want, run(replica, r...), "round %d: %q", round, r)
			if r[0] != "EXISTS" {
				assert.Greater(t, len(want), 5, "%q: something to compare", r)
			} else {
				assert.Equal(t, ":0\r\n", want) // the empty result deleted it
			}
		}
	}
}

// FuzzGeoCommands runs arbitrary GEO command lines against a small geo
// set, a string key and missing keys: no line may panic, and each must
// write exactly one reply.
func FuzzGeoCommands(f *testing.F) {
	for _, s := range []string{
		"GEORADIUS g 15 37 200 km WITHDIST WITHHASH WITHCOORD COUNT 2 ANY", "GEORADIUSBYMEMBER g Palermo 1e308 km STORE {g}d",
		"GEOSEARCH g FROMMEMBER Catania BYBOX inf 1 mi DESC", "GEOSEARCHSTORE {g}d g FROMLONLAT 180 -85.05112878 BYRADIUS 0 m STOREDIST",
		"GEOADD g XX CH 0 0 Palermo", "GEOPOS g Palermo x", "GEOHASH s a", "GEODIST g Palermo Catania ft",
		"GEORADIUS_RO nokey 0 0 1 m", "GEORADIUSBYMEMBER_RO g Catania 0x1p10 ft COUNT 1", "GEOSEARCH s FROMMEMBER a BYRADIUS 1 m",
	} {
		f.Add(s)
	}
	h := commandstest.NewHost(0, families...)
	locks := lock.NewTable(lock.TableConfig{})
	f.Fuzz(func(t *testing.T, line string) {
		args := geoArgs(line)
		if len(args) == 0 || !bytes.HasPrefix(bytes.ToLower(args[0]), []byte("geo")) {
			return
		}
		st := store.New(store.Config{})
		var r resp.Reply
		for _, setup := range []string{"GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 180 85 corner", "SET s v"} {
			h.Run(st, locks, &r, geoArgs(setup))
		}
		r.Reset()
		h.Run(st, locks, &r, args)
		replies := 0
		rd := bufio.NewReader(bytes.NewReader(r.Bytes()))
		for {
			var one []byte
			if err := testenv.ReadReply(rd, &one); err != nil {
				break
			}
			replies++
		}
		if replies != 1 {
			t.Fatalf("%q wrote %d replies: %q", line, replies, r.Bytes())
		}
	})
}
