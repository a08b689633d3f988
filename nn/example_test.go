package nn_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/tensor"
)

// A layer runs on a Var; the output has PyTorch's shape.
func ExampleConv2d() {
	rng := tensor.NewRNG(1)
	conv := nn.NewConv2d(rng, 3, 16, 3, tensor.ConvOpts{Stride: 2, Padding: 1}, true)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 1, 3, 64, 64))
	fmt.Println(conv.Forward(x).Shape())
	// Output: [1 16 32 32]
}

// Gradients flow to the parameters; Adam updates them.
func ExampleAdam() {
	rng := tensor.NewRNG(1)
	conv := nn.NewConv2d(rng, 1, 1, 1, tensor.ConvOpts{}, true)
	opt := nn.NewAdam([]nn.ParamGroup{{Params: conv.Parameters(), LR: 0.1}}, 0.9, 0.999)
	x := autograd.Const(tensor.Normal(rng, 0, 1, 4, 1, 5, 5))
	target := autograd.Const(tensor.Full(3, 4, 1, 5, 5))
	for range 300 {
		opt.ZeroGrad()
		loss := nn.MSELoss(conv.Forward(x), target)
		autograd.Backward(loss)
		opt.Step()
	}
	fmt.Printf("bias %.1f\n", conv.Bias.Item())
	// Output: bias 3.0
}

// State dicts are saved as safetensors files under PyTorch's names.
func ExampleSave() {
	dir, _ := os.MkdirTemp("", "semgan")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	net := nn.NewSequential(nn.NewConv2d(tensor.NewRNG(1), 3, 8, 3, tensor.ConvOpts{}, true), nn.ReLU{})
	if err := nn.Save(path, net); err != nil {
		panic(err)
	}
	restored := nn.NewSequential(nn.NewConv2d(tensor.NewRNG(2), 3, 8, 3, tensor.ConvOpts{}, true), nn.ReLU{})
	if err := nn.Load(path, restored); err != nil {
		panic(err)
	}
	for _, p := range restored.Parameters() {
		fmt.Println(p.Name, p.Var.Shape())
	}
	// Output:
	// 0.weight [8 3 3 3]
	// 0.bias [8]
}
