package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SyntheticConfig describes the built-in synthetic horse2zebra set.
type SyntheticConfig struct {
	// Size is the side of the square scenes in pixels; 0 means 64.
	Size int
	// Count is the number of training scenes per domain; 0 means 1000.
	Count int
	// TestCount is the number of test scenes; 0 means 100.
	TestCount int
	// Seed selects the whole set; scene i is a pure function of Seed and i.
	// The same scene at another Size shows the same picture, except that at
	// small sizes the zebra gets fewer, wider stripes so that each black
	// and white pair spans at least 3 pixels.
	Seed uint64
}

func (c SyntheticConfig) withDefaults() SyntheticConfig {
	if c.Size <= 0 {
		c.Size = 64
	}
	if c.Count <= 0 {
		c.Count = 1000
	}
	if c.TestCount <= 0 {
		c.TestCount = 100
	}
	return c
}

// Scene is one synthetic scene in both domains. A shows an animal with a
// plain coat (brown, chestnut, bay, dun or grey) standing on grass under a
// sky; B is the same picture with the animal painted as a zebra. Outside the
// mask A and B are identical, so B is the true translation of A and A of B.
type Scene struct {
	// A and B are 3 x Size x Size RGB images in [-1, 1].
	A, B Image
	// Mask holds Size*Size foreground weights: 1 on the animal, 0 on the
	// background, fractional on its anti-aliased outline.
	Mask []float32
}

// MaskImage returns the (square) mask as a 1-channel Image in [-1, 1], white
// on the foreground, for sample sheets.
func (s Scene) MaskImage() Image {
	n := int(math.Sqrt(float64(len(s.Mask))))
	out := NewImage(1, n, n)
	for i, m := range s.Mask {
		out.Pix[i] = 2*m - 1
	}
	return out
}

// SyntheticSet renders the scenes of one SyntheticConfig. It holds no state
// besides the configuration and is safe for concurrent use.
type SyntheticSet struct {
	cfg SyntheticConfig
}

// Synthetic returns the synthetic set of cfg (zero fields take their
// defaults).
func Synthetic(cfg SyntheticConfig) *SyntheticSet {
	return &SyntheticSet{cfg: cfg.withDefaults()}
}

// Config returns the set's configuration with defaults filled in.
func (s *SyntheticSet) Config() SyntheticConfig { return s.cfg }

// Scene renders scene i, for any i >= 0 (Count and TestCount do not limit
// it). The sources of SyntheticDomains and SyntheticTest use disjoint,
// interleaved indices: training A is scene 3k, training B is scene 3k+1 and
// test pair k is scene 3k+2, so changing Count changes no test scene. It
// panics if i is negative.
func (s *SyntheticSet) Scene(i int) Scene {
	if i < 0 {
		panic(fmt.Sprintf("data: Synthetic.Scene: negative index %d", i))
	}
	h := splitmix64(s.cfg.Seed ^ 0x5eed5eed5eed5eed)
	rng := rand.New(rand.NewPCG(splitmix64(h+uint64(i)), splitmix64(^h+uint64(i)*0x9e3779b97f4a7c15)))
	return newScenePlan(rng).render(s.cfg.Size)
}

// SyntheticDomains returns the training Sources of the synthetic set: a
// draws domain-A pictures from Count scenes, b draws domain-B pictures from
// Count other scenes, so that no training pair is ever shown. Sample picks a
// scene uniformly (scenes already vary in position and facing, so there is no
// further augmentation); Item(i) returns the i-th scene of the source's range
// with its counterpart in the other domain as Target.
func SyntheticDomains(cfg SyntheticConfig) (a, b Source) {
	set := Synthetic(cfg)
	n := set.cfg.Count
	return &syntheticSource{set, 0, 0, n}, &syntheticSource{set, 1, 1, n}
}

// SyntheticTest returns the test Sources of the synthetic set: TestCount
// scenes, not used for training, seen in domain A by a and in domain B by b.
// Item i of a and item i of b are the two sides of the same scene, and each
// carries the other as Target, with the scene's mask.
func SyntheticTest(cfg SyntheticConfig) (a, b Source) {
	set := Synthetic(cfg)
	n := set.cfg.TestCount
	return &syntheticSource{set, 0, 2, n}, &syntheticSource{set, 1, 2, n}
}

// syntheticSource is one domain of a range of scenes 3k+stream, k < n.
type syntheticSource struct {
	set    *SyntheticSet
	domain int // 0: A, 1: B
	stream int
	n      int
}

func (s *syntheticSource) Len() int { return s.n }

func (s *syntheticSource) scene(k int) (Scene, int) {
	idx := 3*k + s.stream
	return s.set.Scene(idx), idx
}

func (s *syntheticSource) Sample(rng *rand.Rand) (Image, error) {
	sc, _ := s.scene(rng.IntN(s.n))
	if s.domain == 0 {
		return sc.A, nil
	}
	return sc.B, nil
}

