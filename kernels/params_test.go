package kernels_test

import (
	"testing"

	"github.com/semgan/semgan/kernels"
	"github.com/stretchr/testify/require"
)

func TestBroadcastParamsValidate(t *testing.T) {
	for _, c := range []struct {
		p    kernels.BroadcastParams
		ok   bool
		last int
	}{
		// b over channels of [2, 3, 4, 5]: one value per channel.
		{kernels.BroadcastParams{Shape: [4]int{2, 3, 4, 5}, BStride: [4]int{0, 1, 0, 0}}, true, 2},
		// b the same shape as a, packed.
		{kernels.BroadcastParams{Shape: [4]int{2, 3, 4, 5}, BStride: [4]int{60, 20, 5, 1}}, true, 119},
		// Strides that make two elements share one of b.
		{kernels.BroadcastParams{Shape: [4]int{1, 3, 4, 1}, BStride: [4]int{0, 2, 1, 0}}, false, 0},
		// Negative sizes and strides.
		{kernels.BroadcastParams{Shape: [4]int{1, -1, 1, 1}}, false, 0},
		{kernels.BroadcastParams{Shape: [4]int{1, 2, 1, 1}, BStride: [4]int{0, -1, 0, 0}}, false, 0},
		// An empty shape reads nothing.
		{kernels.BroadcastParams{Shape: [4]int{0, 3, 1, 1}, BStride: [4]int{0, 1, 0, 0}}, true, 0},
	} {
		err := c.p.Validate()
		if !c.ok {
			require.Error(t, err, "%+v", c.p)
			continue
		}
		require.NoError(t, err, "%+v", c.p)
		require.Equal(t, c.last, c.p.LastB(), "%+v", c.p)
	}
}
