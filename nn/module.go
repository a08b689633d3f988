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
