// Command kinks computes the gradients of the official CycleGAN generator
// (ngf 64, 9 residual blocks) for one image: it loads a state dict and a
// file holding the input "x" and the loss weights "r" (loss = sum(G(x)*r)),
// and writes the output "y", "dx" and every "grad.<parameter>" to a
// safetensors file. scripts/kinks/kinks.py drives it to show where
// float32 gradients leave float64's: at ReLU inputs within rounding of 0.
//
//	go run ./scripts/kinks WEIGHTS XR OUT
package main

import (
	"log"
	"os"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/safetensors"
	"github.com/semgan/semgan/tensor"
)

func main() {
	if len(os.Args) != 4 {
		log.Fatal("usage: kinks WEIGHTS XR OUT")
	}
	g := gan.NewGenerator(tensor.NewRNG(1), gan.GeneratorConfig{InC: 3, OutC: 3, NGF: 64, Blocks: 9})
	if err := nn.Load(os.Args[1], g); err != nil {
		log.Fatal(err)
	}
	xr, err := safetensors.ReadFile(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	load := func(k string) *tensor.Tensor {
		t, ok := xr.Tensors[k]
		if !ok {
			log.Fatalf("%s: no tensor %q", os.Args[2], k)
		}
		return tensor.FromSlice(t.Data, t.Shape...)
	}
	x := autograd.Param(load("x"))
	y := g.Forward(x)
	out := &safetensors.File{Tensors: map[string]safetensors.Tensor{
		"y": {Shape: y.Shape(), Data: append([]float32(nil), y.Value.Data()...)}}}
	autograd.BackwardWith(y, load("r"))
	out.Tensors["dx"] = safetensors.Tensor{Shape: x.Shape(), Data: x.Grad.Data()}
	for _, p := range g.Parameters() {
		out.Tensors["grad."+p.Name] = safetensors.Tensor{Shape: p.Var.Value.Shape(), Data: p.Var.Grad.Data()}
	}
	if err := safetensors.WriteFile(os.Args[3], out); err != nil {
		log.Fatal(err)
	}
}
