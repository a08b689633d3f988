package nn

import (
	"strconv"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
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
// The range runs as a chain of steps (see steps): where no gradient is
// recorded (autograd.NoGrad, or nothing requiring one), what each layer
// allocated goes back to the device's allocation cache as soon as the next
// layer has used it, so that inference holds about two activations at a
// time instead of one per layer.
func (s *Sequential) ForwardRange(x *autograd.Var, lo, hi int) *autograd.Var {
	st := openSteps()
	defer st.close()
	for i := lo; i < hi; {
		y, used := s.apply(x, i, hi)
		x, i = st.step(y), i+used
	}
	return st.result(x)
}

// Chain applies fs in turn, each to the result of the one before, starting
// from x, as a chain of steps as Sequential applies its layers: where no
// gradient is recorded, what a step allocated goes back to the device once
// the next step has used it. Modules whose Forward is a few stages (an
// encoder then a decoder, an attention then a residual sum) use it so that
// they free nothing themselves.
func Chain(x *autograd.Var, fs ...func(*autograd.Var) *autograd.Var) *autograd.Var {
	st := openSteps()
	defer st.close()
	for _, f := range fs {
		x = st.step(f(x))
	}
	return st.result(x)
}

// steps is a chain of computations, each reading the result of the one
// before, that owns what they allocate: a tensor.Scope. After a step whose
// result needs no gradient, everything the chain made before that result
// is given back (no graph can need it); after one whose result needs a
// gradient, all of it is kept, and passes with the result to the caller's
// scope, where the graph that needs it lives. The chain's input is the
// caller's and is never given back.
//
// A layer run in a chain must not keep, beyond its step, a tensor it made
// in that step (a lazily built constant, say) unless its result needs a
// gradient.
type steps struct{ scope *tensor.Scope }

func openSteps() steps { return steps{tensor.OpenScope()} }

// step ends a step whose result is y and returns y.
func (c steps) step(y *autograd.Var) *autograd.Var {
	if y.RequiresGrad() {
		c.scope.KeepAll()
	} else {
		c.scope.Trim(y.Value)
	}
	return y
}

// result keeps y, the chain's result, for the caller and returns it.
func (c steps) result(y *autograd.Var) *autograd.Var {
	c.scope.Keep(y.Value)
	return y
}

// close frees what the chain made and did not keep; a deferred call also
// gives it all back when a step panics.
func (c steps) close() { c.scope.Close() }

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
