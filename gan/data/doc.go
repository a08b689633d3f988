// Package data provides the images the GAN trains on and is evaluated with:
// real image folders in the CycleGAN layout and a built-in, deterministic
// synthetic "horse2zebra" set whose scenes come with their true translation.
//
// # Images
//
// An [Image] is C planes of H rows of W float32 values (CHW, planar), in the
// GAN's range [-1, 1]: -1 is black and 1 is full intensity. [FromImage] and
// [Image.ToRGBA] convert to and from the standard library's image types;
// [Resize], [Crop], [FlipH] and [Grid] do the few geometric operations the
// training pipeline and the sample sheets need. A batch is [N, C, H, W]
// ([Batch], [Unbatch]); that file is the only one importing the tensor
// package.
//
// # Sources
//
// A [Source] is one domain (A or B) of one split. The trainer draws random,
// augmented training images with [Source.Sample] and walks evaluation images
// in order with [Source.Item], which also carries the item's name and, for the
// synthetic set, the true translation and the foreground mask. Two
// implementations exist:
//
//   - [Folder]: the files of ROOT/trainA, ROOT/trainB, ROOT/testA or ROOT/testB
//     ([OpenFolders]). Training images are resized to LoadSize x LoadSize,
//     randomly cropped to Crop x Crop and randomly flipped, as the official
//     CycleGAN does; items are resized to Crop x Crop. Unreadable files are
//     skipped with a warning unless [FolderOptions.Strict] is set.
//   - the synthetic set ([Synthetic], [SyntheticDomains], [SyntheticTest]):
//     scenes of an animal on grass under a sky; domain B paints the same
//     animal with zebra stripes. Scene i is a pure function of the seed and i.
//
// All randomness comes from an explicit *rand.Rand (math/rand/v2) or a seed;
// nothing here touches a global random source.
package data
