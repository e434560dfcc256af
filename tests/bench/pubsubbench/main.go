// Command pubsubbench measures Pub/Sub on any RESP server: -pubs
// publishers (each one connection, unpipelined: PUBLISH, wait for the
// reply, as redis-benchmark's clients) and -subs subscribers of one channel
// run for -d; it prints one line "published_per_s delivered_per_s p50_ms
// p99_ms": publishes acknowledged, messages received by all subscribers
// together, and the publish-to-receive latency (each payload carries its
// send time). Publishers connect to -pub, subscribers to -sub (comma
// separated addresses, used round robin), so a cluster's cross-node
// latency is one run with -pub on one node and -sub on another.
package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	pubAddrs := flag.String("pub", "127.0.0.1:6379", "publishers' server addresses, comma separated")
	subAddrs := flag.String("sub", "", "subscribers' server addresses, comma separated (default: -pub)")
	pubs := flag.Int("pubs", 50, "publishers")
	subs := flag.Int("subs", 50, "subscribers")
	dur := flag.Duration("d", 5*time.Second, "how long the publishers run")
	size := flag.Int("size", 32, "payload bytes (at least 8: the send time)")
	rate := flag.Int("rate", 0, "publishes per second per publisher; 0 = as fast as replies come")
	flag.Parse()
	if *subAddrs == "" {
		*subAddrs = *pubAddrs
	}
	if *size < 8 {
		*size = 8
	}
	if err := run(strings.Split(*pubAddrs, ","), strings.Split(*subAddrs, ","), *pubs, *subs, *dur, *size, *rate); err != nil {
		log.Fatal(err)
	}
}

const channel = "pubsubbench"

func run(pubAddrs, subAddrs []string, pubs, subs int, dur time.Duration, size, rate int) error {
	var delivered atomic.Int64
	var latMu sync.Mutex
	var lat []time.Duration
	var subConns []net.Conn
	var subWG sync.WaitGroup
	for i := 0; i < subs; i++ {
		c, err := net.Dial("tcp", subAddrs[i%len(subAddrs)])
		if err != nil {
			return err
		}
		subConns = append(subConns, c)
		r := bufio.NewReaderSize(c, 64<<10)
		if _, err := c.Write(command("SUBSCRIBE", channel)); err != nil {
			return err
		}
		if _, err := readArray(r); err != nil { // the confirmation
			return fmt.Errorf("subscribe: %w", err)
		}
		subWG.Add(1)
		go func() { // ends when its connection is closed
			defer subWG.Done()
			var mine []time.Duration
			defer func() { latMu.Lock(); lat = append(lat, mine...); latMu.Unlock() }()
			for {
				parts, err := readArray(r)
				if err != nil {
					return
				}
				if len(parts) == 3 && string(parts[0]) == "message" && len(parts[2]) >= 8 {
					sent := int64(binary.LittleEndian.Uint64(parts[2]))
					delivered.Add(1)
					if len(mine) < 1<<20 {
						mine = append(mine, time.Duration(time.Now().UnixNano()-sent))
					}
				}
			}
		}()
	}
	var published atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(dur)
	errc := make(chan error, pubs)
	for i := 0; i < pubs; i++ {
		c, err := net.Dial("tcp", pubAddrs[i%len(pubAddrs)])
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			r := bufio.NewReader(c)
			payload := make([]byte, size)
			var tick *time.Ticker
			if rate > 0 {
				tick = time.NewTicker(time.Second / time.Duration(rate))
				defer tick.Stop()
			}
			for time.Now().Before(stop) {
				if tick != nil {
					<-tick.C
				}
				binary.LittleEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
				if _, err := c.Write(command("PUBLISH", channel, string(payload))); err != nil {
					errc <- err
					return
				}
				line, err := r.ReadString('\n')
				if err != nil || !strings.HasPrefix(line, ":") {
					errc <- fmt.Errorf("publish reply %q: %v", line, err)
					return
				}
				published.Add(1)
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	elapsed := time.Since(start)
	select {
	case err := <-errc:
		return err
	default:
	}
	// Let the subscribers take what is in flight, then stop them.
	want := published.Load() * int64(subs)
	for end := time.Now().Add(5 * time.Second); delivered.Load() < want && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range subConns {
		_ = c.Close()
	}
	subWG.Wait()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(float64(len(lat)-1)*p)]) / 1e6
	}
	fmt.Printf("%.0f %.0f %.3f %.3f\n", float64(published.Load())/elapsed.Seconds(),
		float64(delivered.Load())/elapsed.Seconds(), pct(0.5), pct(0.99))
	if delivered.Load() < want {
		fmt.Fprintf(os.Stderr, "pubsubbench: %d of %d deliveries arrived\n", delivered.Load(), want)
	}
	return nil
}

func command(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// readArray reads one array or push of bulk strings and integers.
func readArray(r *bufio.Reader) ([][]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 4 || (line[0] != '*' && line[0] != '>') {
		return nil, fmt.Errorf("unexpected %q", line)
	}
	n, err := strconv.Atoi(string(line[1 : len(line)-2]))
	if err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	for i := range out {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return nil, err
		}
		switch line[0] {
		case ':':
			out[i] = append([]byte(nil), line[1:len(line)-2]...)
		case '$':
			l, err := strconv.Atoi(string(line[1 : len(line)-2]))
			if err != nil {
				return nil, err
			}
			buf := make([]byte, l+2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return nil, err
			}
			out[i] = buf[:l]
		default:
			return nil, errors.New("unexpected element " + string(line))
		}
	}
	return out, nil
}
