package metrics

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/safetensors"
	"github.com/semgan/semgan/nn/torchfile"
	"github.com/semgan/semgan/tensor"
)

// FIDWeightsURL is where pytorch-fid publishes the weights of its Inception
// network (a PyTorch port of the TensorFlow graph of the original FID
// code), the file LoadInception reads. semgan never downloads it.
const FIDWeightsURL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"

// InceptionSize is the side of the square images the Inception network
// sees: Features resizes every image to InceptionSize x InceptionSize.
const InceptionSize = 299

// Inception is the Inception-v3 network pytorch-fid computes FID features
// with (its fid_inception_v3, FIDInceptionA/C/E_1/E_2): torchvision's
// Inception-v3 without the auxiliary and final classifiers, whose blocks
// Mixed_5b-5d, 6b-6e and 7b average-pool without counting the padding
// (count_include_pad=False, as TensorFlow does) and whose last block,
// Mixed_7c, max-pools in its pooling branch. Its output is the global
// average of Mixed_7c: 2048 features per image at full width.
//
// Parameters are named as in PyTorch's state dict ("Conv2d_1a_3x3.conv.weight",
// "Mixed_5b.branch5x5_2.bn.running_var", ...), so pytorch-fid's weights
// load as they are. Every convolution has no bias and is followed by
// BatchNorm2d (eps 1e-3, inference mode) and ReLU.
//
// Channel widths are not fixed: NewInception divides torchvision's by a
// factor, and InceptionFromStateDict takes them from the weights' shapes,
// so that tests can check the topology against PyTorch on a narrow copy.
type Inception struct {
	layers []inceptionLayer
	dim    int // channels of the output
}

// inceptionLayer is one named stage: a convolution (BasicConv2d), a pool
// or a mixed block.
type inceptionLayer interface {
	name() string
	forward(x *autograd.Var) *autograd.Var
	params() []nn.Param
}

// basicConv is torchvision's BasicConv2d: convolution without bias, batch
// norm, ReLU. Padding may differ between rows and columns (the 1x7 and 7x1
// convolutions), in which case the input is zero-padded first.
type basicConv struct {
	id         string
	weight     *autograd.Var // [out, in, kh, kw]
	bn         *nn.BatchNorm2d
	stride     int
	padH, padW int

	// folded, when set, holds the weight and bias of one convolution equal
	// to the convolution followed by the batch norm (see fold).
	folded *[2]*autograd.Var
}

func (c *basicConv) name() string { return c.id }

func (c *basicConv) forward(x *autograd.Var) *autograd.Var {
	opts := tensor.ConvOpts{Stride: c.stride, Padding: c.padH}
	if c.padH != c.padW {
		x = autograd.Pad2d(x, tensor.Padding{Top: c.padH, Bottom: c.padH, Left: c.padW, Right: c.padW})
		opts.Padding = 0
	}
	if c.folded != nil {
		return autograd.ReLU(autograd.Conv2d(x, c.folded[0], c.folded[1], opts))
	}
	return autograd.ReLU(c.bn.Forward(autograd.Conv2d(x, c.weight, nil, opts)))
}

// fold sets c.folded: the batch norm's per-channel scale multiplied into
// the convolution's weight and its shift as the bias, so that inference
// makes one pass over each output instead of three. The result differs
// from the unfolded layer by float32 rounding only.
func (c *basicConv) fold() {
	scale, shift := c.bn.ScaleShift()
	w := c.weight.Value.Data()
	per := len(w) / len(scale)
	for o, s := range scale {
		for i := range w[o*per : (o+1)*per] {
			w[o*per+i] *= s
		}
	}
	dev := c.weight.Value.Device()
	c.folded = &[2]*autograd.Var{
		autograd.Const(tensor.FromSliceOn(dev, w, c.weight.Value.Shape()...)),
		autograd.Const(tensor.FromSliceOn(dev, shift, len(shift))),
	}
}

// unfold frees and clears c.folded.
func (c *basicConv) unfold() {
	if c.folded != nil {
		c.folded[0].Value.Free()
		c.folded[1].Value.Free()
		c.folded = nil
	}
}

func (c *basicConv) params() []nn.Param {
	ps := []nn.Param{{Name: "conv.weight", Var: c.weight}}
	return nn.Prefixed(c.id, append(ps, nn.Prefixed("bn", c.bn.Parameters())...))
}

