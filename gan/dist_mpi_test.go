//go:build mpi

package gan_test

import (
	"math"
	"testing"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/dist"
	"github.com/semgan/semgan/nn/dist/disttest"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/require"
)

// world is the group the test binary was started in:
//
//	go test -c -tags mpi -o gan.test ./gan
//	mpirun -np 2 ./gan.test -test.run MPI
var world dist.Comm

func TestMain(m *testing.M) { disttest.Main(m, &world) }

// globalBatch returns iteration step's images for every rank together, a
// function of the step alone.
func globalBatch(step, n int) (a, b []float32) {
	rng := tensor.NewRNG(uint64(1000 + step))
	return tensor.Uniform(rng, -1, 1, n, 3, 16, 16).Data(), tensor.Uniform(rng, -1, 0.5, n, 3, 16, 16).Data()
}

// allParams returns the four networks' parameter values, in order, and
// whether each is the bias of a convolution followed by instance norm.
func allParams(tr *gan.Trainer) (values [][]float32, normed []bool) {
	for _, m := range []nn.Module{tr.GA, tr.GB, tr.DA, tr.DB} {
		var seqs []*nn.Sequential
		switch n := m.(type) {
		case *gan.Generator:
			seqs = append(seqs, n.Model)
			for _, l := range n.Model.Layers {
				if b, ok := l.(*gan.ResnetBlock); ok {
					seqs = append(seqs, b.ConvBlock)
				}
			}
		case *gan.Discriminator:
			seqs = append(seqs, n.Model)
		}
		before := map[*tensor.Tensor]bool{}
		for _, s := range seqs {
			for i, l := range s.Layers[:len(s.Layers)-1] {
				if _, ok := s.Layers[i+1].(*nn.InstanceNorm2d); !ok {
					continue
				}
				switch c := l.(type) {
				case *nn.Conv2d:
					if c.Bias != nil {
						before[c.Bias.Value] = true
					}
				case *nn.ConvTranspose2d:
					if c.Bias != nil {
						before[c.Bias.Value] = true
					}
				}
			}
		}
		for _, p := range m.Parameters() {
			values = append(values, p.Var.Value.Data())
			normed = append(normed, before[p.Var.Value])
		}
	}
	return values, normed
}

// TestMPITwoRanksEqualOne trains 5 iterations on every rank with one image
// each and compares, on every rank, with one process training on all the
// ranks' images at once: the parameters agree within float32 rounding of
// the sums' order, and they are bit-identical across ranks after every
// step.
func TestMPITwoRanksEqualOne(t *testing.T) {
	n, r := world.Size(), world.Rank()
	if n < 2 {
		t.Skip("needs two ranks or more: mpirun -np 2 ./gan.test -test.run MPI")
	}
	cfg := tinyConfig()
	cfg.PoolSize = 0 // per-rank pools would make the runs differ
	const steps, per = 5, 3 * 16 * 16

	cfg.Batch = 1
	ranked, err := gan.NewTrainer(cfg, 3)
	require.NoError(t, err)
	require.NoError(t, ranked.Join(world))
	for step := range steps {
		a, b := globalBatch(step, n)
		_, err := ranked.TrainStep(tensor.FromSlice(a[r*per:(r+1)*per], 1, 3, 16, 16),
			tensor.FromSlice(b[r*per:(r+1)*per], 1, 3, 16, 16))
		require.NoError(t, err)
		// Rank 0's parameters, sent to every rank, equal this rank's bit
		// for bit.
		mineAll, _ := allParams(ranked)
		for i, mine := range mineAll {
			theirs := append([]float32(nil), mine...)
			require.NoError(t, world.Broadcast(theirs, 0))
			for j := range mine {
				if math.Float32bits(mine[j]) != math.Float32bits(theirs[j]) {
					t.Fatalf("step %d: rank %d's parameter %d differs from rank 0's at %d: %v vs %v", step+1, r, i, j, mine[j], theirs[j])
				}
			}
		}
	}

	cfg.Batch = n
	whole, err := gan.NewTrainer(cfg, 3)
	require.NoError(t, err)
	for step := range steps {
		a, b := globalBatch(step, n)
		_, err := whole.TrainStep(tensor.FromSlice(a, n, 3, 16, 16), tensor.FromSlice(b, n, 3, 16, 16))
		require.NoError(t, err)
	}

	// A bias before instance norm has no effect and a gradient of pure
	// rounding, which Adam scales up to full steps of either sign: those
	// are left out.
	worst := 0.0
	gotAll, normed := allParams(ranked)
	wantAll, _ := allParams(whole)
	for i, got := range gotAll {
		if normed[i] {
			continue
		}
		want := wantAll[i]
		scale := 0.0
		for _, w := range want {
			scale = max(scale, math.Abs(float64(w)))
		}
		// The error relative to the tensor's scale, with a floor of 1e-3
		// under the scale: a parameter whose gradient is zero but for
		// rounding (the attention key's bias, which shifts every score of
		// a query alike) stays near 0 in both runs.
		scale = max(scale, 1e-3)
		for j := range got {
			worst = max(worst, math.Abs(float64(got[j]-want[j]))/scale)
		}
	}
	t.Logf("rank %d of %d: after %d steps the parameters differ from one process's by at most %.2g of each tensor's scale", r, n, steps, worst)
	require.Less(t, worst, 1e-4, "%d ranks of 1 image against 1 process of %d images", n, n)
}
