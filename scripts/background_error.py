#!/usr/bin/env python3
"""Splits the background error of a built-in-data evaluation into the part
that is one colour offset per image and the rest.

Usage: /usr/bin/python3 scripts/background_error.py [--worst N] OUT_DIR [OUT_DIR ...]
(needs NumPy, SciPy and Pillow: Debian's python3-numpy, python3-scipy and
python3-pil)

OUT_DIR is a training or eval output folder (it holds results/images with
sceneNNNNNN_real.png, _fake.png and _truth.png). The background is where
the true zebra equals the input (the scene outside the animal). Prints, per
folder: the background PSNR over all test images (range [-1, 1], as
metrics.json's psnr_background, which averages per image instead), the
share of the squared error that is each image's mean colour error over its
background, the PSNR with that offset removed, and per channel the slope of
the output's mean background colour against the input's across images (1:
the generator reproduces each scene's colour; 0: it paints every scene the
same average colour), and the share of the squared error within 3 pixels of
the animal beside the share of the background those pixels are. With
--worst N it also lists the N images whose background came out worst, with
their PSNR and the mean colour of their input's top rows (the sky).
"""
import glob
import math
import os
import sys

import numpy as np
from PIL import Image
from scipy import ndimage


def load(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 127.5 - 1


def analyse(out, worst=0):
    sq, offset_sq, n = 0.0, 0.0, 0
    near_sq, near_n = 0.0, 0
    per_image = []
    real_means, fake_means = [], []
    for real_path in sorted(glob.glob(os.path.join(out, "results", "images", "*_real.png"))):
        real = load(real_path)
        fake = load(real_path.replace("_real.png", "_fake.png"))
        truth = load(real_path.replace("_real.png", "_truth.png"))
        mask = np.abs(real - truth).max(axis=2) < 1e-6
        if mask.sum() == 0:
            continue
        err = (fake - real)[mask]  # pixels x 3
        near = mask & (ndimage.distance_transform_edt(mask) <= 3)
        near_sq += ((fake - real)[near] ** 2).sum()
        near_n += near.sum() * 3
        mean_err = err.mean(axis=0)
        sq += (err ** 2).sum()
        offset_sq += (mean_err ** 2).sum() * len(err)
        n += err.size
        per_image.append((10 * math.log10(4 / (err ** 2).mean()), os.path.basename(real_path),
                          real[:8].mean(axis=(0, 1))))
        real_means.append(real[mask].mean(axis=0))
        fake_means.append(fake[mask].mean(axis=0))
    if n == 0:
        sys.exit(f"{out}: no images with a background under results/images")
    mse, rest = sq / n, (sq - offset_sq) / n
    r, f = np.array(real_means), np.array(fake_means)
    slopes = []
    for c in range(3):
        x, y = r[:, c] - r[:, c].mean(), f[:, c] - f[:, c].mean()
        slopes.append((x * y).sum() / (x * x).sum())
    print(f"{out}: {len(r)} images, background PSNR {10 * math.log10(4 / mse):.2f} dB, "
          f"per-image colour offset {offset_sq / sq:.0%} of the squared error, "
          f"PSNR without it {10 * math.log10(4 / rest):.2f} dB, "
          f"colour slope R {slopes[0]:.2f} G {slopes[1]:.2f} B {slopes[2]:.2f}, "
          f"within 3 pixels of the animal {near_sq / sq:.0%} of the squared error "
          f"on {near_n / n:.0%} of the background")
    for db, name, sky in sorted(per_image)[:worst]:
        print(f"  {db:5.2f} dB  {name}  sky RGB {sky[0]:+.2f} {sky[1]:+.2f} {sky[2]:+.2f}")


if __name__ == "__main__":
    args, worst = sys.argv[1:], 0
    if args[:1] == ["--worst"] and len(args) > 1:
        worst, args = int(args[1]), args[2:]
    if not args:
        sys.exit(__doc__)
    for out in args:
        analyse(out, worst)
