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

// lossLog appends one CSV row per iteration: iteration, seconds, losses.
type lossLog struct {
	f *os.File
	w *csv.Writer
}

// openLossLog starts a new log at path, or, when resuming from a checkpoint
// taken after iteration resumeStep (resumeStep >= 0), continues the old one
// without the rows logged after that checkpoint, which the resumed run
// logs again.
func openLossLog(path string, resumeStep int) (*lossLog, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if resumeStep >= 0 {
		if err := truncateLossLog(path, resumeStep); err != nil {
			return nil, err
		}
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	l := &lossLog{f: f, w: csv.NewWriter(f)}
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		if err := l.w.Write(append([]string{"iter", "seconds"}, gan.Losses{}.Names()...)); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// truncateLossLog rewrites the log at path (atomically) without the rows
// of iterations after step. A missing log is left missing.
func truncateLossLog(path string, step int) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	keep := rows[:0]
	for i, row := range rows {
		if iter, err := strconv.Atoi(row[0]); i > 0 && err == nil && iter > step {
			continue
		}
		keep = append(keep, row)
	}
	if len(keep) == len(rows) {
		return nil
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(keep); err != nil {
		return err
	}
	return writeFileAtomic(path, b.Bytes())
}

func (l *lossLog) Write(iter int, elapsed time.Duration, losses gan.Losses) error {
	row := []string{strconv.Itoa(iter), fmt.Sprintf("%.2f", elapsed.Seconds())}
	for _, v := range losses.Values() {
		row = append(row, strconv.FormatFloat(float64(v), 'g', 6, 32))
	}
	if err := l.w.Write(row); err != nil {
		return err
	}
	l.w.Flush()
	return l.w.Error()
}

func (l *lossLog) Close() error {
	l.w.Flush()
	return l.f.Close()
}
