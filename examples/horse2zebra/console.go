package main

import (
	"fmt"
	"io"
	"sync"
)

// console is the terminal of a training run: the progress bar redraws one
// line of out, and notices (warnings, acknowledgements) go to errOut,
// each starting on a line of its own rather than after the bar.
type console struct {
	mu      sync.Mutex
	out     io.Writer
	errOut  io.Writer
	midLine bool // out's last line is the bar's, not yet ended
}

func newConsole(out, errOut io.Writer) *console {
	return &console{out: out, errOut: errOut}
}

// barWriter returns the writer for the progress bar.
func (c *console) barWriter() io.Writer { return barWriter{c} }

type barWriter struct{ c *console }

func (w barWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	n, err := w.c.out.Write(p)
	if n > 0 {
		w.c.midLine = p[n-1] != '\n'
	}
	return n, err
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
