package gan_test

import (
	"testing"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/tensor"
)

// BenchmarkTrainStep64 times one iteration of the quick demo's model (the
// paper preset with NGF 16, NDF 32, 4 blocks, attention after the last
// upsampling) at 64x64, batch 1.
func BenchmarkTrainStep64(b *testing.B) {
	cfg, _ := gan.Preset("paper")
	cfg.NGF, cfg.NDF, cfg.Blocks = 16, 32, 4
	tr, err := gan.NewTrainer(cfg, 3)
	if err != nil {
		b.Fatal(err)
	}
	rng := tensor.NewRNG(1)
	a := tensor.Uniform(rng, -1, 1, 1, 3, 64, 64)
	c := tensor.Uniform(rng, -1, 1, 1, 3, 64, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tr.TrainStep(a, c); err != nil {
			b.Fatal(err)
		}
	}
}
