package data

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSyntheticDeterministic(t *testing.T) {
	cfg := SyntheticConfig{Size: 48, Seed: 11}
	s1, s2 := Synthetic(cfg), Synthetic(cfg)
	for _, i := range []int{0, 1, 77} {
		a, b := s1.Scene(i), s2.Scene(i)
		require.Equal(t, a.A.Pix, b.A.Pix, "scene %d A", i)
		require.Equal(t, a.B.Pix, b.B.Pix, "scene %d B", i)
		require.Equal(t, a.Mask, b.Mask, "scene %d mask", i)
	}
	// Another seed, or another index, gives another scene.
	other := Synthetic(SyntheticConfig{Size: 48, Seed: 12})
	assert.NotEqual(t, s1.Scene(0).A.Pix, other.Scene(0).A.Pix)
	assert.NotEqual(t, s1.Scene(0).A.Pix, s1.Scene(1).A.Pix)
	assert.NotEqual(t, s1.Scene(0).Mask, s1.Scene(1).Mask)

	assert.Equal(t, SyntheticConfig{Size: 64, Count: 1000, TestCount: 100}, Synthetic(SyntheticConfig{}).Config())
	assert.Panics(t, func() { s1.Scene(-1) })
}

// hgrad returns the mean absolute horizontal difference of luminance over
// the pixels (and their right neighbours) where mask >= 0.999.
func hgrad(img Image, mask []float32) float64 {
	var sum float64
	var n int
	lum := func(i int) float64 {
		k := img.H * img.W
		return float64(img.Pix[i]+img.Pix[k+i]+img.Pix[2*k+i]) / 3
	}
	for y := range img.H {
		for x := 0; x+1 < img.W; x++ {
			i := y*img.W + x
			if mask[i] >= 0.999 && mask[i+1] >= 0.999 {
				sum += math.Abs(lum(i+1) - lum(i))
				n++
			}
		}
	}
	return sum / float64(n)
}

func TestSyntheticScenes(t *testing.T) {
	for _, size := range []int{64, 128} {
		set := Synthetic(SyntheticConfig{Size: size, Seed: 3})
		for i := range 12 {
			sc := set.Scene(i)
			n := size * size
			require.Equal(t, [3]int{3, size, size}, [3]int{sc.A.C, sc.A.H, sc.A.W})
			require.Equal(t, [3]int{3, size, size}, [3]int{sc.B.C, sc.B.H, sc.B.W})
			require.Len(t, sc.Mask, n)

			// The mask is a real part of the picture: neither empty nor all.
			var area float64
			for _, m := range sc.Mask {
				require.True(t, m >= 0 && m <= 1, "mask value %v", m)
				area += float64(m)
			}
			frac := area / float64(n)
			assert.Greater(t, frac, 0.03, "size %d scene %d: foreground fraction", size, i)
			assert.Less(t, frac, 0.5, "size %d scene %d: foreground fraction", size, i)

			// Values in range; A and B identical off the mask, different on it.
			var diffIn float64
			var nIn int
			for p := range n {
				for c := range 3 {
					va, vb := sc.A.Pix[c*n+p], sc.B.Pix[c*n+p]
					require.True(t, va >= -1 && va <= 1 && vb >= -1 && vb <= 1, "value out of range")
					if sc.Mask[p] == 0 {
						require.Equal(t, va, vb, "size %d scene %d: pixel %d differs off the mask", size, i, p)
					} else if sc.Mask[p] >= 0.999 {
						diffIn += math.Abs(float64(va - vb))
						nIn++
					}
				}
			}
			assert.Greater(t, diffIn/float64(nIn), 0.2, "size %d scene %d: B must repaint the animal", size, i)

			// Stripes: much more horizontal gradient energy inside B's mask
			// than inside A's.
			ga, gb := hgrad(sc.A, sc.Mask), hgrad(sc.B, sc.Mask)
			assert.Greater(t, gb, 0.15, "size %d scene %d: stripes in B", size, i)
			assert.Greater(t, gb, 3*ga, "size %d scene %d: stripes in B vs plain A", size, i)
		}
	}
}

func TestSyntheticSources(t *testing.T) {
	cfg := SyntheticConfig{Size: 32, Count: 5, TestCount: 3, Seed: 9}
	set := Synthetic(cfg)
	a, b := SyntheticDomains(cfg)
	ta, tb := SyntheticTest(cfg)
	require.Equal(t, 5, a.Len())
	require.Equal(t, 5, b.Len())
	require.Equal(t, 3, ta.Len())
	require.Equal(t, 3, tb.Len())

	// Disjoint scene ranges: train A, train B and test never share a scene.
	names := map[string]string{}
	for src, s := range map[string]Source{"a": a, "b": b, "test": ta} {
		for i := range s.Len() {
			it, err := s.Item(i)
			require.NoError(t, err)
			if prev, ok := names[it.Name]; ok {
				t.Fatalf("%s used by %s and %s", it.Name, prev, src)
			}
			names[it.Name] = src
		}
	}
	it, _ := a.Item(2)
	assert.Equal(t, "scene000006", it.Name)
	assert.Equal(t, set.Scene(6).A.Pix, it.Image.Pix)
	require.NotNil(t, it.Target)
	assert.Equal(t, set.Scene(6).B.Pix, it.Target.Pix)
	it, _ = b.Item(2)
	assert.Equal(t, set.Scene(7).B.Pix, it.Image.Pix)
	assert.Equal(t, set.Scene(7).A.Pix, it.Target.Pix)

	// Test items: A and B of the same scene, each the other's target.
	ia, _ := ta.Item(1)
	ib, _ := tb.Item(1)
	assert.Equal(t, "scene000005", ia.Name)
	assert.Equal(t, ia.Name, ib.Name)
	assert.Equal(t, ia.Image.Pix, ib.Target.Pix)
	assert.Equal(t, ib.Image.Pix, ia.Target.Pix)
	assert.Equal(t, ia.Mask, ib.Mask)
	assert.Panics(t, func() { ta.Item(3) })

	// Changing Count does not change the test scenes.
	cfg2 := cfg
	cfg2.Count = 50
	ta2, _ := SyntheticTest(cfg2)
	ia2, _ := ta2.Item(1)
	assert.Equal(t, ia.Image.Pix, ia2.Image.Pix)

	// Sample draws from the source's own range, reproducibly.
	r1, r2 := rand.New(rand.NewPCG(5, 5)), rand.New(rand.NewPCG(5, 5))
	trainA := map[string]bool{}
	for i := range a.Len() {
		it, _ := a.Item(i)
		trainA[string(float32Bytes(it.Image.Pix))] = true
	}
	for range 10 {
		x, err := a.Sample(r1)
		require.NoError(t, err)
		y, _ := a.Sample(r2)
		require.Equal(t, x.Pix, y.Pix)
		assert.True(t, trainA[string(float32Bytes(x.Pix))], "sample from outside train A")
		z, err := b.Sample(r1)
		require.NoError(t, err)
		assert.False(t, trainA[string(float32Bytes(z.Pix))])
		r2.IntN(1) // keep r2 in step with r1
	}
}

func float32Bytes(v []float32) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, f := range v {
		u := math.Float32bits(f)
		out = append(out, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	return out
}

func BenchmarkSyntheticScene(b *testing.B) {
	for _, size := range []int{64, 128} {
		b.Run(map[int]string{64: "64", 128: "128"}[size], func(b *testing.B) {
			set := Synthetic(SyntheticConfig{Size: size, Seed: 1})
			for i := 0; b.Loop(); i++ {
				set.Scene(i % 256)
			}
		})
	}
}
