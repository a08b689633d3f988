package main

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"path/filepath"

	"github.com/semgan/semgan/gan/data"
	"github.com/semgan/semgan/nn/safetensors"
)

// checkpointChannels returns the image channels of the checkpoint at path,
// read off the weights: the input channels of G_A's first convolution
// (G_A.model.1.weight, [ngf C 7 7]), so that checkpoints written before
// channels could be chosen load as they are.
func checkpointChannels(path string) (int, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return 0, err
	}
	w, ok := f.Tensors["G_A.model.1.weight"]
	if !ok || len(w.Shape) != 4 {
		return 0, fmt.Errorf("%s: no G_A.model.1.weight of shape [ngf C 7 7] to read the image channels from", path)
	}
	if c := w.Shape[1]; c == 1 || c == 3 {
		return c, nil
	}
	return 0, fmt.Errorf("%s: G_A.model.1.weight %v takes %d channels; images have 1 (grey) or 3 (RGB)", path, w.Shape, w.Shape[1])
}

// imageChannels decides the channels of the run's images: those of the
// checkpoint's weights for a resumed run and for eval, else -channels,
// else 1 when every training image is grey and 3 otherwise. -channels
// that differs from a checkpoint's is refused.
func (o *options) imageChannels(name string, ds dataset) (int, error) {
	if o.resume || name == "eval" {
		path := filepath.Join(o.out, "checkpoints", "latest.safetensors")
		c, err := checkpointChannels(path)
		switch {
		case errors.Is(err, iofs.ErrNotExist):
			// No checkpoint: the command's own error says so later.
		case err != nil:
			return 0, err
		case o.channels != 0 && o.channels != c:
			return 0, fmt.Errorf("-channels %d: the checkpoint %s takes %d-channel images; a run keeps its channels", o.channels, path, c)
		default:
			return c, nil
		}
	}
	if o.channels != 0 {
		return o.channels, nil
	}
	if ds.grey {
		return 1, nil
	}
	return 3, nil
}

// withChannels returns ds with its images converted to c channels (1 or
// 3; the sources give 3).
func (d dataset) withChannels(c int) dataset {
	d.channels = c
	if c == 1 {
		d.trainA, d.trainB = data.GreySource(d.trainA), data.GreySource(d.trainB)
		d.testA, d.testB = data.GreySource(d.testA), data.GreySource(d.testB)
	}
	return d
}

// checkChannels refuses -channels other than 0, 1 and 3 (bounds has
// checked the range 0 to 3).
func (o *options) checkChannels() error {
	if o.channels == 2 {
		return fmt.Errorf("-channels 2: must be 1 (grey) or 3 (RGB), or 0 to follow the data")
	}
	return nil
}