func (c *basicConv) out() int { return c.weight.Value.Dim(0) }

// pool is a parameter-free pooling stage.
type pool struct {
	id string
	fn func(*autograd.Var) *autograd.Var
}

func (p pool) name() string                          { return p.id }
func (p pool) forward(x *autograd.Var) *autograd.Var { return p.fn(x) }
func (p pool) params() []nn.Param                    { return nil }

func maxPool(k, s, pad int) func(*autograd.Var) *autograd.Var {
	return func(x *autograd.Var) *autograd.Var {
		return autograd.MaxPool2d(x, tensor.PoolOpts{Kernel: k, Stride: s, Padding: pad})
	}
}

// avgPoolNoPad is F.avg_pool2d(x, 3, stride=1, padding=1,
// count_include_pad=False), the pool pytorch-fid patches into its blocks.
func avgPoolNoPad(x *autograd.Var) *autograd.Var {
	return autograd.AvgPool2d(x, tensor.PoolOpts{Kernel: 3, Stride: 1, Padding: 1})
}

// branch is one path of a mixed block: an optional pool, convolutions in
// sequence, then optionally convolutions applied side by side whose
// outputs are concatenated (the 1x3 and 3x1 pairs of InceptionE).
type branch struct {
	pool  func(*autograd.Var) *autograd.Var
	convs []*basicConv
	split []*basicConv
}

func (b branch) forward(x *autograd.Var) *autograd.Var {
	if b.pool != nil {
		x = b.pool(x)
	}
	for _, c := range b.convs {
		x = c.forward(x)
	}
	if len(b.split) == 0 {
		return x
	}
	outs := make([]*autograd.Var, len(b.split))
	for i, c := range b.split {
		outs[i] = c.forward(x)
	}
	return autograd.Concat(1, outs...)
}

// mixed is an Inception block: its branches' outputs concatenated along
// the channels, in torchvision's order.
type mixed struct {
	id       string
	branches []branch
}

func (m *mixed) name() string { return m.id }

func (m *mixed) forward(x *autograd.Var) *autograd.Var {
	outs := make([]*autograd.Var, len(m.branches))
	for i, b := range m.branches {
		outs[i] = b.forward(x)
	}
	return autograd.Concat(1, outs...)
}

func (m *mixed) params() []nn.Param {
	var ps []nn.Param
	for _, b := range m.branches {
		for _, c := range append(append([]*basicConv(nil), b.convs...), b.split...) {
			ps = append(ps, c.params()...)
		}
	}
	return nn.Prefixed(m.id, ps)
}

// builder makes the layers; width(key, def) gives the output channels of
// the convolution whose state-dict prefix is key, where torchvision has def.
type builder struct {
	width func(key string, def int) int
}

// conv returns a BasicConv2d named id (inside block, "" for none) from in
// channels with a kh x kw kernel.
func (b builder) conv(block, id string, in, def, kh, kw, stride, padH, padW int) *basicConv {
	key := id
	if block != "" {
		key = block + "." + id
	}
	out := b.width(key, def)
	return &basicConv{id: id, weight: autograd.Param(tensor.Zeros(out, in, kh, kw)), bn: nn.NewBatchNorm2d(out, 1e-3),
		stride: stride, padH: padH, padW: padW}
}

// sq is conv with a square kernel and padding.
func (b builder) sq(block, id string, in, def, k, stride, pad int) *basicConv {
	return b.conv(block, id, in, def, k, k, stride, pad, pad)
}

// outChannels is the channel count a branch produces given its input's.
func (br branch) outChannels(in int) int {
	switch {
	case len(br.split) > 0:
		n := 0
		for _, c := range br.split {
			n += c.out()
		}
		return n
	case len(br.convs) > 0:
		return br.convs[len(br.convs)-1].out()
	}
	return in
}

func (m *mixed) outChannels(in int) int {
	n := 0
	for _, br := range m.branches {
		n += br.outChannels(in)
	}
	return n
}

