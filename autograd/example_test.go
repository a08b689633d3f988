package autograd_test

import (
	"fmt"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/tensor"
)

// Backward fills the Grad of every Var the loss depends on.
func ExampleBackward() {
	x := autograd.Param(tensor.FromSlice([]float32{1, 2, 3}, 3))
	loss := autograd.Sum(autograd.Mul(x, x)) // sum x^2
	autograd.Backward(loss)
	fmt.Println(loss.Item(), x.Grad.Data())
	// Output: 14 [2 4 6]
}

// GradCheck compares an op's analytic gradient with finite differences.
func ExampleGradCheck() {
	x := autograd.Param(tensor.Normal(tensor.NewRNG(1), 0, 1, 2, 3))
	err := autograd.GradCheck(func(in []*autograd.Var) *autograd.Var { return autograd.Tanh(in[0]) },
		[]*autograd.Var{x}, autograd.DefaultGradCheck)
	fmt.Println(err)
	// Output: <nil>
}
