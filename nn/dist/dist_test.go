package dist

import (
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSingleRank(t *testing.T) {
	c := Single()
	assert.Equal(t, 0, c.Rank())
	assert.Equal(t, 1, c.Size())
	buf := []float32{1, 2, 3}
	require.NoError(t, AllReduceMean(c, buf))
	require.NoError(t, c.Broadcast(buf, 0))
	require.NoError(t, c.Barrier())
	assert.Equal(t, []float32{1, 2, 3}, buf)
}

// fakeComm is a two-rank group seen from rank 0, where the other rank
// holds offset(i) at position i of every message; it records the length
// of every message.
type fakeComm struct {
	single
	offset   func(i int) float32
	messages []int
}

func (f *fakeComm) Size() int { return 2 }

func (f *fakeComm) AllReduceSum(buf []float32) error {
	f.messages = append(f.messages, len(buf))
	for i := range buf {
		buf[i] += f.offset(i)
	}
	return nil
}

func (f *fakeComm) Broadcast(buf []float32, root int) error {
	f.messages = append(f.messages, len(buf))
	for i := range buf {
		buf[i] = f.offset(i)
	}
	return nil
}

// params returns parameters of the given sizes with gradients, values and
// gradients numbered from 1 in order over all of them.
func params(sizes ...int) []nn.Param {
	var ps []nn.Param
	next := float32(1)
	for i, n := range sizes {
		v, g := make([]float32, n), make([]float32, n)
		for j := range v {
			v[j], g[j] = next, 10*next
			next++
		}
		p := autograd.Param(tensor.FromSlice(v, n))
		p.Grad = tensor.FromSlice(g, n)
		ps = append(ps, nn.Param{Name: string(rune('a' + i)), Var: p})
	}
	return ps
}

// TestAllReduceGradsMeanBuckets checks that gradients are packed into
// buckets of at most BucketFloats values (a larger tensor alone), that
// each value is averaged with the value at the same place on the other
// rank, and that parameters without a gradient are left out.
func TestAllReduceGradsMeanBuckets(t *testing.T) {
	ps := params(3, BucketFloats-5, 4, BucketFloats+7, 2)
	ps = append(ps, nn.Param{Name: "nograd", Var: autograd.Param(tensor.Zeros(5))})
	// The other rank's message holds the position in the message, so the
	// mean shows where each value travelled.
	c := &fakeComm{offset: func(i int) float32 { return float32(i) }}
	before := [][]float32{}
	for _, p := range ps[:5] {
		before = append(before, p.Var.Grad.Data())
	}
	require.NoError(t, AllReduceGradsMean(c, ps))
	assert.Equal(t, []int{3 + BucketFloats - 5, 4, BucketFloats + 7, 2}, c.messages)
	for k, p := range ps[:5] {
		// The position of the parameter's first value within its message.
		start := map[int]int{0: 0, 1: 3, 2: 0, 3: 0, 4: 0}[k]
		got := p.Var.Grad.Data()
		for _, j := range []int{0, len(got) / 2, len(got) - 1} {
			want := (before[k][j] + float32(start+j)) / 2
			if got[j] != want {
				t.Errorf("parameter %s[%d]: got %v, want %v", p.Name, j, got[j], want)
			}
		}
	}
	assert.Nil(t, ps[5].Var.Grad)
}

func TestBroadcastParams(t *testing.T) {
	ps := params(5, 3)
	c := &fakeComm{offset: func(i int) float32 { return -float32(i) }}
	require.NoError(t, BroadcastParams(c, ps))
	assert.Equal(t, []float32{0, -1, -2, -3, -4}, ps[0].Var.Value.Data())
	assert.Equal(t, []float32{-5, -6, -7}, ps[1].Var.Value.Data())
	assert.Equal(t, []int{8}, c.messages)
}

func TestOpenWithoutLauncherIsSingle(t *testing.T) {
	if launchedByMPI() {
		t.Skip("started by an MPI launcher")
	}
	c, err := Open()
	require.NoError(t, err)
	assert.Equal(t, 1, c.Size())
	require.NoError(t, c.Close())
}
