package data

import "math"

// Small deterministic noise functions for the synthetic scenes. All are pure
// functions of their arguments, so a scene depends only on its seed.

// splitmix64 is one step of the SplitMix64 generator: a fast, well-mixing
// bijection of uint64, used to derive independent seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash3 hashes a lattice point and a seed to [0, 1).
func hash3(ix, iy int32, seed uint32) float32 {
	h := uint32(ix)*0x8da6b343 ^ uint32(iy)*0xd8163841 ^ seed*0xcb1ab31f
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	h *= 0x297a2d39
	h ^= h >> 15
	return float32(h>>8) * (1.0 / (1 << 24))
}

// The lattice of value noise: a fixed permutation (Perlin's construction)
// and a fixed random value per entry, both made from a constant seed at
// start-up. Different noise fields are offsets into this periodic lattice.
var (
	latticePerm  [512]uint8
	latticeValue [256]float32
)

func init() {
	x := uint64(0x6e6f697365) // a constant: the lattice never changes
	for i := range 256 {
		latticePerm[i] = uint8(i)
	}
	for i := 255; i > 0; i-- { // Fisher-Yates
		x = splitmix64(x)
		j := int(x % uint64(i+1))
		latticePerm[i], latticePerm[j] = latticePerm[j], latticePerm[i]
	}
	copy(latticePerm[256:], latticePerm[:256])
	for i := range 256 {
		x = splitmix64(x)
		latticeValue[i] = float32(x>>40) * (1.0 / (1 << 24))
	}
}

// noise is one smooth value-noise field in [0, 1) with one lattice cell per
// unit, periodic with period 256 cells. Fields made from different seeds
// are different offsets into the lattice.
type noise struct{ ox, oy int32 }

// newNoise returns the noise field of seed.
func newNoise(seed uint32) noise {
	h := splitmix64(uint64(seed))
	return noise{int32(h & 255), int32(h >> 8 & 255)}
}

// at returns the field's value at (x, y).
func (n noise) at(x, y float32) float32 {
	ix, iy := int32(x), int32(y) // floor, after the fix-up for negatives
	if float32(ix) > x {
		ix--
	}
	if float32(iy) > y {
		iy--
	}
	tx, ty := x-float32(ix), y-float32(iy)
	tx = tx * tx * (3 - 2*tx) // smoothstep fade
	ty = ty * ty * (3 - 2*ty)
	ix, iy = (ix+n.ox)&255, (iy+n.oy)&255
	p0, p1 := int32(latticePerm[ix]), int32(latticePerm[ix+1])
	a := latticeValue[latticePerm[p0+iy]]
	b := latticeValue[latticePerm[p1+iy]]
	c := latticeValue[latticePerm[p0+iy+1]]
	d := latticeValue[latticePerm[p1+iy+1]]
	top := a + (b-a)*tx
	bot := c + (d-c)*tx
	return top + (bot-top)*ty
}

// fbm sums octaves of the field, each twice the frequency and half the
// amplitude of the last, normalised to [0, 1).
func (n noise) fbm(x, y float32, octaves int) float32 {
	var sum, amp, norm float32 = 0, 1, 0
	for range octaves {
		sum += amp * n.at(x, y)
		norm += amp
		amp *= 0.5
		x, y = x*2.03+17.1, y*2.03+5.3
	}
	return sum / norm
}

// smoothstep is 0 below e0, 1 above e1 and a cubic ramp between.
func smoothstep(e0, e1, x float32) float32 {
	t := (x - e0) / (e1 - e0)
	t = clamp01(t)
	return t * t * (3 - 2*t)
}

// smoothstepD returns smoothstep(e0, e1, x) and its derivative in x.
func smoothstepD(e0, e1, x float32) (y, dy float32) {
	t := (x - e0) / (e1 - e0)
	if t <= 0 || t >= 1 {
		return clamp01(t), 0
	}
	return t * t * (3 - 2*t), 6 * t * (1 - t) / (e1 - e0)
}

// clamp01 clamps x to [0, 1].
// (Plain comparisons: the built-in min and max handle NaN and signed zeros,
// which costs several instructions in these per-pixel loops.)
func clamp01(x float32) float32 {
	if x < 0 {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}

// minf returns the smaller of a and b (b if they compare equal or a is NaN).
func minf(a, b float32) float32 {
	if a < b {
		return a
	}
	return b
}

// lerp interpolates from a (t = 0) to b (t = 1).
func lerp(a, b, t float32) float32 { return a + (b-a)*t }

// rgb is a linear colour with components nominally in [0, 1].
type rgb struct{ r, g, b float32 }

func (c rgb) scale(s float32) rgb { return rgb{c.r * s, c.g * s, c.b * s} }
func (c rgb) mul(d rgb) rgb       { return rgb{c.r * d.r, c.g * d.g, c.b * d.b} }
func mix(a, b rgb, t float32) rgb {
	return rgb{lerp(a.r, b.r, t), lerp(a.g, b.g, t), lerp(a.b, b.b, t)}
}

// sqrt32 is math.Sqrt for float32.
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