// Name returns item i's name without drawing its scene.
func (s *syntheticSource) Name(i int) string { return fmt.Sprintf("scene%06d", 3*i+s.stream) }

func (s *syntheticSource) Item(i int) (Item, error) {
	if i < 0 || i >= s.n {
		panic(fmt.Sprintf("data: synthetic Item(%d) out of range [0, %d)", i, s.n))
	}
	sc, _ := s.scene(i)
	it := Item{Name: s.Name(i), Mask: sc.Mask}
	if s.domain == 0 {
		it.Image, it.Target = sc.A, &sc.B
	} else {
		it.Image, it.Target = sc.B, &sc.A
	}
	return it, nil
}

// ---- scene geometry ----
//
// Scene coordinates are u (right) and v (down) in [0, 1] over the picture,
// so that a scene looks the same at every Size. The animal is drawn in its
// own frame: unit L (half the body length), x forward, y down, origin at the
// middle of the body; (lx, ly) = (dir*(u-cx)/L, (v-cy)/L).

// capsule is a segment from a to b with radius ra at a and rb at b; dx, dy
// and il2 are b - a and 1/|b - a|^2.
type capsule struct {
	ax, ay, bx, by, ra, rb float32
	dx, dy, il2            float32
}

// newCapsule returns the capsule from (ax, ay) to (bx, by) with radii ra, rb.
func newCapsule(ax, ay, bx, by, ra, rb float32) capsule {
	dx, dy := bx-ax, by-ay
	return capsule{ax, ay, bx, by, ra, rb, dx, dy, 1 / (dx*dx + dy*dy)}
}

// far is the distance given to a part known to be beyond any effect on a
// pixel.
const far = 1e9

// dist returns the signed distance from (x, y) to c and the position t in
// [0, 1] of the nearest point along the segment.
func (c *capsule) dist(x, y float32) (d, t float32) {
	px, py := x-c.ax, y-c.ay
	t = clamp01((px*c.dx + py*c.dy) * c.il2)
	qx, qy := px-t*c.dx, py-t*c.dy
	return sqrt32(qx*qx+qy*qy) - (c.ra + (c.rb-c.ra)*t), t
}

// length returns the length of the segment.
func (c *capsule) length() float32 {
	return sqrt32((c.bx-c.ax)*(c.bx-c.ax) + (c.by-c.ay)*(c.by-c.ay))
}

// ellipse is axis-aligned with centre (cx, cy) and radii rx, ry; ix, iy
// are 1/rx^2 and 1/ry^2.
type ellipse struct{ cx, cy, rx, ry, ix, iy float32 }

// newEllipse returns the ellipse with centre (cx, cy) and radii rx, ry.
func newEllipse(cx, cy, rx, ry float32) ellipse {
	return ellipse{cx, cy, rx, ry, 1 / (rx * rx), 1 / (ry * ry)}
}

// dist approximates the signed distance from (x, y) to e (the implicit
// function over its gradient's length: exact on the outline, close near it).
func (e *ellipse) dist(x, y float32) float32 {
	px, py := x-e.cx, y-e.cy
	px2, py2 := px*px, py*py
	k0 := sqrt32(px2*e.ix + py2*e.iy)
	if k0 < 1e-6 {
		return -min(e.rx, e.ry)
	}
	k1 := sqrt32(px2*e.ix*e.ix + py2*e.iy*e.iy)
	return k0 * (k0 - 1) / k1
}

// smin is a smooth minimum joining two distance fields with a fillet of
// size k.
func smin(a, b, k float32) float32 {
	diff := a - b
	if diff < 0 {
		diff = -diff
	}
	if diff >= k {
		return minf(a, b)
	}
	h := (k - diff) / k
	return minf(a, b) - h*h*k*0.25
}

// leg is a thigh-to-knee and a knee-to-hoof segment.
type leg struct {
	upper, lower capsule
	farSide      bool // on the far side: drawn behind the body, darker
}

// scenePlan holds everything random about a scene, drawn once; rendering is
// then a pure function of the plan and the size.
type scenePlan struct {
	// background
	skyTop, skyHorizon rgb
	cloudAmount        float32
	horizon            float32 // mean height of the horizon
	hillAmp, hillFreq  [2]float32
	hillPhase          [2]float32
	treeline           float32 // height of the distant tree band, 0 for none
	treeColour         rgb
	dryLevel           float32 // dry patches cover the grass where its noise field exceeds this
	grassRough         float32
	light              rgb // global illumination multiplier
	noiseSeed          uint32
	noise              [7]noise // independent fields, for clouds, trees, grass and coat

	// animal
	cx, cy, L, dir    float32
	body, chest, rump ellipse
	neck, head        capsule
	ears              [2]capsule
	mane              capsule
	tail              capsule
	legs              [4]leg
	coat, maneColour  rgb
	eyeX, eyeY        float32
	lightSide         float32 // -1: lit from behind, 1: from the front
	shadowX, shadowW  float32 // shadow centre offset and half-width, in L
	stripeFreq        float32 // body stripes per unit L
	stripePhase       float32
	stripeWobble      float32
	stripeWobbleFreq  float32
	stripeTilt        float32
	neckFreq, legFreq float32
	headFreq          float32
	stripeNoise       float32

	// render state
	eff    stripeFreqs // the stripe frequencies used at the size being rendered
	noCull bool        // evaluate every part at every pixel (tests)
}

