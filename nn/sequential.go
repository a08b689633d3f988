package nn

import (
	"strconv"

	"github.com/semgan/semgan/autograd"
)

// Sequential applies its layers in order. Its parameters are named by the
// layer's index, as torch.nn.Sequential names them.
type Sequential struct {
	Layers []Module
}

// NewSequential returns a Sequential of the given layers.
func NewSequential(layers ...Module) *Sequential { return &Sequential{Layers: layers} }

// Forward applies every layer in turn.
func (s *Sequential) Forward(x *autograd.Var) *autograd.Var {
	return s.ForwardRange(x, 0, len(s.Layers))
}

// ForwardRange applies layers [lo, hi) in turn, as Forward does for all of
// them: pairs of layers that run as one op are fused within the range.
//
// Where no gradient is recorded (autograd.NoGrad, or nothing requiring
// one), each intermediate result goes back to the device's allocation cache as soon as
// the next layer has used it (see FreeIntermediate): inference then holds
// about two activations at a time instead of one per layer.
func (s *Sequential) ForwardRange(x *autograd.Var, lo, hi int) *autograd.Var {
	for i := lo; i < hi; {
		y, used := s.apply(x, i, hi)
		if i > lo { // x is a result of this range, not its input
			FreeIntermediate(x, y)
		}
		x, i = y, i+used
	}
	return x
}

// apply runs layer i on x, fused with layer i+1 (< hi) where the two run
// as one op, and returns the result and how many layers it consumed.
func (s *Sequential) apply(x *autograd.Var, i, hi int) (*autograd.Var, int) {
	if i+1 < hi {
		// An instance norm followed by ReLU or LeakyReLU runs as one op,
		// which keeps one tensor for backward instead of two.
		if n, ok := s.Layers[i].(*InstanceNorm2d); ok {
			if slope, ok := activationSlope(s.Layers[i+1]); ok {
				return autograd.InstanceNormAct(x, n.Weight, n.Bias, n.Eps, slope), 2
			}
		}
		// A reflection pad followed by a convolution runs as one op that
		// does not keep the padded tensor for backward.
		if pad, ok := s.Layers[i].(*ReflectionPad2d); ok {
			if c, ok := s.Layers[i+1].(*Conv2d); ok {
				return autograd.PadConv2d(x, pad.Pad, c.Weight, c.Bias, c.Opts), 2
			}
		}
	}
	return s.Layers[i].Forward(x), 1
}

// FreeIntermediate frees v, an intermediate result that the caller made
// and no longer needs, when no gradient is recorded through it (neither v
// nor any of results requires one), it owns its storage (it is not a
// Reshape view) and none of results shares that storage. Modules call it
// on their own intermediates, so that inference gives memory back layer by
// layer instead of at the next garbage collection.
func FreeIntermediate(v *autograd.Var, results ...*autograd.Var) {
	if v.RequiresGrad() || v.Value.IsView() {
		return
	}
	for _, r := range results {
		if r.RequiresGrad() || v.Value.SharesStorage(r.Value) {
			return
		}
	}
	v.Value.Free()
}

// activationSlope returns the negative-side slope of a ReLU (0) or of a
// LeakyReLU whose slope InstanceNormAct takes, and whether m is one.
func activationSlope(m Module) (float32, bool) {
	switch a := m.(type) {
	case ReLU, *ReLU:
		return 0, true
	case LeakyReLU:
		return a.Slope, a.Slope >= 0
	case *LeakyReLU:
		return a.Slope, a.Slope >= 0
	}
	return 0, false
}

// Parameters returns the layers' parameters as "<index>.<name>".
func (s *Sequential) Parameters() []Param {
	var ps []Param
	for i, l := range s.Layers {
		ps = append(ps, Prefixed(strconv.Itoa(i), l.Parameters())...)
	}
	return ps
}
