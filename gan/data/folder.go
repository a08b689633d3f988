package data

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	_ "image/jpeg" // register the decoders LoadFile uses
	_ "image/png"
)

// FolderOptions configures how a Folder transforms and reports its images.
// The zero value gives CycleGAN's defaults for 256 x 256 crops.
type FolderOptions struct {
	// Crop is the side of the square training crops and of the evaluation
	// images; 0 means 256.
	Crop int
	// LoadSize is the side training images are resized to before the random
	// crop; 0 means Crop*286/256 rounded (286 for 256). Values below Crop
	// are raised to Crop.
	LoadSize int
	// NoFlip turns off the random horizontal flip of training images.
	NoFlip bool
	// Strict makes an unreadable file an error of Sample instead of a
	// warning.
	Strict bool
	// Warn receives one line per unreadable file skipped by Sample (once per
	// file); nil logs it with the standard logger. It may be called from
	// several goroutines at once when the Folder is shared.
	Warn func(msg string)
	// CacheBytes is the memory Sample may keep decoded images in, resized
	// to LoadSize x LoadSize (4*C*LoadSize^2 bytes each): images are kept
	// as they are first drawn, until the next would pass the budget. 0
	// keeps none. Caching never changes what Sample returns.
	CacheBytes int64
}

// withDefaults returns o with its zero fields filled in.
func (o FolderOptions) withDefaults() FolderOptions {
	if o.Crop <= 0 {
		o.Crop = 256
	}
	if o.LoadSize <= 0 {
		o.LoadSize = int(math.Round(float64(o.Crop) * 286 / 256))
	}
	o.LoadSize = max(o.LoadSize, o.Crop)
	if o.Warn == nil {
		o.Warn = func(msg string) { log.Print(msg) }
	}
	return o
}

// imageExt reports whether name has a .jpg, .jpeg or .png extension, in any
// letter case.
func imageExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png":
		return true
	}
	return false
}

// Folder is a Source over the JPEG and PNG files of one directory (not its
// subdirectories), in name order. Sample resizes to LoadSize x LoadSize, crops
// a random Crop x Crop window and flips it half of the time; Item resizes to
// Crop x Crop. Files are decoded on every call, but for Sample's images
// kept within CacheBytes.
//
// Check reads every file's header and leaves out those that cannot be read,
// so that training never meets them.
type Folder struct {
	dir   string
	files []string // base names, sorted
	grey  []bool   // file i is grey, as far as Check found (nil before it)
	opts  FolderOptions

	mu sync.Mutex
	// bad holds the files Sample found unreadable. Sample's draws never
	// depend on it (a draw of a bad file is drawn again from the same
	// rng), so that they are a function of the rng alone.
	bad map[int]bool
	// cache holds files decoded and resized for Sample, cached the bytes
	// they take.
	cache  map[int]Image
	cached int64
}

// OpenFolder lists the images of dir. It returns an error naming dir if dir
// does not exist, is not a directory, cannot be read or holds no .jpg, .jpeg
// or .png file. Files are not decoded until used.
func OpenFolder(dir string, opts FolderOptions) (*Folder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("data: image folder %s does not exist (expected a directory of .jpg/.jpeg/.png files)", dir)
		}
		return nil, fmt.Errorf("data: image folder %s: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		if imageExt(e.Name()) && !e.IsDir() {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("data: image folder %s holds no .jpg, .jpeg or .png files", dir)
	}
	slices.Sort(files)
	return &Folder{dir: dir, files: files, opts: opts.withDefaults(), bad: map[int]bool{}}, nil
}