func uni(r *rand.Rand, lo, hi float32) float32 { return lo + (hi-lo)*r.Float32() }

func jitter(r *rand.Rand, c rgb, amt float32) rgb {
	return rgb{c.r + uni(r, -amt, amt), c.g + uni(r, -amt, amt), c.b + uni(r, -amt, amt)}
}

// newScenePlan draws a scene's parameters from r.
func newScenePlan(r *rand.Rand) *scenePlan {
	p := &scenePlan{noiseSeed: r.Uint32()}
	for k := range p.noise {
		p.noise[k] = newNoise(r.Uint32())
	}

	// The background's colours come from fixed palettes, and scenes differ
	// in what can be seen: which sky, how cloudy, where the horizon and the
	// trees are, how much of the grass is dry, the light's tint. A CycleGAN
	// generator normalises its first layer per image, so it cannot see a
	// colour shift shared by the whole picture (G(x + c) = G(x),
	// TestGeneratorCannotSeeGlobalGain) and must infer each scene's absolute
	// colours from such visible cues; random per-scene shifts of the palette
	// would only add background error that no such model can remove.
	//
	// Sky: mostly clear blue, sometimes hazy. (An evening sky, dark blue
	// over orange, in one scene of eight, was painted blue by the demo's
	// generator, its colours hidden in a checker pattern for the cycle
	// loss: 16-19 dB on those scenes.)
	if r.Float32() < 0.65 {
		p.skyTop, p.skyHorizon = rgb{0.26, 0.46, 0.82}, rgb{0.72, 0.82, 0.94}
	} else {
		p.skyTop, p.skyHorizon = rgb{0.55, 0.64, 0.78}, rgb{0.84, 0.86, 0.88}
	}
	p.cloudAmount = max(uni(r, -0.2, 0.75), 0)

	p.horizon = uni(r, 0.36, 0.56)
	for k := range 2 {
		p.hillAmp[k] = uni(r, 0, 0.035) / float32(k+1)
		p.hillFreq[k] = uni(r, 0.5, 2) * float32(2*k+1)
		p.hillPhase[k] = uni(r, 0, 2*math.Pi)
	}
	if r.Float32() < 0.55 {
		p.treeline = uni(r, 0.015, 0.06)
		p.treeColour = rgb{0.2, 0.32, 0.22}
	}
	// Lush green grass with dry yellow-green patches, from none to about
	// half of the meadow.
	p.dryLevel = uni(r, 0.5, 0.85)
	p.grassRough = uni(r, 0.6, 1.2)

	// The light's colour varies from scene to scene, its strength does not:
	// a gain shared by the whole picture is as invisible to the generator
	// as a shift.
	const bright = 0.95
	tint := uni(r, -1, 1)
	p.light = rgb{bright * (1 + 0.06*tint), bright, bright * (1 - 0.06*tint)}

	// Animal placement: feet on the grass, the whole animal in the picture.
	p.L = uni(r, 0.16, 0.24)
	p.dir = 1
	if r.IntN(2) == 0 {
		p.dir = -1
	}
	const ground = 1.28 // hoof bottom, in L below the body centre
	const top = 1.3     // ears above the body centre, in L
	gyMin := max(p.horizon+0.1, (ground+top)*p.L+0.03)
	gy := uni(r, gyMin, max(gyMin, 0.95))
	p.cy = gy - ground*p.L
	back, front := 1.3*p.L, 1.75*p.L
	if p.dir < 0 {
		back, front = front, back
	}
	p.cx = uni(r, 0.03+back, max(0.03+back, 0.97-front))

	// Body: a barrel with a chest and a rump.
	p.body = newEllipse(0, 0, uni(r, 0.9, 1.0), uni(r, 0.36, 0.42))
	p.chest = newEllipse(0.62, -0.04, 0.4, uni(r, 0.38, 0.44))
	p.rump = newEllipse(-0.68, -0.08, 0.4, uni(r, 0.4, 0.46))

	// Neck and head, either raised or grazing.
	if r.Float32() < 0.75 {
		nx, ny := uni(r, 1.05, 1.25), uni(r, -0.95, -0.75)
		p.neck = newCapsule(0.7, -0.12, nx, ny, 0.3, 0.16)
		p.head = newCapsule(nx+0.02, ny-0.03, nx+uni(r, 0.36, 0.46), ny+uni(r, 0.34, 0.44), 0.17, 0.1)
	} else {
		nx, ny := uni(r, 1.2, 1.35), uni(r, 0.15, 0.35)
		p.neck = newCapsule(0.7, -0.12, nx, ny, 0.3, 0.16)
		p.head = newCapsule(nx, ny, nx+uni(r, 0.1, 0.2), ny+uni(r, 0.48, 0.56), 0.17, 0.1)
	}
	// Ears above the top of the head, pointing away from the muzzle.
	hx, hy := p.head.bx-p.head.ax, p.head.by-p.head.ay
	hl := sqrt32(hx*hx + hy*hy)
	ux, uy := -hx/hl, -hy/hl // from muzzle towards poll
	ex, ey := p.head.ax+ux*0.08, p.head.ay+uy*0.08
	// The eye: a little way down the head, towards the forehead.
	p.eyeX = p.head.ax + hx*0.22 - uy*0.045
	p.eyeY = p.head.ay + hy*0.22 + ux*0.045
	for k := range 2 {
		off := float32(k) * 0.05
		p.ears[k] = newCapsule(ex-off, ey, ex-off+ux*0.1-0.03, ey+uy*0.14-0.06, 0.045, 0.02)
	}
	// Mane along the top of the neck: the neck's axis shifted towards its back.
	nx, ny := p.neck.bx-p.neck.ax, p.neck.by-p.neck.ay
	nl := sqrt32(nx*nx + ny*ny)
	bx, by := ny/nl, -nx/nl // perpendicular towards the back of the neck
	off0, off1 := lerp(p.neck.ra, p.neck.rb, 0.2)-0.02, p.neck.rb-0.02
	p.mane = newCapsule(p.neck.ax+bx*off0+nx*0.2, p.neck.ay+by*off0+ny*0.2,
		p.neck.bx+bx*off1, p.neck.by+by*off1, 0.075, 0.06)

	// Tail from the top of the rump, hanging down and back.
	p.tail = newCapsule(-1.02, -0.28, -1.02-uni(r, 0.15, 0.35), uni(r, 0.4, 0.75), 0.06, 0.1)

	// Legs: front pair under the chest, hind pair under the rump; a random
	// stride for each, hoof bottoms on the ground line.
	stride := uni(r, 0, 0.28)
	xs := [4]float32{0.66, 0.5, -0.62, -0.78}
	for k := range 4 {
		swing := stride * float32(1-2*(k%2)) * uni(r, 0.6, 1)
		x := xs[k] + uni(r, -0.05, 0.05)
		kneeX, kneeY := x+swing*0.4, float32(0.72)
		hoofX := x + swing
		ur := float32(0.12)
		if k >= 2 {
			ur = 0.17 // thighs of the hind legs are heavier
			kneeX -= 0.06
		}
		p.legs[k] = leg{
			upper:   newCapsule(x, 0.1, kneeX, kneeY, ur, 0.075),
			lower:   newCapsule(kneeX, kneeY, hoofX, ground-0.065, 0.07, 0.065),
			farSide: k%2 == 1,
		}
	}

	// Coat colour of domain A.
	coats := [...]rgb{
		{0.50, 0.30, 0.16}, // brown
		{0.62, 0.30, 0.12}, // chestnut
		{0.34, 0.20, 0.11}, // bay
		{0.68, 0.55, 0.36}, // dun
		{0.58, 0.57, 0.55}, // grey
	}
	c := r.IntN(len(coats))
	p.coat = jitter(r, coats[c], 0.04)
	p.maneColour = p.coat.scale(0.45)
	if c == 2 {
		p.maneColour = rgb{0.1, 0.07, 0.05} // bays have black points
	}
	p.lightSide = uni(r, -1, 1)
	p.shadowX = uni(r, -0.4, 0.4)
	p.shadowW = uni(r, 1.2, 1.5)

	// Zebra stripes of domain B.
	p.stripeFreq = uni(r, 3.5, 5)
	p.stripePhase = r.Float32()
	p.stripeWobble = uni(r, 0.03, 0.09)
	p.stripeWobbleFreq = uni(r, 2, 4)
	p.stripeTilt = uni(r, 0.7, 1.1)
	p.neckFreq = uni(r, 4.5, 6)
	p.legFreq = uni(r, 4.5, 6)
	p.headFreq = uni(r, 6, 8)
	p.stripeNoise = uni(r, 0.2, 0.5)
	return p
}

