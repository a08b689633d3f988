package tensor

import "math/rand/v2"

// RNG is a seeded source of random numbers. The same seed gives the same
// tensors on every platform and device.
type RNG struct{ r *rand.Rand }

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	return &RNG{r: rand.New(rand.NewPCG(seed, 0x5e6a9a11))}
}

// Float64 returns a uniform number in [0, 1).
func (g *RNG) Float64() float64 { return g.r.Float64() }

// NormFloat64 returns a standard normal number.
func (g *RNG) NormFloat64() float64 { return g.r.NormFloat64() }

// IntN returns a uniform integer in [0, n).
func (g *RNG) IntN(n int) int { return g.r.IntN(n) }

// Uint64 returns a uniform 64-bit integer, for seeding child generators.
func (g *RNG) Uint64() uint64 { return g.r.Uint64() }

// Normal returns a tensor on the default device with elements drawn from
// N(mean, std^2).
func Normal(g *RNG, mean, std float32, shape ...int) *Tensor {
	data := make([]float32, numel("Normal", shape))
	for i := range data {
		data[i] = mean + std*float32(g.r.NormFloat64())
	}
	return FromSlice(data, shape...)
}

// Uniform returns a tensor on the default device with elements drawn
// uniformly from [lo, hi).
func Uniform(g *RNG, lo, hi float32, shape ...int) *Tensor {
	data := make([]float32, numel("Uniform", shape))
	for i := range data {
		data[i] = lo + (hi-lo)*float32(g.r.Float64())
	}
	return FromSlice(data, shape...)
}
