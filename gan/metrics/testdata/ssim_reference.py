#!/usr/bin/python3
"""Reference SSIM values for ssim_test.go (TestSSIMMatchesScikitImage).

Rerun with Debian's scikit-image (apt-get install -y python3-skimage):

    /usr/bin/python3 gan/metrics/testdata/ssim_reference.py

and paste the printed lines into ssimReference in ssim_test.go. The test images are
built from closed formulas that the Go test evaluates the same way: each value is
computed in float64 and rounded to float32, as the Go test does.
"""
import math

import numpy as np
import skimage
from skimage.metrics import structural_similarity


def make(c, h, w, f):
    """A float32 C x H x W image with values f(c, i, j)."""
    img = np.empty((c, h, w), dtype=np.float32)
    for ch in range(c):
        for i in range(h):
            for j in range(w):
                img[ch, i, j] = f(float(ch), float(i), float(j))
    return img


def f1(c, i, j):
    return math.sin(0.3 * i + 0.7 * c) * math.cos(0.2 * j - 0.5 * c)


def f2(c, i, j):
    return 0.7 * f1(c, i, j) + 0.3 * math.sin(0.9 * i + 0.4 * j + c)


def f3(c, i, j):
    return 0.9 * math.cos(0.11 * i * j + 0.3 * c)


def f4(c, i, j):
    return 0.8 * math.sin(0.5 * j)


def f5(c, i, j):
    return 0.8 * math.sin(0.5 * j + 0.6) + 0.1 * math.cos(0.7 * i)


# name, channels, height, width, image a, image b (the Go test's table, same order)
CASES = [
    ("smooth_vs_mixed", 3, 32, 40, f1, f2),
    ("smooth_vs_cos", 3, 24, 17, f1, f3),
    ("gray_stripes_shifted", 1, 64, 48, f4, f5),
]


def ssim(a, b):
    """scikit-image SSIM of two [-1, 1] CHW images mapped to [0, 255]."""
    a = (a.astype(np.float64) + 1) * 127.5
    b = (b.astype(np.float64) + 1) * 127.5
    kw = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    if a.shape[0] == 1:
        return structural_similarity(a[0], b[0], **kw)
    return structural_similarity(np.moveaxis(a, 0, -1), np.moveaxis(b, 0, -1), channel_axis=-1, **kw)


print("# scikit-image", skimage.__version__, "numpy", np.__version__)
for name, c, h, w, fa, fb in CASES:
    print('{"%s", %.15f},' % (name, ssim(make(c, h, w, fa), make(c, h, w, fb))))