// stripeFreqs are the stripe frequencies (per unit L) of the body, neck,
// legs and head.
type stripeFreqs struct{ body, neck, leg, head float32 }

// freqsFor returns the plan's stripe frequencies for pixels of size pix (in
// L), lowered where needed so that one black and one white stripe span at
// least 3 pixels (2.5 on the legs): at small sizes the zebra gets fewer,
// wider stripes instead of a grey blur.
func (p *scenePlan) freqsFor(pix float32) stripeFreqs {
	lim, legLim := 1/(3*pix), 1/(2.5*pix)
	return stripeFreqs{
		body: minf(p.stripeFreq, lim),
		neck: minf(p.neckFreq, lim),
		leg:  minf(p.legFreq, legLim),
		head: minf(p.headFreq, lim),
	}
}

// horizonAt returns the height of the grass line at u.
func (p *scenePlan) horizonAt(u float32) float32 {
	h := p.horizon
	for k := range 2 {
		h += p.hillAmp[k] * float32(math.Sin(float64(2*math.Pi*p.hillFreq[k]*u+p.hillPhase[k])))
	}
	return h
}

// background returns the colour of sky or grass at (u, v), shadow included;
// hz and top are the heights of the grass line and of the tree line in this
// column, pix the size of a pixel.
func (p *scenePlan) background(u, v, hz, top, pix float32) rgb {
	switch {
	case v < hz-pix:
		return p.sky(u, v, top, pix)
	case v > hz+pix:
		return p.grass(u, v, hz)
	}
	// On the horizon: blend for an anti-aliased edge.
	return mix(p.sky(u, v, top, pix), p.grass(u, v, hz), clamp01((v-hz)/pix+0.5))
}