// inceptionA is FIDInceptionA (torchvision's InceptionA with the padding
// left out of the pool's average).
func (b builder) inceptionA(id string, in, poolFeatures int) *mixed {
	b5 := b.sq(id, "branch5x5_1", in, 48, 1, 1, 0)
	d1 := b.sq(id, "branch3x3dbl_1", in, 64, 1, 1, 0)
	d2 := b.sq(id, "branch3x3dbl_2", d1.out(), 96, 3, 1, 1)
	return &mixed{id: id, branches: []branch{
		{convs: []*basicConv{b.sq(id, "branch1x1", in, 64, 1, 1, 0)}},
		{convs: []*basicConv{b5, b.sq(id, "branch5x5_2", b5.out(), 64, 5, 1, 2)}},
		{convs: []*basicConv{d1, d2, b.sq(id, "branch3x3dbl_3", d2.out(), 96, 3, 1, 1)}},
		{pool: avgPoolNoPad, convs: []*basicConv{b.sq(id, "branch_pool", in, poolFeatures, 1, 1, 0)}},
	}}
}

// inceptionB is torchvision's InceptionB (grid reduction 35 -> 17).
func (b builder) inceptionB(id string, in int) *mixed {
	d1 := b.sq(id, "branch3x3dbl_1", in, 64, 1, 1, 0)
	d2 := b.sq(id, "branch3x3dbl_2", d1.out(), 96, 3, 1, 1)
	return &mixed{id: id, branches: []branch{
		{convs: []*basicConv{b.sq(id, "branch3x3", in, 384, 3, 2, 0)}},
		{convs: []*basicConv{d1, d2, b.sq(id, "branch3x3dbl_3", d2.out(), 96, 3, 2, 0)}},
		{pool: maxPool(3, 2, 0)},
	}}
}

// inceptionC is FIDInceptionC: factorised 7x7 convolutions.
func (b builder) inceptionC(id string, in, c7 int) *mixed {
	s1 := b.sq(id, "branch7x7_1", in, c7, 1, 1, 0)
	s2 := b.conv(id, "branch7x7_2", s1.out(), c7, 1, 7, 1, 0, 3)
	d1 := b.sq(id, "branch7x7dbl_1", in, c7, 1, 1, 0)
	d2 := b.conv(id, "branch7x7dbl_2", d1.out(), c7, 7, 1, 1, 3, 0)
	d3 := b.conv(id, "branch7x7dbl_3", d2.out(), c7, 1, 7, 1, 0, 3)
	d4 := b.conv(id, "branch7x7dbl_4", d3.out(), c7, 7, 1, 1, 3, 0)
	return &mixed{id: id, branches: []branch{
		{convs: []*basicConv{b.sq(id, "branch1x1", in, 192, 1, 1, 0)}},
		{convs: []*basicConv{s1, s2, b.conv(id, "branch7x7_3", s2.out(), 192, 7, 1, 1, 3, 0)}},
		{convs: []*basicConv{d1, d2, d3, d4, b.conv(id, "branch7x7dbl_5", d4.out(), 192, 1, 7, 1, 0, 3)}},
		{pool: avgPoolNoPad, convs: []*basicConv{b.sq(id, "branch_pool", in, 192, 1, 1, 0)}},
	}}
}

// inceptionD is torchvision's InceptionD (grid reduction 17 -> 8).
func (b builder) inceptionD(id string, in int) *mixed {
	t1 := b.sq(id, "branch3x3_1", in, 192, 1, 1, 0)
	s1 := b.sq(id, "branch7x7x3_1", in, 192, 1, 1, 0)
	s2 := b.conv(id, "branch7x7x3_2", s1.out(), 192, 1, 7, 1, 0, 3)
	s3 := b.conv(id, "branch7x7x3_3", s2.out(), 192, 7, 1, 1, 3, 0)
	return &mixed{id: id, branches: []branch{
		{convs: []*basicConv{t1, b.sq(id, "branch3x3_2", t1.out(), 320, 3, 2, 0)}},
		{convs: []*basicConv{s1, s2, s3, b.sq(id, "branch7x7x3_4", s3.out(), 192, 3, 2, 0)}},
		{pool: maxPool(3, 2, 0)},
	}}
}

