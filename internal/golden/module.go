package golden

import (
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/require"
)

// Tensor returns the golden tensor key on the default device.
func (c *Case) Tensor(t testing.TB, key string) *tensor.Tensor {
	t.Helper()
	x := c.Get(t, key)
	return tensor.FromSlice(x.Data, x.Shape...)
}

// RunModule loads a module case's "param.<key>" tensors into m (whose
// parameter names must be the case's state-dict keys), runs m on "x",
// back-propagates "dy" and compares "y", "dx" and every "grad.<key>" within
// rtol.
func (c *Case) RunModule(t *testing.T, m nn.Module, rtol float64) {
	t.Helper()
	var names []string
	for _, p := range m.Parameters() {
		names = append(names, p.Name)
	}
	require.ElementsMatch(t, c.Keys(), names, "%s: parameter names", c.Name)
	sd := map[string]*tensor.Tensor{}
	for _, k := range c.Keys() {
		sd[k] = c.Tensor(t, "param."+k)
	}
	require.NoError(t, nn.LoadStateDict(m, sd))
	x := autograd.Param(c.Tensor(t, "x"))
	y := m.Forward(x)
	c.Compare(t, "y", y.Shape(), y.Value.Data(), rtol)
	autograd.BackwardWith(y, c.Tensor(t, "dy"))
	c.Compare(t, "dx", x.Shape(), x.Grad.Data(), rtol)
	for _, p := range m.Parameters() {
		require.NotNil(t, p.Var.Grad, p.Name)
		c.Compare(t, "grad."+p.Name, p.Var.Value.Shape(), p.Var.Grad.Data(), rtol)
	}
}
