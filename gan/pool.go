package gan

import "github.com/semgan/semgan/tensor"

// ImagePool is CycleGAN's history of generated images: the discriminator
// sees a mix of the newest fakes and older ones, which damps oscillation.
type ImagePool struct {
	Size   int
	Images []*tensor.Tensor // each [1, C, H, W]
}

// Query returns the batch to show the discriminator in place of fakes
// [N, C, H, W]. While the pool is filling, each fake is stored and
// returned; afterwards, with probability 1/2 a fake is swapped for a
// stored one (which is returned), else it is returned as it is.
func (p *ImagePool) Query(rng *tensor.RNG, fakes *tensor.Tensor) *tensor.Tensor {
	out, _ := p.query(rng, fakes)
	return out
}

// query is Query that also returns a function restoring the pool to what it
// held before the call.
func (p *ImagePool) query(rng *tensor.RNG, fakes *tensor.Tensor) (*tensor.Tensor, func()) {
	if p.Size == 0 {
		return fakes, func() {}
	}
	n := fakes.Dim(0)
	per := fakes.Len() / n
	all := fakes.Data()
	out := make([]float32, len(all))
	held := len(p.Images)
	type swap struct {
		j   int
		old []float32
	}
	var swaps []swap // in order, to be undone in reverse
	for i := range n {
		img := all[i*per : (i+1)*per]
		shape := append([]int{1}, fakes.Shape()[1:]...)
		switch {
		case len(p.Images) < p.Size:
			p.Images = append(p.Images, tensor.FromSliceOn(fakes.Device(), img, shape...))
			copy(out[i*per:], img)
		case rng.Float64() > 0.5:
			j := rng.IntN(p.Size)
			old := p.Images[j].Data()
			copy(out[i*per:], old)
			p.Images[j].SetData(img)
			swaps = append(swaps, swap{j, old})
		default:
			copy(out[i*per:], img)
		}
	}
	undo := func() {
		for k := len(swaps) - 1; k >= 0; k-- {
			p.Images[swaps[k].j].SetData(swaps[k].old)
		}
		p.Images = p.Images[:held]
	}
	return tensor.FromSliceOn(fakes.Device(), out, fakes.Shape()...), undo
}
