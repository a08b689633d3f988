#!/usr/bin/python3
# Reference files for semgan's FID and KID (gan/metrics), made with PyTorch,
# torchvision, NumPy and SciPy.
#
# Run from the repository root:
#
#     /usr/bin/python3 testdata/fid/make_golden.py            # every file
#     /usr/bin/python3 testdata/fid/make_golden.py inception  # only some
#
# Needs Debian's python3-torch, python3-torchvision and python3-scipy
# (apt-get install -y python3-torchvision python3-scipy). Everything is CPU
# float32 (float64 for the statistics) with torch.set_num_threads(2) and
# fixed seeds, so two runs write the same bytes.
#
# Cases (see testdata/fid/README.md for every tensor):
#
#   inception  The FID Inception-v3 of pytorch-fid (fid_inception_v3:
#              torchvision's Inception3 with FIDInceptionA/C/E_1/E_2), at
#              1/16 of the channel widths so the files stay small, with
#              random weights and randomised batch-norm statistics:
#              inception_w16.safetensors and inception_w16.pth (the same
#              state dict, as safetensors and as torch.save's legacy format,
#              the format of pytorch-fid's weights file), and
#              inception_w16_io.safetensors: two small images, the output
#              of every block after pytorch-fid's resize to 299x299, and
#              bilinear resize cases.
#   stats      Feature sets and their Frechet distances (pytorch-fid's
#              calculate_frechet_distance, scipy.linalg.sqrtm) and KID
#              values (torch-fidelity's unbiased polynomial MMD):
#              stats.safetensors.
#   bench      Times pytorch-fid's feature extraction of 100 random images
#              at 299x299 at full width with random weights (2 threads),
#              the counterpart of BenchmarkFIDFeatures100 in gan/metrics and
#              the fid_features_100 case of examples/bench. Writes nothing.

import io
import os
import pickle
import pickletools
import struct
import sys
import time
import warnings

import numpy as np
import scipy
import scipy.linalg
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision.models.inception import Inception3, InceptionA, InceptionC, InceptionE, BasicConv2d

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from golden import write_safetensors  # noqa: E402  (testdata/golden.py)

torch.set_num_threads(2)
torch.set_default_dtype(torch.float32)

DIV = 16  # every torchvision width is a multiple of 16


# ---------------------------------------------------------------------------
# pytorch-fid's Inception (pytorch_fid/inception.py), without the download
# ---------------------------------------------------------------------------

class FIDInceptionA(InceptionA):
    """InceptionA block patched for FID computation"""

    def forward(self, x):
        branch1x1 = self.branch1x1(x)

        branch5x5 = self.branch5x5_1(x)
        branch5x5 = self.branch5x5_2(branch5x5)

        branch3x3dbl = self.branch3x3dbl_1(x)
        branch3x3dbl = self.branch3x3dbl_2(branch3x3dbl)
        branch3x3dbl = self.branch3x3dbl_3(branch3x3dbl)

        # Patch: Tensorflow's average pool does not use the padded zero's in
        # its average calculation
        branch_pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        branch_pool = self.branch_pool(branch_pool)

        outputs = [branch1x1, branch5x5, branch3x3dbl, branch_pool]
        return torch.cat(outputs, 1)


class FIDInceptionC(InceptionC):
    """InceptionC block patched for FID computation"""

    def forward(self, x):
        branch1x1 = self.branch1x1(x)

        branch7x7 = self.branch7x7_1(x)
        branch7x7 = self.branch7x7_2(branch7x7)
        branch7x7 = self.branch7x7_3(branch7x7)

        branch7x7dbl = self.branch7x7dbl_1(x)
        branch7x7dbl = self.branch7x7dbl_2(branch7x7dbl)
        branch7x7dbl = self.branch7x7dbl_3(branch7x7dbl)
        branch7x7dbl = self.branch7x7dbl_4(branch7x7dbl)
        branch7x7dbl = self.branch7x7dbl_5(branch7x7dbl)

        # Patch: Tensorflow's average pool does not use the padded zero's in
        # its average calculation
        branch_pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        branch_pool = self.branch_pool(branch_pool)

        outputs = [branch1x1, branch7x7, branch7x7dbl, branch_pool]
        return torch.cat(outputs, 1)


