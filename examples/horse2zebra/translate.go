package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/gan/data"
	"github.com/semgan/semgan/nn"
	"github.com/semgan/semgan/nn/safetensors"
	"github.com/semgan/semgan/nn/torchfile"
	"github.com/semgan/semgan/tensor"
)

func runTranslate(args []string) error {
	fs := flag.NewFlagSet("translate", flag.ContinueOnError)
	weights := fs.String("weights", "", "a training checkpoint, or a generator state dict (safetensors, or PyTorch .pth/.pt)")
	in := fs.String("in", "", "an image file or a folder of images")
	out := fs.String("out", filepath.Join("out", "translated"), "output folder")
	dir := fs.String("direction", "AtoB", "AtoB or BtoA (checkpoints hold both generators)")
	device := fs.String("device", "cpu", "compute device")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *weights == "" || *in == "" {
		return fmt.Errorf("translate: -weights and -in are required")
	}
	dev, err := tensor.Open(*device)
	if err != nil {
		return err
	}
	tensor.SetDefault(dev)
	g, err := loadGenerator(*weights, *dir)
	if err != nil {
		return err
	}
	if g.Config.InC != 3 || g.Config.OutC != 3 {
		return fmt.Errorf("translate: %s maps %d channels to %d; images here are RGB (3)", *weights, g.Config.InC, g.Config.OutC)
	}
	files, err := inputFiles(*in)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		img, err := data.LoadFile(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "warning: skipping", err)
			continue
		}
		if img.H < 5 || img.W < 5 {
			// Padded to a multiple of 4 by reflection (which needs a pad
			// smaller than the side), the image must reach 8 pixels so that
			// the residual blocks' 1-pixel reflection at 1/4 size is defined.
			fmt.Fprintf(os.Stderr, "warning: skipping %s: %dx%d is too small (at least 5x5)\n", f, img.W, img.H)
			continue
		}
		res := translateAnySize(g, img)
		dst := filepath.Join(*out, strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))+".png")
		if err := res.SavePNG(dst); err != nil {
			return err
		}
		fmt.Println(dst)
	}
	return nil
}

// translateAnySize pads img by reflection to a multiple of 4 on each side
// (the generator halves the size twice), translates it and crops back.
func translateAnySize(g *gan.Generator, img data.Image) data.Image {
	ph, pw := (4-img.H%4)%4, (4-img.W%4)%4
	x := data.Batch([]data.Image{img})
	if ph+pw > 0 {
		x = tensor.Pad2d(x, tensor.Padding{Bottom: ph, Right: pw, Reflect: true})
	}
	y := translateImage(g, data.Unbatch(x)[0])
	return data.Crop(y, 0, 0, img.H, img.W)
}

func inputFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no .png, .jpg or .jpeg files", path)
	}
	return files, nil
}

// loadGenerator reads a generator from a training checkpoint (choosing
// G_A or G_B by direction) or from a generator state dict, in safetensors
// or, for a .pth or .pt path, as torch.save wrote it, whose architecture it
// infers from the official key names and shapes.
func loadGenerator(path, direction string) (*gan.Generator, error) {
	var sd map[string]*tensor.Tensor
	if torchfile.HasExt(path) {
		var err error
		if sd, err = torchfile.ReadFile(path); err != nil {
			return nil, err
		}
		return generatorFromStateDict(path, sd)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if f.Metadata["format"] == "semgan-checkpoint" {
		tr, err := gan.LoadCheckpoint(path, 3)
		if err != nil {
			return nil, err
		}
		switch direction {
		case "AtoB":
			return tr.GA, nil
		case "BtoA":
			return tr.GB, nil
		}
		return nil, fmt.Errorf("translate: -direction %q is not AtoB or BtoA", direction)
	}
	return generatorFromStateDict(path, nn.FromFile(f))
}

// generatorFromStateDict builds the generator that sd, read from path,
// describes and loads sd into it.
func generatorFromStateDict(path string, sd map[string]*tensor.Tensor) (*gan.Generator, error) {
	cfg, err := inferGeneratorConfig(sd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g := gan.NewGenerator(tensor.NewRNG(1), cfg)
	if err := nn.LoadStateDict(g, sd); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// inferGeneratorConfig reads the generator's size from its state dict:
// model.1.weight is [ngf, in, 7, 7], the residual blocks are numbered from
// model.10, and the attention block's key convolution has as many input
// channels as the features it sits on.
//
// The shapes it reads are checked before the generator is built, so that a
// state dict of another network is an error rather than a panic, and the
// generator's size is bounded by what the file holds.
func inferGeneratorConfig(sd map[string]*tensor.Tensor) (gan.GeneratorConfig, error) {
	first, ok := sd["model.1.weight"]
	if !ok || first.Rank() != 4 || first.Dim(0) < 2 || first.Dim(1) < 1 {
		return gan.GeneratorConfig{}, fmt.Errorf("not a ResnetGenerator state dict: no model.1.weight of shape [ngf in 7 7]")
	}
	cfg := gan.GeneratorConfig{NGF: first.Dim(0), InC: first.Dim(1)}
	if down := sd["model.4.weight"]; down == nil || !slices.Equal(down.Shape(), []int{2 * cfg.NGF, cfg.NGF, 3, 3}) {
		return cfg, fmt.Errorf("not a ResnetGenerator state dict: no model.4.weight of shape [%d %d 3 3] after model.1.weight %v", 2*cfg.NGF, cfg.NGF, first.Shape())
	}
	for sd[fmt.Sprintf("model.%d.conv_block.1.weight", 10+cfg.Blocks)] != nil {
		cfg.Blocks++
	}
	last, ok := sd[fmt.Sprintf("model.%d.weight", 17+cfg.Blocks)]
	if !ok || last.Rank() != 4 || last.Dim(0) < 1 {
		return cfg, fmt.Errorf("no final convolution model.%d.weight [out ngf 7 7] for %d residual blocks", 17+cfg.Blocks, cfg.Blocks)
	}
	cfg.OutC = last.Dim(0)
	if f, ok := sd["attn.f.weight"]; ok {
		if f.Rank() != 4 || f.Dim(1) < 8 {
			return cfg, fmt.Errorf("attn.f.weight %v is not a key convolution over at least 8 channels", f.Shape())
		}
		switch f.Dim(1) {
		case 4 * cfg.NGF:
			cfg.Attention = gan.AfterResBlocks
		case 2 * cfg.NGF:
			cfg.Attention = gan.AfterFirstUp
		case cfg.NGF:
			cfg.Attention = gan.AfterLastUp
		default:
			return cfg, fmt.Errorf("attention over %d channels fits no place for ngf %d", f.Dim(1), cfg.NGF)
		}
	}
	return cfg, nil
}