// sky returns the colour of the sky and the distant trees at (u, v).
func (p *scenePlan) sky(u, v, top, pix float32) rgb {
	t := clamp01(v / p.horizon)
	c := mix(p.skyTop, p.skyHorizon, t*t*(2-t))
	// Clouds: horizontally stretched noise, thinning towards the horizon.
	if p.cloudAmount > 0 {
		n := p.noise[0].fbm(u*3.5, v*9, 3)
		cl := smoothstep(1-0.55*p.cloudAmount, 1.15-0.55*p.cloudAmount, n+0.25*p.cloudAmount) * p.cloudAmount
		c = mix(c, rgb{0.97, 0.97, 0.98}.scale(0.92+0.08*(1-t)), cl*(1-0.5*t))
	}
	// Distant trees on the horizon, with a ragged top.
	if v > top-pix {
		tc := mix(p.treeColour.scale(0.85+0.3*p.noise[1].at(u*60, v*60)), p.skyHorizon, 0.35)
		c = mix(c, tc, clamp01((v-top)/pix+0.5))
	}
	return c
}

// The grass's colours: lush, dry, and the hue it takes towards the horizon.
var (
	lushGrass    = rgb{0.20, 0.42, 0.10}
	dryGrass     = rgb{0.50, 0.52, 0.18}
	distantGrass = rgb{0.45, 0.55, 0.3}
)

// grass returns the colour of the grass at (u, v), hz being the height of the
// grass line in this column.
func (p *scenePlan) grass(u, v, hz float32) rgb {
	depth := clamp01((v - hz) / (1 - hz)) // 0 at the horizon, 1 at the bottom
	persp := 0.25 + depth
	dry := smoothstep(p.dryLevel-0.04, p.dryLevel+0.04, p.noise[2].fbm(u*2.5/persp+3.7, v*6/persp+1.3, 3))
	near := mix(lushGrass, dryGrass, dry)
	c := mix(mix(near, distantGrass, 0.4), near, smoothstep(0, 0.7, depth))
	// Texture: patches, then blades (vertically stretched, finer far away),
	// then fine speckle; all fading with distance.
	patches := p.noise[2].fbm(u*4/persp, v*10/persp, 2) - 0.5
	blades := p.noise[3].at(u*90/persp, v*14/persp) - 0.5
	speck := hash3(int32(u*4096), int32(v*4096), p.noiseSeed) - 0.5
	f := 1 + p.grassRough*(0.35*patches+(0.25*blades+0.12*speck)*(0.3+0.7*depth))
	c = c.scale(f * (0.88 + 0.2*depth))
	// Haze towards the horizon.
	c = mix(c, p.skyHorizon, 0.35*(1-depth)*(1-depth)*(1-depth))
	// The animal's shadow: a soft ellipse around its hooves.
	gy := p.cy + 1.26*p.L
	sx := (u - (p.cx + p.dir*p.shadowX*p.L)) / (p.shadowW * p.L)
	sy := (v - gy) / (0.16 * p.L)
	if e := sx*sx + sy*sy; e < 1 {
		c = c.scale(1 - 0.45*smoothstep(0, 0.8, 1-e))
	}
	return c
}

