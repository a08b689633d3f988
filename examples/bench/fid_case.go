package main

import (
	"math/rand/v2"

	"github.com/semgan/semgan/gan/metrics"
	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
)

// fidFeaturesFLOPs is the convolution work of fid_features_100: 100 images
// through the full-width FID Inception network at 299x299, 11.422 GFLOP
// each, as forward hooks on every nn.Conv2d of pytorch-fid's network count
// it (the convolution formula above, summed; pools, batch norm and the
// resize are not counted).
const fidFeaturesFLOPs = 100 * 11.422336192e9

// fidFeaturesSetup times metrics.Inception.Features on 100 random
// 3x299x299 images, 16 per batch, with the full-width network and random
// weights: the feature extraction of a 100-image FID test set.
// testdata/fid/make_golden.py bench and scripts/bench_torch.py time
// pytorch-fid on the same work.
func fidFeaturesSetup(kernels.Backend) (func() error, func()) {
	m := metrics.NewInception(tensor.NewRNG(1), 1)
	rng := rand.New(rand.NewPCG(3, 4))
	const s = metrics.InceptionSize
	imgs := make([]metrics.Image, 100)
	for i := range imgs {
		img := metrics.Image{C: 3, H: s, W: s, Pix: make([]float32, 3*s*s)}
		for j := range img.Pix {
			img.Pix[j] = 2*rng.Float32() - 1
		}
		imgs[i] = img
	}
	run := func() error {
		m.Features(imgs, 16)
		return nil
	}
	return run, func() { freeModule(m) }
}