class FIDInceptionE_1(InceptionE):
    """First InceptionE block patched for FID computation"""

    def forward(self, x):
        branch1x1 = self.branch1x1(x)

        branch3x3 = self.branch3x3_1(x)
        branch3x3 = [
            self.branch3x3_2a(branch3x3),
            self.branch3x3_2b(branch3x3),
        ]
        branch3x3 = torch.cat(branch3x3, 1)

        branch3x3dbl = self.branch3x3dbl_1(x)
        branch3x3dbl = self.branch3x3dbl_2(branch3x3dbl)
        branch3x3dbl = [
            self.branch3x3dbl_3a(branch3x3dbl),
            self.branch3x3dbl_3b(branch3x3dbl),
        ]
        branch3x3dbl = torch.cat(branch3x3dbl, 1)

        # Patch: Tensorflow's average pool does not use the padded zero's in
        # its average calculation
        branch_pool = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)
        branch_pool = self.branch_pool(branch_pool)

        outputs = [branch1x1, branch3x3, branch3x3dbl, branch_pool]
        return torch.cat(outputs, 1)


class FIDInceptionE_2(InceptionE):
    """Second InceptionE block patched for FID computation"""

    def forward(self, x):
        branch1x1 = self.branch1x1(x)

        branch3x3 = self.branch3x3_1(x)
        branch3x3 = [
            self.branch3x3_2a(branch3x3),
            self.branch3x3_2b(branch3x3),
        ]
        branch3x3 = torch.cat(branch3x3, 1)

        branch3x3dbl = self.branch3x3dbl_1(x)
        branch3x3dbl = self.branch3x3dbl_2(branch3x3dbl)
        branch3x3dbl = [
            self.branch3x3dbl_3a(branch3x3dbl),
            self.branch3x3dbl_3b(branch3x3dbl),
        ]
        branch3x3dbl = torch.cat(branch3x3dbl, 1)

        # Patch: The FID Inception model uses max pooling instead of average
        # pooling. This is likely an error in this specific Inception
        # implementation, as other Inception models use average pooling here
        # (which matches the description in the paper).
        branch_pool = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        branch_pool = self.branch_pool(branch_pool)

        outputs = [branch1x1, branch3x3, branch3x3dbl, branch_pool]
        return torch.cat(outputs, 1)


def fid_inception_v3():
    """pytorch-fid's fid_inception_v3 without loading its weights."""
    inception = Inception3(num_classes=1008, aux_logits=False, init_weights=False)
    inception.Mixed_5b = FIDInceptionA(192, pool_features=32)
    inception.Mixed_5c = FIDInceptionA(256, pool_features=64)
    inception.Mixed_5d = FIDInceptionA(288, pool_features=64)
    inception.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
    inception.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
    inception.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
    inception.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
    inception.Mixed_7b = FIDInceptionE_1(1280)
    inception.Mixed_7c = FIDInceptionE_2(2048)
    return inception


class FIDFeatures(nn.Module):
    """pytorch-fid's InceptionV3 wrapper with output_blocks=[3] (2048-d
    pool features), resize_input=True, normalize_input=True: its four blocks
    are the stem up to maxpool1, up to maxpool2, Mixed_5b..Mixed_6e, and
    Mixed_7a..avgpool."""

    def __init__(self, inception):
        super().__init__()
        self.inception = inception

    def forward(self, inp):
        x = F.interpolate(inp, size=(299, 299), mode='bilinear', align_corners=False)
        x = 2 * x - 1  # Scale from range (0, 1) to range (-1, 1)
        return self.inception_blocks(x)

    def inception_blocks(self, x):
        i = self.inception
        x = i.Conv2d_1a_3x3(x)
        x = i.Conv2d_2a_3x3(x)
        x = i.Conv2d_2b_3x3(x)
        x = i.maxpool1(x)
        x = i.Conv2d_3b_1x1(x)
        x = i.Conv2d_4a_3x3(x)
        x = i.maxpool2(x)
        for name in ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c",
                     "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"]:
            x = getattr(i, name)(x)
        return i.avgpool(x)


