package data

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The renderer skips tiles and parts that cannot affect a pixel; skipping
// must not change a single value.
func TestSyntheticCullingIsExact(t *testing.T) {
	for _, size := range []int{24, 64, 97} {
		for i := range 12 {
			p := newScenePlan(rand.New(rand.NewPCG(uint64(i), uint64(size))))
			fast := p.render(size)
			p.noCull = true
			slow := p.render(size)
			require.Equal(t, slow.Mask, fast.Mask, "size %d scene %d: mask", size, i)
			require.Equal(t, slow.A.Pix, fast.A.Pix, "size %d scene %d: A", size, i)
			require.Equal(t, slow.B.Pix, fast.B.Pix, "size %d scene %d: B", size, i)
		}
	}
}
