package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/nn/dist"
	"github.com/semgan/semgan/tensor"
)

// stepDone, when not nil, is called after every training iteration with
// the iteration just done. Tests use it to act at a known point of a run.
var stepDone func(step int)

// The divergence guard warns when a loss or a weight grows past these
// limits without becoming NaN: LSGAN and L1 losses of a healthy run stay
// far below, and Adam moves a weight by about one learning rate per
// iteration, so that weights of 1e4 take 1e7 iterations at 1e-3.
const (
	lossLimit   = 1e4
	weightLimit = 1e4
	// weightCheckEvery is how often (in iterations) the guard looks at
	// every weight, which copies them all to the host.
	weightCheckEvery = 10
)

// trainRun is one train command in progress.
type trainRun struct {
	o      *options
	ds     dataset
	tr     *gan.Trainer
	con    *console
	ckpts  string // the checkpoint folder
	latest string // its latest.safetensors
	// saved is the iteration latest.safetensors holds, -1 while it holds
	// nothing of this run; current is the iteration in progress. Both are
	// read by the signal watcher.
	saved, current atomic.Int64
	// diverged is the divergence guard's warning, once it has given one.
	diverged string
	// comm is the group of processes training together (one without
	// mpirun); rank 0 alone writes the log, samples and checkpoints and
	// talks to the user.
	comm dist.Comm
	// batches draws the training images ahead of the iterations.
	batches *loader
}

// lead reports whether this process is rank 0, the one that writes.
func (r *trainRun) lead() bool { return r.comm.Rank() == 0 }

func runTrain(args []string) error {
	comm, err := dist.Open()
	if err != nil {
		return err
	}
	con := newConsole(stdout, stderr)
	if comm.Rank() != 0 {
		con = newConsole(io.Discard, io.Discard) // rank 0 speaks for the run
	}
	r := &trainRun{con: con, comm: comm}
	return r.leave(r.run(args))
}

// run is the train command on this rank.
func (r *trainRun) run(args []string) error {
	o, ds, err := setup("train", args, r.con.warn)
	if err != nil {
		return err
	}
	r.o, r.ds, r.ckpts = o, ds, filepath.Join(o.out, "checkpoints")
	r.latest = filepath.Join(r.ckpts, "latest.safetensors")
	r.saved.Store(-1)
	if r.lead() {
		if err := os.MkdirAll(r.ckpts, 0o755); err != nil {
			return err
		}
		if n := removeStaleTemps(o.out); n > 0 {
			r.con.printf("removed %d temporary files left in %s by an interrupted run\n", n, o.out)
		}
	}
	if err := r.comm.Barrier(); err != nil { // the folders exist for every rank
		return err
	}
	if o.resume {
		err = r.resume()
	} else {
		err = r.start()
	}
	if err != nil {
		return err
	}
	tensor.SetPrecision(r.tr.Config.Precision)
	if p := r.tr.Config.Precision; p != kernels.FP32 {
		r.con.printf("products in %v (docs/precision.md)\n", p)
	}
	if n := r.comm.Size(); n > 1 {
		r.con.printf("data-parallel training on %d processes, %d images per domain each\n", n, r.tr.Config.Batch)
	}
	if err := r.tr.Join(r.comm); err != nil {
		return err
	}
	return r.train()
}

// leave ends this rank's part of the run with its error. In a run of
// several processes an error that every rank met alike (a non-finite
// loss, which the ranks agree on, or a stop signal) ends each one
// normally; any other error ends the whole job at once, naming the rank,
// since the other ranks may be waiting for this one.
func (r *trainRun) leave(err error) error {
	var nf *gan.NonFiniteError
	var st *stopped
	if err != nil && r.comm.Size() > 1 && !errors.As(err, &nf) && !errors.As(err, &st) {
		r.comm.Abort(1, "horse2zebra: "+err.Error())
	}
	if cerr := r.comm.Close(); err == nil {
		err = cerr
	}
	return err
}

