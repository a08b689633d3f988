package tensor_test

import (
	"testing"

	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
)

// A nil gradient of AttentionBackwardAcc is not wanted: the others come out
// as when all three are asked for.
func TestAttentionBackwardAccNilNotWanted(t *testing.T) {
	rng := tensor.NewRNG(5)
	q, k, v := tensor.Normal(rng, 0, 1, 2, 3, 5), tensor.Normal(rng, 0, 1, 2, 3, 4), tensor.Normal(rng, 0, 1, 2, 6, 4)
	o, lse := tensor.Attention(q, k, v, 0.7)
	do := tensor.Normal(rng, 0, 1, 2, 6, 5)
	dq, dk, dv := tensor.ZerosLike(q), tensor.ZerosLike(k), tensor.ZerosLike(v)
	tensor.AttentionBackwardAcc(q, k, v, 0.7, o, lse, do, dq, dk, dv)
	onlyQ, onlyV := tensor.ZerosLike(q), tensor.ZerosLike(v)
	tensor.AttentionBackwardAcc(q, k, v, 0.7, o, lse, do, onlyQ, nil, nil)
	tensor.AttentionBackwardAcc(q, k, v, 0.7, o, lse, do, nil, nil, onlyV)
	assert.Equal(t, dq.Data(), onlyQ.Data())
	assert.Equal(t, dv.Data(), onlyV.Data())
	assert.PanicsWithValue(t, "tensor: AttentionBackwardAcc: dk has shape [2 3 5], want [2 3 4]", func() {
		tensor.AttentionBackwardAcc(q, k, v, 0.7, o, lse, do, nil, tensor.ZerosLike(q), nil)
	})
}

func TestInstanceNormBackwardAccChecksItsGradients(t *testing.T) {
	rng := tensor.NewRNG(6)
	x := tensor.Normal(rng, 0, 1, 2, 3, 4, 4)
	y, st := tensor.InstanceNorm(x, nil, nil, 1e-5)
	assert.PanicsWithValue(t, "tensor: InstanceNormBackwardAcc: dbeta has shape [4], want [3]", func() {
		tensor.InstanceNormBackwardAcc(x, nil, st, y, nil, nil, tensor.Zeros(4))
	})
	assert.PanicsWithValue(t, "tensor: InstanceNormBackwardAcc: dgamma has shape [2], want [3]", func() {
		tensor.InstanceNormBackwardAcc(x, nil, st, y, nil, tensor.Zeros(2), nil)
	})
}