// stripe returns the zebra pattern (0 black, 1 white) for stripe phase f
// (one stripe pair per unit) changing by fw per pixel, with a width offset
// bias in [-1, 1]. Stripes too fine for the pixel grid fade to grey.
func stripe(f, fw, bias float32) float32 {
	s := float32(math.Sin(2 * math.Pi * float64(f)))
	g := max(2*math.Pi*fw, 0.08)
	v := smoothstep(-g, g, s+bias)
	return lerp(v, 0.55, smoothstep(0.3, 0.6, fw))
}

var (
	zebraWhite = rgb{0.94, 0.93, 0.89}
	zebraBlack = rgb{0.06, 0.06, 0.07}
	hoofColour = rgb{0.16, 0.14, 0.13}
)

// render draws the plan at size x size.
func (p *scenePlan) render(size int) Scene {
	a, b := NewImage(3, size, size), NewImage(3, size, size)
	mask := make([]float32, size*size)
	n := size * size
	inv := 1 / float32(size)
	pix := inv / p.L // one pixel in animal units
	p.eff = p.freqsFor(pix)

	// The animal's bounding box in pixels.
	x0 := int(math.Floor(float64((p.cx - 1.8*p.L) * float32(size))))
	x1 := int(math.Ceil(float64((p.cx + 1.8*p.L) * float32(size))))
	y0 := int(math.Floor(float64((p.cy - 1.4*p.L) * float32(size))))
	y1 := int(math.Ceil(float64((p.cy + 1.4*p.L) * float32(size))))
	if p.noCull {
		x0, y0, x1, y1 = 0, 0, size, size
	}

	hz, top := make([]float32, size), make([]float32, size)
	for x := range size {
		u := (float32(x) + 0.5) * inv
		hz[x] = p.horizonAt(u)
		top[x] = 2 // no trees
		if p.treeline > 0 {
			top[x] = hz[x] - p.treeline*(0.35+0.9*p.noise[4].fbm(u*22, 0.5, 3))
		}
	}
	// For each tile of 4 x 4 pixels, the parts near enough to change one of
	// its pixels (see near); a tile with none is all background.
	const tile = 4
	tw := (size + tile - 1) / tile
	parts := make([]partSet, tw*tw)
	halfDiag := tile * 0.71 * pix
	for ty := range tw {
		for tx := range tw {
			if p.noCull {
				parts[ty*tw+tx] = allParts
				continue
			}
			u := (float32(tx*tile) + tile*0.5) * inv
			v := (float32(ty*tile) + tile*0.5) * inv
			parts[ty*tw+tx] = p.near(p.dir*(u-p.cx)/p.L, (v-p.cy)/p.L, halfDiag+pix)
		}
	}
	for y := range size {
		v := (float32(y) + 0.5) * inv
		for x := range size {
			u := (float32(x) + 0.5) * inv
			var l layers
			if ps := parts[(y/tile)*tw+x/tile]; ps != 0 && x >= x0 && x <= x1 && y >= y0 && y <= y1 {
				l = p.animal(u, v, pix, ps)
			}
			ca, cb := l.a, l.b
			if l.alpha < 1 {
				// Composite over the background; where alpha is 0 this
				// gives exactly bg in both domains.
				bg := p.background(u, v, hz[x], top[x], inv).scale(1 - l.alpha)
				ca = rgb{ca.r + bg.r, ca.g + bg.g, ca.b + bg.b}
				cb = rgb{cb.r + bg.r, cb.g + bg.g, cb.b + bg.b}
			}
			i := y*size + x
			mask[i] = l.alpha
			ca, cb = ca.mul(p.light), cb.mul(p.light)
			a.Pix[i], a.Pix[n+i], a.Pix[2*n+i] = unit(ca.r), unit(ca.g), unit(ca.b)
			b.Pix[i], b.Pix[n+i], b.Pix[2*n+i] = unit(cb.r), unit(cb.g), unit(cb.b)
		}
	}
	return Scene{A: a, B: b, Mask: mask}
}

// The parts of the animal, for the per-tile lists of parts near enough to
// matter. The body's three ellipses count as one part.
const (
	partBody = iota
	partNeck
	partHead
	partMane
	partEar0
	partEar1
	partTail
	partLegs // upper leg k is partLegs+2k, lower leg k is partLegs+2k+1
	numParts = partLegs + 8
)

// partSet is a set of parts, bit k for part k.
type partSet uint16

const allParts partSet = 1<<numParts - 1

func (s partSet) has(k int) bool { return s&(1<<k) != 0 }

// Margins beyond which a part changes nothing: a part at least this far
// (in L, plus a pixel) from a pixel does not cover it, and every smooth
// union it takes part in (fillets 0.3 and 0.2 around the body and neck,
// 0.05 between a leg's segments) resolves to a plain minimum there. The
// body's margin also covers the error of the approximate ellipse distance.
const (
	marginBody  = 0.7
	marginTorso = 0.45
	marginLeg   = 0.1
	marginUnion = 0.25
)

