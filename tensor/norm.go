package tensor

import "github.com/semgan/semgan/kernels"

// NormStats are the per-plane statistics InstanceNorm keeps for its
// backward pass: mean and 1/sqrt(var+eps), each of N*C elements.
type NormStats struct {
	Mean, Rstd *Tensor
}

// Free releases the statistics.
func (s NormStats) Free() {
	s.Mean.Free()
	s.Rstd.Free()
}

// normParams checks x [N, C, ...] and the optional per-channel tensors
// named in perChannel (nil entries skipped).
func normParams(op string, x *Tensor, eps float32, perChannel ...named) kernels.NormParams {
	if x.Rank() < 3 {
		mustRank(op, "input", x, 4)
	}
	p := kernels.NormParams{N: x.shape[0], C: x.shape[1], S: x.Len() / (x.shape[0] * x.shape[1]), Eps: eps}
	for _, c := range perChannel {
		if c.t != nil {
			mustShape(op, c.name, c.t, p.C)
		}
	}
	return p
}

// named pairs a tensor with its name in messages.
type named struct {
	name string
	t    *Tensor
}

// InstanceNorm normalises each (n, c) plane of x [N, C, ...] to zero mean
// and unit (biased) variance, then applies the optional per-channel gamma
// and beta, as torch's instance_norm without running statistics.
func InstanceNorm(x, gamma, beta *Tensor, eps float32) (*Tensor, NormStats) {
	p := normParams("InstanceNorm", x, eps, named{"weight", gamma}, named{"bias", beta})
	mustSameDevice("InstanceNorm", x, gamma, beta)
	y := New(x.dev, x.shape...)
	st := NormStats{Mean: New(x.dev, p.N, p.C), Rstd: New(x.dev, p.N, p.C)}
	x.dev.InstanceNormForward(p, x.buf, bufOf(gamma), bufOf(beta), y.buf, st.Mean.buf, st.Rstd.buf)
	return y, st
}

// InstanceNormBackwardAcc accumulates the gradients of InstanceNorm into dx,
// dgamma and dbeta (each may be nil) given dy and the forward statistics.
func InstanceNormBackwardAcc(x, gamma *Tensor, st NormStats, dy, dx, dgamma, dbeta *Tensor) {
	p := normParams("InstanceNormBackwardAcc", x, 0, named{"weight", gamma}, named{"dgamma", dgamma}, named{"dbeta", dbeta})
	mustSameDevice("InstanceNormBackwardAcc", x, gamma, dy, dx, dgamma, dbeta)
	mustShape("InstanceNormBackwardAcc", "mean", st.Mean, p.N, p.C)
	mustShape("InstanceNormBackwardAcc", "rstd", st.Rstd, p.N, p.C)
	mustShape("InstanceNormBackwardAcc", "dy", dy, x.shape...)
	if dx != nil {
		mustShape("InstanceNormBackwardAcc", "dx", dx, x.shape...)
	}
	x.dev.InstanceNormBackward(p, x.buf, bufOf(gamma), st.Mean.buf, st.Rstd.buf, dy.buf, bufOf(dx), bufOf(dgamma), bufOf(dbeta))
}
