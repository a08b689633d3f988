package tensor

import "github.com/semgan/semgan/kernels"

// AdamStep applies one Adam update to param from grad, updating the first
// and second moment estimates m and v in place. All four tensors must have
// the same shape.
func AdamStep(p kernels.AdamParams, param, grad, m, v *Tensor) {
	for _, t := range []struct {
		name string
		t    *Tensor
	}{{"grad", grad}, {"m", m}, {"v", v}} {
		mustShape("AdamStep", t.name, t.t, param.shape...)
	}
	mustSameDevice("AdamStep", param, grad, m, v)
	param.dev.Adam(p, param.buf, grad.buf, m.buf, v.buf)
}
