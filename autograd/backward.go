package autograd

import (
	"fmt"

	"github.com/semgan/semgan/tensor"
)

// Backward computes the gradient of the one-element loss with respect to
// every Var it depends on, accumulating into their Grad fields (call
// ZeroGrad or an optimizer's ZeroGrad between steps), then releases the
// graph. It panics if loss has more than one element.
func Backward(loss *Var) {
	if loss.Value.Len() != 1 {
		panic(fmt.Sprintf("autograd: Backward: loss has shape %v; use BackwardWith for non-scalar outputs", loss.Shape()))
	}
	seed := tensor.ZerosLike(loss.Value)
	defer seed.Free()
	seed.Fill(1)
	BackwardWith(loss, seed)
}

// BackwardWith runs the backward pass from out with the output gradient
// grad (same shape as out), which is the vector of a vector-Jacobian
// product. The graph is released afterwards: a second call on the same
// graph reaches only the leaves directly.
func BackwardWith(out *Var, grad *tensor.Tensor) {
	if !out.SameShapeAs(grad) {
		panic(fmt.Sprintf("autograd: BackwardWith: output %v vs gradient %v", out.Shape(), grad.Shape()))
	}
	if !out.requiresGrad {
		return
	}
	tensor.AddScaledAcc(1, grad, out.grad())
	order := topoOrder(out)
	for i := len(order) - 1; i >= 0; i-- {
		// Every consumer of v comes after it in order, so v.Grad is
		// complete here, and once v's backward has run nothing needs it:
		// it is released at once, which keeps at most the gradients of
		// the graph's frontier alive instead of all of them.
		v := order[i]
		if v.Grad != nil {
			v.node.backward(v.Grad)
		}
		release(v, out)
	}
}

// SameShapeAs reports whether v's value has t's shape.
func (v *Var) SameShapeAs(t *tensor.Tensor) bool { return v.Value.SameShape(t) }

// topoOrder returns the non-leaf Vars reachable from out, each after all of
// its inputs, using an explicit stack so deep graphs cannot overflow.
func topoOrder(out *Var) []*Var {
	var order []*Var
	visited := map[*Var]bool{}
	type frame struct {
		v    *Var
		next int // index of the next input to visit
	}
	stack := []frame{{v: out}}
	visited[out] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.v.node == nil || top.next == len(top.v.node.inputs) {
			if top.v.node != nil {
				order = append(order, top.v)
			}
			stack = stack[:len(stack)-1]
			continue
		}
		in := top.v.node.inputs[top.next]
		top.next++
		if in != nil && in.requiresGrad && !visited[in] {
			visited[in] = true
			stack = append(stack, frame{v: in})
		}
	}
	return order
}

// release frees what the graph owns of the intermediate v once its
// backward has run: its gradient (out keeps its own for inspection) and its
// node's scratch, and drops the closure so the values it captured can be
// collected. The released v becomes a constant, as if detached.
func release(v, out *Var) {
	freeAll(v.node.scratch)
	v.node = nil
	v.requiresGrad = false
	if v != out {
		v.ZeroGrad()
	}
}