// inceptionE is FIDInceptionE_1 (average pool without the padding) or, with
// maxPoolBranch, FIDInceptionE_2 (max pool, 3x3 stride 1 padding 1).
func (b builder) inceptionE(id string, in int, maxPoolBranch bool) *mixed {
	t1 := b.sq(id, "branch3x3_1", in, 384, 1, 1, 0)
	d1 := b.sq(id, "branch3x3dbl_1", in, 448, 1, 1, 0)
	d2 := b.sq(id, "branch3x3dbl_2", d1.out(), 384, 3, 1, 1)
	poolFn := avgPoolNoPad
	if maxPoolBranch {
		poolFn = maxPool(3, 1, 1)
	}
	return &mixed{id: id, branches: []branch{
		{convs: []*basicConv{b.sq(id, "branch1x1", in, 320, 1, 1, 0)}},
		{convs: []*basicConv{t1}, split: []*basicConv{
			b.conv(id, "branch3x3_2a", t1.out(), 384, 1, 3, 1, 0, 1),
			b.conv(id, "branch3x3_2b", t1.out(), 384, 3, 1, 1, 1, 0),
		}},
		{convs: []*basicConv{d1, d2}, split: []*basicConv{
			b.conv(id, "branch3x3dbl_3a", d2.out(), 384, 1, 3, 1, 0, 1),
			b.conv(id, "branch3x3dbl_3b", d2.out(), 384, 3, 1, 1, 1, 0),
		}},
		{pool: poolFn, convs: []*basicConv{b.sq(id, "branch_pool", in, 192, 1, 1, 0)}},
	}}
}

// build assembles the network with zero weights.
func (b builder) build() *Inception {
	m := &Inception{}
	add := func(l inceptionLayer) { m.layers = append(m.layers, l) }
	c1 := b.sq("", "Conv2d_1a_3x3", 3, 32, 3, 2, 0)
	c2 := b.sq("", "Conv2d_2a_3x3", c1.out(), 32, 3, 1, 0)
	c3 := b.sq("", "Conv2d_2b_3x3", c2.out(), 64, 3, 1, 1)
	c4 := b.sq("", "Conv2d_3b_1x1", c3.out(), 80, 1, 1, 0)
	c5 := b.sq("", "Conv2d_4a_3x3", c4.out(), 192, 3, 1, 0)
	add(c1)
	add(c2)
	add(c3)
	add(pool{"maxpool1", maxPool(3, 2, 0)})
	add(c4)
	add(c5)
	add(pool{"maxpool2", maxPool(3, 2, 0)})
	in := c5.out()
	for _, blk := range []func(in int) *mixed{
		func(in int) *mixed { return b.inceptionA("Mixed_5b", in, 32) },
		func(in int) *mixed { return b.inceptionA("Mixed_5c", in, 64) },
		func(in int) *mixed { return b.inceptionA("Mixed_5d", in, 64) },
		func(in int) *mixed { return b.inceptionB("Mixed_6a", in) },
		func(in int) *mixed { return b.inceptionC("Mixed_6b", in, 128) },
		func(in int) *mixed { return b.inceptionC("Mixed_6c", in, 160) },
		func(in int) *mixed { return b.inceptionC("Mixed_6d", in, 160) },
		func(in int) *mixed { return b.inceptionC("Mixed_6e", in, 192) },
		func(in int) *mixed { return b.inceptionD("Mixed_7a", in) },
		func(in int) *mixed { return b.inceptionE("Mixed_7b", in, false) },
		func(in int) *mixed { return b.inceptionE("Mixed_7c", in, true) },
	} {
		mb := blk(in)
		add(mb)
		in = mb.outChannels(in)
	}
	add(pool{"avgpool", autograd.GlobalAvgPool2d})
	m.dim = in
	return m
}

// NewInception returns the FID Inception network with torchvision's
// channel widths divided by div (1 for the real network; 2, 4, 8 or 16 for
// narrow copies, as every width is a multiple of 16) and random weights
// drawn from rng: convolution weights from N(0, 2/fan_in), batch norm as
// PyTorch initialises it. It is for tests and timing; FID needs the
// weights LoadInception reads. It panics on another div.
func NewInception(rng *tensor.RNG, div int) *Inception {
	if div < 1 || 16%div != 0 {
		panic(fmt.Sprintf("metrics: NewInception: width divisor %d is not 1, 2, 4, 8 or 16", div))
	}
	m := builder{width: func(_ string, def int) int { return def / div }}.build()
	for _, p := range m.Parameters() {
		if v := p.Var.Value; v.Rank() == 4 {
			fanIn := v.Dim(1) * v.Dim(2) * v.Dim(3)
			w := tensor.Normal(rng, 0, float32(math.Sqrt(2/float64(fanIn))), v.Shape()...)
			v.CopyFrom(w)
			w.Free()
		}
	}
	return m
}

