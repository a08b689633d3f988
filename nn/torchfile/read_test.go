package torchfile_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/internal/golden"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/torchfile"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireBitEqual checks that sd holds exactly the tensors of c under
// prefix+key, with equal shapes and bit-identical elements.
func requireBitEqual(t *testing.T, c *golden.Case, prefix string, sd map[string]*tensor.Tensor) {
	t.Helper()
	var want []string
	for _, name := range c.File.Names() {
		if k, ok := strings.CutPrefix(name, prefix); ok {
			want = append(want, k)
		}
	}
	got := make([]string, 0, len(sd))
	for k := range sd {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	require.Equal(t, want, got, "keys")
	for _, k := range want {
		w := c.Get(t, prefix+k)
		g := sd[k]
		assert.Equal(t, w.Shape, g.Shape(), k)
		gd := g.Data()
		if !assert.Len(t, gd, len(w.Data), k) {
			continue
		}
		for i := range gd {
			if math.Float32bits(gd[i]) != math.Float32bits(w.Data[i]) {
				t.Errorf("%s[%d]: %g, want %g (bit for bit)", k, i, gd[i], w.Data[i])
				break
			}
		}
	}
}

func goldenPath(t *testing.T, name string) string {
	return filepath.Join(golden.Dir(t), name)
}

func TestReadGeneratorEqualsGolden(t *testing.T) {
	c := golden.Load(t, "pth_generator")
	sd, err := torchfile.ReadFile(goldenPath(t, "pth_generator.pth"))
	require.NoError(t, err)
	requireBitEqual(t, c, "param.", sd)
}

func TestReadViewsAndDtypes(t *testing.T) {
	// Transposed, sliced (with a storage offset, sharing a storage with
	// another key), expanded (stride 0), permuted and strided views;
	// float16, bfloat16, float64, int64, int32 and bool; a scalar and an
	// empty tensor. PyTorch's contiguous float32 copies are the reference.
	c := golden.Load(t, "pth_views")
	for _, name := range []string{"pth_views.pth", "pth_views_legacy.pth"} {
		t.Run(name, func(t *testing.T) {
			sd, err := torchfile.ReadFile(goldenPath(t, name))
			require.NoError(t, err)
			requireBitEqual(t, c, "", sd)
			assert.Equal(t, []float32{7}, sd["bn.num_batches_tracked"].Data())
			assert.Equal(t, []int{}, sd["scalar"].Shape())
		})
	}
}

func TestReadNestedCheckpoint(t *testing.T) {
	// {"epoch": 3, "arch": "conv", "state_dict": {...}, "optimizer": {...}}
	sd, err := torchfile.ReadFile(goldenPath(t, "pth_checkpoint.pth"))
	require.NoError(t, err)
	requireBitEqual(t, golden.Load(t, "pth_checkpoint"), "", sd)

	conv := nn.NewConv2d(tensor.NewRNG(1), 2, 3, 3, tensor.ConvOpts{}, true)
	require.NoError(t, nn.Load(goldenPath(t, "pth_checkpoint.pth"), conv))
	assert.Equal(t, sd["weight"].Data(), conv.Parameters()[0].Var.Value.Data())
}

func TestGeneratorLoadsPthAndMatchesPyTorch(t *testing.T) {
	c := golden.Load(t, "pth_generator")
	g := gan.NewGenerator(tensor.NewRNG(1), gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 4, Blocks: 2})
	require.NoError(t, nn.Load(goldenPath(t, "pth_generator.pth"), g))
	var names []string
	for _, p := range g.Parameters() {
		names = append(names, p.Name)
	}
	require.Equal(t, c.Keys(), names, "the official CycleGAN keys, in order")
	x := c.Get(t, "x")
	var y *autograd.Var
	autograd.NoGrad(func() { y = g.Forward(autograd.Const(tensor.FromSlice(x.Data, x.Shape...))) })
	c.Compare(t, "y", y.Shape(), y.Value.Data(), 1e-4)
}

