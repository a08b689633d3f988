package gan

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/safetensors"
	"github.com/semgan/semgan/tensor"
)

// A checkpoint is one safetensors file holding everything a run needs to
// continue exactly: the four networks under "G_A.", "G_B.", "D_A.", "D_B."
// with the official key names after the prefix, the optimiser states under
// "opt_G." and "opt_D.", the image pools under "pool_A.<i>" and
// "pool_B.<i>", and in the metadata the step and the configuration (JSON).

// SaveCheckpoint writes the trainer's state to path atomically: a crash
// leaves either the previous file or the new one, never a torn file.
func (t *Trainer) SaveCheckpoint(path string) error {
	sd := map[string]*tensor.Tensor{}
	put := func(prefix string, m map[string]*tensor.Tensor) {
		for k, v := range m {
			sd[prefix+k] = v
		}
	}
	for name, m := range t.networks() {
		put(name+".", nn.StateDict(m))
	}
	put("opt_G.", t.OptG.StateDict())
	put("opt_D.", t.OptD.StateDict())
	for name, p := range map[string]*ImagePool{"pool_A": t.PoolA, "pool_B": t.PoolB} {
		for i, img := range p.Images {
			sd[fmt.Sprintf("%s.%d", name, i)] = img
		}
	}
	cfg, err := json.Marshal(t.Config)
	if err != nil {
		return err
	}
	meta := map[string]string{"format": "semgan-checkpoint", "step": strconv.Itoa(t.Step), "config": string(cfg)}
	return safetensors.WriteFile(path, nn.ToFile(sd, meta))
}

func (t *Trainer) networks() map[string]nn.Module {
	return map[string]nn.Module{"G_A": t.GA, "G_B": t.GB, "D_A": t.DA, "D_B": t.DB}
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint and builds a
// trainer that continues from it for images with the given channels. The
// configuration comes from the file.
func LoadCheckpoint(path string, channels int) (*Trainer, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if f.Metadata["format"] != "semgan-checkpoint" {
		return nil, fmt.Errorf("gan: %s is not a semgan checkpoint (format %q)", path, f.Metadata["format"])
	}
	var cfg Config
	if err := json.Unmarshal([]byte(f.Metadata["config"]), &cfg); err != nil {
		return nil, fmt.Errorf("gan: %s: bad config in metadata: %w", path, err)
	}
	step, err := strconv.Atoi(f.Metadata["step"])
	if err != nil || step < 0 {
		return nil, fmt.Errorf("gan: %s: bad step %q in metadata", path, f.Metadata["step"])
	}
	t, err := NewTrainer(cfg, channels)
	if err != nil {
		return nil, fmt.Errorf("gan: %s: %w", path, err)
	}
	t.Step = step
	parts := map[string]map[string]*tensor.Tensor{}
	for k, v := range nn.FromFile(f) {
		prefix, rest, ok := strings.Cut(k, ".")
		if !ok {
			return nil, fmt.Errorf("gan: %s: unexpected tensor %q", path, k)
		}
		if parts[prefix] == nil {
			parts[prefix] = map[string]*tensor.Tensor{}
		}
		parts[prefix][rest] = v
	}
	for name, m := range t.networks() {
		if err := nn.LoadStateDict(m, parts[name]); err != nil {
			return nil, fmt.Errorf("gan: %s: %s: %w", path, name, err)
		}
	}
	if err := t.OptG.LoadStateDict(orEmpty(parts["opt_G"])); err != nil {
		return nil, fmt.Errorf("gan: %s: generator optimiser: %w", path, err)
	}
	if err := t.OptD.LoadStateDict(orEmpty(parts["opt_D"])); err != nil {
		return nil, fmt.Errorf("gan: %s: discriminator optimiser: %w", path, err)
	}
	for name, p := range map[string]*ImagePool{"pool_A": t.PoolA, "pool_B": t.PoolB} {
		imgs := parts[name]
		if len(imgs) > p.Size {
			return nil, fmt.Errorf("gan: %s: %s holds %d images, more than the pool size %d", path, name, len(imgs), p.Size)
		}
		for i := range len(imgs) {
			img, ok := imgs[strconv.Itoa(i)]
			if !ok {
				return nil, fmt.Errorf("gan: %s: %s.%d is missing", path, name, i)
			}
			p.Images = append(p.Images, img)
		}
	}
	for prefix := range parts {
		switch prefix {
		case "G_A", "G_B", "D_A", "D_B", "opt_G", "opt_D", "pool_A", "pool_B":
		default:
			return nil, fmt.Errorf("gan: %s: unexpected tensors under %q", path, prefix)
		}
	}
	return t, nil
}

func orEmpty(m map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	if m == nil {
		return map[string]*tensor.Tensor{}
	}
	return m
}
