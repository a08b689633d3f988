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
	"github.com/semgan/semgan/kernels"
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
	dir := fs.String("direction", "AtoB", "AtoB or BtoA: which of a checkpoint's generators to use (a single generator's state dict translates the way it was trained)")
	device := fs.String("device", "cpu", "compute device: cpu, or cuda in a build with -tags cuda or cudaemu")
	strict := fs.Bool("strict", false, "stop at the first image of an -in folder that cannot be translated instead of skipping it")
	prec := fs.String("precision", "auto", precisionUsage)
	var b bounds
	var maxSide, tile int
	b.intVar(fs, &maxSide, "max-side", 0, 8, 1<<16, "four times the training size (1024 when unknown)", "resize each image so that its longer side is at most this many pixels (bounds time and memory)")
	b.intVar(fs, &tile, "tile", 0, 16, 8192, "none", "translate in tiles of this side, overlapping by a quarter and blended, keeping the full resolution (instead of -max-side)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := b.check(); err != nil {
		return fmt.Errorf("translate: %w", err)
	}
	if *weights == "" || *in == "" {
		return fmt.Errorf("translate: -weights and -in are required")
	}
	if *dir != "AtoB" && *dir != "BtoA" {
		return fmt.Errorf("translate: -direction %q is not AtoB or BtoA", *dir)
	}
	if err := openDevice(*device); err != nil {
		return err
	}
	if _, err := parsePrecision(*prec); err != nil {
		return fmt.Errorf("translate: %w", err)
	}
	g, saved, err := loadGenerator(*weights, *dir)
	if err != nil {
		return err
	}
	precision, err := checkpointPrecision(*prec, given(fs, "precision"), saved)
	if err != nil {
		return err
	}
	tensor.SetPrecision(precision)
	if !validChannels(g.Config.InC) || !validChannels(g.Config.OutC) {
		return fmt.Errorf("translate: %s maps %d channels to %d; images here are grey (1) or RGB (3)", *weights, g.Config.InC, g.Config.OutC)
	}
	files, folder, err := inputFiles(*in)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	outs := outputNames(files, func(msg string) { fmt.Fprintln(stderr, "note:", msg) })
	p := translatePlan(maxSide, tile, *weights)
	written, failed := 0, 0
	for i, f := range files {
		dst := filepath.Join(*out, outs[i])
		if err := translateFile(g, f, dst, p, fmt.Sprintf("[%d/%d]", i+1, len(files))); err != nil {
			if !folder || *strict {
				return fmt.Errorf("translate: %w", err)
			}
			fmt.Fprintf(stderr, "warning: skipping %v\n", err)
			failed++
			continue
		}
		fmt.Fprintln(stdout, dst)
		written++
	}
	if written == 0 {
		return fmt.Errorf("translate: none of the %d images of %s could be translated (see the warnings); nothing written", len(files), *in)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "translated %d of %d images of %s into %s; skipped %d (see the warnings)\n", written, len(files), *in, *out, failed)
	}
	return nil
}

// validChannels reports whether images of c channels can be read and
// written: 1 (grey) or 3 (RGB).
func validChannels(c int) bool { return c == 1 || c == 3 }

// translateFile translates the image file src into the PNG file dst, grey
// or RGB as g's output. Colour images given to a grey generator are
// converted to grey. It fails if src cannot be decoded or is smaller than
// 5x5. It says on stderr how it runs the image (see plan), after tag, and
// how far through its tiles it is.
func translateFile(g *gan.Generator, src, dst string, p plan, tag string) error {
	img, err := data.LoadFile(src)
	if err != nil {
		return err
	}
	if g.Config.InC == 1 {
		img = data.ToGrey(img) // the generator's channels, from its weights
	}
	if img.H < 5 || img.W < 5 {
		// Padded to a multiple of 4 by reflection (which needs a pad
		// smaller than the side), the image must reach 8 pixels so that
		// the residual blocks' 1-pixel reflection at 1/4 size is defined.
		return fmt.Errorf("%s: %dx%d is too small (at least 5x5)", src, img.W, img.H)
	}
	fmt.Fprintf(stderr, "%s %s: %s\n", tag, src, p.describe(img.W, img.H))
	return p.run(g, img, stderr).SavePNG(dst)
}

// outputNames returns the output file name of each input: its name with
// .png for its extension, or, for inputs whose names differ only in the
// extension or in letter case (x.jpg, X.png), its name with the extension's
// dot made an underscore (x_jpg.png, X_png.png), so that no two outputs of
// one run share a file (a name still taken gets _2, _3 and so on). note is
// told of each such renaming.
func outputNames(files []string, note func(string)) []string {
	stem := func(f string) string {
		base := filepath.Base(f)
		return strings.ToLower(strings.TrimSuffix(base, filepath.Ext(base)))
	}
	count := map[string]int{}
	for _, f := range files {
		count[stem(f)]++
	}
	names := make([]string, len(files))
	taken := map[string]bool{}
	for i, f := range files {
		base := filepath.Base(f)
		ext := filepath.Ext(base)
		name := strings.TrimSuffix(base, ext)
		if count[stem(f)] > 1 {
			name += "_" + strings.TrimPrefix(ext, ".")
		}
		// An input may already be called x_jpg.png: number the later one.
		for k, try := 2, name; ; k++ {
			if !taken[strings.ToLower(try)] {
				name = try
				break
			}
			try = fmt.Sprintf("%s_%d", name, k)
		}
		taken[strings.ToLower(name)] = true
		names[i] = name + ".png"
		if names[i] != strings.TrimSuffix(base, ext)+".png" {
			note(fmt.Sprintf("%s shares its name with another input: writing %s", f, names[i]))
		}
	}
	return names
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

// inputFiles returns the image files that path names: path itself, or the
// .png, .jpg and .jpeg files of the folder path (folder true), in name
// order.
func inputFiles(path string) (files []string, folder bool, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if !st.IsDir() {
		return []string{path}, false, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, true, err
	}
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, true, fmt.Errorf("%s: no .png, .jpg or .jpeg files", path)
	}
	return files, true, nil
}

// loadGenerator reads a generator from a training checkpoint (G_B for
// direction "BtoA", else G_A) or from a generator state dict, in safetensors
// or, for a .pth or .pt path, as torch.save wrote it, whose architecture it
// infers from the official key names and shapes. It also returns the
// precision the generator was trained in: the checkpoint's, or for a state
// dict, which does not say, the default device's default.
func loadGenerator(path, direction string) (*gan.Generator, kernels.Precision, error) {
	auto, _ := parsePrecision("auto")
	var sd map[string]*tensor.Tensor
	if torchfile.HasExt(path) {
		var err error
		if sd, err = torchfile.ReadFile(path); err != nil {
			return nil, 0, err
		}
		g, err := generatorFromStateDict(path, sd)
		return g, auto, err
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if f.Metadata["format"] == "semgan-checkpoint" {
		c, err := checkpointChannels(path)
		if err != nil {
			return nil, 0, err
		}
		tr, err := gan.LoadCheckpoint(path, c)
		if err != nil {
			return nil, 0, err
		}
		if direction == "BtoA" {
			return tr.GB, tr.Config.Precision, nil
		}
		return tr.GA, tr.Config.Precision, nil
	}
	g, err := generatorFromStateDict(path, nn.FromFile(f))
	return g, auto, err
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
