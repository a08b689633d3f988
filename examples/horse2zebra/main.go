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
//
// translate takes a training checkpoint, or a generator state dict with the
// official CycleGAN key names as safetensors or as a PyTorch .pth/.pt file.
//
// The exit status is 0 on success (and for -h), 130 when training was
// interrupted with Ctrl-C (after it saved a checkpoint that -resume
// continues from) and 1 on any other error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"

	// The CUDA backend registers itself when built with -tags cuda (or
	// cudaemu); without a tag the package is empty.
	_ "github.com/semgan/semgan/kernels/cuda"
)

func main() {
	os.Exit(exitCode(run(os.Args[1:])))
}

// run executes the command line args (without the program name).
func run(args []string) error {
	if len(args) == 0 {
		args = []string{"demo"}
	}
	cmd := "train"
	if args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "demo":
		// Later flags override earlier ones: the user's go after the demo's.
		fmt.Println("quick demo: the paper's model, scaled down, on the built-in horse2zebra at 64x64; flags:", quickDemo, args)
		return runTrain(append(slices.Clone(quickDemo), args...))
	case "train":
		return runTrain(args)
	case "eval":
		return runEval(args)
	case "translate":
		return runTranslate(args)
	case "help":
		fmt.Fprintln(os.Stderr, "usage: horse2zebra [demo|train|eval|translate] [flags]; horse2zebra CMD -h lists the flags")
		return nil
	}
	return fmt.Errorf("unknown command %q (want demo, train, eval or translate)", cmd)
}

// exitCode reports err on stderr and returns the process's exit status.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errInterrupted):
		fmt.Fprintln(os.Stderr, "horse2zebra:", err)
		return 130
	}
	fmt.Fprintln(os.Stderr, "horse2zebra:", err)
	return 1
}

// parse parses fs from args. After -h it returns flag.ErrHelp, which is not
// a failure.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %v", fs.Name(), fs.Args())
	}
	return nil
}