// start builds a new trainer from the flags.
func (r *trainRun) start() error {
	if err := r.o.saveDataFlags(); err != nil {
		return err
	}
	cfg, err := r.o.config()
	if err != nil {
		return err
	}
	if err := checkSize(r.o.size, cfg.DLayers); err != nil {
		return err
	}
	r.tr, err = gan.NewTrainer(cfg, r.ds.channels)
	return err
}

// resume loads the latest checkpoint and applies the flags that may change.
func (r *trainRun) resume() error {
	tr, err := gan.LoadCheckpointRank(r.latest, r.ds.channels, r.comm.Rank())
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	if tr.Config, err = resumeConfig(r.o, tr.Config, tr.Step, r.con.notice); err != nil {
		return err
	}
	if err := checkSize(r.o.size, tr.Config.DLayers); err != nil {
		return err
	}
	r.tr = tr
	r.saved.Store(int64(tr.Step))
	total := tr.Config.Iters + tr.Config.DecayIters
	r.con.printf("resumed at iteration %d of %d from %s\n", tr.Step, total, r.latest)
	if tr.Step >= total {
		r.con.notice(fmt.Sprintf("nothing to train: the run has done its %d iterations; raise -iters or -decay to extend it", total))
	}
	return nil
}

// train runs the iterations left, then saves, draws and evaluates.
func (r *trainRun) train() error {
	tr, o := r.tr, r.o
	total := tr.Config.Iters + tr.Config.DecayIters
	resumeStep := -1
	if o.resume {
		resumeStep = tr.Step
	}
	var log *lossLog
	if r.lead() {
		var err error
		if log, err = openLossLog(filepath.Join(o.out, "loss_log.csv"), resumeStep, r.con.warn); err != nil {
			return err
		}
		defer log.Close()
	}

	watch := watchSignals(r.acknowledge, r.stopAtOnce)
	defer watch.stop()
	var deadline time.Time
	if o.minutes > 0 {
		deadline = time.Now().Add(time.Duration(o.minutes * float64(time.Minute)))
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(r.con.barWriter()),
		progressbar.OptionSetDescription("training"),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("it"),
		progressbar.OptionSetPredictTime(true), progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(20), progressbar.OptionThrottle(500*time.Millisecond))
	_ = bar.Set(tr.Step)
	r.batches = newLoader(r.ds.trainA, r.ds.trainB, tr.Config.Batch, r.sampleRNG, o.workers, total)
	defer r.batches.stop()
	start := time.Now()
	var sig os.Signal
	for tr.Step < total {
		sig = watch.received()
		late := !deadline.IsZero() && time.Now().After(deadline)
		if byAll, err := r.agreeToStop(sig != nil, late); err != nil {
			return r.fail(err)
		} else if byAll == stopSignal {
			if sig == nil { // another rank got it first
				sig = syscall.SIGTERM
			}
			break
		} else if byAll == stopTime {
			r.con.printf("time limit of %.1f minutes reached at iteration %d of %d\n", o.minutes, tr.Step, total)
			break
		}
		if err := r.step(log, bar, start); err != nil {
			return r.fail(err)
		}
	}
	r.con.printf("")
	if err := r.save(r.latest); err != nil {
		return r.fail(err)
	}
	r.con.printf("checkpoint: %s (iteration %d)\n", r.latest, tr.Step)
	r.checkWeights()
	if sig != nil {
		return &stopped{sig}
	}
	if !r.lead() {
		return nil
	}
	if err := r.finish(); err != nil {
		return fmt.Errorf("%w (training itself is saved: %s holds iteration %d; horse2zebra eval -out %s evaluates it again)", err, r.latest, tr.Step, o.out)
	}
	if r.diverged != "" {
		r.con.warn("this run diverged: " + r.diverged)
	}
	return nil
}

