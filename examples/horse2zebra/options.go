package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"

	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/gan/data"
	"github.com/semgan/semgan/tensor"
)

// options are the flags shared by train and eval.
type options struct {
	data      string
	preset    string
	size      int
	iters     int
	decay     int
	batch     int
	lrG, lrD  float64
	attn      string
	lambdaSem float64
	// lambdaCycle, lambdaIdt, beta1, beta2 and pool are -1 for the preset's.
	lambdaCycle, lambdaIdt float64
	beta1, beta2           float64
	pool                   int
	ngf, ndf               int
	blocks, dlayers        int
	dSteps                 int
	seed                   uint64
	out                    string
	resume                 bool
	device                 string
	minutes                float64
	sampleEvy              int
	saveEvery              int
	count                  int
	strict                 bool
	// channels is -channels: 1 or 3, or 0 to follow the data.
	channels int
	// workers and cacheMB are -workers and -cache-mb (see loader).
	workers, cacheMB int
	// fidWeights is eval's -fid-weights: the FID Inception weights file.
	fidWeights string
	// precision is -precision: auto, fp32, tf32 or bf16.
	precision string
	// bounds are the numeric flags' ranges, checked by setup.
	bounds bounds
	// set holds the names of the flags given on the command line.
	set map[string]bool
}

// quickDemo is what `horse2zebra` with no arguments runs: the paper's model
// (self-attention, semantic loss, TTUR) scaled down to train at 64x64 on
// two CPU cores within the time limit. The attention sits after the
// residual blocks (16x16 here), where one iteration costs about 0.3 s on
// two cores, instead of at the end of the generator (64x64, 0.8 s), so that
// the demo gets through its 1400 iterations in about 6 minutes; `demo -attn up2` trains the
// paper's placement. (go test -bench TrainStep64 ./gan measures both.)
//
// The discriminators have two stride-2 layers instead of three: at 64x64 the
// 70x70 PatchGAN sees the whole picture, a 34x34 one still judges patches
// (over five seeds the background's median rose from 24.98 to 25.50 dB;
// README, "What limits the background"). The learning rates are half the
// paper's, in the same 1:2 ratio.
var quickDemo = []string{"-ngf", "16", "-ndf", "32", "-blocks", "4", "-attn", "res", "-dlayers", "2",
	"-lr-g", "0.0005", "-lr-d", "0.001", "-iters", "1000", "-decay", "400", "-minutes", "9"}

func (o *options) register(fs *flag.FlagSet) {
	b := &o.bounds
	fs.StringVar(&o.data, "data", "", "dataset root with trainA, trainB, testA, testB (default: the built-in synthetic horse2zebra)")
	fs.StringVar(&o.preset, "preset", "paper", "model and loss preset: paper or cyclegan")
	b.intVar(fs, &o.size, "size", 64, 4, 4096, "", "training image size (crop), a multiple of 4")
	b.intVar(fs, &o.iters, "iters", 0, 1, 1e8, "the preset's", "iterations at the base learning rate")
	b.intVar(fs, &o.decay, "decay", -1, 0, 1e8, "as many as -iters", "iterations of linear decay after -iters")
	b.intVar(fs, &o.batch, "batch", 0, 1, 1024, "the preset's", "batch size")
	b.floatVar(fs, &o.lrG, "lr-g", 0, 0, noMax, true, "the preset's", "generator learning rate")
	b.floatVar(fs, &o.lrD, "lr-d", 0, 0, noMax, true, "the preset's", "discriminator learning rate")
	fs.StringVar(&o.attn, "attn", "", "attention place: none, res, up1, up2 (empty: preset)")
	b.floatVar(fs, &o.lambdaSem, "lambda-sem", -1, 0, 1e6, false, "the preset's", "semantic loss weight (0 disables it)")
	b.floatVar(fs, &o.lambdaCycle, "lambda-cycle", -1, 0, 1e6, false, "the preset's", "cycle-consistency loss weight, each way")
	b.floatVar(fs, &o.lambdaIdt, "lambda-idt", -1, 0, 1e6, false, "the preset's", "identity loss weight, relative to -lambda-cycle (0 disables it)")
	b.floatVar(fs, &o.beta1, "beta1", -1, 0, 0.999999, false, "the preset's", "Adam beta1")
	b.floatVar(fs, &o.beta2, "beta2", -1, 0, 0.999999, false, "the preset's", "Adam beta2")
	b.intVar(fs, &o.pool, "pool", -1, 0, 10000, "the preset's", "fakes kept in each discriminator's image pool (0: none)")
	b.intVar(fs, &o.dlayers, "dlayers", 0, 1, 8, "the preset's", "discriminator depth, stride-2 layers (3 is the 70x70 PatchGAN)")
	b.intVar(fs, &o.dSteps, "d-steps", 0, 1, 100, "the preset's", "discriminator updates per generator update")
	b.intVar(fs, &o.ngf, "ngf", 0, 2, 1024, "the preset's", "generator filters (at least 8 with attention)")
	b.intVar(fs, &o.ndf, "ndf", 0, 1, 1024, "the preset's", "discriminator filters")
	b.intVar(fs, &o.blocks, "blocks", 0, 1, 64, "the preset's", "residual blocks")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed, any number from 0 to 2^64-1")
	fs.StringVar(&o.out, "out", filepath.Join("out", "horse2zebra"), "output directory")
	fs.BoolVar(&o.resume, "resume", false, "continue from OUT/checkpoints/latest.safetensors; -iters and -decay may extend its schedule, other model and loss flags must match the run's")
	fs.StringVar(&o.device, "device", "cpu", "compute device: cpu, or cuda in a build with -tags cuda or cudaemu")
	fs.StringVar(&o.precision, "precision", "auto", precisionUsage)
	b.floatVar(fs, &o.minutes, "minutes", 0, 0, noMax, false, "", "stop training after this many minutes (0: no limit)")
	b.intVar(fs, &o.sampleEvy, "sample-every", 100, 0, 1e8, "", "write a sample grid every N iterations (0: none but the final one)")
	b.intVar(fs, &o.saveEvery, "save-every", 500, 0, 1e8, "", "keep a numbered checkpoint every N iterations (0: none; latest.safetensors is still written at the end and when stopped)")
	b.intVar(fs, &o.count, "count", 400, 1, 1e6, "", "synthetic images per domain for training")
	fs.BoolVar(&o.strict, "strict", false, "treat an unreadable image file as fatal instead of skipping it")
	b.intVar(fs, &o.workers, "workers", 2, 0, 64, "", "goroutines decoding and augmenting the next iterations' images while one trains (0: none; the images are the same either way)")
	b.intVar(fs, &o.cacheMB, "cache-mb", 1024, 0, 1<<20, "", "MiB of decoded, resized training images kept in memory (0: decode every time)")
	b.intVar(fs, &o.channels, "channels", 0, 1, 3, "following the data (1 when every training image is grey, else 3; a checkpoint's own)", "image channels: 1 (grey) or 3 (RGB)")
}

