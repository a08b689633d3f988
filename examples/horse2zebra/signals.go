package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// errInterrupted is what train's error wraps after SIGINT or SIGTERM, once
// it has saved the checkpoint.
var errInterrupted = errors.New("interrupted; continue with -resume")

// stopSignals are the signals that stop training: Ctrl-C's, and what
// Docker, Slurm and systemd send.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// exitNow ends the process after a second signal; tests replace it.
var exitNow = os.Exit

// stopped is train's error after a stop signal: it wraps errInterrupted and
// exits with 128 plus the signal's number, as a shell reports a process
// the signal killed.
type stopped struct{ sig os.Signal }

func (e *stopped) Error() string {
	return fmt.Sprintf("stopped by %s; continue with -resume", signalName(e.sig))
}

func (e *stopped) Unwrap() error { return errInterrupted }

func (e *stopped) exitCode() int { return signalExitCode(e.sig) }

func signalExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// signalWatch receives the stop signals during training. The first is
// acknowledged at once and asks the loop to stop after the iteration in
// progress; a second ends the process at once.
type signalWatch struct {
	ch   chan os.Signal
	quit chan struct{}
	done chan struct{}

	mu    sync.Mutex
	first os.Signal
}

// watchSignals starts watching. first is called (from another goroutine)
// on the first signal, second on the next one, before exitNow.
func watchSignals(first, second func(os.Signal)) *signalWatch {
	w := &signalWatch{ch: make(chan os.Signal, 2), quit: make(chan struct{}), done: make(chan struct{})}
	signal.Notify(w.ch, stopSignals...)
	go w.loop(first, second)
	return w
}

func (w *signalWatch) loop(first, second func(os.Signal)) {
	defer close(w.done)
	for {
		select {
		case sig := <-w.ch:
			w.mu.Lock()
			already := w.first != nil
			if !already {
				w.first = sig
			}
			w.mu.Unlock()
			if !already {
				first(sig)
				continue
			}
			second(sig)
			exitNow(signalExitCode(sig))
		case <-w.quit:
			return
		}
	}
}

// received returns the first signal, or nil.
func (w *signalWatch) received() os.Signal {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.first
}

// stop ends the watch; signals again take their default action.
func (w *signalWatch) stop() {
	signal.Stop(w.ch)
	close(w.quit)
	<-w.done
}
