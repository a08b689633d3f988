package nn

import (
	"fmt"

	"github.com/semgan/semgan/kernels"
	"github.com/semgan/semgan/tensor"
)

// ParamGroup is a set of parameters sharing one learning rate.
type ParamGroup struct {
	Params []Param
	LR     float32
}

// Adam is torch.optim.Adam without weight decay or amsgrad, with one
// learning rate per parameter group and a common multiplier for schedules.
type Adam struct {
	Groups       []ParamGroup
	Beta1, Beta2 float32
	Eps          float32
	// LRScale multiplies every group's learning rate; schedules such as
	// LinearDecay set it. It starts at 1.
	LRScale float32

	state map[*tensor.Tensor]*adamState
}

// adamState is one parameter's moments and step count.
type adamState struct {
	m, v *tensor.Tensor
	step int
}

// NewAdam returns an Adam optimiser over groups with eps 1e-8.
func NewAdam(groups []ParamGroup, beta1, beta2 float32) *Adam {
	return &Adam{Groups: groups, Beta1: beta1, Beta2: beta2, Eps: 1e-8, LRScale: 1, state: map[*tensor.Tensor]*adamState{}}
}

// Step updates every parameter that has a gradient. Parameters without one
// are skipped and keep their step count, as in PyTorch.
func (a *Adam) Step() {
	for _, g := range a.Groups {
		for _, p := range g.Params {
			if p.Var.Grad == nil {
				continue
			}
			st := a.stateOf(p)
			st.step++
			tensor.AdamStep(kernels.AdamParams{LR: g.LR * a.LRScale, Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, Step: st.step},
				p.Var.Value, p.Var.Grad, st.m, st.v)
		}
	}
}

func (a *Adam) stateOf(p Param) *adamState {
	st, ok := a.state[p.Var.Value]
	if !ok {
		st = &adamState{m: tensor.ZerosLike(p.Var.Value), v: tensor.ZerosLike(p.Var.Value)}
		a.state[p.Var.Value] = st
	}
	return st
}

// Tensors returns the moment tensors of every parameter that has state,
// for code that must keep them alive (see tensor.Scope).
func (a *Adam) Tensors() []*tensor.Tensor {
	ts := make([]*tensor.Tensor, 0, 2*len(a.state))
	for _, st := range a.state {
		ts = append(ts, st.m, st.v)
	}
	return ts
}

// ZeroGrad frees the gradients of every parameter.
func (a *Adam) ZeroGrad() {
	for _, g := range a.Groups {
		for _, p := range g.Params {
			p.Var.ZeroGrad()
		}
	}
}

// StateDict returns the optimiser state under the parameters' names
// prefixed by their group index: "<group>.<name>.exp_avg",
// ".exp_avg_sq" and ".step" (a one-element tensor). Parameters that have
// not been stepped have no entries.
func (a *Adam) StateDict() map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{}
	for gi, g := range a.Groups {
		for _, p := range g.Params {
			st, ok := a.state[p.Var.Value]
			if !ok {
				continue
			}
			key := fmt.Sprintf("%d.%s.", gi, p.Name)
			sd[key+"exp_avg"] = st.m
			sd[key+"exp_avg_sq"] = st.v
			sd[key+"step"] = tensor.Scalar(float32(st.step))
		}
	}
	return sd
}

// LoadStateDict restores state written by StateDict for the same groups.
// It returns an error naming the first entry that is incomplete, mis-shaped
// or belongs to no parameter.
func (a *Adam) LoadStateDict(sd map[string]*tensor.Tensor) error {
	used := 0
	for gi, g := range a.Groups {
		for _, p := range g.Params {
			key := fmt.Sprintf("%d.%s.", gi, p.Name)
			m, v, step := sd[key+"exp_avg"], sd[key+"exp_avg_sq"], sd[key+"step"]
			if m == nil && v == nil && step == nil {
				continue
			}
			if m == nil || v == nil || step == nil {
				return fmt.Errorf("nn: Adam state for %q is incomplete", key[:len(key)-1])
			}
			if !m.SameShape(p.Var.Value) || !v.SameShape(p.Var.Value) || step.Len() != 1 {
				return fmt.Errorf("nn: Adam state for %q has shapes %v, %v for a parameter of shape %v",
					key[:len(key)-1], m.Shape(), v.Shape(), p.Var.Value.Shape())
			}
			s := step.Item()
			if s < 1 || s != float32(int(s)) {
				return fmt.Errorf("nn: Adam state for %q has step %v", key[:len(key)-1], s)
			}
			dev := p.Var.Value.Device()
			a.state[p.Var.Value] = &adamState{m: m.To(dev).Clone(), v: v.To(dev).Clone(), step: int(s)}
			used += 3
		}
	}
	if used != len(sd) {
		return fmt.Errorf("nn: Adam state has %d entries that match no parameter", len(sd)-used)
	}
	return nil
}

// LinearDecay returns the learning-rate multiplier of CycleGAN's "linear"
// policy: 1 for the first constant steps (epochs or iterations), then
// falling linearly over decay more steps towards 0:
// 1 - max(0, step+1-constant)/(decay+1), for step counting from 0.
func LinearDecay(step, constant, decay int) float32 {
	return 1 - float32(max(0, step+1-constant))/float32(decay+1)
}
