package info

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/meshcache/meshcache/server/gctune"
)

// The process's own figures, which belong to no part of the node: read
// here, when INFO (or MEMORY STATS) asks for them.

// ReadMemory reads the process's memory (runtime.ReadMemStats stops the
// world for a moment: only when the memory section is asked for).
func ReadMemory() ProcessMemory {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ProcessMemory{
		RSS: RSS(), HeapAlloc: ms.HeapAlloc, HeapSys: ms.HeapSys, Sys: ms.Sys,
		NumGC: ms.NumGC, PauseTotalNs: ms.PauseTotalNs, GC: gctune.ReadFacts(),
	}
}

// RSS returns the resident set size of the process in bytes, from /proc
// on Linux; elsewhere the memory the Go runtime holds from the OS.
func RSS() int64 {
	if data, err := os.ReadFile("/proc/self/statm"); err == nil {
		f := bytes.Fields(data)
		if len(f) >= 2 {
			if pages, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
				return pages * int64(os.Getpagesize())
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.Sys)
}

// CPU is the cpu section's numbers: the process's CPU times and goroutines.
type CPU struct {
	Sys, User  time.Duration
	Goroutines int
}

// ReadCPU reads the process's CPU times (getrusage).
func ReadCPU() (CPU, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return CPU{}, err
	}
	return CPU{
		Sys:        time.Duration(ru.Stime.Nano()),
		User:       time.Duration(ru.Utime.Nano()),
		Goroutines: runtime.NumGoroutine(),
	}, nil
}
