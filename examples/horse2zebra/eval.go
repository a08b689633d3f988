package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/semgan/semgan/autograd"
	"github.com/semgan/semgan/gan"
	"github.com/semgan/semgan/gan/data"
	"github.com/semgan/semgan/gan/metrics"
	"github.com/semgan/semgan/tensor"
)

func runEval(args []string) error {
	o, ds, err := setup("eval", args, func(msg string) { fmt.Fprintln(stderr, "warning:", msg) })
	if err != nil {
		return err
	}
	tr, err := gan.LoadCheckpoint(filepath.Join(o.out, "checkpoints", "latest.safetensors"), ds.channels)
	if err != nil {
		return err
	}
	p, err := checkpointPrecision(o.precision, o.set["precision"], tr.Config.Precision)
	if err != nil {
		return err
	}
	tensor.SetPrecision(p)
	if err := checkSize(o.size, tr.Config.DLayers); err != nil {
		return err
	}
	if o.fidWeights == "" {
		fmt.Fprintf(stdout, "FID and KID skipped: no -fid-weights FILE. Download pytorch-fid's Inception weights (once, about 92 MB) from\n  %s\nand pass the file to -fid-weights.\n", metrics.FIDWeightsURL)
	}
	return evaluateWith(tr, ds, o.out, o.fidWeights)
}

// translateImage runs g on one image without recording a graph.
func translateImage(g *gan.Generator, img data.Image) data.Image {
	var out *tensor.Tensor
	autograd.NoGrad(func() { out = g.Forward(autograd.Const(data.Batch([]data.Image{img}))).Value })
	return data.Unbatch(out)[0]
}

// writeSamples writes a grid: input | translated | reconstructed, for the
// first three readable test images of both directions. An unreadable image
// is skipped with a warning, or is an error with -strict.
func writeSamples(tr *gan.Trainer, ds dataset, path string) error {
	var rows [][]data.Image
	for _, dir := range []struct {
		src       data.Source
		there, ba *gan.Generator
	}{{ds.testA, tr.GA, tr.GB}, {ds.testB, tr.GB, tr.GA}} {
		shown := 0
		for i := 0; i < dir.src.Len() && shown < 3; i++ {
			it, err := dir.src.Item(i)
			if err != nil {
				if err := ds.badItem(err); err != nil {
					return err
				}
				continue
			}
			shown++
			fake := translateImage(dir.there, it.Image)
			rows = append(rows, []data.Image{it.Image, fake, translateImage(dir.ba, fake)})
		}
	}
	if len(rows) == 0 {
		return nil // every test image was unreadable, and said so
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return data.Grid(rows, 2).SavePNG(path)
}

// Metrics are what eval writes to metrics.json: means over the A test set
// of the A-to-B generator's output. The *_gt fields and the foreground
// measures exist only where the true translation and mask are known (the
// built-in data).
type Metrics struct {
	Images           int      `json:"images"`
	Iteration        int      `json:"iteration"`
	PSNR             float64  `json:"psnr"`
	SSIM             float64  `json:"ssim"`
	PSNRBackground   *float64 `json:"psnr_background,omitempty"`
	TranslationScore *float64 `json:"translation_score,omitempty"`
	PSNRGT           *float64 `json:"psnr_gt,omitempty"`
	SSIMGT           *float64 `json:"ssim_gt,omitempty"`
	PSNRGTIdentity   *float64 `json:"psnr_gt_identity,omitempty"`
	// FID, KID and KIDStd compare the translations with the real B test
	// images through the Inception network of -fid-weights; they are absent
	// without it.
	FID    *float64 `json:"fid,omitempty"`
	KID    *float64 `json:"kid,omitempty"`
	KIDStd *float64 `json:"kid_std,omitempty"`
}

// resultStems returns the stem of each of src's result files: the item's
// name without its extension (00009.png gives 00009, not 00009.png), made
// unique as translate makes its outputs (x.jpg and x.png give x_jpg and
// x_png). Names come from the file list alone, without decoding.
func resultStems(src data.Source) []string {
	names := make([]string, src.Len())
	for i := range names {
		names[i] = sourceName(src, i)
	}
	stems := outputNames(names, func(string) {})
	for i, s := range stems {
		stems[i] = strings.TrimSuffix(s, ".png")
	}
	return stems
}

// sourceName returns the name of src's item i without decoding it where
// src can tell (a folder's file name), else the item's own name, or
// "itemN" for an item that cannot be read.
func sourceName(src data.Source, i int) string {
	if f, ok := src.(interface{ Name(int) string }); ok {
		return f.Name(i)
	}
	it, err := src.Item(i)
	if err != nil {
		return fmt.Sprintf("item%d", i)
	}
	return it.Name
}

type resultRow struct {
	Name, Input, Output, Truth string
	PSNR, SSIM, Score          float64
}

// evaluate translates every A test image, writes the images, index.html
// and metrics.json under out/results, and prints the metrics.
func evaluate(tr *gan.Trainer, ds dataset, out string) error { return evaluateWith(tr, ds, out, "") }

// evaluateWith is evaluate that, given the path of the FID Inception
// weights, also measures FID and KID (see fidKID).
func evaluateWith(tr *gan.Trainer, ds dataset, out, fidWeights string) error {
	dir := filepath.Join(out, "results")
	if err := os.MkdirAll(filepath.Join(dir, "images"), 0o755); err != nil {
		return err
	}
	var psnr, ssim, bg, score, psnrGT, ssimGT, psnrID []float64
	var rows []resultRow
	var fakes []metrics.Image // kept for FID
	stems := resultStems(ds.testA)
	for i := range ds.testA.Len() {
		it, err := ds.testA.Item(i)
		if err != nil {
			if err := ds.badItem(err); err != nil {
				return err
			}
			continue
		}
		fake := translateImage(tr.GA, it.Image)
		in, outImg := metrics.Image(it.Image), metrics.Image(fake)
		if fidWeights != "" {
			fakes = append(fakes, outImg)
		}
		stem := "images/" + stems[i]
		row := resultRow{Name: it.Name, Input: stem + "_real.png", Output: stem + "_fake.png",
			PSNR: metrics.PSNR(in, outImg), SSIM: metrics.SSIM(in, outImg), Score: math.NaN()}
		psnr, ssim = append(psnr, row.PSNR), append(ssim, row.SSIM)
		if it.Target != nil && it.Mask != nil {
			truth := metrics.Image(*it.Target)
			row.Score = metrics.TranslationScore(in, outImg, truth, it.Mask)
			score = append(score, row.Score)
			bg = append(bg, metrics.MaskedPSNR(in, outImg, it.Mask, false))
			psnrGT = append(psnrGT, metrics.PSNR(outImg, truth))
			ssimGT = append(ssimGT, metrics.SSIM(outImg, truth))
			psnrID = append(psnrID, metrics.PSNR(in, truth))
			row.Truth = stem + "_truth.png"
			if err := it.Target.SavePNG(filepath.Join(dir, row.Truth)); err != nil {
				return err
			}
		}
		if err := it.Image.SavePNG(filepath.Join(dir, row.Input)); err != nil {
			return err
		}
		if err := fake.SavePNG(filepath.Join(dir, row.Output)); err != nil {
			return err
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return fmt.Errorf("eval: no readable test images")
	}
	m := Metrics{Images: len(rows), Iteration: tr.Step, PSNR: metrics.MeanPSNR(psnr), SSIM: metrics.Mean(ssim)}
	opt := func(xs []float64, mean func([]float64) float64) *float64 {
		if len(xs) == 0 {
			return nil
		}
		v := mean(xs)
		return &v
	}
	m.PSNRBackground = opt(bg, metrics.MeanPSNR)
	m.TranslationScore = opt(score, metrics.Mean)
	m.PSNRGT = opt(psnrGT, metrics.MeanPSNR)
	m.SSIMGT = opt(ssimGT, metrics.Mean)
	m.PSNRGTIdentity = opt(psnrID, metrics.MeanPSNR)
	if fidWeights != "" {
		fid, kid, kidStd, err := fidKID(fidWeights, out, ds.testB, fakes)
		if err != nil {
			return err
		}
		m.FID, m.KID, m.KIDStd = &fid, &kid, &kidStd
	}

	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(out, "metrics.json"), append(js, '\n')); err != nil {
		return err
	}
	if err := writeIndex(filepath.Join(dir, "index.html"), m, rows); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "metrics (%s):\n%s\n", filepath.Join(out, "metrics.json"), js)
	fmt.Fprintln(stdout, "results:", filepath.Join(dir, "index.html"))
	return nil
}

