package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/semgan/semgan/gan"
)

// errInterrupted is what train returns after Ctrl-C, once it has saved the
// checkpoint.
var errInterrupted = errors.New("interrupted; continue with -resume")

// stepDone, when not nil, is called after every training iteration with
// the iteration just done. Tests use it to act at a known point of a run.
var stepDone func(step int)

func runTrain(args []string) error {
	o, ds, err := setup("train", args)
	if err != nil {
		return err
	}
	ckptDir := filepath.Join(o.out, "checkpoints")
	if err := os.MkdirAll(ckptDir, 0o755); err != nil {
		return err
	}
	latest := filepath.Join(ckptDir, "latest.safetensors")

	var tr *gan.Trainer
	if o.resume {
		if tr, err = gan.LoadCheckpoint(latest, 3); err != nil {
			return fmt.Errorf("resume: %w", err)
		}
		if err := checkSize(o.size, tr.Config.DLayers); err != nil {
			return err
		}
		fmt.Printf("resumed at iteration %d from %s\n", tr.Step, latest)
	} else {
		if err := o.saveDataFlags(); err != nil {
			return err
		}
		cfg, err := o.config()
		if err != nil {
			return err
		}
		if err := checkSize(o.size, cfg.DLayers); err != nil {
			return err
		}
		if tr, err = gan.NewTrainer(cfg, 3); err != nil {
			return err
		}
	}
	cfg := tr.Config
	total := cfg.Iters + cfg.DecayIters
	resumeStep := -1
	if o.resume {
		resumeStep = tr.Step
	}
	log, err := openLossLog(filepath.Join(o.out, "loss_log.csv"), resumeStep)
	if err != nil {
		return err
	}
	defer log.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var deadline time.Time
	if o.minutes > 0 {
		deadline = time.Now().Add(time.Duration(o.minutes * float64(time.Minute)))
	}
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetDescription("training"),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("it"),
		progressbar.OptionSetPredictTime(true), progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(20), progressbar.OptionThrottle(500*time.Millisecond))
	_ = bar.Set(tr.Step)
	start := time.Now()
	interrupted := false
	for tr.Step < total {
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			fmt.Printf("\ntime limit of %.1f minutes reached at iteration %d of %d\n", o.minutes, tr.Step, total)
			break
		}
		rng := rand.New(rand.NewPCG(tr.SampleRNG(tr.Step).Uint64(), 7))
		a, err := sampleBatch(ds.trainA, rng, cfg.Batch)
		if err != nil {
			return err
		}
		b, err := sampleBatch(ds.trainB, rng, cfg.Batch)
		if err != nil {
			return err
		}
		losses, err := tr.TrainStep(a, b)
		if err != nil {
			return fmt.Errorf("%w; the last good checkpoint is %s", err, latest)
		}
		if err := log.Write(tr.Step, time.Since(start), losses); err != nil {
			return err
		}
		if stepDone != nil {
			stepDone(tr.Step)
		}
		bar.Describe(fmt.Sprintf("G_A %.3f G_B %.3f cyc %.3f sem %.3f D %.3f", losses.GA, losses.GB, losses.CycleA+losses.CycleB, losses.Sem, losses.DA+losses.DB))
		_ = bar.Set(tr.Step)
		if tr.Step%o.sampleEvy == 0 {
			if err := writeSamples(tr, ds, filepath.Join(o.out, "samples", fmt.Sprintf("iter_%06d.png", tr.Step))); err != nil {
				return err
			}
		}
		if tr.Step%o.saveEvery == 0 {
			if err := tr.SaveCheckpoint(filepath.Join(ckptDir, fmt.Sprintf("iter_%06d.safetensors", tr.Step))); err != nil {
				return err
			}
			if err := tr.SaveCheckpoint(latest); err != nil {
				return err
			}
		}
	}
	fmt.Println()
	if err := tr.SaveCheckpoint(latest); err != nil {
		return err
	}
	fmt.Printf("checkpoint: %s (iteration %d)\n", latest, tr.Step)
	if interrupted {
		return errInterrupted
	}
	if err := writeSamples(tr, ds, filepath.Join(o.out, "samples", "final.png")); err != nil {
		return err
	}
	if err := plotLosses(filepath.Join(o.out, "loss_log.csv"), filepath.Join(o.out, "loss_curve.png")); err != nil {
		return err
	}
	return evaluate(tr, ds, o.out)
}
