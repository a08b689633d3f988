package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/semgan/semgan/gan/data"
	"github.com/semgan/semgan/gan/metrics"
)

// fidBatch is the number of images the Inception network sees at once.
const fidBatch = 8

// fidCacheDir is where the features of real test sets are cached: the
// user's cache directory (such as ~/.cache/semgan/fid-features), or
// OUT/fid_cache where there is none.
func fidCacheDir(out string) string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "semgan", "fid-features")
	}
	return filepath.Join(out, "fid_cache")
}

// fidKID measures FID and KID between the real images of src (the B test
// set) and fakes (the translations of the A test set) with the Inception
// network whose weights are in the file weights. The features of the real
// images are cached by a hash of the weights and the images.
func fidKID(weights, out string, src data.Source, fakes []metrics.Image) (fid, kid, kidStd float64, err error) {
	inc, err := metrics.LoadInception(weights)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("-fid-weights: %w", err)
	}
	var reals []metrics.Image
	for i := range src.Len() {
		it, err := src.Item(i)
		if err != nil {
			fmt.Fprintln(stderr, "warning:", err)
			continue
		}
		reals = append(reals, metrics.Image(it.Image))
	}
	if len(reals) < 2 || len(fakes) < 2 {
		return 0, 0, 0, fmt.Errorf("FID: %d real and %d translated test images; at least 2 of each are needed", len(reals), len(fakes))
	}
	dir := fidCacheDir(out)
	realF, hit, err := inc.CachedFeatures(reals, fidBatch, dir)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("FID feature cache: %w", err)
	}
	how := "computed and cached in"
	if hit {
		how = "read from the cache in"
	}
	fmt.Fprintf(stdout, "FID: Inception features of %d real B test images %s %s\n", len(reals), how, dir)
	fakeF := inc.Features(fakes, fidBatch)
	kid, kidStd = metrics.KID(realF, fakeF, metrics.KIDOptions{})
	return metrics.FID(realF, fakeF), kid, kidStd, nil
}
