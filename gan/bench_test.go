package gan_test

import (
	"testing"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/tensor"
)

// BenchmarkTrainStep64 times one iteration of the quick demo's model (the
// paper preset with NGF 16, NDF 32, 4 blocks) at 64x64, batch 1, with the
// attention after the last upsampling (the paper's place) and after the
// residual blocks (the demo's).
func BenchmarkTrainStep64(b *testing.B) {
	for _, place := range []gan.AttentionPlace{gan.AfterLastUp, gan.AfterResBlocks} {
		b.Run("attn="+place.String(), func(b *testing.B) {
			cfg, _ := gan.Preset("paper")
			cfg.NGF, cfg.NDF, cfg.Blocks = 16, 32, 4
			cfg.Attention = place
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
		})
	}
}