// step runs one iteration and what follows it: the log row, the progress
// bar, the sample grid and the numbered checkpoint when due.
func (r *trainRun) step(log *lossLog, bar *progressbar.ProgressBar, start time.Time) error {
	tr, o := r.tr, r.o
	r.current.Store(int64(tr.Step + 1))
	a, b, err := r.batches.get(tr.Step)
	if err != nil {
		return err
	}
	losses, err := tr.TrainStep(a, b)
	if err != nil {
		return err
	}
	if !r.lead() {
		return r.saveDue()
	}
	if err := log.Write(tr.Step, time.Since(start), losses); err != nil {
		return err
	}
	if stepDone != nil {
		stepDone(tr.Step)
	}
	bar.Describe(fmt.Sprintf("G_A %.3f G_B %.3f cyc %.3f sem %.3f D %.3f", losses.GA, losses.GB, losses.CycleA+losses.CycleB, losses.Sem, losses.DA+losses.DB))
	_ = bar.Set(tr.Step)
	r.checkLosses(losses)
	if tr.Step%weightCheckEvery == 0 {
		r.checkWeights()
	}
	if o.sampleEvy > 0 && tr.Step%o.sampleEvy == 0 {
		if err := writeSamples(tr, r.ds, filepath.Join(o.out, "samples", fmt.Sprintf("iter_%06d.png", tr.Step))); err != nil {
			return err
		}
	}
	return r.saveDue()
}

// sampleRNG returns the source of iteration step's training images. Each
// rank draws its own images: a function of the seed, the step and the rank
// (rank 0 draws what a single process would).
func (r *trainRun) sampleRNG(step int) *rand.Rand {
	return rand.New(rand.NewPCG(r.tr.SampleRNG(step).Uint64(), 7+uint64(r.comm.Rank())<<32))
}

// saveDue writes the numbered checkpoint and latest.safetensors when the
// step calls for them (on every rank: saving gathers the ranks' pools).
func (r *trainRun) saveDue() error {
	tr, o := r.tr, r.o
	if o.saveEvery > 0 && tr.Step%o.saveEvery == 0 {
		if err := tr.SaveCheckpoint(filepath.Join(r.ckpts, fmt.Sprintf("iter_%06d.safetensors", tr.Step))); err != nil {
			return err
		}
		if err := r.save(r.latest); err != nil {
			return err
		}
	}
	return nil
}

// Why the ranks stop before an iteration, by agreement.
const (
	stopNot = iota
	stopTime
	stopSignal
)

// agreeToStop tells every rank whether any of them got a stop signal or
// reached the time limit, so that all stop before the same iteration: an
// MPI launcher hands a signal to each process at its own moment.
func (r *trainRun) agreeToStop(signalled, late bool) (int, error) {
	flags := []float32{0, 0}
	if signalled {
		flags[0] = 1
	}
	if late {
		flags[1] = 1
	}
	if err := r.comm.AllReduceSum(flags); err != nil {
		return stopNot, err
	}
	switch {
	case flags[0] > 0:
		return stopSignal, nil
	case flags[1] > 0:
		return stopTime, nil
	}
	return stopNot, nil
}

// save writes the trainer to latest.safetensors and records its step.
func (r *trainRun) save(path string) error {
	if err := r.tr.SaveCheckpoint(path); err != nil {
		return err
	}
	r.saved.Store(int64(r.tr.Step))
	return nil
}

// finish writes what a completed run ends with: the final samples, the loss
// curve and the evaluation.
func (r *trainRun) finish() error {
	o := r.o
	if err := writeSamples(r.tr, r.ds, filepath.Join(o.out, "samples", "final.png")); err != nil {
		return err
	}
	if err := plotLosses(filepath.Join(o.out, "loss_log.csv"), filepath.Join(o.out, "loss_curve.png")); err != nil {
		return err
	}
	return evaluate(r.tr, r.ds, o.out)
}

