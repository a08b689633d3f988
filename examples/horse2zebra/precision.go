package main

import (
	"flag"
	"fmt"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
)

// The precision of the products (docs/precision.md). The command, not the
// gan package, applies it: train sets the run's (recorded in its
// checkpoints) with tensor.SetPrecision before the first iteration, and
// eval, translate and serve the checkpoint's, unless -precision is given.

// precisionUsage is the help text of -precision.
const precisionUsage = "precision of the products (convolutions, attention): auto (the device's default: fp32 on the cpu, tf32 on a GPU with tensor cores), fp32, tf32 or bf16; train records it in the checkpoint, and a resumed run, eval, translate and serve use the checkpoint's unless this flag is given"

// parsePrecision returns the precision -precision s names; auto is the
// default device's default.
func parsePrecision(s string) (kernels.Precision, error) {
	if s == "auto" {
		return tensor.Default().DefaultPrecision(), nil
	}
	p, err := kernels.ParsePrecision(s)
	if err != nil {
		return 0, fmt.Errorf("-precision %q: must be auto, fp32, tf32 or bf16", s)
	}
	return p, nil
}

// checkpointPrecision returns the precision a command that loads a
// checkpoint computes in: that of -precision s when isSet, else the
// checkpoint's saved one.
func checkpointPrecision(s string, isSet bool, saved kernels.Precision) (kernels.Precision, error) {
	if !isSet {
		return saved, nil
	}
	return parsePrecision(s)
}

// given reports whether the flag name was set on fs's command line.
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
