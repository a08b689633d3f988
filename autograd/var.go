package autograd

import (
	"fmt"
	"sync/atomic"

	"github.com/semgan/semgan/tensor"
)

// Var is a tensor in a computation graph: its value, its gradient once
// Backward has run, and the node that produced it (nil for leaves).
type Var struct {
	// Value is the tensor computed by the forward pass.
	Value *tensor.Tensor
	// Grad is the accumulated gradient of the loss with respect to Value.
	// It is nil until a backward pass reaches this Var; for intermediate
	// results it is freed when Backward returns.
	Grad *tensor.Tensor

	requiresGrad bool
	node         *node
}

// node records how a Var was computed.
type node struct {
	inputs []*Var
	// backward accumulates into the inputs' gradients from out.Grad.
	backward func(out *tensor.Tensor)
	// scratch holds tensors owned by the node (such as the statistics kept
	// for backward), freed when the graph is released.
	scratch []*tensor.Tensor
}

// Param returns a leaf that requires a gradient: a trainable parameter or
// an input being checked.
func Param(t *tensor.Tensor) *Var { return &Var{Value: t, requiresGrad: true} }

// Const returns a leaf that needs no gradient.
func Const(t *tensor.Tensor) *Var { return &Var{Value: t} }

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// SetRequiresGrad turns gradient tracking of the leaf v on or off (to freeze
// a network's parameters). It panics on a non-leaf.
func (v *Var) SetRequiresGrad(on bool) {
	if v.node != nil {
		panic("autograd: SetRequiresGrad on a non-leaf Var")
	}
	v.requiresGrad = on
}

// Shape returns the shape of v's value.
func (v *Var) Shape() []int { return v.Value.Shape() }

// Detach returns a leaf sharing v's value that is cut from the graph and
// needs no gradient.
func (v *Var) Detach() *Var { return &Var{Value: v.Value} }

// ZeroGrad frees v's gradient; the next backward pass starts it from zero.
func (v *Var) ZeroGrad() {
	v.Grad.Free()
	v.Grad = nil
}

// Item returns the value of a one-element Var.
func (v *Var) Item() float32 { return v.Value.Item() }

// String formats v's value.
func (v *Var) String() string { return fmt.Sprintf("Var(%v)", v.Value) }

// grad returns v's gradient tensor, allocating it zero-filled on first use.
// Backward closures accumulate into it.
func (v *Var) grad() *tensor.Tensor {
	if v.Grad == nil {
		v.Grad = tensor.ZerosLike(v.Value)
	}
	return v.Grad
}

// gradIf returns v's gradient tensor if v needs one, else nil: the "not
// wanted" of the tensor package's backward functions.
func (v *Var) gradIf() *tensor.Tensor {
	if v == nil || !v.requiresGrad {
		return nil
	}
	return v.grad()
}

// valueOf returns v's value, or nil for a nil v (an absent bias or affine
// parameter).
func valueOf(v *Var) *tensor.Tensor {
	if v == nil {
		return nil
	}
	return v.Value
}

var noGradDepth atomic.Int32

// NoGrad runs fn without recording a graph: every Var made inside is a
// constant. Use it for inference and evaluation. It is not scoped to a
// goroutine: do not build graphs on other goroutines while it runs.
func NoGrad(fn func()) {
	noGradDepth.Add(1)
	defer noGradDepth.Add(-1)
	fn()
}

// record wraps the result of an operation. If recording is on and any input
// requires a gradient, the result gets a node with the backward closure.
func record(value *tensor.Tensor, inputs []*Var, backward func(out *tensor.Tensor), scratch ...*tensor.Tensor) *Var {
	out := &Var{Value: value}
	if noGradDepth.Load() > 0 {
		freeAll(scratch)
		return out
	}
	for _, in := range inputs {
		if in != nil && in.requiresGrad {
			out.requiresGrad = true
			out.node = &node{inputs: inputs, backward: backward, scratch: scratch}
			return out
		}
	}
	freeAll(scratch)
	return out
}

func freeAll(ts []*tensor.Tensor) {
	for _, t := range ts {
		t.Free()
	}
}
