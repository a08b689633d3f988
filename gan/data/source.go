package data

import "math/rand/v2"

// Source is one domain (A or B) of one split of a dataset: a folder of files
// ([Folder]) or a range of synthetic scenes. The trainer uses the two Sources
// of a split the same way whatever they are backed by:
//
//	for step := ... {
//		x, err := a.Sample(rng) // a random, augmented training image
//		...
//	}
//	for i := range test.Len() {
//		it, err := test.Item(i) // the i-th evaluation image, in order
//		...                     // it.Name, it.Image, and it.Target/it.Mask when known
//	}
//
// Implementations are safe for concurrent use provided each goroutine passes
// its own *rand.Rand.
type Source interface {
	// Len returns the number of images.
	Len() int
	// Sample draws one random training image using rng (and nothing else
	// random), with the source's training augmentation applied. All images
	// a Source returns have the same shape. Sample returns an error only when
	// no image can be produced (for a folder: every file unreadable, or the
	// first unreadable file in strict mode).
	Sample(rng *rand.Rand) (Image, error)
	// Item returns image i (0 <= i < Len()) in a fixed order, with the
	// deterministic evaluation transform, its name and, where known, its
	// true translation and foreground mask. It returns an error if the image
	// cannot be read, and panics if i is out of range.
	Item(i int) (Item, error)
}

// Item is one evaluation image of a Source.
type Item struct {
	// Name identifies the image: the file name for folders, "scene000123"
	// for synthetic scenes. It is suitable as an output file name stem.
	Name string
	// Image is the input image, shaped like the Source's training images.
	Image Image
	// Target is the image's true translation into the other domain, shaped
	// like Image, or nil when unknown (always nil for real, unpaired data).
	Target *Image
	// Mask holds H*W weights, 1 on the foreground (where the translation
	// should change the image) and 0 on the background, fractional along
	// anti-aliased edges; nil when unknown.
	Mask []float32
}
