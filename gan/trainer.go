package gan

import (
	"fmt"
	"math"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/dist"
	"github.com/semgan/semgan/tensor"
)

// Trainer holds the two generators, the two discriminators, their
// optimisers and image pools, and runs training iterations.
//
// Naming follows CycleGAN: GA translates A to B and DA judges its output
// against real B images; GB translates B to A and DB judges real A.
type Trainer struct {
	Config     Config
	GA, GB     *Generator
	DA, DB     *Discriminator
	OptG, OptD *nn.Adam
	PoolA      *ImagePool // fakes of domain A (GB's outputs), for DB
	PoolB      *ImagePool // fakes of domain B (GA's outputs), for DA
	// Step counts completed iterations.
	Step int
	// Comm is the group of processes that train these networks together
	// (set it with Join); nil for one process.
	Comm dist.Comm
}

// Losses are the values of one iteration's terms, as logged.
type Losses struct {
	GA, GB         float32 // LSGAN generator terms
	CycleA, CycleB float32 // weighted cycle L1
	IdtA, IdtB     float32 // weighted identity L1
	Sem            float32 // weighted semantic L1
	DA, DB         float32 // discriminator terms (last D step)
}

// Names returns the loss names in the order of Values.
func (Losses) Names() []string {
	return []string{"G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "sem", "D_A", "D_B"}
}

// Values returns the losses in the order of Names.
func (l Losses) Values() []float32 {
	return []float32{l.GA, l.GB, l.CycleA, l.CycleB, l.IdtA, l.IdtB, l.Sem, l.DA, l.DB}
}

// NewTrainer builds the networks for images with c channels, initialised
// from N(0, 0.02) as CycleGAN does, and their optimisers.
func NewTrainer(cfg Config, channels int) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := tensor.NewRNG(cfg.Seed)
	gcfg := GeneratorConfig{InC: channels, OutC: channels, NGF: cfg.NGF, Blocks: cfg.Blocks, Attention: cfg.Attention}
	dcfg := DiscriminatorConfig{InC: channels, NDF: cfg.NDF, Layers: cfg.DLayers}
	t := &Trainer{
		Config: cfg,
		GA:     NewGenerator(rng, gcfg), GB: NewGenerator(rng, gcfg),
		DA: NewDiscriminator(rng, dcfg), DB: NewDiscriminator(rng, dcfg),
		PoolA: &ImagePool{Size: cfg.PoolSize}, PoolB: &ImagePool{Size: cfg.PoolSize},
	}
	for _, m := range []nn.Module{t.GA, t.GB, t.DA, t.DB} {
		nn.InitNormal(m, rng, 0.02)
	}
	t.OptG = nn.NewAdam([]nn.ParamGroup{{Params: append(nn.Prefixed("G_A", t.GA.Parameters()), nn.Prefixed("G_B", t.GB.Parameters())...), LR: cfg.LRG}}, cfg.Beta1, cfg.Beta2)
	t.OptD = nn.NewAdam([]nn.ParamGroup{{Params: append(nn.Prefixed("D_A", t.DA.Parameters()), nn.Prefixed("D_B", t.DB.Parameters())...), LR: cfg.LRD}}, cfg.Beta1, cfg.Beta2)
	return t, nil
}

// stepRNG returns the random source of iteration step: a function of the
// seed and the step alone, so a resumed run draws what an uninterrupted
// one would.
func (t *Trainer) stepRNG(step int, stream uint64) *tensor.RNG {
	return tensor.NewRNG(t.Config.Seed*0x9e3779b97f4a7c15 ^ uint64(step)*0xbf58476d1ce4e5b9 ^ stream)
}

// SampleRNG returns the source for drawing iteration step's training
// images, for callers that sample data; like the trainer's own, it depends
// only on the seed and the step.
func (t *Trainer) SampleRNG(step int) *tensor.RNG { return t.stepRNG(step, 1) }

