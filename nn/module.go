package nn

import "github.com/semgan/semgan/autograd"

// Module is a layer or a network of layers.
type Module interface {
	// Forward applies the module to x.
	Forward(x *autograd.Var) *autograd.Var
	// Parameters returns the module's trainable tensors with names relative
	// to the module, in a fixed order.
	Parameters() []Param
}

// Param is a named trainable tensor.
type Param struct {
	Name string
	Var  *autograd.Var
}

// Prefixed returns ps with prefix + "." put before every name.
func Prefixed(prefix string, ps []Param) []Param {
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: prefix + "." + p.Name, Var: p.Var}
	}
	return out
}

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
func (s *Sequential) ForwardRange(x *autograd.Var, lo, hi int) *autograd.Var {
	for i := lo; i < hi; i++ {
		// An instance norm followed by ReLU or LeakyReLU runs as one op,
		// which keeps one tensor for backward instead of two.
		if n, ok := s.Layers[i].(*InstanceNorm2d); ok && i+1 < hi {
			if slope, ok := activationSlope(s.Layers[i+1]); ok {
				x = autograd.InstanceNormAct(x, n.Weight, n.Bias, n.Eps, slope)
				i++
				continue
			}
		}
		// A reflection pad followed by a convolution runs as one op that
		// does not keep the padded tensor for backward.
		if pad, ok := s.Layers[i].(*ReflectionPad2d); ok && i+1 < hi {
			if c, ok := s.Layers[i+1].(*Conv2d); ok {
				x = autograd.PadConv2d(x, pad.Pad, c.Weight, c.Bias, c.Opts)
				i++
				continue
			}
		}
		x = s.Layers[i].Forward(x)
	}
	return x
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
		ps = append(ps, Prefixed(itoa(i), l.Parameters())...)
	}
	return ps
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// ZeroGrad frees the gradients of all of m's parameters.
func ZeroGrad(m Module) {
	for _, p := range m.Parameters() {
		p.Var.ZeroGrad()
	}
}

// SetRequiresGrad switches gradient tracking of all of m's parameters, to
// freeze a discriminator while its generator trains.
func SetRequiresGrad(m Module, on bool) {
	for _, p := range m.Parameters() {
		p.Var.SetRequiresGrad(on)
	}
}

// CountParameters returns the number of scalar parameters of m.
func CountParameters(m Module) int {
	n := 0
	for _, p := range m.Parameters() {
		n += p.Var.Value.Len()
	}
	return n
}
