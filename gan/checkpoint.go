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
// "pool_B.<i>" (those of rank r > 0 of a data-parallel run under
// "pool_A.r<r>.<i>" and "pool_B.r<r>.<i>"), and in the metadata the step
// and the configuration (JSON).

// SaveCheckpoint writes the trainer's state to path atomically: a crash
// leaves either the previous file or the new one, never a torn file.
//
// In a data-parallel run (see Join) every rank must call it: the ranks'
// image pools are gathered, and rank 0 alone writes the file.
func (t *Trainer) SaveCheckpoint(path string) error {
	others, err := t.gatherPools()
	if err != nil {
		return err
	}
	if t.Comm != nil && t.Comm.Rank() != 0 {
		return nil
	}
	sd := map[string]*tensor.Tensor{}
	for k, v := range others {
		sd[k] = v
	}
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

// gatherPools sends every rank's image pools to rank 0 and returns there
// those of ranks 1 and up, keyed as in a checkpoint; it returns nothing
// on other ranks and in a run of one process.
func (t *Trainer) gatherPools() (map[string]*tensor.Tensor, error) {
	if t.Comm == nil || t.Comm.Size() == 1 {
		return nil, nil
	}
	out := map[string]*tensor.Tensor{}
	for r := 1; r < t.Comm.Size(); r++ {
		// In a fixed order: every rank must make the same calls.
		for _, pool := range []struct {
			name string
			p    *ImagePool
		}{{"pool_A", t.PoolA}, {"pool_B", t.PoolB}} {
			name, p := pool.name, pool.p
			// First the count and the image shape, then the images.
			head := make([]float32, 4)
			if t.Comm.Rank() == r && len(p.Images) > 0 {
				sh := p.Images[0].Shape()
				head = []float32{float32(len(p.Images)), float32(sh[1]), float32(sh[2]), float32(sh[3])}
			}
			if err := t.Comm.Broadcast(head, r); err != nil {
				return nil, err
			}
			n, c, h, w := int(head[0]), int(head[1]), int(head[2]), int(head[3])
			per := c * h * w
			flat := make([]float32, n*per)
			if t.Comm.Rank() == r {
				for i, img := range p.Images {
					copy(flat[i*per:], img.Data())
				}
			}
			if err := t.Comm.Broadcast(flat, r); err != nil {
				return nil, err
			}
			if t.Comm.Rank() == 0 {
				for i := range n {
					out[fmt.Sprintf("%s.r%d.%d", name, r, i)] = tensor.FromSlice(flat[i*per:(i+1)*per], 1, c, h, w)
				}
			}
		}
	}
	return out, nil
}

// LoadCheckpoint reads a checkpoint written by SaveCheckpoint and builds a
// trainer that continues from it for images with the given channels. The
// configuration comes from the file; the image pools are those of rank 0.
func LoadCheckpoint(path string, channels int) (*Trainer, error) {
	return LoadCheckpointRank(path, channels, 0)
}

// LoadCheckpointRank is LoadCheckpoint for rank of a data-parallel run: it
// restores that rank's image pools (empty if the checkpoint has none for
// it, as when the run had fewer ranks).
func LoadCheckpointRank(path string, channels, rank int) (*Trainer, error) {
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
		imgs := rankPool(parts[name], rank)
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

// rankPool returns the images of one pool that belong to rank, keyed by
// their index: "<i>" for rank 0, "r<rank>.<i>" for the others.
func rankPool(pool map[string]*tensor.Tensor, rank int) map[string]*tensor.Tensor {
	out := map[string]*tensor.Tensor{}
	prefix := fmt.Sprintf("r%d.", rank)
	for k, v := range pool {
		switch {
		case rank == 0 && !strings.HasPrefix(k, "r"):
			out[k] = v
		case rank > 0 && strings.HasPrefix(k, prefix):
			out[strings.TrimPrefix(k, prefix)] = v
		}
	}
	return out
}

func orEmpty(m map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	if m == nil {
		return map[string]*tensor.Tensor{}
	}
	return m
}
