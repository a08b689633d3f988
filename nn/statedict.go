package nn

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/semgan/semgan/nn/safetensors"
	"github.com/semgan/semgan/nn/torchfile"
	"github.com/semgan/semgan/tensor"
)

// StateDict returns m's parameters by name. The tensors are m's own, not
// copies.
func StateDict(m Module) map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	for _, p := range m.Parameters() {
		sd[p.Name] = p.Var.Value
	}
	return sd
}

// ignoredKeySuffixes name buffers that PyTorch checkpoints may carry and
// most of semgan's layers do not have (running statistics of norm layers,
// such as the InstanceNorm layers of old CycleGAN checkpoints). A key is
// only ignored when m has no parameter of that name: BatchNorm2d lists its
// running_mean and running_var among its parameters, so they load (and
// are required) like any other.
var ignoredKeySuffixes = []string{".running_mean", ".running_var", ".num_batches_tracked"}

// LoadStateDict copies sd's tensors into m's parameters. Every parameter
// must be present with its exact shape; keys of running statistics that m
// does not have are ignored and any other unknown key is an error. On
// error m is unchanged and the message lists every missing, mis-shaped and
// unexpected key.
func LoadStateDict(m Module, sd map[string]*tensor.Tensor) error {
	var missing, misshaped, unexpected []string
	params := m.Parameters()
	known := map[string]bool{}
	for _, p := range params {
		known[p.Name] = true
		t, ok := sd[p.Name]
		switch {
		case !ok:
			missing = append(missing, p.Name)
		case !t.SameShape(p.Var.Value):
			misshaped = append(misshaped, fmt.Sprintf("%s %v (model %v)", p.Name, t.Shape(), p.Var.Value.Shape()))
		}
	}
	for k := range sd {
		if !known[k] && !slices.ContainsFunc(ignoredKeySuffixes, func(s string) bool { return strings.HasSuffix(k, s) }) {
			unexpected = append(unexpected, k)
		}
	}
	if len(missing)+len(misshaped)+len(unexpected) > 0 {
		sort.Strings(unexpected)
		var parts []string
		for _, l := range []struct {
			what string
			keys []string
		}{{"missing", missing}, {"wrong shape", misshaped}, {"unexpected", unexpected}} {
			if len(l.keys) > 0 {
				parts = append(parts, l.what+": "+strings.Join(l.keys, ", "))
			}
		}
		return fmt.Errorf("nn: state dict does not fit the model: %s", strings.Join(parts, "; "))
	}
	for _, p := range params {
		p.Var.Value.CopyFrom(sd[p.Name].To(p.Var.Value.Device()))
	}
	return nil
}

// ToFile converts a state dict to a safetensors file in host memory.
func ToFile(sd map[string]*tensor.Tensor, metadata map[string]string) *safetensors.File {
	f := &safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: metadata}
	for k, t := range sd {
		f.Tensors[k] = safetensors.Tensor{Shape: slices.Clone(t.Shape()), Data: t.Data()}
	}
	return f
}

// FromFile converts a safetensors file to a state dict on the default
// device.
func FromFile(f *safetensors.File) map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	for k, t := range f.Tensors {
		sd[k] = tensor.FromSlice(t.Data, t.Shape...)
	}
	return sd
}

// Save writes m's state dict to path as a safetensors file, atomically: a
// crash leaves either the old file or the new one.
func Save(path string, m Module) error {
	return safetensors.WriteFile(path, ToFile(StateDict(m), nil))
}

// Load reads a state dict file into m: a safetensors file written by Save
// (or by PyTorch's safetensors), or, for a path ending in .pth or .pt, a
// state dict written by torch.save (see torchfile.ReadFile). See
// LoadStateDict for what must match.
func Load(path string, m Module) error {
	var sd map[string]*tensor.Tensor
	if torchfile.HasExt(path) {
		var err error
		if sd, err = torchfile.ReadFile(path); err != nil {
			return err
		}
	} else {
		f, err := safetensors.ReadFile(path)
		if err != nil {
			return err
		}
		sd = FromFile(f)
	}
	if err := LoadStateDict(m, sd); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