// near returns the parts that may affect a pixel within reach of (lx, ly)
// (reach: the tile's half diagonal plus a pixel, in L).
func (p *scenePlan) near(lx, ly, reach float32) partSet {
	var s partSet
	dmin := minf(minf(p.body.dist(lx, ly), p.chest.dist(lx, ly)), p.rump.dist(lx, ly))
	if dmin <= reach+marginBody {
		s |= 1 << partBody
	}
	torso := [...]struct {
		part   int
		c      *capsule
		margin float32
	}{
		{partNeck, &p.neck, marginTorso},
		{partHead, &p.head, marginTorso},
		{partMane, &p.mane, marginTorso},
		{partEar0, &p.ears[0], marginTorso},
		{partEar1, &p.ears[1], marginTorso},
		{partTail, &p.tail, 0}, // a layer of its own, joined to nothing
	}
	for _, q := range torso {
		d, _ := q.c.dist(lx, ly)
		if d <= reach+q.margin {
			s |= 1 << q.part
		}
		dmin = minf(dmin, d)
	}
	for k := range p.legs {
		du, _ := p.legs[k].upper.dist(lx, ly)
		if du <= reach+marginLeg {
			s |= 1 << (partLegs + 2*k)
		}
		dl, _ := p.legs[k].lower.dist(lx, ly)
		if dl <= reach+marginLeg {
			s |= 1 << (partLegs + 2*k + 1)
		}
		dmin = minf(dmin, minf(du, dl))
	}
	// The whole animal is no nearer than its nearest part less what the
	// smooth unions add (at most a quarter of each fillet: 0.22 in all).
	if dmin-marginUnion > reach {
		return 0
	}
	return s
}

// capDist is c.dist, or (far, 0) when part k is not in ps.
func capDist(ps partSet, k int, c *capsule, lx, ly float32) (d, t float32) {
	if !ps.has(k) {
		return far, 0
	}
	return c.dist(lx, ly)
}

// unit maps [0, 1] to [-1, 1], clamping.
func unit(v float32) float32 { return 2*clamp01(v) - 1 }

// coverage turns a signed distance into anti-aliased pixel coverage.
func coverage(d, pix float32) float32 { return clamp01(0.5 - d/pix) }

// layers accumulates the animal's layers, composited back to front over
// transparent black (premultiplied colours): where the animal covers a pixel
// completely, the background need not be computed.
type layers struct {
	a, b  rgb     // premultiplied colours in domains A and B
	alpha float32 // coverage so far
}

// over puts a layer of coverage cov and colours colA, colB on top.
func (l *layers) over(cov float32, colA, colB rgb) {
	l.a = mix(l.a, colA, cov)
	l.b = mix(l.b, colB, cov)
	l.alpha = lerp(l.alpha, 1, cov)
}

// leg adds the near or far legs.
func (p *scenePlan) leg(l *layers, ps partSet, farSide bool, lx, ly, pix, vert, dBody, nz float32) {
	for k := range p.legs {
		lg := &p.legs[k]
		if lg.farSide != farSide {
			continue
		}
		du, _ := capDist(ps, partLegs+2*k, &lg.upper, lx, ly)
		dl, tl := capDist(ps, partLegs+2*k+1, &lg.lower, lx, ly)
		if du == far && dl == far {
			continue
		}
		d := smin(du, dl, 0.05)
		cov := coverage(d, pix)
		if !farSide {
			// Near legs come out of the body: inside it the body's own
			// colour and stripes show.
			cov *= smoothstep(-0.16, 0, dBody)
		}
		if cov <= 0 {
			continue
		}
		sh := (0.7 + 0.3*sqrt32(clamp01(-d/0.08))) * vert * (1 + 0.08*p.lightSide*lx)
		if farSide {
			sh *= 0.75
		}
		colA := p.coat.scale(sh)
		bias := p.stripeNoise*(nz*2-1)*0.6 - 0.1
		st := stripe(p.eff.leg*ly+p.stripePhase, p.eff.leg*pix, bias)
		colB := mix(zebraBlack, zebraWhite, st).scale(sh)
		if dl < du && tl > 0.86 {
			colA, colB = hoofColour.scale(sh), hoofColour.scale(sh)
		}
		l.over(cov, colA, colB)
	}
}