func TestLoadPthListsMissingAndMisshapedKeys(t *testing.T) {
	path := goldenPath(t, "pth_generator.pth")

	wide := gan.NewGenerator(tensor.NewRNG(1), gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 8, Blocks: 2})
	err := nn.Load(path, wide)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "wrong shape: model.1.weight [4 3 7 7] (model [8 3 7 7])")
	assert.Contains(t, err.Error(), "model.12.weight [16 8 3 3] (model [32 16 3 3])")

	deeper := gan.NewGenerator(tensor.NewRNG(1), gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 4, Blocks: 3, Attention: gan.AfterFirstUp})
	err = nn.Load(path, deeper)
	require.Error(t, err)
	for _, want := range []string{"missing: model.12.conv_block.1.weight", "model.20.bias", "attn.gamma", "unexpected: model.12.bias"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestLoadPthIgnoresRunningStatistics(t *testing.T) {
	// pth_views holds bn.num_batches_tracked beside tensors no conv has: the
	// error lists those as unexpected, but not the norm buffer.
	conv := nn.NewConv2d(tensor.NewRNG(1), 2, 3, 3, tensor.ConvOpts{}, true)
	err := nn.Load(goldenPath(t, "pth_views.pth"), conv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing: weight, bias")
	assert.Contains(t, err.Error(), "transposed.weight")
	assert.NotContains(t, err.Error(), "num_batches_tracked")
}

func TestReadFileErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile(goldenPath(t, "pth_generator.pth"))
	require.NoError(t, err)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	st, err := os.ReadFile(goldenPath(t, "resnet_block.safetensors"))
	require.NoError(t, err)
	cases := map[string]struct {
		path string
		want string
	}{
		"truncated":   {write("truncated.pth", orig[:len(orig)*2/3]), "zip"},
		"empty":       {write("empty.pth", nil), "too short"},
		"text":        {write("text.pth", []byte("not a checkpoint\n")), "neither a zip archive nor a legacy PyTorch pickle"},
		"safetensors": {write("st.pth", st), "neither a zip archive"},
		"missing":     {filepath.Join(dir, "nope.pth"), "no such file"},
		"directory":   {dir, "not a regular file"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			sd, err := torchfile.ReadFile(c.path)
			require.Error(t, err)
			assert.Nil(t, sd)
			assert.Contains(t, err.Error(), c.path)
			assert.Contains(t, err.Error(), c.want)
			assert.True(t, strings.HasPrefix(err.Error(), "torchfile: "), err.Error())
		})
	}
}

func TestReadSurvivesCorruption(t *testing.T) {
	// Every truncation fails; flipped bytes either fail or (where they hit
	// bytes that nothing checks, such as zip padding) read as before. No
	// input panics.
	for _, name := range []string{"pth_views.pth", "pth_views_legacy.pth", "pth_checkpoint.pth"} {
		t.Run(name, func(t *testing.T) {
			orig, err := os.ReadFile(goldenPath(t, name))
			require.NoError(t, err)
			want, err := torchfile.Read(bytes.NewReader(orig), int64(len(orig)))
			require.NoError(t, err)
			for n := 0; n < len(orig); n += 1 + n/16 {
				_, err := torchfile.Read(bytes.NewReader(orig[:n]), int64(n))
				if err == nil {
					t.Errorf("truncated to %d of %d bytes: no error", n, len(orig))
				}
			}
			for i := 0; i < len(orig); i += 3 {
				b := slices.Clone(orig)
				b[i] ^= 0x5a
				got, err := torchfile.Read(bytes.NewReader(b), int64(len(b)))
				if err != nil {
					assert.True(t, strings.HasPrefix(err.Error(), "torchfile: "), err.Error())
					continue
				}
				if !strings.HasSuffix(name, "_legacy.pth") && len(got) == len(want) {
					// The zip format checks every byte of data by its CRC:
					// a flip that reads must have hit no tensor data.
					for k, w := range want {
						if g, ok := got[k]; ok {
							assert.Equal(t, w.Data(), g.Data(), "byte %d flipped: %s changed without an error", i, k)
						}
					}
				}
			}
		})
	}
}

func TestHasExt(t *testing.T) {
	for path, want := range map[string]bool{
		"a/latest_net_G.pth": true, "x.PT": true, "m.pt": true,
		"x.safetensors": false, "pth": false, "x.pth.tmp": false, "": false,
	} {
		assert.Equal(t, want, torchfile.HasExt(path), path)
	}
}
