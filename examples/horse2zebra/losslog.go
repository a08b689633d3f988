package main

import (
	"encoding/csv"
	"fmt"
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

func openLossLog(path string, appendTo bool) (*lossLog, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
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
