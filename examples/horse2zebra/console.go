package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// console is the terminal of a training run: the progress bar redraws one
// line of out, and notices (warnings, acknowledgements) go to errOut,
// each starting on a line of its own rather than after the bar.
//
// When out is not a terminal (a log file, a pipe), the bar is not redrawn:
// its state is written as a plain line now and then (see plainBar).
type console struct {
	mu      sync.Mutex
	out     io.Writer
	errOut  io.Writer
	midLine bool // out's last line is the bar's, not yet ended
	// plain is set when out is not a terminal; bar then throttles the
	// bar's frames into lines.
	plain bool
	bar   plainBar
}

// newConsole returns the console of out and errOut, with the bar in plain
// lines unless out is a terminal.
func newConsole(out, errOut io.Writer) *console {
	return &console{out: out, errOut: errOut, plain: !isTerminal(out), bar: plainBar{now: time.Now}}
}

// isTerminal reports whether w is a character device, as a terminal is.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// barWriter returns the writer for the progress bar.
func (c *console) barWriter() io.Writer { return barWriter{c} }

type barWriter struct{ c *console }

func (w barWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	if w.c.plain {
		if line, ok := w.c.bar.line(p); ok {
			if _, err := fmt.Fprintln(w.c.out, line); err != nil {
				return 0, err
			}
		}
		return len(p), nil
	}
	n, err := w.c.out.Write(p)
	if n > 0 {
		w.c.midLine = p[n-1] != '\n'
	}
	return n, err
}

// A plainBar turns the frames a progress bar redraws ("\r  45% |###  |
// (45/100, 2 it/s)") into occasional plain lines: the first frame, then
// one whenever plainEvery has passed or the percentage has gone up by
// plainStep since the last line, and the frame that reaches 100%.
type plainBar struct {
	now      func() time.Time
	last     time.Time // when the last line was written
	lastPct  int       // its percentage, -1 when unknown
	started  bool
	finished bool
}

// How often a plain bar writes a line at most, in time and in percent.
const (
	plainEvery = 10 * time.Second
	plainStep  = 10
)

var (
	ansiCode = regexp.MustCompile(`\x1b\[[0-9;]*[a-zA-Z]`)
	percent  = regexp.MustCompile(`(\d+)%`)
)

// line returns the line to write for the frame p, if one is due.
func (b *plainBar) line(p []byte) (string, bool) {
	frames := strings.Split(ansiCode.ReplaceAllString(string(p), ""), "\r")
	frame := ""
	for _, f := range frames {
		if t := strings.TrimSpace(f); t != "" {
			frame = t // the last one drawn
		}
	}
	if frame == "" || b.finished {
		return "", false
	}
	pct := -1
	if m := percent.FindStringSubmatch(frame); m != nil {
		pct, _ = strconv.Atoi(m[1])
	}
	now := b.now()
	due := !b.started || now.Sub(b.last) >= plainEvery || pct >= 100 || pct >= 0 && b.lastPct >= 0 && pct >= b.lastPct+plainStep
	if !due {
		return "", false
	}
	b.started, b.last, b.lastPct, b.finished = true, now, pct, pct >= 100
	return frame, true
}

// endLine ends the bar's line, if it has one; c.mu must be held.
func (c *console) endLine() {
	if c.midLine {
		fmt.Fprintln(c.out)
		c.midLine = false
	}
}

// printf writes a message to out on a line of its own.
func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLine()
	fmt.Fprintf(c.out, format, args...)
}

// warn writes "warning: msg" to errOut on a line of its own.
func (c *console) warn(msg string) { c.notice("warning: " + msg) }

// notice writes msg to errOut on a line of its own.
func (c *console) notice(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLine()
	fmt.Fprintln(c.errOut, msg)
}
