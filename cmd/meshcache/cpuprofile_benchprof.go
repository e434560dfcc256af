//go:build benchprof

package main

import (
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// A benchmark-only build (go build -tags benchprof) writes a CPU profile of
// the first MESHCACHE_CPUPROFILE_SECONDS seconds (default 30) to the file
// named by MESHCACHE_CPUPROFILE ("{pid}" in it is replaced by the process
// ID), for tests/bench/run.sh PROFILE=1. Normal builds have no such hook.
func init() {
	path := os.Getenv("MESHCACHE_CPUPROFILE")
	if path == "" {
		return
	}
	// Several nodes started with one environment write one file each.
	path = strings.ReplaceAll(path, "{pid}", strconv.Itoa(os.Getpid()))
	secs, err := strconv.Atoi(os.Getenv("MESHCACHE_CPUPROFILE_SECONDS"))
	if err != nil || secs <= 0 {
		secs = 30
	}
	f, err := os.Create(path)
	if err != nil {
		slog.Error("cpu profile", "err", err)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		slog.Error("cpu profile", "err", err)
		_ = f.Close()
		return
	}
	go func() { // owns the profile: stops it after secs, whatever the process does
		time.Sleep(time.Duration(secs) * time.Second)
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			slog.Error("cpu profile", "err", err)
		}
	}()
}
