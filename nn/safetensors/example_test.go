package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/semgan/semgan/nn/safetensors"
)

// Save a small state dict and load it back.
func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	f := &safetensors.File{
		Tensors: map[string]safetensors.Tensor{
			"conv.weight": {Shape: []int{2, 1, 1, 1}, Data: []float32{0.5, -0.5}},
			"conv.bias":   {Shape: []int{2}, Data: []float32{0, 1}},
		},
		Metadata: map[string]string{"epoch": "3"},
	}
	if err := safetensors.WriteFile(path, f); err != nil {
		log.Fatal(err)
	}

	g, err := safetensors.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range g.Names() {
		t := g.Tensors[name]
		fmt.Println(name, t.Shape, t.Data)
	}
	fmt.Println("epoch", g.Metadata["epoch"])
	// Output:
	// conv.bias [2] [0 1]
	// conv.weight [2 1 1 1] [0.5 -0.5]
	// epoch 3
}

// Decode the bytes PyTorch's safetensors.torch.save_file writes for
// {"a": torch.tensor([1.0, -2.5])}.
func ExampleDecode() {
	header := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  ` // padded to 56 bytes
	file := []byte{56, 0, 0, 0, 0, 0, 0, 0}
	file = append(file, header...)
	file = append(file, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0)

	f, err := safetensors.Decode(file)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Tensors["a"].Shape, f.Tensors["a"].Data)

	// Hostile or damaged input gives an error naming the tensor at fault.
	_, err = safetensors.Decode(file[:len(file)-4])
	fmt.Println(err)
	// Output:
	// [2] [1 -2.5]
	// safetensors: tensor "a": data_offsets [0 8] run past the end of the 4-byte data section
}
