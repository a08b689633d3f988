package nn

import (
	"strings"

	"github.com/semgan/semgan/tensor"
)

// InitNormal re-initialises m's parameters as CycleGAN's init_weights with
// init_type "normal": convolution weights (rank 4) from N(0, std^2), biases
// to 0, and the per-channel weights of normalisation layers (rank 1,
// named "weight") from N(1, std^2). Other parameters, such as the gamma
// of SelfAttention2d, are left as they are.
func InitNormal(m Module, rng *tensor.RNG, std float32) {
	for _, p := range m.Parameters() {
		v := p.Var.Value
		switch {
		case v.Rank() == 4:
			copyFree(v, tensor.Normal(rng, 0, std, v.Shape()...))
		case strings.HasSuffix(p.Name, "bias"):
			v.Fill(0)
		case strings.HasSuffix(p.Name, "weight") && v.Rank() == 1:
			copyFree(v, tensor.Normal(rng, 1, std, v.Shape()...))
		}
	}
}

// copyFree copies src into dst and frees src.
func copyFree(dst, src *tensor.Tensor) {
	dst.CopyFrom(src)
	src.Free()
}
