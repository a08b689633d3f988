package cuda

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeviceOrdinal(t *testing.T) {
	for _, v := range []string{"SEMGAN_CUDA_DEVICE", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"} {
		t.Setenv(v, "")
	}
	d, err := deviceOrdinal(4)
	require.NoError(t, err)
	assert.Equal(t, 0, d, "no launcher, no setting")

	t.Setenv("OMPI_COMM_WORLD_LOCAL_RANK", "5")
	d, err = deviceOrdinal(4)
	require.NoError(t, err)
	assert.Equal(t, 1, d, "local rank 5 of a node with 4 GPUs")

	t.Setenv("SEMGAN_CUDA_DEVICE", "2")
	d, err = deviceOrdinal(4)
	require.NoError(t, err)
	assert.Equal(t, 2, d, "the setting wins")

	t.Setenv("SEMGAN_CUDA_DEVICE", "4")
	_, err = deviceOrdinal(4)
	assert.ErrorContains(t, err, "SEMGAN_CUDA_DEVICE")

	t.Setenv("SEMGAN_CUDA_DEVICE", "")
	t.Setenv("OMPI_COMM_WORLD_LOCAL_RANK", "x")
	_, err = deviceOrdinal(4)
	assert.ErrorContains(t, err, "OMPI_COMM_WORLD_LOCAL_RANK")
}
