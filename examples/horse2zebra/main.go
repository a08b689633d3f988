// Command horse2zebra trains, runs and evaluates the translation GAN of
// "Unsupervised image-to-image translation by semantics consistency and
// self-attention" on the built-in synthetic horse2zebra data or on a
// CycleGAN-style folder of real images.
//
// With no arguments it runs the quick demo: it trains a small `paper`
// model at 64x64 on the built-in data for a few minutes, evaluates it and
// writes everything under out/horse2zebra/.
//
//	horse2zebra demo      [flags]   the quick demo, with flags on top of its own
//	horse2zebra train     [flags]   train (and evaluate at the end)
//	horse2zebra eval      [flags]   evaluate the latest checkpoint of -out
//	horse2zebra translate -weights FILE -in FILE|DIR -out DIR
//	horse2zebra serve     -out DIR [-addr 127.0.0.1:8080]   a live web view of a run
//
// translate takes a training checkpoint, or a generator state dict with the
// official CycleGAN key names as safetensors or as a PyTorch .pth/.pt file.
//
// The exit status is 0 on success (and for -h), 128 plus the signal's
// number when training was stopped by SIGINT (Ctrl-C, 130) or SIGTERM (143)
// after it saved a checkpoint that -resume continues from, the same after a
// second signal that stopped it at once, and 1 on any other error.
// docs/cli-reliability.md lists how the commands fail and what they keep.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	// The CUDA backend registers itself when built with -tags cuda (or
	// cudaemu); without a tag the package is empty.
	_ "github.com/semgan/semgan/kernels/cuda"
)

// stdout and stderr are where the commands write; tests replace them.
var (
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

func main() {
	os.Exit(exitCode(run(os.Args[1:])))
}

// usage lists the commands.
const usage = `usage: horse2zebra [command] [flags]

commands:
  demo        the quick demo (the default): train a small model at 64x64 on the built-in data
  train       train (and evaluate at the end); -resume continues a run
  eval        evaluate the latest checkpoint of -out
  translate   translate images with a checkpoint or a generator state dict
  serve       a live web view of a run (-out DIR, -addr 127.0.0.1:8080): samples, losses, metrics, translation

horse2zebra COMMAND -h lists the command's flags.
`

// run executes the command line args (without the program name).
func run(args []string) error {
	if len(args) == 0 {
		args = []string{"demo"}
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	case "help":
		fmt.Fprint(stderr, usage)
		return nil
	}
	cmd := "train"
	if args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "demo":
		// Later flags override earlier ones: the user's go after the demo's.
		fmt.Fprintln(stdout, "quick demo: the paper's model, scaled down, on the built-in horse2zebra at 64x64; flags:", quickDemo, args)
		return runTrain(append(slices.Clone(quickDemo), args...))
	case "train":
		return runTrain(args)
	case "eval":
		return runEval(args)
	case "translate":
		return runTranslate(args)
	case "serve":
		return runServe(args)
	}
	return fmt.Errorf("unknown command %q (want demo, train, eval, translate or serve; horse2zebra -h lists them)", cmd)
}

// exitCode reports err on stderr and returns the process's exit status.
func exitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "horse2zebra:", err)
	var stop *stopped
	if errors.As(err, &stop) {
		return stop.exitCode()
	}
	if errors.Is(err, errInterrupted) {
		return 130
	}
	return 1
}

// parse parses fs from args. After -h it prints the flags and returns
// flag.ErrHelp, which is not a failure. A bad flag's error is returned
// (and printed once, by exitCode), with a pointer to -h.
func parse(fs *flag.FlagSet, args []string) error {
	var help bytes.Buffer
	fs.SetOutput(&help)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		stderr.Write(help.Bytes())
		return err
	case err != nil:
		return fmt.Errorf("%s: %w (horse2zebra %s -h lists the flags)", fs.Name(), err, fs.Name())
	case fs.NArg() > 0:
		return fmt.Errorf("%s: unexpected arguments %v", fs.Name(), fs.Args())
	}
	return nil
}