// InceptionFromStateDict builds the FID Inception network with the channel
// widths of sd's convolution weights and loads sd into it. The classifier
// ("fc.weight", "fc.bias"), which pytorch-fid's weights include and FID
// does not use, is skipped, as are "num_batches_tracked" counters; any
// other missing, mis-shaped or unexpected tensor is an error.
func InceptionFromStateDict(sd map[string]*tensor.Tensor) (*Inception, error) {
	width := func(key string, def int) int {
		if w, ok := sd[key+".conv.weight"]; ok && w.Rank() == 4 && w.Dim(0) > 0 {
			return w.Dim(0)
		}
		return def
	}
	if _, ok := sd["Conv2d_1a_3x3.conv.weight"]; !ok {
		keys := slices.Sorted(maps.Keys(sd))
		if len(keys) > 4 {
			keys = append(keys[:4], "...")
		}
		return nil, fmt.Errorf("metrics: not the weights of the FID Inception network: no Conv2d_1a_3x3.conv.weight among %d tensors (%s)",
			len(sd), strings.Join(keys, ", "))
	}
	m := builder{width: width}.build()
	used := map[string]*tensor.Tensor{}
	for k, v := range sd {
		if !strings.HasPrefix(k, "fc.") {
			used[k] = v
		}
	}
	if err := nn.LoadStateDict(m, used); err != nil {
		return nil, fmt.Errorf("metrics: Inception weights: %w", err)
	}
	return m, nil
}

// LoadInception reads the FID Inception network's weights from path:
// pytorch-fid's pt_inception-2015-12-05-6726825d.pth (see FIDWeightsURL),
// or any state dict of the same network written by torch.save (.pth, .pt),
// or the same tensors as a safetensors file (as nn.Save writes one:
// LoadInception then nn.Save converts the .pth file).
func LoadInception(path string) (*Inception, error) {
	var sd map[string]*tensor.Tensor
	if torchfile.HasExt(path) {
		var err error
		if sd, err = torchfile.ReadFile(path); err != nil {
			return nil, err
		}
	} else {
		f, err := safetensors.ReadFile(path)
		if err != nil {
			return nil, err
		}
		sd = nn.FromFile(f)
	}
	m, err := InceptionFromStateDict(sd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// convs calls fn for every convolution of m.
func (m *Inception) convs(fn func(*basicConv)) {
	for _, l := range m.layers {
		switch l := l.(type) {
		case *basicConv:
			fn(l)
		case *mixed:
			for _, b := range l.branches {
				for _, c := range b.convs {
					fn(c)
				}
				for _, c := range b.split {
					fn(c)
				}
			}
		}
	}
}

// Dim returns the number of features per image: 2048 for the real network.
func (m *Inception) Dim() int { return m.dim }

// Parameters returns every convolution weight and batch norm tensor by its
// PyTorch state-dict name.
func (m *Inception) Parameters() []nn.Param {
	var ps []nn.Param
	for _, l := range m.layers {
		ps = append(ps, l.params()...)
	}
	return ps
}

// Forward returns the features [N, Dim] of x [N, 3, H, W], images already
// resized (pytorch-fid feeds 299x299) and scaled to [-1, 1]. H and W must
// be at least 75.
func (m *Inception) Forward(x *autograd.Var) *autograd.Var {
	return m.ForwardTrace(x, nil)
}

// ForwardTrace is Forward that also calls visit, if not nil, with the name
// and output of every stage in order: the convolutions of the stem by
// their PyTorch names, "maxpool1", "maxpool2", the blocks "Mixed_5b" to
// "Mixed_7c" and "avgpool" ([N, Dim, 1, 1]). pytorch-fid's four output
// blocks end at "maxpool1", "maxpool2", "Mixed_6e" and "avgpool".
func (m *Inception) ForwardTrace(x *autograd.Var, visit func(name string, y *autograd.Var)) *autograd.Var {
	if x.Value.Rank() != 4 || x.Value.Dim(1) != 3 || x.Value.Dim(2) < 75 || x.Value.Dim(3) < 75 {
		panic(fmt.Sprintf("metrics: Inception: input %v, want [N, 3, H, W] with H, W >= 75", x.Shape()))
	}
	for _, l := range m.layers {
		x = l.forward(x)
		if visit != nil {
			visit(l.name(), x)
		}
	}
	return autograd.Reshape(x, x.Value.Dim(0), m.dim)
}