// config applies the flags over the preset.
func (o *options) config() (gan.Config, error) {
	cfg, err := gan.Preset(o.preset)
	if err != nil {
		return cfg, err
	}
	return o.apply(cfg)
}

// apply sets the fields of cfg that the flags give (those not at their
// "preset" default) and validates the result.
func (o *options) apply(cfg gan.Config) (gan.Config, error) {
	var err error
	setInt := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	setInt(&cfg.NGF, o.ngf)
	setInt(&cfg.NDF, o.ndf)
	setInt(&cfg.Blocks, o.blocks)
	setInt(&cfg.Batch, o.batch)
	setInt(&cfg.DLayers, o.dlayers)
	setInt(&cfg.DSteps, o.dSteps)
	setFloat := func(dst *float32, v float64) {
		if v >= 0 {
			*dst = float32(v)
		}
	}
	setFloat(&cfg.LambdaCycle, o.lambdaCycle)
	setFloat(&cfg.LambdaIdentity, o.lambdaIdt)
	setFloat(&cfg.Beta1, o.beta1)
	setFloat(&cfg.Beta2, o.beta2)
	if o.pool >= 0 {
		cfg.PoolSize = o.pool
	}
	if o.iters > 0 {
		cfg.Iters, cfg.DecayIters = o.iters, o.iters
	}
	if o.decay >= 0 {
		cfg.DecayIters = o.decay
	}
	if o.lrG > 0 {
		cfg.LRG = float32(o.lrG)
	}
	if o.lrD > 0 {
		cfg.LRD = float32(o.lrD)
	}
	if o.attn != "" {
		if cfg.Attention, err = gan.ParseAttentionPlace(o.attn); err != nil {
			return cfg, err
		}
	}
	setFloat(&cfg.LambdaSem, o.lambdaSem)
	cfg.Seed = o.seed
	if cfg.Precision, err = parsePrecision(o.precision); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// checkSize checks that training crops of size pixels fit the networks:
// the generator halves the size twice and doubles it back, so it must be a
// multiple of 4, and the PatchGAN (dlayers 4x4 stride-2 convolutions, then
// two 4x4 stride-1 ones, each with padding 1) must leave at least one patch.
func checkSize(size, dlayers int) error {
	patches := func(s int) int {
		for range dlayers {
			s /= 2
		}
		return s - 2
	}
	if size < 4 || size%4 != 0 {
		return fmt.Errorf("-size %d: must be a positive multiple of 4", size)
	}
	if patches(size) < 1 {
		least := size
		for patches(least) < 1 {
			least += 4
		}
		return fmt.Errorf("-size %d is too small for the %d-layer PatchGAN discriminator: at least %d", size, dlayers, least)
	}
	return nil
}

// openDevice makes the named device the default one. Asked for cuda in a
// build without it, the error says how to build it in.
func openDevice(name string) error {
	dev, err := tensor.Open(name)
	if err != nil && name == "cuda" {
		return fmt.Errorf("%w: build with -tags cuda (a GPU and CUDA's driver) or -tags cudaemu (the CPU emulator)", err)
	}
	if err != nil {
		return err
	}
	tensor.SetDefault(dev)
	return nil
}

// dataset is the train and test sources of both domains.
type dataset struct {
	trainA, trainB, testA, testB data.Source
	// channels is the channel count of the images the sources give (see
	// withChannels); grey is set when every training image is grey.
	channels int
	grey     bool
	// strict makes an unreadable test image an error; otherwise warn
	// reports it, once per image (warned).
	strict bool
	warn   func(msg string)
	warned map[string]bool
}

// badItem handles err, the failure to read a test image: in strict mode it
// returns err; otherwise it warns (once per image) and returns nil, and the
// caller skips the image.
func (d dataset) badItem(err error) error {
	if d.strict {
		return fmt.Errorf("%w (and -strict is set)", err)
	}
	if msg := err.Error(); !d.warned[msg] {
		d.warned[msg] = true
		d.warn(msg + " (skipped)")
	}
	return nil
}

// dataset opens the data the flags choose; warn receives the warnings of
// unreadable images.
func (o *options) dataset(warn func(string)) (dataset, error) {
	ds := dataset{strict: o.strict, warn: warn, warned: map[string]bool{}, channels: 3}
	if o.data == "" {
		cfg := data.SyntheticConfig{Size: o.size, Count: o.count, Seed: o.seed}
		ds.trainA, ds.trainB = data.SyntheticDomains(cfg)
		ds.testA, ds.testB = data.SyntheticTest(cfg)
		return ds, nil
	}
	opts := data.FolderOptions{Crop: o.size, Strict: o.strict, Warn: warn}
	trainOpts := opts
	trainOpts.CacheBytes = int64(o.cacheMB) << 20 / 2 // half for each domain
	trainA, trainB, err := data.OpenFolders(o.data, "train", trainOpts)
	if err != nil {
		return dataset{}, err
	}
	testA, testB, err := data.OpenFolders(o.data, "test", opts)
	if err != nil {
		return dataset{}, err
	}
	if err := checkData(o.data, o.strict, warn, trainA, trainB, testA, testB); err != nil {
		return dataset{}, err
	}
	ds.trainA, ds.trainB, ds.testA, ds.testB = trainA, trainB, testA, testB
	ds.grey = trainA.Grey() && trainB.Grey()
	return ds, nil
}

// setup parses and checks the shared flags of command name, opens the
// device and the dataset, whose warnings go to warn.
func setup(name string, args []string, warn func(string)) (*options, dataset, error) {
	o := &options{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	o.register(fs)
	if name == "eval" {
		fs.StringVar(&o.fidWeights, "fid-weights", "", "pytorch-fid's Inception weights (pt_inception-2015-12-05-6726825d.pth, or as safetensors) to measure FID and KID against the real B test images")
	}
	if err := parse(fs, args); err != nil {
		return nil, dataset{}, err
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if err := o.bounds.check(); err != nil {
		return nil, dataset{}, err
	}
	if err := o.checkChannels(); err != nil {
		return nil, dataset{}, err
	}
	// A resumed run and eval read the data the run was started on, unless
	// the command line says otherwise.
	if o.resume || name == "eval" {
		if err := o.loadDataFlags(); err != nil {
			return nil, dataset{}, err
		}
		if err := o.bounds.check(); err != nil {
			return nil, dataset{}, fmt.Errorf("%s: %w", filepath.Join(o.out, dataFlagsFile), err)
		}
	}
	if err := openDevice(o.device); err != nil {
		return nil, dataset{}, err
	}
	if _, err := parsePrecision(o.precision); err != nil {
		return nil, dataset{}, err
	}
	ds, err := o.dataset(warn)
	if err != nil {
		return nil, dataset{}, err
	}
	c, err := o.imageChannels(name, ds)
	if err != nil {
		return nil, dataset{}, err
	}
	return o, ds.withChannels(c), nil
}

// dataFlagsFile is where train records the flags that choose the data, in
// the output directory.
const dataFlagsFile = "data_flags.json"

// dataFlags are the flags that choose the training and test data.
type dataFlags struct {
	Data   string `json:"data"`
	Size   int    `json:"size"`
	Count  int    `json:"count"`
	Seed   uint64 `json:"seed"`
	Strict bool   `json:"strict"`
}

// saveDataFlags records o's data flags in the output directory.
func (o *options) saveDataFlags() error {
	b, err := json.MarshalIndent(dataFlags{o.data, o.size, o.count, o.seed, o.strict}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(o.out, dataFlagsFile), append(b, '\n'))
}

// loadDataFlags takes the data flags recorded by the run in o.out for
// those not set on the command line (o.set). Without a record it does
// nothing.
func (o *options) loadDataFlags() error {
	path := filepath.Join(o.out, dataFlagsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var saved dataFlags
	if err := json.Unmarshal(b, &saved); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	set := o.set
	if !set["data"] {
		o.data = saved.Data
	}
	if !set["size"] {
		o.size = saved.Size
	}
	if !set["count"] {
		o.count = saved.Count
	}
	if !set["seed"] {
		o.seed = saved.Seed
	}
	if !set["strict"] {
		o.strict = saved.Strict
	}
	return nil
}