def narrow(model, div):
    """Divides every channel width of every BasicConv2d by div (keeping the 3
    input colours) and shrinks the classifier, leaving the topology and
    torchvision's and pytorch-fid's forward code as they are."""
    for m in model.modules():
        if isinstance(m, BasicConv2d):
            c = m.conv
            cin = 3 if c.in_channels == 3 else c.in_channels // div
            m.conv = nn.Conv2d(cin, c.out_channels // div, kernel_size=c.kernel_size, stride=c.stride,
                               padding=c.padding, bias=False)
            m.bn = nn.BatchNorm2d(c.out_channels // div, eps=0.001)
    # The classifier is not part of FID; a small one keeps its keys in the
    # file, which the Go loader must skip.
    model.fc = nn.Linear(2048 // div, 10)
    return model


def randomise(model, calib):
    """Random convolution weights (He normal), then batch-norm statistics
    measured on calib (so the activations keep a sensible scale through the
    network) and randomly perturbed, and random affine parameters, so that
    no batch norm is the identity."""
    g = torch.Generator().manual_seed(1234)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
            m.weight.data = torch.randn(m.weight.shape, generator=g) * (2.0 / fan_in) ** 0.5
        if isinstance(m, nn.Linear):
            m.weight.data = torch.randn(m.weight.shape, generator=g) * 0.1
            m.bias.data = torch.randn(m.bias.shape, generator=g) * 0.1
        if isinstance(m, nn.BatchNorm2d):
            m.weight.data = torch.rand(m.weight.shape, generator=g) + 0.5
            m.bias.data = torch.randn(m.bias.shape, generator=g) * 0.2
            m.reset_running_stats()
            m.momentum = None  # cumulative averages over the calibration pass
    model.train()
    with torch.no_grad():
        FIDFeatures(model)(calib)
    model.eval()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            sd = m.running_var.sqrt()
            m.running_mean += 0.2 * sd * torch.randn(m.running_mean.shape, generator=g)
            m.running_var *= torch.rand(m.running_var.shape, generator=g) * 1.5 + 0.5
            m.num_batches_tracked.zero_()
    return model


def save_legacy_pth(sd, path):
    """torch.save(sd, path) in the legacy (pre-1.6, non-zip) format, the
    format of pytorch-fid's weights file, made reproducible: the legacy
    writer names each storage by its memory address, a string whose length
    varies from run to run; every such name in the pickles is replaced by a
    six-digit counter (rewriting the string opcodes found by walking the
    pickles, so a name that is a substring of another is not touched), and
    the storage blocks, written in the sorted order of the names, are put in
    the sorted order of the new ones."""
    buf = io.BytesIO()
    torch.save(sd, buf, _use_new_zipfile_serialization=False)
    data = buf.getvalue()
    keys = {}  # old name -> element size, in order of first use
    for t in sd.values():
        keys.setdefault(str(t.storage()._storage._cdata), t.element_size())
    rename = {k: "%06d" % i for i, k in enumerate(keys)}
    head = bytearray()
    pos = 0
    for _ in range(4):  # magic, protocol, system info, the object
        last = pos
        for op, arg, p in pickletools.genops(data[pos:]):
            at = pos + p
            if op.name in ("BINUNICODE", "SHORT_BINUNICODE") and arg in rename:
                head += data[last:at]
                new = rename[arg].encode()
                head += bytes([data[at]]) + (struct.pack("<I", len(new)) if op.name == "BINUNICODE" else bytes([len(new)])) + new
                last = at + (5 if op.name == "BINUNICODE" else 2) + len(arg.encode())
            if op.name == "STOP":
                head += data[last:at + 1]
                pos = at + 1
                break
    f = io.BytesIO(data[pos:])
    old = pickle.load(f)
    pos += f.tell()
    blocks = {}
    for k in old:
        n = struct.unpack_from("<q", data, pos)[0]
        blocks[rename[k]] = data[pos:pos + 8 + n * keys[k]]
        pos += 8 + n * keys[k]
    assert pos == len(data)
    with open(path, "wb") as out:
        out.write(bytes(head))
        out.write(pickle.dumps(sorted(blocks), protocol=2))
        for k in sorted(blocks):
            out.write(blocks[k])
    back = torch.load(path)
    assert list(back) == list(sd) and all(torch.equal(back[k], v) for k, v in sd.items())


def meta(case, **attrs):
    m = {"format": "semgan-golden", "version": "1", "case": case, "torch": torch.__version__,
         "torchvision": torchvision.__version__, "numpy": np.__version__, "scipy": scipy.__version__}
    m.update({k: str(v) for k, v in attrs.items()})
    return m


def inception():
    torch.manual_seed(6)
    model = narrow(fid_inception_v3(), DIV)
    calib = torch.rand(4, 3, 64, 80)  # images in [0, 1], as pytorch-fid takes them
    randomise(model, calib)
    sd = model.state_dict()
    write_safetensors(os.path.join(HERE, "inception_w16.safetensors"),
                      {k: v for k, v in sd.items() if v.dtype == torch.float32},
                      meta("inception_w16", div=DIV, keys=",".join(sd.keys())))
    save_legacy_pth(sd, os.path.join(HERE, "inception_w16.pth"))

    # Two images in [-1, 1] (semgan's range) of an odd size; pytorch-fid
    # takes [0, 1] and maps to [-1, 1] after resizing, so it gets (x+1)/2.
    # The block outputs are kept for the first image (to keep the file
    # small), the features for both.
    x = torch.rand(2, 3, 37, 45) * 2 - 1
    outs = {"x": x}
    keep = ["maxpool1", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c",
            "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool"]
    hooks = [getattr(model, n).register_forward_hook(
        lambda mod, inp, out, n=n: outs.__setitem__("out." + n, out[:1].detach().clone())) for n in keep]
    with torch.no_grad():
        feats = FIDFeatures(model)((x + 1) / 2)
    for h in hooks:
        h.remove()
    outs["features"] = feats.reshape(2, -1)

    # Bilinear resizes (F.interpolate, align_corners=False) up and down.
    torch.manual_seed(7)
    r_up = torch.rand(1, 3, 13, 17) * 2 - 1
    r_down = torch.rand(1, 2, 40, 36) * 2 - 1
    outs.update({
        "resize.up.x": r_up, "resize.up.y": F.interpolate(r_up, size=(29, 31), mode='bilinear', align_corners=False),
        "resize.down.x": r_down, "resize.down.y": F.interpolate(r_down, size=(11, 7), mode='bilinear', align_corners=False),
        "resize.mixed.y": F.interpolate(r_down, size=(53, 5), mode='bilinear', align_corners=False),
    })
    for k, v in outs.items():
        assert torch.isfinite(v).all(), k
        if k.startswith("out."):
            print("%-16s %-18s max|y| %.3g" % (k, list(v.shape), v.abs().max().item()))
    write_safetensors(os.path.join(HERE, "inception_w16_io.safetensors"), outs,
                      meta("inception_w16_io", div=DIV, blocks=",".join(keep)))


# ---------------------------------------------------------------------------
# Frechet distance (pytorch-fid) and KID (torch-fidelity)
# ---------------------------------------------------------------------------

def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch_fid.fid_score.calculate_frechet_distance, returning also
    whether the eps offset was needed."""
    mu1 = np.atleast_1d(mu1)
    mu2 = np.atleast_1d(mu2)
    sigma1 = np.atleast_2d(sigma1)
    sigma2 = np.atleast_2d(sigma2)
    diff = mu1 - mu2
    # Product might be almost singular
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    offset_used = False
    if not np.isfinite(covmean).all():
        offset_used = True
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    # Numerical error might give slight imaginary component
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            m = np.max(np.abs(covmean.imag))
            raise ValueError('Imaginary component {}'.format(m))
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean, offset_used


def frechet_exact(x, y):
    """The same distance with tr sqrtm(S1 S2) as the sum of the square roots
    of the eigenvalues of S1^1/2 S2 S1^1/2 (symmetric, so eigh is accurate
    even for singular covariances)."""
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    w, v = np.linalg.eigh(s1)
    r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = r @ s2 @ r
    lam = np.linalg.eigvalsh((m + m.T) / 2)
    d = x.mean(0) - y.mean(0)
    return d @ d + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(lam, 0, None)).sum()


def frechet_svd(x, y):
    """The same distance with tr sqrtm(S1 S2) as the sum of the singular
    values of A B^T, A and B the centred samples over sqrt(N-1) (S1 = A^T A,
    S2 = B^T B): zero eigenvalues of S1 S2 appear as singular values near
    1e-16 rather than as square roots of round-off near 1e-8, so this is the
    most accurate of the three for rank-deficient covariances."""
    a = (x - x.mean(0)) / np.sqrt(len(x) - 1)
    b = (y - y.mean(0)) / np.sqrt(len(y) - 1)
    d = x.mean(0) - y.mean(0)
    return d @ d + (a * a).sum() + (b * b).sum() - 2 * np.linalg.svd(a @ b.T, compute_uv=False).sum()


def polynomial_mmd(f1, f2, degree=3, gamma=None, coef0=1):
    """torch_fidelity.metric_kid.mmd2 with its polynomial kernel: the
    unbiased MMD^2 of two equally large samples."""
    if gamma is None:
        gamma = 1.0 / f1.shape[1]
    k11 = (f1 @ f1.T * gamma + coef0) ** degree
    k22 = (f2 @ f2.T * gamma + coef0) ** degree
    k12 = (f1 @ f2.T * gamma + coef0) ** degree
    m = f1.shape[0]
    value = (k11.sum() - np.diag(k11).sum() + k22.sum() - np.diag(k22).sum()) / (m * (m - 1))
    value -= 2 * k12.sum() / (m ** 2)
    return value


def mmd_general(x, y):
    """Unbiased MMD^2 for samples of different sizes m and n (Bińkowski et
    al., Demystifying MMD GANs, eq. 2 with the cubic polynomial kernel)."""
    d = x.shape[1]
    k = lambda a, b: (a @ b.T / d + 1) ** 3  # noqa: E731
    m, n = len(x), len(y)
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    return ((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
            - 2 * kxy.sum() / (m * n))


def stats():
    rng = np.random.RandomState(2024)
    d = 32

    def gauss(n, shift, scale, rank=None):
        basis = rng.randn(d if rank is None else rank, d) * scale / np.sqrt(d)
        z = rng.randn(n, basis.shape[0])
        return (z @ basis + shift).astype(np.float32)

    sets = {
        # Full-rank covariances, more samples than dimensions.
        "a": gauss(150, 0.0, 1.0),
        "b": gauss(100, 0.3, 1.3),
        # Fewer samples than dimensions: rank 19 and 24 of 32.
        "c": gauss(20, 0.1, 1.0),
        "d": gauss(25, -0.2, 0.8),
        # Many samples in a 10-dimensional subspace: rank 10 of 32.
        "e": gauss(150, 0.5, 2.0, rank=10),
        "f": gauss(120, 0.0, 1.0, rank=10),
    }
    tensors = {"feat." + k: torch.from_numpy(v) for k, v in sets.items()}
    attrs = {}
    for a, b in [("a", "b"), ("c", "d"), ("e", "f"), ("a", "e"), ("c", "a")]:
        x, y = sets[a].astype(np.float64), sets[b].astype(np.float64)
        mu1, mu2 = x.mean(0), y.mean(0)
        s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fid, offset = calculate_frechet_distance(mu1, s1, mu2, s2)
        exact = frechet_exact(x, y)
        svd = frechet_svd(x, y)
        print("fid %s %s: pytorch-fid %.12g (offset %s), eigen route %.12g, svd route %.12g"
              % (a, b, fid, offset, exact, svd))
        attrs["fid_svd.%s.%s" % (a, b)] = repr(float(svd))
        attrs["fid.%s.%s" % (a, b)] = repr(float(fid))
        attrs["fid.%s.%s.offset" % (a, b)] = str(offset).lower()
        attrs["fid_exact.%s.%s" % (a, b)] = repr(float(exact))
        attrs["rank.%s" % a] = str(np.linalg.matrix_rank(s1))
        attrs["rank.%s" % b] = str(np.linalg.matrix_rank(s2))
        attrs["mmd.%s.%s" % (a, b)] = repr(float(mmd_general(x, y)))

    # KID over explicit subsets of equal size, as torch-fidelity draws them.
    x, y = sets["a"].astype(np.float64), sets["b"].astype(np.float64)
    subsets, size = 6, 30
    ix = np.stack([rng.choice(len(x), size, replace=False) for _ in range(subsets)])
    iy = np.stack([rng.choice(len(y), size, replace=False) for _ in range(subsets)])
    mmds = np.array([polynomial_mmd(x[ix[i]], y[iy[i]]) for i in range(subsets)])
    tensors["kid.idx.a"] = torch.from_numpy(ix.astype(np.float32))
    tensors["kid.idx.b"] = torch.from_numpy(iy.astype(np.float32))
    attrs["kid.mmds"] = ",".join(repr(float(v)) for v in mmds)
    attrs["kid.mean"] = repr(float(mmds.mean()))
    attrs["kid.std"] = repr(float(mmds.std()))
    # torch-fidelity's estimator and the general one agree for equal sizes.
    assert abs(polynomial_mmd(x[:100], y) - mmd_general(x[:100], y)) < 1e-9
    attrs["mmd_equal.a100.b"] = repr(float(polynomial_mmd(x[:100], y)))
    print("kid a b over %d subsets of %d: %.9g +- %.3g" % (subsets, size, mmds.mean(), mmds.std()))
    write_safetensors(os.path.join(HERE, "stats.safetensors"), tensors, meta("fid_stats", **attrs))


def bench():
    torch.manual_seed(0)
    model = FIDFeatures(fid_inception_v3()).eval()
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
            nn.init.normal_(m.weight, 0, (2.0 / fan_in) ** 0.5)
    x = torch.rand(100, 3, 299, 299)
    with torch.no_grad():
        model(x[:4])  # warm-up
        t0 = time.perf_counter()
        for i in range(0, 100, 16):
            model(x[i:i + 16])
        dt = time.perf_counter() - t0
    print("pytorch-fid features of 100 images at 299x299, batch 16, %d threads: %.2f s" % (torch.get_num_threads(), dt))


def main():
    cases = {"inception": inception, "stats": stats, "bench": bench}
    only = sys.argv[1:] or ["inception", "stats"]
    for name in only:
        if name not in cases:
            sys.exit("no case %s (have %s)" % (name, ", ".join(cases)))
        cases[name]()
    total = 0
    for f in sorted(os.listdir(HERE)):
        if f.endswith((".safetensors", ".pth")):
            sz = os.path.getsize(os.path.join(HERE, f))
            total += sz
            print("%8d  %s" % (sz, f))
    print("%8d  total bytes (%.2f MiB)" % (total, total / 2.0 ** 20))


if __name__ == "__main__":
    main()
