package main

import (
	"fmt"
	"reflect"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/nn"
)

// configFlag names the flag that sets each field of gan.Config.
var configFlag = map[string]string{
	"NGF": "ngf", "NDF": "ndf", "Blocks": "blocks", "DLayers": "dlayers", "Attention": "attn",
	"LambdaCycle": "lambda-cycle", "LambdaIdentity": "lambda-idt", "LambdaSem": "lambda-sem",
	"LRG": "lr-g", "LRD": "lr-d", "Beta1": "beta1", "Beta2": "beta2",
	"Iters": "iters", "DecayIters": "decay", "Batch": "batch", "PoolSize": "pool",
	"DSteps": "d-steps", "Seed": "seed", "Precision": "precision",
}

// resumeConfig returns the configuration a resumed run continues with: the
// checkpoint's (saved, after step iterations) with the flags given on the
// command line applied as they would be to a new run. Only the schedule
// may change, and only grow: -iters and -decay may extend a run (its
// learning rate then follows the new schedule from step on); and
// -precision, given, replaces the checkpoint's precision. Any other
// difference is an error naming the flag. note receives a line describing
// an extension or a new precision.
func resumeConfig(o *options, saved gan.Config, step int, note func(string)) (gan.Config, error) {
	base := saved
	if o.set["preset"] {
		var err error
		if base, err = gan.Preset(o.preset); err != nil {
			return saved, err
		}
	}
	if !o.set["seed"] {
		o.seed = saved.Seed
	}
	if !o.set["precision"] {
		o.precision = saved.Precision.String()
	}
	want, err := o.apply(base)
	if err != nil {
		return saved, fmt.Errorf("resume: %w", err)
	}
	sv, wv := reflect.ValueOf(saved), reflect.ValueOf(want)
	for i := range sv.NumField() {
		field := sv.Type().Field(i).Name
		if reflect.DeepEqual(sv.Field(i).Interface(), wv.Field(i).Interface()) {
			continue
		}
		name := configFlag[field]
		if field == "Precision" { // only when -precision is given
			note(fmt.Sprintf("precision changed from the checkpoint's %v to %v", saved.Precision, want.Precision))
			continue
		}
		if field == "Iters" || field == "DecayIters" {
			if old, now := sv.Field(i).Int(), wv.Field(i).Int(); now < old {
				return saved, fmt.Errorf("resume: -%s %d is below the run's %d: a resumed run can extend its schedule, not shorten it", name, now, old)
			}
			continue
		}
		if !o.set[name] {
			name = "preset " + o.preset // the difference comes from -preset
		}
		return saved, fmt.Errorf("resume: -%s would change %s from the checkpoint's %v to %v; a resumed run keeps its model and losses (only -iters and -decay can extend it): drop the flag, or start a new run with another -out",
			name, field, sv.Field(i).Interface(), wv.Field(i).Interface())
	}
	if want.Iters != saved.Iters || want.DecayIters != saved.DecayIters {
		note(fmt.Sprintf("schedule extended from %d+%d to %d+%d iterations (base rate + decay); at iteration %d the learning rate goes from %.3g to %.3g of its base",
			saved.Iters, saved.DecayIters, want.Iters, want.DecayIters, step,
			nn.LinearDecay(step, saved.Iters, saved.DecayIters), nn.LinearDecay(step, want.Iters, want.DecayIters)))
	}
	return want, nil
}
