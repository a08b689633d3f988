package data_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/semgan/semgan/gan/data"
)

// The synthetic set needs no files: each scene is an animal on grass in
// domain A and the same scene with the animal painted as a zebra in domain
// B, with a mask of the animal.
func ExampleSynthetic() {
	cfg := data.SyntheticConfig{Size: 64, Count: 500, TestCount: 50, Seed: 1}

	// Training: unpaired draws from two disjoint sets of scenes.
	trainA, trainB := data.SyntheticDomains(cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	x, _ := trainA.Sample(rng)
	y, _ := trainB.Sample(rng)
	fmt.Println(trainA.Len(), x, y)

	// Evaluation: scenes never trained on, with the true translation.
	testA, _ := data.SyntheticTest(cfg)
	it, _ := testA.Item(0)
	var fg float32
	for _, m := range it.Mask {
		fg += m
	}
	fmt.Println(testA.Len(), it.Name, it.Image, *it.Target, fg > 0)

	// A sample sheet: A, B and the mask of one scene.
	sc := data.Synthetic(cfg).Scene(3)
	sheet := data.Grid([][]data.Image{{sc.A, sc.B, sc.MaskImage()}}, 2)
	fmt.Println(sheet)
	// Output:
	// 500 Image[3x64x64] Image[3x64x64]
	// 50 scene000002 Image[3x64x64] Image[3x64x64] true
	// Image[3x68x200]
}

// Real data in the CycleGAN layout: ROOT/trainA, ROOT/trainB, ROOT/testA,
// ROOT/testB, each a folder of JPEG or PNG files.
func ExampleOpenFolders() {
	opts := data.FolderOptions{Crop: 256, Warn: func(msg string) { fmt.Println("warning:", msg) }}
	a, b, err := data.OpenFolders("datasets/horse2zebra", "train", opts)
	if err != nil {
		fmt.Println(err) // names the missing or empty folder
		return
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x, err := a.Sample(rng) // resized to 286, cropped to 256, maybe flipped
	if err != nil {
		fmt.Println(err) // every file unreadable
		return
	}
	fmt.Println(x, b.Len())
}