// OpenFolders opens the two domains of one split of a dataset in the
// CycleGAN layout: ROOT/trainA and ROOT/trainB for split "train",
// ROOT/testA and ROOT/testB for split "test". It returns an error for any
// other split, a missing root, or a missing or empty domain folder.
func OpenFolders(root, split string, opts FolderOptions) (a, b *Folder, err error) {
	if split != "train" && split != "test" {
		return nil, nil, fmt.Errorf(`data: split %q: want "train" or "test"`, split)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, nil, fmt.Errorf("data: dataset root %s is not a directory (expected the CycleGAN layout %s/{trainA,trainB,testA,testB})", root, root)
	}
	if a, err = OpenFolder(filepath.Join(root, split+"A"), opts); err != nil {
		return nil, nil, err
	}
	if b, err = OpenFolder(filepath.Join(root, split+"B"), opts); err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// Dir returns the folder's directory.
func (f *Folder) Dir() string { return f.dir }

// Len returns the number of image files listed, readable or not.
func (f *Folder) Len() int { return len(f.files) }

// Name returns the base name of file i.
func (f *Folder) Name(i int) string { return f.files[i] }

// Path returns the path of file i.
func (f *Folder) Path(i int) string { return filepath.Join(f.dir, f.files[i]) }

// Options returns the folder's options with defaults filled in.
func (f *Folder) Options() FolderOptions { return f.opts }

// Load decodes file i as it is, without any transform. The error names the
// file's path. It panics if i is out of range.
func (f *Folder) Load(i int) (Image, error) {
	return LoadFile(f.Path(i))
}

// Item returns file i resized to Crop x Crop, named by its file name (see
// Source). It returns Load's error; it neither warns nor skips.
func (f *Folder) Item(i int) (Item, error) {
	img, err := f.Load(i)
	if err != nil {
		return Item{}, err
	}
	return Item{Name: f.files[i], Image: Resize(img, f.opts.Crop, f.opts.Crop)}, nil
}

// Sample draws a random file with rng and returns it resized to
// LoadSize x LoadSize, cropped at a random Crop x Crop window and, unless
// NoFlip, flipped with probability 1/2. An unreadable file is reported
// through Warn (once) and another file is drawn with the same rng, so that
// what Sample returns depends on rng alone, never on which files earlier
// calls found unreadable; in strict mode its error is returned instead.
// Sample returns an error when every file of the folder has proved
// unreadable.
func (f *Folder) Sample(rng *rand.Rand) (Image, error) {
	for {
		i := rng.IntN(len(f.files))
		img, err := f.loadResized(i)
		if err == nil {
			return f.augment(img, rng), nil
		}
		if f.opts.Strict {
			return Image{}, err
		}
		f.mu.Lock()
		first := !f.bad[i]
		f.bad[i] = true
		all := len(f.bad) == len(f.files)
		f.mu.Unlock()
		if first {
			f.opts.Warn(fmt.Sprintf("%v (skipped)", err))
		}
		if all {
			return Image{}, fmt.Errorf("data: image folder %s: none of its %d image files could be read", f.dir, len(f.files))
		}
	}
}

// loadResized returns file i decoded and resized to LoadSize x LoadSize,
// from the cache or decoded and then kept there if it fits the budget.
func (f *Folder) loadResized(i int) (Image, error) {
	f.mu.Lock()
	img, ok := f.cache[i]
	f.mu.Unlock()
	if ok {
		return img, nil
	}
	img, err := f.Load(i)
	if err != nil {
		return img, err
	}
	l := f.opts.LoadSize
	img = Resize(img, l, l)
	size := int64(4 * len(img.Pix))
	f.mu.Lock()
	if _, ok := f.cache[i]; !ok && f.cached+size <= f.opts.CacheBytes {
		if f.cache == nil {
			f.cache = map[int]Image{}
		}
		f.cache[i] = img
		f.cached += size
	}
	f.mu.Unlock()
	return img, nil
}

// augment applies the rest of the training transform to img, resized to
// LoadSize: a random crop and a random flip. It never changes img.
func (f *Folder) augment(img Image, rng *rand.Rand) Image {
	l, c := f.opts.LoadSize, f.opts.Crop
	y, x := rng.IntN(l-c+1), rng.IntN(l-c+1)
	img = Crop(img, y, x, c, c)
	if !f.opts.NoFlip && rng.IntN(2) == 1 {
		img = FlipH(img)
	}
	return img
}
