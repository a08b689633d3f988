package autograd

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
)

// unary applies op with parameter alpha and records its derivative.
func unary(op kernels.UnaryOp, alpha float32, x *Var) *Var {
	y := tensor.Apply(op, alpha, x.Value)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.ApplyBackwardAcc(op, alpha, x.Value, y, dy, x.grad())
	})
}

// ReLU returns max(x, 0).
func ReLU(x *Var) *Var { return unary(kernels.ReLU, 0, x) }

// LeakyReLU returns x where x > 0 and slope*x elsewhere.
func LeakyReLU(x *Var, slope float32) *Var { return unary(kernels.LeakyReLU, slope, x) }

// Tanh returns tanh(x).
func Tanh(x *Var) *Var { return unary(kernels.Tanh, 0, x) }

// Sigmoid returns 1/(1+exp(-x)).
func Sigmoid(x *Var) *Var { return unary(kernels.Sigmoid, 0, x) }

// Scale returns alpha*x.
func Scale(x *Var, alpha float32) *Var { return unary(kernels.Scale, alpha, x) }

// AddScalar returns x + alpha.
func AddScalar(x *Var, alpha float32) *Var { return unary(kernels.AddScalar, alpha, x) }

// Add returns a + b, with b broadcast over a's shape (NumPy rules, b aligned
// to a's trailing dimensions).
func Add(a, b *Var) *Var {
	y := tensor.Add(a.Value, b.Value)
	return record(y, []*Var{a, b}, func(dy *tensor.Tensor) {
		if a.requiresGrad {
			tensor.AddScaledAcc(1, dy, a.grad())
		}
		if b.requiresGrad {
			tensor.SumToAcc(dy, b.grad())
		}
	})
}

// Sub returns a - b, with b broadcast over a's shape.
func Sub(a, b *Var) *Var {
	y := tensor.Sub(a.Value, b.Value)
	return record(y, []*Var{a, b}, func(dy *tensor.Tensor) {
		if a.requiresGrad {
			tensor.AddScaledAcc(1, dy, a.grad())
		}
		if b.requiresGrad {
			neg := tensor.Apply(kernels.Scale, -1, dy)
			tensor.SumToAcc(neg, b.grad())
			neg.Free()
		}
	})
}

// Mul returns a * b, with b broadcast over a's shape.
func Mul(a, b *Var) *Var {
	y := tensor.Mul(a.Value, b.Value)
	return record(y, []*Var{a, b}, func(dy *tensor.Tensor) {
		if a.requiresGrad {
			// d/da = b
			t := tensor.Mul(dy, b.Value)
			tensor.AddScaledAcc(1, t, a.grad())
			t.Free()
		}
		if b.requiresGrad {
			// d/db = a, summed over the broadcast dimensions
			t := tensor.Mul(dy, a.Value)
			tensor.SumToAcc(t, b.grad())
			t.Free()
		}
	})
}

// Div returns a / b, with b broadcast over a's shape.
func Div(a, b *Var) *Var {
	y := tensor.Div(a.Value, b.Value)
	return record(y, []*Var{a, b}, func(dy *tensor.Tensor) {
		// d/da = 1/b
		g := tensor.Div(dy, b.Value)
		if a.requiresGrad {
			tensor.AddScaledAcc(1, g, a.grad())
		}
		if b.requiresGrad {
			// d/db = -a/b^2 = -(dy/b) * (a/b) = -g*y
			t := tensor.Mul(g, y)
			t.ScaleInPlace(-1)
			tensor.SumToAcc(t, b.grad())
			t.Free()
		}
		g.Free()
	})
}

// AddMul returns a + b*c, with b of a's shape and c broadcast over it: a
// residual sum such as x + gamma*o as one op, which keeps no b*c. It
// panics if a and b differ in shape.
func AddMul(a, b, c *Var) *Var {
	if !a.SameShapeAs(b.Value) {
		panic(fmt.Sprintf("autograd: AddMul: a %v vs b %v", a.Shape(), b.Shape()))
	}
	y := tensor.Mul(b.Value, c.Value)
	tensor.AddScaledAcc(1, a.Value, y)
	return record(y, []*Var{a, b, c}, func(dy *tensor.Tensor) {
		if a.requiresGrad {
			tensor.AddScaledAcc(1, dy, a.grad())
		}
		if b.requiresGrad {
			// d/db = c
			t := tensor.Mul(dy, c.Value)
			tensor.AddScaledAcc(1, t, b.grad())
			t.Free()
		}
		if c.requiresGrad {
			// d/dc = b, summed over the broadcast dimensions
			t := tensor.Mul(dy, b.Value)
			tensor.SumToAcc(t, c.grad())
			t.Free()
		}
	})
}

// Reshape returns x with a new shape of the same element count, sharing
// its storage.
func Reshape(x *Var, shape ...int) *Var {
	y := x.Value.Reshape(shape...)
	return record(y, []*Var{x}, func(dy *tensor.Tensor) {
		tensor.AddScaledAcc(1, dy, x.grad())
	})
}