var indexHTML = template.Must(template.New("index").Funcs(template.FuncMap{
	"f": func(v float64) string { return fmt.Sprintf("%.3f", v) },
}).Parse(`<!doctype html>
<meta charset="utf-8">
<title>semgan horse2zebra results</title>
<style>body{font-family:sans-serif} td{text-align:center;padding:4px} img{width:128px;image-rendering:pixelated}</style>
<h1>A &rarr; B translations (iteration {{.M.Iteration}})</h1>
<p>{{.M.Images}} test images. PSNR {{f .M.PSNR}} dB, SSIM {{f .M.SSIM}} (output against input).
{{with .M.TranslationScore}}Translation score {{f .}}.{{end}}
{{with .M.PSNRBackground}}Background PSNR {{f .}} dB.{{end}}</p>
<table>
<tr><th>image</th><th>input</th><th>output</th>{{if .Truth}}<th>true B</th>{{end}}<th>PSNR</th><th>SSIM</th>{{if .Truth}}<th>score</th>{{end}}</tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td><img src="{{.Input}}"></td><td><img src="{{.Output}}"></td>{{if .Truth}}<td><img src="{{.Truth}}"></td>{{end}}<td>{{f .PSNR}}</td><td>{{f .SSIM}}</td>{{if .Truth}}<td>{{f .Score}}</td>{{end}}</tr>
{{end}}</table>
`))

func writeIndex(path string, m Metrics, rows []resultRow) error {
	var b bytes.Buffer
	err := indexHTML.Execute(&b, struct {
		M     Metrics
		Rows  []resultRow
		Truth bool
	}{m, rows, rows[0].Truth != ""})
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b.Bytes())
}

// writeFileAtomic writes data to path (mode 0644) through a temporary file,
// sync and rename, so that path never holds a partial file.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
