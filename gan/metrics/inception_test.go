package metrics

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/internal/golden"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/safetensors"
	"github.com/semgan/semgan/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fidFile returns the path of a file of testdata/fid (made by
// testdata/fid/make_golden.py).
func fidFile(t testing.TB, name string) string {
	return filepath.Join(filepath.Dir(golden.Dir(t)), "fid", name)
}

// fidCase loads a safetensors file of testdata/fid as a golden case.
func fidCase(t testing.TB, name string) *golden.Case {
	t.Helper()
	f, err := safetensors.ReadFile(fidFile(t, name+".safetensors"))
	require.NoError(t, err)
	require.Equal(t, "semgan-golden", f.Metadata["format"])
	return &golden.Case{Name: name, File: f}
}

// goldenImages splits a golden [N, C, H, W] tensor into images.
func goldenImages(t *testing.T, c *golden.Case, key string) []Image {
	x := c.Get(t, key)
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	imgs := make([]Image, n)
	for i := range imgs {
		imgs[i] = Image{C: ch, H: h, W: w, Pix: x.Data[i*ch*h*w : (i+1)*ch*h*w]}
	}
	return imgs
}

func TestInceptionLoadsPthAndSafetensors(t *testing.T) {
	pth, err := LoadInception(fidFile(t, "inception_w16.pth"))
	require.NoError(t, err)
	st, err := LoadInception(fidFile(t, "inception_w16.safetensors"))
	require.NoError(t, err)
	assert.Equal(t, 128, pth.Dim())
	a, b := pth.Parameters(), st.Parameters()
	require.Equal(t, len(a), len(b))
	for i := range a {
		require.Equal(t, a[i].Name, b[i].Name)
		require.Equal(t, a[i].Var.Value.Data(), b[i].Var.Value.Data(), a[i].Name)
	}
	// Every tensor of the file but the classifier and the counters is used:
	// 94 convolutions, each with a weight and four batch-norm tensors.
	assert.Len(t, a, 94*5)
	keys := strings.Split(fidCase(t, "inception_w16").Meta("keys"), ",")
	var want []string
	for _, k := range keys {
		if !strings.HasPrefix(k, "fc.") && !strings.HasSuffix(k, "num_batches_tracked") {
			want = append(want, k)
		}
	}
	var got []string
	for _, p := range a {
		got = append(got, p.Name)
	}
	slices.Sort(want)
	slices.Sort(got)
	assert.Equal(t, want, got, "parameter names are PyTorch's state-dict keys")
}

func TestInceptionMatchesPyTorch(t *testing.T) {
	m, err := LoadInception(fidFile(t, "inception_w16.pth"))
	require.NoError(t, err)
	c := fidCase(t, "inception_w16_io")
	imgs := goldenImages(t, c, "x")

	// The resize pytorch-fid applies, then every stage; the file holds the
	// stages' outputs for the first image and the features of both.
	const s = InceptionSize
	buf := make([]float32, len(imgs)*3*s*s)
	for i, img := range imgs {
		resizeInto(buf[i*3*s*s:(i+1)*3*s*s], img, s, s)
	}
	seen := map[string]bool{}
	var features *tensor.Tensor
	autograd.NoGrad(func() {
		features = m.ForwardTrace(autograd.Const(tensor.FromSlice(buf, len(imgs), 3, s, s)), func(name string, y *autograd.Var) {
			key := "out." + name
			if !c.Has(key) {
				return
			}
			seen[name] = true
			shape := slices.Clone(y.Shape())
			shape[0] = 1
			per := y.Value.Len() / y.Shape()[0]
			c.Compare(t, key, shape, y.Value.Data()[:per], 1e-4)
		}).Value
	})
	assert.Len(t, seen, len(strings.Split(c.Meta("blocks"), ",")), "every stored block was compared")
	c.Compare(t, "features", features.Shape(), features.Data(), 1e-4)

	// Features, batch by batch, gives the same.
	for _, batch := range []int{1, 2} {
		f := m.Features(imgs, batch)
		require.Len(t, f, 2)
		c.Compare(t, "features", []int{2, m.Dim()}, append(slices.Clone(f[0]), f[1]...), 1e-4)
	}
}

func TestResizeBilinearMatchesPyTorch(t *testing.T) {
	c := fidCase(t, "inception_w16_io")
	for _, tc := range []struct{ in, out string }{
		{"resize.up.x", "resize.up.y"}, {"resize.down.x", "resize.down.y"}, {"resize.down.x", "resize.mixed.y"},
	} {
		want := c.Get(t, tc.out)
		got := ResizeBilinear(goldenImages(t, c, tc.in)[0], want.Shape[2], want.Shape[3])
		c.Compare(t, tc.out, []int{1, got.C, got.H, got.W}, got.Pix, 1e-6)
	}
	img := randomImage(rand.New(rand.NewPCG(1, 2)), 3, 5, 4)
	assert.Equal(t, img.Pix, ResizeBilinear(img, 5, 4).Pix, "resizing to the same size is the identity")
	require.Panics(t, func() { ResizeBilinear(img, 0, 4) })
}

func TestInceptionLoadErrors(t *testing.T) {
	f, err := safetensors.ReadFile(fidFile(t, "inception_w16.safetensors"))
	require.NoError(t, err)
	sd := nn.FromFile(f)
	delete(sd, "Mixed_6b.branch7x7_2.bn.running_var")
	sd["Mixed_7c.branch_pool.conv.weight"] = tensor.Zeros(12, 128, 3, 3)
	sd["AuxLogits.fc.weight"] = tensor.Zeros(3)
	_, err = InceptionFromStateDict(sd)
	require.Error(t, err)
	for _, want := range []string{
		"missing: Mixed_6b.branch7x7_2.bn.running_var",
		"wrong shape: Mixed_7c.branch_pool.conv.weight [12 128 3 3] (model [12 128 1 1])",
		"unexpected: AuxLogits.fc.weight",
	} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = InceptionFromStateDict(map[string]*tensor.Tensor{"model.1.weight": tensor.Zeros(1)})
	require.EqualError(t, err, "metrics: not the weights of the FID Inception network: no Conv2d_1a_3x3.conv.weight among 1 tensors (model.1.weight)")
	_, err = LoadInception(filepath.Join(t.TempDir(), "none.pth"))
	require.Error(t, err)
	require.Panics(t, func() { NewInception(tensor.NewRNG(1), 3) })
	m := NewInception(tensor.NewRNG(1), 16)
	require.PanicsWithValue(t, "metrics: Inception: input [1 3 74 80], want [N, 3, H, W] with H, W >= 75",
		func() { m.Forward(autograd.Const(tensor.Zeros(1, 3, 74, 80))) })
	require.Panics(t, func() { m.Features([]Image{{C: 2, H: 4, W: 4, Pix: make([]float32, 32)}}, 1) })
}