// TrainStep runs one iteration on realA and realB [Batch, C, H, W]: the
// generator update with all losses, then DSteps discriminator updates.
//
// If a loss is NaN or infinite it returns a *NonFiniteError. The generators'
// update waits until the first discriminator loss has been checked, so with
// one discriminator step (the presets) a failing iteration changes nothing:
// the trainer stays the state after Step iterations. Only a later
// discriminator step of DSteps > 1 can fail after updates, which the error's
// Updated field reports.
func (t *Trainer) TrainStep(realA, realB *tensor.Tensor) (Losses, error) {
	// Everything the step allocates and does not keep goes back to the
	// device when it returns.
	scope := tensor.OpenScope()
	defer func() {
		scope.Keep(t.persistent()...)
		scope.Close()
	}()
	cfg := t.Config
	scale := nn.LinearDecay(t.Step, cfg.Iters, cfg.DecayIters)
	t.OptG.LRScale, t.OptD.LRScale = scale, scale
	var l Losses
	a, b := autograd.Const(realA), autograd.Const(realB)
	fakeA, fakeB, err := t.generatorStep(a, b, &l)
	if err != nil {
		return l, err
	}

	// Discriminators: real towards 1, pooled fakes towards 0, halved.
	for d := range cfg.DSteps {
		rng := t.stepRNG(t.Step, 2+uint64(d))
		qB, undoB := t.PoolB.query(rng, fakeB)
		qA, undoA := t.PoolA.query(rng, fakeA)
		pooledB, pooledA := autograd.Const(qB), autograd.Const(qA)
		lossDA := autograd.Scale(autograd.Add(nn.MSEToConstant(t.DA.Forward(b), 1), nn.MSEToConstant(t.DA.Forward(pooledB), 0)), 0.5)
		lossDB := autograd.Scale(autograd.Add(nn.MSEToConstant(t.DB.Forward(a), 1), nn.MSEToConstant(t.DB.Forward(pooledA), 0)), 0.5)
		ld := []float32{lossDA.Item(), lossDB.Item()}
		if err := t.mean(ld); err != nil {
			return l, err
		}
		l.DA, l.DB = ld[0], ld[1]
		if err := t.finite("discriminator", l.DA+l.DB, l, d > 0); err != nil {
			if d == 0 {
				undoA()
				undoB()
			}
			return l, err
		}
		if d == 0 {
			// The generators' gradients wait in their parameters; the
			// discriminator's forward pass does not depend on them.
			if err := t.averageGrads(t.OptG); err != nil {
				return l, err
			}
			t.OptG.Step()
		}
		t.OptD.ZeroGrad()
		autograd.Backward(autograd.Add(lossDA, lossDB))
		if err := t.averageGrads(t.OptD); err != nil {
			return l, err
		}
		t.OptD.Step()
	}
	t.Step++
	return l, nil
}

// generatorStep is the generator half of TrainStep: it fills the generator
// losses into l, computes both generators' gradients (TrainStep applies
// them) and returns the fake images for the discriminators.
//
// The generator loss is a sum of parts that share no activations: each
// cycle with its adversarial and semantic terms, and each identity term.
// Each part runs forward and backward on its own and frees its activations
// before the next one starts, so the step holds one cycle's activations at
// a time instead of those of all six generator passes. The gradients add up
// in the parameters to what one backward pass of the total would leave
// there, up to the order of the sums.
func (t *Trainer) generatorStep(a, b *autograd.Var, l *Losses) (fakeA, fakeB *tensor.Tensor, err error) {
	cfg := t.Config
	// Generators: fool the frozen discriminators, close both cycles, keep
	// identities and the encoder semantics.
	nn.SetRequiresGrad(t.DA, false)
	nn.SetRequiresGrad(t.DB, false)
	defer nn.SetRequiresGrad(t.DA, true)
	defer nn.SetRequiresGrad(t.DB, true)
	t.OptG.ZeroGrad()

	// cycle runs x through gxy and back through gyx:
	//   adversarial  |D_y(G_xy(x)) - 1|^2
	//   cycle        LambdaCycle |G_yx(G_xy(x)) - x|_1
	//   semantic     LambdaSem |Enc_xy(x) - Enc_yx(G_xy(x))|_1
	cycle := func(x *autograd.Var, gxy, gyx *Generator, dy *Discriminator) (vals []float32, fake *tensor.Tensor) {
		return t.backwardPart(func() ([]*autograd.Var, *tensor.Tensor) {
			hx := gxy.Encode(x)
			fakeY := gxy.Decode(hx)
			hFake := gyx.Encode(fakeY)
			terms := []*autograd.Var{
				nn.MSEToConstant(dy.Forward(fakeY), 1),
				autograd.Scale(nn.L1Loss(gyx.Decode(hFake), x), cfg.LambdaCycle),
			}
			if cfg.LambdaSem > 0 {
				terms = append(terms, autograd.Scale(nn.L1Loss(hx, hFake), cfg.LambdaSem))
			}
			return terms, fakeY.Value
		})
	}
	cycA, fakeB := cycle(a, t.GA, t.GB, t.DA)
	cycB, fakeA := cycle(b, t.GB, t.GA, t.DB)
	// vals are the terms in the order of Losses, then their total,
	// averaged over the ranks, so that every rank logs the same values
	// and stops on the same non-finite loss.
	vals := []float32{cycA[0], cycB[0], cycA[1], cycB[1], 0, 0, 0, 0}
	if cfg.LambdaSem > 0 {
		vals[6] = cycA[2] + cycB[2]
	}
	if w := cfg.LambdaCycle * cfg.LambdaIdentity; w > 0 {
		// identity  LambdaCycle LambdaIdentity |G_xy(y) - y|_1
		identity := func(y *autograd.Var, gxy *Generator) float32 {
			v, _ := t.backwardPart(func() ([]*autograd.Var, *tensor.Tensor) {
				return []*autograd.Var{autograd.Scale(nn.L1Loss(gxy.Forward(y), y), w)}, nil
			})
			return v[0]
		}
		vals[4], vals[5] = identity(b, t.GA), identity(a, t.GB)
	}
	for _, v := range vals[:7] {
		vals[7] += v
	}
	if err := t.mean(vals); err != nil {
		return nil, nil, err
	}
	l.GA, l.GB, l.CycleA, l.CycleB, l.IdtA, l.IdtB, l.Sem = vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]
	if err := t.finite("generator", vals[7], *l, false); err != nil {
		return nil, nil, err
	}
	return fakeA, fakeB, nil
}

