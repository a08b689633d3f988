package metrics

import (
	"math/rand/v2"
	"testing"

	"github.com/semgan/semgan/tensor"
)

// inceptionFLOPs is the convolution work of the full-width FID Inception
// network on one 299x299 image, 2 FLOPs per multiply-add, as forward hooks
// on every nn.Conv2d of pytorch-fid's network count it (2*Cout*Cin*KH*KW*
// Hout*Wout summed; pools, batch norm and the resize are not counted).
const inceptionFLOPs = 11.422336192e9

// BenchmarkFIDFeatures100 times Features on 100 random 3x299x299 images
// with the full-width network and random weights, 16 images a batch: the
// feature extraction of a 100-image FID test set. One iteration takes
// seconds; run it with -benchtime=1x. testdata/fid/make_golden.py bench
// times pytorch-fid on the same work.
func BenchmarkFIDFeatures100(b *testing.B) {
	m := NewInception(tensor.NewRNG(1), 1)
	rng := rand.New(rand.NewPCG(3, 4))
	imgs := make([]Image, 100)
	for i := range imgs {
		imgs[i] = randomImage(rng, 3, InceptionSize, InceptionSize)
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Features(imgs, 16)
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/100images")
	b.ReportMetric(100*inceptionFLOPs/sec/1e9, "GFLOP/s")
}
