package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/stretchr/testify/assert"
)

// A progress bar written to a log file (not a terminal) becomes a few plain
// lines, not thousands of redrawn frames.
func TestProgressInALogIsPlainLines(t *testing.T) {
	var log bytes.Buffer
	c := newConsole(&log, &log)
	assert.True(t, c.plain, "a bytes.Buffer is not a terminal")
	clock := time.Unix(0, 0)
	c.bar.now = func() time.Time { return clock }

	const total = 1000
	bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(c.barWriter()),
		progressbar.OptionSetDescription("training"), progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(20), progressbar.OptionThrottle(0))
	for i := 1; i <= total; i++ {
		clock = clock.Add(30 * time.Millisecond) // 30 s in all
		bar.Describe(fmt.Sprintf("G_A %.3f", 1/float64(i)))
		_ = bar.Set(i)
		if i == 500 {
			c.warn("a notice halfway")
		}
	}
	out := log.String()
	assert.NotContains(t, out, "\r", "no carriage returns in a log")
	assert.NotContains(t, out, "\x1b[", "no terminal codes in a log")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	// The first frame, one per 10%, and the notice: 12 lines at most.
	assert.LessOrEqual(t, len(lines), 12, "lines:\n%s", out)
	assert.GreaterOrEqual(t, len(lines), 5, "lines:\n%s", out)
	assert.Contains(t, lines[len(lines)-1], "100%", "the last line shows the end")
	assert.Contains(t, out, "warning: a notice halfway\n")
}

// Without a change in percent, a plain line is written every plainEvery.
func TestPlainBarWritesEveryFewSeconds(t *testing.T) {
	clock := time.Unix(0, 0)
	b := plainBar{now: func() time.Time { return clock }}
	var n int
	for range 100 { // 100 s at 1%: a slow run
		if _, ok := b.line([]byte("\r                \rtraining   1% |#   |")); ok {
			n++
		}
		clock = clock.Add(time.Second)
	}
	assert.Equal(t, 10, n, "one line every %v over 100 s", plainEvery)
}