// backwardPart runs one part of a loss forward and backward, adding its
// gradients to the parameters': build returns the part's terms and one
// tensor to keep (nil for none). It returns the terms' values and the kept
// tensor, and frees everything else the part allocated.
func (t *Trainer) backwardPart(build func() ([]*autograd.Var, *tensor.Tensor)) (vals []float32, kept *tensor.Tensor) {
	scope := tensor.OpenScope()
	defer func() {
		scope.Keep(kept)
		scope.Keep(t.persistent()...)
		scope.Close()
	}()
	terms, kept := build()
	loss := terms[0]
	for i, term := range terms {
		vals = append(vals, term.Item())
		if i > 0 {
			loss = autograd.Add(loss, term)
		}
	}
	autograd.Backward(loss)
	return vals, kept
}

// Join makes the trainer one of comm's ranks: rank 0's parameters are
// copied to every rank, and from then on TrainStep averages the gradients
// over the ranks before every optimiser step and returns the losses
// averaged over the ranks. Each rank trains on its own images; with the
// same number on every rank, N ranks of b images take the steps one rank
// of N*b images would, up to the order of the sums. Image pools stay per
// rank.
func (t *Trainer) Join(comm dist.Comm) error {
	t.Comm = comm
	var ps []nn.Param
	for _, m := range []nn.Module{t.GA, t.GB, t.DA, t.DB} {
		ps = append(ps, m.Parameters()...)
	}
	return dist.BroadcastParams(comm, ps)
}

// mean replaces vals with their means over the ranks.
func (t *Trainer) mean(vals []float32) error {
	if t.Comm == nil {
		return nil
	}
	return dist.AllReduceMean(t.Comm, vals)
}

// averageGrads replaces the gradients of opt's parameters with their means
// over the ranks.
func (t *Trainer) averageGrads(opt *nn.Adam) error {
	if t.Comm == nil {
		return nil
	}
	var ps []nn.Param
	for _, g := range opt.Groups {
		ps = append(ps, g.Params...)
	}
	return dist.AllReduceGradsMean(t.Comm, ps)
}

// persistent lists the tensors that outlive a step: the networks'
// parameters and gradients, the optimisers' moments and the image pools.
func (t *Trainer) persistent() []*tensor.Tensor {
	var ts []*tensor.Tensor
	for _, m := range []nn.Module{t.GA, t.GB, t.DA, t.DB} {
		for _, p := range m.Parameters() {
			ts = append(ts, p.Var.Value, p.Var.Grad)
		}
	}
	ts = append(ts, t.OptG.Tensors()...)
	ts = append(ts, t.OptD.Tensors()...)
	ts = append(ts, t.PoolA.Images...)
	return append(ts, t.PoolB.Images...)
}

// NonFiniteError is TrainStep's error when a loss is NaN or infinite.
type NonFiniteError struct {
	// Part is "generator" or "discriminator".
	Part string
	// Value is the failing total loss of Part.
	Value float32
	// Losses holds the terms computed before the failure.
	Losses Losses
	// Step is the number of iterations completed before the failing one.
	Step int
	// Updated reports that networks were updated during the failing
	// iteration before the failure (only possible with DSteps > 1), so that
	// the trainer no longer holds the state after Step iterations.
	Updated bool
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("gan: %s loss is %v at iteration %d (losses %v = %v); stopping before the update", e.Part, e.Value, e.Step+1, e.Losses.Names(), e.Losses.Values())
}

// finite returns a *NonFiniteError if v is NaN or infinite.
func (t *Trainer) finite(part string, v float32, l Losses, updated bool) error {
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return &NonFiniteError{Part: part, Value: v, Losses: l, Step: t.Step, Updated: updated}
	}
	return nil
}

// MaxAbsWeight returns the largest magnitude among the parameters of the
// four networks and the parameter's name (prefixed "G_A.", "D_B." and so
// on). A NaN anywhere makes it NaN. It copies every parameter to the host,
// so it is meant for occasional checks, not every iteration.
func (t *Trainer) MaxAbsWeight() (float64, string) {
	best, name := 0.0, ""
	for _, net := range []struct {
		prefix string
		m      nn.Module
	}{{"G_A.", t.GA}, {"G_B.", t.GB}, {"D_A.", t.DA}, {"D_B.", t.DB}} {
		for _, p := range net.m.Parameters() {
			for _, v := range p.Var.Value.Data() {
				a := math.Abs(float64(v))
				if math.IsNaN(a) {
					return a, net.prefix + p.Name
				}
				if a > best || name == "" {
					best, name = a, net.prefix+p.Name
				}
			}
		}
	}
	return best, name
}