// animal returns the animal's layers at (u, v), pix being the size of a
// pixel in animal units.
func (p *scenePlan) animal(u, v, pix float32, ps partSet) layers {
	lx, ly := p.dir*(u-p.cx)/p.L, (v-p.cy)/p.L
	var l layers
	// Vertical light: brighter on the back, darker on the belly and legs.
	vert := 1.12 - 0.28*clamp01((ly+0.5)/1.8)
	dBody := float32(far)
	if ps.has(partBody) {
		dBody = smin(smin(p.body.dist(lx, ly), p.chest.dist(lx, ly), 0.3), p.rump.dist(lx, ly), 0.3)
	}

	// Far legs, then tail, then body, neck and head, then near legs.
	// Smooth noise varying the stripes' width.
	nz := p.noise[5].at(lx*2.5, ly*2.5)
	p.leg(&l, ps, true, lx, ly, pix, vert, dBody, nz)

	dt, tt := capDist(ps, partTail, &p.tail, lx, ly)
	if cov := coverage(dt, pix); cov > 0 {
		sh := (0.75 + 0.25*sqrt32(clamp01(-dt/0.06))) * vert
		colA := p.maneColour.scale(sh)
		colB := mix(zebraWhite.scale(0.8), zebraBlack, smoothstep(0.45, 0.6, tt)).scale(sh)
		l.over(cov, colA, colB)
	}

	dNeck, tNeck := capDist(ps, partNeck, &p.neck, lx, ly)
	dHead, tHead := capDist(ps, partHead, &p.head, lx, ly)
	dMane, _ := capDist(ps, partMane, &p.mane, lx, ly)
	dEar0, _ := capDist(ps, partEar0, &p.ears[0], lx, ly)
	dEar1, _ := capDist(ps, partEar1, &p.ears[1], lx, ly)
	dEar := minf(dEar0, dEar1)
	d := smin(smin(dBody, dNeck, 0.2), dHead, 0.08)
	d = minf(d, minf(dMane, dEar))
	if cov := coverage(d, pix); cov > 0 {
		bias := p.stripeNoise * (nz*2 - 1)
		// Which part this pixel belongs to decides thickness and stripes.
		var thick, st float32
		colMain := p.coat
		switch {
		case dEar < 0 && dHead > 0 && dNeck > 0:
			thick = 0.04
			st = 0.5
			colMain = p.maneColour
		case dHead < dNeck && dHead < dBody:
			thick = 0.12
			along := tHead * p.head.length()
			st = stripe(p.eff.head*along+p.stripePhase, p.eff.head*pix, bias*0.5)
		case dMane < 0 && dNeck > -0.07:
			thick = 0.07
			along := tNeck * p.neck.length()
			st = stripe(p.eff.neck*along+p.stripePhase, p.eff.neck*pix, bias*0.5)
			colMain = p.maneColour
		case dNeck < dBody:
			thick = 0.2
			along := tNeck * p.neck.length()
			st = stripe(p.eff.neck*along+p.stripePhase, p.eff.neck*pix, bias)
		default:
			thick = 0.38
			// Body stripes: vertical on the barrel, bending back over the
			// rump, wobbling a little.
			// f = F*(lx + T(lx)*(ly+0.3) + W(ly) + 0.12*ly^2); fw is
			// |grad f| times the pixel size, for anti-aliasing.
			tilt, dtilt := smoothstepD(-0.1, -1.1, lx)
			tilt, dtilt = p.stripeTilt*tilt, p.stripeTilt*dtilt
			wa := float64(p.stripeWobbleFreq*ly + 3*p.stripePhase)
			wob := p.stripeWobble * float32(math.Sin(wa))
			dwob := p.stripeWobble * p.stripeWobbleFreq * float32(math.Cos(wa))
			f := p.eff.body*(lx+tilt*(ly+0.3)+wob+0.12*ly*ly) + p.stripePhase
			gx, gy := 1+dtilt*(ly+0.3), tilt+dwob+0.24*ly
			st = stripe(f, p.eff.body*pix*sqrt32(gx*gx+gy*gy), bias)
		}
		grain := 0.95 + 0.1*p.noise[6].at(lx*9, ly*9)
		sh := (0.66 + 0.34*sqrt32(clamp01(-d/thick))) * vert * (1 + 0.08*p.lightSide*lx) * grain
		colA := colMain.scale(sh)
		colB := mix(zebraBlack, zebraWhite, st).scale(sh)
		// Muzzle, and the eye.
		if dHead < 0 && tHead > 0.72 {
			colA = mix(colA, p.coat.scale(0.4*sh), smoothstep(0.72, 0.85, tHead))
			colB = mix(colB, zebraBlack.scale(sh), smoothstep(0.72, 0.8, tHead))
		}
		if dHead < 0 {
			if e := sqrt32((lx-p.eyeX)*(lx-p.eyeX)+(ly-p.eyeY)*(ly-p.eyeY)) - 0.035; e < pix {
				k := coverage(e, pix)
				colA = mix(colA, rgb{0.05, 0.04, 0.03}, k)
				colB = mix(colB, rgb{0.05, 0.04, 0.03}, k)
			}
		}
		l.over(cov, colA, colB)
	}

	p.leg(&l, ps, false, lx, ly, pix, vert, dBody, nz)
	return l
}
