//go:build unix

package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"syscall"
)

// peakRSS measures the peak resident set size of the process per case.
type peakRSS struct {
	// clearRefs is true where writing "5" to /proc/self/clear_refs resets
	// VmHWM (Linux); otherwise read falls back to getrusage's ru_maxrss,
	// the maximum over the whole life of the process.
	clearRefs bool
}

func newPeakRSS() *peakRSS {
	p := &peakRSS{}
	p.clearRefs = p.resetHWM() == nil && readVmHWM() > 0
	return p
}

// method says how the peak is measured, for the header of the output.
func (p *peakRSS) method() string {
	if p.clearRefs {
		return "peak RSS per case from VmHWM after resetting it through /proc/self/clear_refs"
	}
	return "peak RSS is the process's lifetime maximum (getrusage): /proc/self/clear_refs is unavailable, so each case's figure includes the cases before it"
}

// reset starts a new measurement.
func (p *peakRSS) reset() {
	if p.clearRefs {
		p.resetHWM()
	}
}

// read returns the peak in bytes since the last reset (or since the
// process started, without clear_refs), 0 if it cannot be read.
func (p *peakRSS) read() int64 {
	if p.clearRefs {
		return readVmHWM()
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss) // bytes there
	}
	return int64(ru.Maxrss) * 1024 // kilobytes on Linux and the BSDs
}

// resetHWM writes "5" to /proc/self/clear_refs, which sets the process's
// resident high-water mark back to its current RSS.
func (*peakRSS) resetHWM() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// readVmHWM returns VmHWM from /proc/self/status in bytes, 0 if absent.
func readVmHWM() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 3 && string(f[0]) == "VmHWM:" && string(f[2]) == "kB" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
