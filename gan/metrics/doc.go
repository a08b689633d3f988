// Package metrics measures image-to-image translation quality: PSNR, SSIM, FID and KID,
// and a foreground "stripe statistics" score for the synthetic horse2zebra data, where
// every domain-A scene has a known domain-B counterpart.
//
// Images are planar float32 C×H×W with values in [-1, 1] (the generator's tanh range);
// C is the channel count (3 for RGB), H the height and W the width. PSNR and SSIM map
// values to [0, 255] by v = (x+1)·127.5 before measuring, so their numbers are the
// familiar 8-bit ones; values outside [-1, 1] are mapped linearly, never clipped.
//
// FID and KID (fid.go, kid.go) compare sets of features of the Inception-v3 network
// pytorch-fid uses (inception.go), built from the project's own layers and loaded from
// pytorch-fid's weights file; Frechet distances go through gonum.
//
// Callers build an Image from their own buffers by field (C, H, W, Pix); only the
// Inception network imports the project's tensor, autograd and nn packages. Mismatched
// shapes are programmer errors and panic with a message prefixed "metrics: ". Undefined
// results (an empty mask, an input that already looks like its target) are NaN, which
// Mean and MeanPSNR skip.
package metrics
