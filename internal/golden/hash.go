package golden

import "math"

// The full-size networks' float64 references (testdata/golden.py,
// float64_networks) derive their weights, input and loss weights from a
// counter-based hash, written identically there and here, so that 14 M
// parameters need not be committed.

// HashSeed is the seed of every hashed stream; golden.py's HASH_SEED.
const HashSeed = 20221

// splitmix64 is SplitMix64's output function.
func splitmix64(x uint64) uint64 {
	z := x + 0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// HashedUniform returns n values of stream, bound*(2u-1) with u the top 24
// bits of a hash of the element's index over 2^24: uniform in
// [-bound, bound), computed in float64 and rounded to float32, exactly as
// golden.py's hashed_uniform does.
func HashedUniform(stream uint64, n int, bound float64) []float32 {
	key := splitmix64(HashSeed<<32 | stream)
	out := make([]float32, n)
	for i := range out {
		u := float64(splitmix64(key+uint64(i))>>40) / (1 << 24)
		out[i] = float32(bound * (2*u - 1))
	}
	return out
}

// ProjectionStream is the stream of the k-th vector that gradient j is
// projected on (j = 0 for the input, 1+i for parameter i).
func ProjectionStream(j, k int) uint64 { return uint64(10000 + 16*j + k) }

// FanInBound is PyTorch's default initialisation bound for a layer whose
// weight has the given shape: 1/sqrt(prod(shape[1:])).
func FanInBound(weightShape []int) float64 {
	fan := 1
	for _, d := range weightShape[1:] {
		fan *= d
	}
	return 1 / math.Sqrt(float64(fan))
}
