package tensor

import (
	"fmt"
	"sync/atomic"

	"github.com/semgan/semgan/kernels"
)

// The precision of products, process-wide, as PyTorch's
// torch.backends.cuda.matmul.allow_tf32 and cudnn.allow_tf32 flags: every
// Conv2d, ConvTranspose2d, Attention and MatMul, forward and backward,
// fills the Precision of its kernel parameters with PrecisionOn(its
// device). Storage, elementwise ops, reductions and the optimiser stay
// float32 whatever the setting.

// precisionSetting is 0 when no precision is set (each device uses its
// default), else 1 + the precision SetPrecision was given.
var precisionSetting atomic.Uint32

// SetPrecision makes every product computed from now on, on every device,
// use precision p, until ResetPrecision or another SetPrecision. It is
// safe to call from any goroutine; operations already running keep the
// precision they started with. It panics if p is not a valid precision.
func SetPrecision(p kernels.Precision) {
	if err := p.Validate(); err != nil {
		panic("tensor: SetPrecision: " + err.Error())
	}
	precisionSetting.Store(1 + uint32(p))
}

// ResetPrecision drops the setting of SetPrecision: each device's products
// use its default precision again (see PrecisionOn).
func ResetPrecision() { precisionSetting.Store(0) }

// PrecisionOn returns the precision of products on dev: the one set with
// SetPrecision, else dev's DefaultPrecision (FP32 on the CPU, TF32 on a
// GPU with tensor cores).
func PrecisionOn(dev kernels.Backend) kernels.Precision {
	if s := precisionSetting.Load(); s != 0 {
		return kernels.Precision(s - 1)
	}
	p := dev.DefaultPrecision()
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("tensor: %s backend: default precision: %v", dev.Name(), err))
	}
	return p
}
