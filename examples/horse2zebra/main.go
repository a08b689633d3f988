// Command horse2zebra trains, runs and evaluates the translation GAN of
// "Unsupervised image-to-image translation by semantics consistency and
// self-attention" on the built-in synthetic horse2zebra data or on a
// CycleGAN-style folder of real images.
//
// With no arguments it runs the quick demo: it trains a small `paper`
// model at 64x64 on the built-in data for a few minutes, evaluates it and
// writes everything under out/horse2zebra/.
//
//	horse2zebra train     [flags]   train (and evaluate at the end)
//	horse2zebra eval      [flags]   evaluate the latest checkpoint of -out
//	horse2zebra translate -weights FILE -in FILE|DIR -out DIR
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	args := os.Args[1:]
	cmd := "train"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "train":
		err = runTrain(args)
	case "eval":
		err = runEval(args)
	case "translate":
		err = runTranslate(args)
	case "help":
		fmt.Fprintln(os.Stderr, "usage: horse2zebra [train|eval|translate] [flags]; horse2zebra CMD -h lists the flags")
	default:
		err = fmt.Errorf("unknown command %q (want train, eval or translate)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "horse2zebra:", err)
		os.Exit(1)
	}
}

// parse parses fs from args, turning -h into a clean exit.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %v", fs.Name(), fs.Args())
	}
	return nil
}
