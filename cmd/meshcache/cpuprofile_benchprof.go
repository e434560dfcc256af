//go:build benchprof

package main

import (
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A benchmark-only build (go build -tags benchprof) writes a CPU profile to
// the file named by MESHCACHE_CPUPROFILE ("{pid}" in it is replaced by the
// process ID), for tests/bench/run.sh PROFILE=1 and for profiling one phase
// of a benchmark. The profile covers the first MESHCACHE_CPUPROFILE_SECONDS
// seconds (default 30), or, with MESHCACHE_CPUPROFILE_SECONDS=signal, the
// time from SIGUSR1 to SIGUSR2; SIGUSR2 also writes the allocations since
// the start to the same name with ".allocs" added. Normal builds have no
// such hook.
func init() {
	path := os.Getenv("MESHCACHE_CPUPROFILE")
	if path == "" {
		return
	}
	// Several nodes started with one environment write one file each.
	path = strings.ReplaceAll(path, "{pid}", strconv.Itoa(os.Getpid()))
	if os.Getenv("MESHCACHE_CPUPROFILE_SECONDS") == "signal" {
		sig := make(chan os.Signal, 2)
		signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
		go func() { // owns the profile: starts on SIGUSR1, stops on SIGUSR2
			var f *os.File
			for s := range sig {
				switch {
				case s == syscall.SIGUSR1 && f == nil:
					f = startProfile(path)
				case s == syscall.SIGUSR2 && f != nil:
					stopProfile(f)
					f = nil
					writeAllocs(path + ".allocs")
				}
			}
		}()
		return
	}
	secs, err := strconv.Atoi(os.Getenv("MESHCACHE_CPUPROFILE_SECONDS"))
	if err != nil || secs <= 0 {
		secs = 30
	}
	f := startProfile(path)
	if f == nil {
		return
	}
	go func() { // owns the profile: stops it after secs, whatever the process does
		time.Sleep(time.Duration(secs) * time.Second)
		stopProfile(f)
	}()
}

// startProfile starts the CPU profile into path; nil if it could not.
func startProfile(path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		slog.Error("cpu profile", "err", err)
		return nil
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		slog.Error("cpu profile", "err", err)
		_ = f.Close()
		return nil
	}
	return f
}

// writeAllocs writes the allocation profile (everything since the start)
// to path.
func writeAllocs(path string) {
	f, err := os.Create(path)
	if err != nil {
		slog.Error("allocs profile", "err", err)
		return
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		slog.Error("allocs profile", "err", err)
	}
	if err := f.Close(); err != nil {
		slog.Error("allocs profile", "err", err)
	}
}

// stopProfile ends the profile and closes its file.
func stopProfile(f *os.File) {
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		slog.Error("cpu profile", "err", err)
	}
}
