package tensor_test

import (
	"testing"

	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// concatRef joins along dim the plain way, element by element.
func concatRef(dim int, ts ...*tensor.Tensor) []float32 {
	outer := 1
	for _, d := range ts[0].Shape()[:dim] {
		outer *= d
	}
	var out []float32
	for o := range outer {
		for _, t := range ts {
			n := t.Len() / outer
			out = append(out, t.Data()[o*n:(o+1)*n]...)
		}
	}
	return out
}

func TestConcat(t *testing.T) {
	rng := tensor.NewRNG(2)
	other := bareCPU(t)
	for _, tc := range []struct {
		dim    int
		shapes [][]int
	}{
		{1, [][]int{{2, 3, 4, 5}, {2, 1, 4, 5}, {2, 4, 4, 5}}},
		{0, [][]int{{2, 3}, {1, 3}}},
		{3, [][]int{{2, 2, 3, 1}, {2, 2, 3, 4}}},
		{1, [][]int{{2, 3, 2, 2}, {2, 0, 2, 2}, {2, 1, 2, 2}}}, // an empty input
		{1, [][]int{{1, 5, 3, 3}}},
	} {
		var ts, tso []*tensor.Tensor
		for _, s := range tc.shapes {
			x := tensor.Normal(rng, 0, 1, s...)
			ts = append(ts, x)
			tso = append(tso, tensor.FromSliceOn(other, x.Data(), s...))
		}
		y, yo := tensor.Concat(tc.dim, ts...), tensor.Concat(tc.dim, tso...)
		want := concatRef(tc.dim, ts...)
		assert.Equal(t, want, y.Data(), "%v", tc.shapes)
		assert.Equal(t, want, yo.Data(), "%v on another device", tc.shapes)
		assert.Equal(t, y.Shape(), yo.Shape())

		// Backward: each gradient gets its own part of dy, added to what it
		// held; a nil gradient is skipped.
		dy := tensor.Normal(rng, 0, 1, y.Shape()...)
		dyo := tensor.FromSliceOn(other, dy.Data(), dy.Shape()...)
		dxs, dxso := make([]*tensor.Tensor, len(ts)), make([]*tensor.Tensor, len(ts))
		for i, x := range ts {
			if i == 1 && len(ts) > 2 {
				continue
			}
			dxs[i] = tensor.Full(1, x.Shape()...)
			dxso[i] = tensor.FromSliceOn(other, dxs[i].Data(), x.Shape()...)
		}
		tensor.ConcatBackwardAcc(tc.dim, ts, dy, dxs)
		tensor.ConcatBackwardAcc(tc.dim, tso, dyo, dxso)
		var parts []*tensor.Tensor
		for i, dx := range dxs {
			if dx == nil {
				parts = append(parts, tensor.ZerosLike(ts[i]))
				continue
			}
			parts = append(parts, tensor.Add(dx, tensor.Full(-1, 1)))
			assert.Equal(t, dx.Data(), dxso[i].Data(), "%v: gradient %d on another device", tc.shapes, i)
		}
		back := concatRef(tc.dim, parts...)
		for i, v := range dy.Data() {
			if back[i] != 0 {
				assert.InDelta(t, v, back[i], 1e-6, "%v: element %d", tc.shapes, i)
			}
		}
	}
}

func TestConcatPanics(t *testing.T) {
	require.PanicsWithValue(t, "tensor: Concat: along dimension 1: shape [2 3 4 4] vs [2 3 4 5]",
		func() { tensor.Concat(1, tensor.Zeros(2, 3, 4, 5), tensor.Zeros(2, 3, 4, 4)) })
	require.Panics(t, func() { tensor.Concat(4, tensor.Zeros(2, 3, 4, 5)) })
	require.Panics(t, func() { tensor.Concat(0) })
	require.Panics(t, func() {
		tensor.ConcatBackwardAcc(1, []*tensor.Tensor{tensor.Zeros(1, 2)}, tensor.Zeros(1, 3), []*tensor.Tensor{nil})
	})
}
