package tensor_test

import (
	"fmt"

	"github.com/semgan/semgan/tensor"
)

// Tensors live on a device (the CPU by default) and are built from Go
// slices or seeded random sources.
func ExampleFromSlice() {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	y := tensor.Add(x, tensor.FromSlice([]float32{10, 20, 30}, 3)) // broadcast over rows
	fmt.Println(y.Shape(), y.Data())
	fmt.Println(tensor.Sum(y).Item())
	// Output:
	// [2 3] [11 22 33 14 25 36]
	// 141
}

func ExampleConv2d() {
	x := tensor.Full(1, 1, 1, 4, 4)
	w := tensor.Full(1, 1, 1, 3, 3) // a 3x3 box filter
	y := tensor.Conv2d(x, w, nil, tensor.ConvOpts{Padding: 1})
	fmt.Println(y.Reshape(4, 4).Data())
	// Output: [4 6 6 4 6 9 9 6 6 9 9 6 4 6 6 4]
}