// fail turns an error of the training loop into one that says what was
// kept: it saves the trainer, which holds the state after its last
// completed iteration, unless that state is unusable or already saved.
func (r *trainRun) fail(err error) error {
	tr := r.tr
	var nf *gan.NonFiniteError
	if r.comm.Size() > 1 && !errors.As(err, &nf) {
		// Met by this rank alone: saving takes every rank, so the job
		// ends (see leave) with the last checkpoint as it is.
		return fmt.Errorf("%w; %s", err, r.lastCheckpoint())
	}
	if errors.As(err, &nf) && nf.Updated {
		return fmt.Errorf("%w; the networks were partly updated in that iteration, so they are not saved; %s", err, r.lastCheckpoint())
	}
	if int(r.saved.Load()) == tr.Step {
		return fmt.Errorf("%w; %s: continue with -resume", err, r.lastCheckpoint())
	}
	w, name := tr.MaxAbsWeight()
	if math.IsNaN(w) || math.IsInf(w, 0) {
		return fmt.Errorf("%w; not saving the state after iteration %d, whose weight %s is %v; %s", err, tr.Step, name, w, r.lastCheckpoint())
	}
	if serr := r.save(r.latest); serr != nil {
		return fmt.Errorf("%w; saving the state after iteration %d failed as well (%v); %s", err, tr.Step, serr, r.lastCheckpoint())
	}
	what := "the state"
	if nf != nil {
		what = "the last state with finite losses"
	}
	kept := fmt.Sprintf("saved %s, after iteration %d, to %s", what, tr.Step, r.latest)
	if w > weightLimit {
		return fmt.Errorf("%w; %s, but its largest weight (%s) is %.3g: the run has diverged, and a new run with lower -lr-g and -lr-d is likely to do better than -resume",
			err, kept, name, w)
	}
	return fmt.Errorf("%w; %s: continue with -resume", err, kept)
}

// lastCheckpoint says which checkpoint of this run -resume would use.
func (r *trainRun) lastCheckpoint() string {
	if s := r.saved.Load(); s >= 0 {
		return fmt.Sprintf("the last checkpoint is %s (iteration %d)", r.latest, s)
	}
	return "no checkpoint of this run was saved"
}

// acknowledge answers the first stop signal at once.
func (r *trainRun) acknowledge(sig os.Signal) {
	r.con.notice(fmt.Sprintf("%s: stopping after iteration %d and saving a checkpoint; send it again to stop at once without saving",
		signalName(sig), r.current.Load()))
}

// stopAtOnce reports a second stop signal before the process ends.
func (r *trainRun) stopAtOnce(sig os.Signal) {
	r.con.notice(fmt.Sprintf("%s again: stopping at once without saving; %s", signalName(sig), r.lastCheckpoint()))
}

// checkLosses warns, once per run, when a loss explodes.
func (r *trainRun) checkLosses(l gan.Losses) {
	for i, v := range l.Values() {
		if math.Abs(float64(v)) > lossLimit {
			r.divergence(fmt.Sprintf("the %s loss is %.3g at iteration %d", l.Names()[i], v, r.tr.Step))
			return
		}
	}
}

// checkWeights warns, once per run, when a weight explodes.
func (r *trainRun) checkWeights() {
	if w, name := r.tr.MaxAbsWeight(); !(w <= weightLimit) {
		r.divergence(fmt.Sprintf("the weight %s reaches %.3g at iteration %d", name, w, r.tr.Step))
	}
}

func (r *trainRun) divergence(what string) {
	if r.diverged != "" {
		return
	}
	r.diverged = what
	r.con.warn(fmt.Sprintf("training is diverging: %s (limit %.0g); the learning rates (-lr-g %g, -lr-d %g) are probably too high",
		what, lossLimit, r.tr.Config.LRG, r.tr.Config.LRD))
}

// removeStaleTemps removes the temporary files that atomic writes leave
// behind when the process is killed (".latest.safetensors.tmp123",
// ".iter_000010.png.tmp45", ".tmp-678") from out and the folders train
// writes under it, and returns how many it removed.
func removeStaleTemps(out string) int {
	n := 0
	for _, dir := range []string{out, filepath.Join(out, "checkpoints"), filepath.Join(out, "samples"),
		filepath.Join(out, "results"), filepath.Join(out, "results", "images")} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || !strings.HasPrefix(name, ".") || !strings.Contains(name, ".tmp") {
				continue
			}
			if os.Remove(filepath.Join(dir, name)) == nil {
				n++
			}
		}
	}
	return n
}
