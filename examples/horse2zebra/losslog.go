package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"time"

	"github.com/semgan/semgan/gan"
)

// lossLog appends one CSV row per iteration: iteration, seconds (of
// training, counted across resumes), losses.
type lossLog struct {
	f *os.File
	w *csv.Writer
	// offset is the training time logged before a resume.
	offset time.Duration
}

// openLossLog starts a new log at path, or, when resuming from a checkpoint
// taken after iteration resumeStep (resumeStep >= 0), continues the old one
// without the rows logged after that checkpoint, which the resumed run
// logs again, and without a torn last row, which warn reports.
func openLossLog(path string, resumeStep int, warn func(string)) (*lossLog, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	var offset time.Duration
	if resumeStep >= 0 {
		var err error
		if offset, err = truncateLossLog(path, resumeStep, warn); err != nil {
			return nil, err
		}
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	l := &lossLog{f: f, w: csv.NewWriter(f), offset: offset}
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		if err := l.w.Write(lossLogHeader()); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func lossLogHeader() []string { return append([]string{"iter", "seconds"}, gan.Losses{}.Names()...) }

// readLossRows returns the rows of the log at path, header first. A last
// row cut short by a crash (no final newline, or too few fields) is left
// out and reported by torn; a malformed row before it is an error naming
// its line.
func readLossRows(path string) (rows [][]string, torn bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	if n := len(b); n > 0 && b[n-1] != '\n' {
		b, torn = b[:bytes.LastIndexByte(b, '\n')+1], true
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	if rows, err = r.ReadAll(); err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	for i, row := range rows {
		if i == 0 || len(row) == len(rows[0]) {
			continue
		}
		if i == len(rows)-1 {
			return rows[:i], true, nil
		}
		return nil, false, fmt.Errorf("%s: line %d has %d fields, want %d as in the header", path, i+1, len(row), len(rows[0]))
	}
	return rows, torn, nil
}

// truncateLossLog rewrites the log at path (atomically) without the rows
// of iterations after step and without a torn last row, and returns the
// training time of the last row kept. A missing log is left missing.
func truncateLossLog(path string, step int, warn func(string)) (time.Duration, error) {
	rows, torn, err := readLossRows(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if torn {
		warn(fmt.Sprintf("%s: dropped its last row, cut short when the run stopped", path))
	}
	keep := rows[:0]
	var seconds float64
	for i, row := range rows {
		if iter, err := strconv.Atoi(row[0]); i > 0 && err == nil && iter > step {
			continue
		}
		if s, err := strconv.ParseFloat(row[min(1, len(row)-1)], 64); i > 0 && err == nil {
			seconds = s
		}
		keep = append(keep, row)
	}
	offset := time.Duration(seconds * float64(time.Second))
	if len(keep) == len(rows) && !torn {
		return offset, nil
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(keep); err != nil {
		return 0, err
	}
	return offset, writeFileAtomic(path, b.Bytes())
}

// Write appends the row of iteration iter, elapsed into this process's
// training.
func (l *lossLog) Write(iter int, elapsed time.Duration, losses gan.Losses) error {
	row := []string{strconv.Itoa(iter), fmt.Sprintf("%.2f", (l.offset + elapsed).Seconds())}
	for _, v := range losses.Values() {
		row = append(row, strconv.FormatFloat(float64(v), 'g', 6, 32))
	}
	if err := l.w.Write(row); err != nil {
		return err
	}
	l.w.Flush()
	return l.w.Error()
}

// Close flushes and closes the log.
func (l *lossLog) Close() error {
	l.w.Flush()
	return l.f.Close()
}
