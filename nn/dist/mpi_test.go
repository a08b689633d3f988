//go:build mpi

package dist_test

import (
	"fmt"
	"testing"

	"github.com/semgan/semgan/nn/dist"
	"github.com/semgan/semgan/nn/dist/disttest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// world is the group the test binary was started in; under mpirun every
// rank runs every test.
var world dist.Comm

func TestMain(m *testing.M) { disttest.Main(m, &world) }

func needRanks(t *testing.T) {
	if world.Size() < 2 {
		t.Skip("needs two ranks or more: mpirun -np 2 ./dist.test")
	}
}

func TestMPICollectives(t *testing.T) {
	needRanks(t)
	r, n := world.Rank(), world.Size()
	// Larger than one bucket, so that the wrappers' loops are covered.
	buf := make([]float32, dist.BucketFloats+3)
	for i := range buf {
		buf[i] = float32(r*1000 + i%1000)
	}
	require.NoError(t, dist.AllReduceMean(world, buf))
	sumR := float32(n*(n-1)/2) * 1000
	for _, i := range []int{0, 1, 999, len(buf) - 1} {
		assert.Equal(t, (sumR+float32(n*(i%1000)))/float32(n), buf[i], "mean at %d", i)
	}

	msg := []float32{float32(r), float32(r) + 0.5}
	require.NoError(t, world.Broadcast(msg, n-1))
	assert.Equal(t, []float32{float32(n - 1), float32(n) - 0.5}, msg)
	require.NoError(t, world.Barrier())
}

func TestMPIBadRoot(t *testing.T) {
	needRanks(t)
	err := world.Broadcast([]float32{1}, world.Size())
	require.Error(t, err)
	assert.Contains(t, err.Error(), fmt.Sprintf("rank %d of %d: MPI_Bcast", world.Rank(), world.Size()))
}
