package main

import (
	"math/rand/v2"
	"sync"

	"github.com/semgan/semgan/gan/data"
	"github.com/semgan/semgan/tensor"
)

// loaderAhead is how many iterations past the current one a loader
// prepares, per worker.
const loaderAhead = 2

// A loader prepares the training images of the coming iterations in a
// small pool of goroutines while the current one trains, as PyTorch's
// DataLoader workers do. What it draws for iteration step depends only on
// rngFor(step), so a run gives the same images, bit for bit, with any
// number of workers (none: drawn when asked for), and a resumed run draws
// what an uninterrupted one does.
type loader struct {
	a, b    data.Source
	batch   int
	rngFor  func(step int) *rand.Rand
	workers int
	end     int // no step at or past end is prepared

	mu      sync.Mutex
	pending map[int]chan drawn // steps being or already prepared
	next    int                // the next step to hand to a worker
	// queue holds the steps for the workers, in order; it holds no more
	// than the steps pending, so that a send never blocks.
	queue chan int
	quit  chan struct{}
	wg    sync.WaitGroup
}

// drawn is one iteration's images, or the error of drawing them.
type drawn struct {
	a, b []data.Image
	err  error
}

// newLoader returns a loader of batch images of a and b per iteration,
// drawn with rngFor(step), with workers goroutines (0: none) preparing
// steps up to end (exclusive). Stop ends its goroutines.
func newLoader(a, b data.Source, batch int, rngFor func(int) *rand.Rand, workers, end int) *loader {
	l := &loader{a: a, b: b, batch: batch, rngFor: rngFor, workers: workers, end: end,
		pending: map[int]chan drawn{}, queue: make(chan int, loaderAhead*workers+1), quit: make(chan struct{})}
	for range workers {
		l.wg.Go(l.work)
	}
	return l
}

// work prepares the steps it is handed until the loader stops.
func (l *loader) work() {
	for {
		select {
		case step := <-l.queue:
			d := l.draw(step)
			l.mu.Lock()
			ch := l.pending[step]
			l.mu.Unlock()
			ch <- d
		case <-l.quit:
			return
		}
	}
}

// draw draws iteration step's images: batch of a, then batch of b, from
// the one rng of the step.
func (l *loader) draw(step int) drawn {
	rng := l.rngFor(step)
	var d drawn
	if d.a, d.err = sampleImages(l.a, rng, l.batch); d.err != nil {
		return d
	}
	d.b, d.err = sampleImages(l.b, rng, l.batch)
	return d
}

// get returns iteration step's two batches, and has the workers start on
// the iterations after it.
func (l *loader) get(step int) (a, b *tensor.Tensor, err error) {
	var d drawn
	if l.workers == 0 {
		d = l.draw(step)
	} else {
		ch := l.ask(step)
		l.fill(step)
		d = <-ch
		l.mu.Lock()
		delete(l.pending, step)
		l.mu.Unlock()
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	// Tensors are made here, on the training goroutine.
	return data.Batch(d.a), data.Batch(d.b), nil
}

// ask returns the channel step's images arrive on, handing step to a
// worker unless one has it already.
func (l *loader) ask(step int) chan drawn {
	l.mu.Lock()
	ch, ok := l.pending[step]
	if !ok {
		ch = make(chan drawn, 1)
		l.pending[step] = ch
	}
	l.next = max(l.next, step+1)
	l.mu.Unlock()
	if !ok {
		l.queue <- step
	}
	return ch
}

// fill hands the workers the steps after step, up to loaderAhead per
// worker, that none has yet.
func (l *loader) fill(step int) {
	for {
		l.mu.Lock()
		s := l.next
		if s >= l.end || s > step+loaderAhead*l.workers {
			l.mu.Unlock()
			return
		}
		l.pending[s] = make(chan drawn, 1)
		l.next = s + 1
		l.mu.Unlock()
		l.queue <- s
	}
}

// stop ends the workers; steps being prepared are dropped.
func (l *loader) stop() {
	close(l.quit)
	l.wg.Wait()
}

// sampleImages draws n training images from src with rng.
func sampleImages(src data.Source, rng *rand.Rand, n int) ([]data.Image, error) {
	imgs := make([]data.Image, n)
	for i := range imgs {
		img, err := src.Sample(rng)
		if err != nil {
			return nil, err
		}
		imgs[i] = img
	}
	return imgs, nil
}
