package gan

import (
	"fmt"
	"sort"

	"github.com/semgan/semgan/kernels"
)

// Config holds every setting of a training run. Presets give the published
// values; every field can be overridden.
type Config struct {
	// NGF, NDF: filters of the first generator and discriminator layers.
	NGF, NDF int
	// Blocks is the number of residual blocks per generator.
	Blocks int
	// DLayers is the discriminator depth (CycleGAN's n_layers; 3 = 70x70).
	DLayers int
	// Attention places the generators' self-attention block.
	Attention AttentionPlace

	// LambdaCycle weighs each cycle-consistency L1 term (10 in CycleGAN).
	LambdaCycle float32
	// LambdaIdentity weighs the identity loss relative to LambdaCycle
	// (CycleGAN: 0.5; 0 disables it).
	LambdaIdentity float32
	// LambdaSem weighs the semantic-consistency loss between encoder
	// features (0 disables it).
	LambdaSem float32

	// LRG and LRD are the Adam learning rates of the generators and the
	// discriminators (TTUR when they differ).
	LRG, LRD float32
	// Beta1 and Beta2 are Adam's moment decay rates.
	Beta1, Beta2 float32
	// Iters is the number of iterations at the base learning rate;
	// DecayIters more follow with the rate falling linearly towards 0.
	Iters, DecayIters int
	// Batch is the number of images per domain per iteration.
	Batch int
	// PoolSize is the number of past fakes kept for the discriminators.
	PoolSize int
	// DSteps is the number of discriminator updates per generator update.
	DSteps int
	// Seed makes a run reproducible.
	Seed uint64
	// Precision is the precision of the products (convolutions,
	// attention) the run trains in; checkpoints record it (as "fp32",
	// "tf32" or "bf16"; one without it was FP32). Neither the Trainer nor
	// the networks apply it: the process-wide setting is the caller's
	// (tensor.SetPrecision), as the horse2zebra command sets it from
	// here for training and from a checkpoint for translation.
	Precision kernels.Precision
}

var presets = map[string]Config{
	// The official CycleGAN: 11,378,179 parameters per generator and
	// 2,764,737 per discriminator.
	"cyclegan": {
		NGF: 64, NDF: 64, Blocks: 9, DLayers: 3,
		LambdaCycle: 10, LambdaIdentity: 0.5,
		LRG: 2e-4, LRD: 2e-4, Beta1: 0.5, Beta2: 0.999,
		Iters: 100, DecayIters: 100, Batch: 1, PoolSize: 50, DSteps: 1, Seed: 1,
	},
	// The paper's model: CycleGAN with self-attention at the end of the
	// generator, the semantic loss and TTUR (G 0.001, D 0.002). The paper
	// reports 6.5M parameters; this layout with NGF 48 has 6.4M before
	// attention, so NGF 48 may be what it used, but it does not say: the
	// preset keeps CycleGAN's 64.
	"paper": {
		NGF: 64, NDF: 64, Blocks: 9, DLayers: 3, Attention: AfterLastUp,
		LambdaCycle: 10, LambdaIdentity: 0.5, LambdaSem: 1,
		LRG: 1e-3, LRD: 2e-3, Beta1: 0.5, Beta2: 0.999,
		Iters: 100, DecayIters: 100, Batch: 1, PoolSize: 50, DSteps: 1, Seed: 1,
	},
}

// Preset returns the named configuration: "cyclegan" or "paper".
func Preset(name string) (Config, error) {
	c, ok := presets[name]
	if !ok {
		names := make([]string, 0, len(presets))
		for n := range presets {
			names = append(names, n)
		}
		sort.Strings(names)
		return Config{}, fmt.Errorf("gan: no preset %q (have %v)", name, names)
	}
	return c, nil
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	switch {
	case c.NGF < 8 && c.Attention != NoAttention:
		return fmt.Errorf("gan: NGF %d too small for attention (needs 8)", c.NGF)
	case c.NGF < 2 || c.NDF < 1 || c.Blocks < 0 || c.DLayers < 1:
		return fmt.Errorf("gan: bad network size NGF=%d NDF=%d Blocks=%d DLayers=%d", c.NGF, c.NDF, c.Blocks, c.DLayers)
	case c.LRG <= 0 || c.LRD <= 0:
		return fmt.Errorf("gan: learning rates must be positive (G %g, D %g)", c.LRG, c.LRD)
	case c.Batch < 1 || c.DSteps < 1 || c.PoolSize < 0 || c.Iters < 0 || c.DecayIters < 0:
		return fmt.Errorf("gan: bad schedule Batch=%d DSteps=%d PoolSize=%d Iters=%d DecayIters=%d", c.Batch, c.DSteps, c.PoolSize, c.Iters, c.DecayIters)
	case !(c.Beta1 >= 0 && c.Beta1 < 1 && c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("gan: Adam betas must be in [0, 1) (beta1 %g, beta2 %g)", c.Beta1, c.Beta2)
	case c.LambdaCycle < 0 || c.LambdaIdentity < 0 || c.LambdaSem < 0:
		return fmt.Errorf("gan: loss weights must not be negative")
	case c.Precision.Validate() != nil:
		return fmt.Errorf("gan: %w", c.Precision.Validate())
	}
	return nil
}

// String returns the name of the attention place as the CLI spells it.
func (p AttentionPlace) String() string {
	return [...]string{"none", "res", "up1", "up2"}[p]
}

// ParseAttentionPlace parses "none", "res", "up1" or "up2".
func ParseAttentionPlace(s string) (AttentionPlace, error) {
	for p := NoAttention; p <= AfterLastUp; p++ {
		if p.String() == s {
			return p, nil
		}
	}
	return 0, fmt.Errorf("gan: attention place %q is not one of none, res, up1, up2", s)
}
