package data

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"os"
)

// A BadFile is an image file that cannot be read, and why.
type BadFile struct {
	Path string
	Err  error
}

// Check reads the header of every file of f (image.DecodeConfig: the format,
// the size and the colour model, without the pixels) and leaves out of f the
// files whose header cannot be read or whose image is empty, returning them
// in name order. After Check, Len, Name, Item and Sample see only the files
// that passed. It returns an error naming the folder when no file passes.
// Check is not safe for use concurrently with the folder's other methods.
func (f *Folder) Check() ([]BadFile, error) {
	var bad []BadFile
	var files []string
	var grey []bool
	for i := range f.files {
		g, err := checkHeader(f.Path(i))
		if err != nil {
			bad = append(bad, BadFile{Path: f.Path(i), Err: err})
			continue
		}
		files, grey = append(files, f.files[i]), append(grey, g)
	}
	if len(files) == 0 {
		return bad, fmt.Errorf("data: image folder %s: none of its %d image files can be read (the first: %v)", f.dir, len(f.files), bad[0].Err)
	}
	f.files, f.grey, f.bad = files, grey, map[int]bool{}
	f.cache, f.cached = nil, 0 // indices have moved
	return bad, nil
}

// Grey reports whether every file of f has a grey colour model (8- or
// 16-bit grey, or a palette of greys), as far as Check found; it is false
// before Check.
func (f *Folder) Grey() bool {
	if f.grey == nil {
		return false
	}
	for _, g := range f.grey {
		if !g {
			return false
		}
	}
	return true
}

// checkHeader reads the header of the image file path and reports whether
// its colour model is grey. The error says what is wrong with the file.
func checkHeader(path string) (grey bool, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer fh.Close()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(fh))
	if err != nil {
		return false, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return false, fmt.Errorf("empty image (%dx%d)", cfg.Width, cfg.Height)
	}
	return greyModel(cfg.ColorModel), nil
}

// greyModel reports whether m holds only greys.
func greyModel(m color.Model) bool {
	switch m {
	case color.GrayModel, color.Gray16Model:
		return true
	}
	p, ok := m.(color.Palette)
	if !ok {
		return false
	}
	for _, c := range p {
		r, g, b, _ := c.RGBA()
		if r != g || g != b {
			return false
		}
	}
	return true
}
