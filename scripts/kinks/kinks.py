#!/usr/bin/python3
"""Where float32 gradients of the full-size generator leave float64's.

For each seed: PyTorch builds the official CycleGAN generator (ngf 64, 9
blocks) with its default initialisation, one 64x64 image x in [-1, 1) and
loss weights r ~ N(0, 1); semgan computes the gradients of sum(G(x)*r) in
float32 (both builds: assembly and -tags noasm); each is compared with
PyTorch float64, first as is, then with the ReLU input nearest 0 sent down
its other branch, for each of the NEAREST inputs nearest 0 and each pair
of them (a pair's effect taken as the sum of the two). Prints, per seed and
build, the worst gradient's error max|g - ref| / max|ref| (biases before
instance norm, whose gradient is 0, are left out) as is and with the flips
that fit best, naming those inputs.

    /usr/bin/python3 scripts/kinks/kinks.py [SEED ...]   # from the repo root

Needs Debian's python3-torch and Go.
"""
import itertools
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "testdata"))
sys.argv, args = sys.argv[:1], sys.argv[1:]
import golden as G  # noqa: E402

torch.set_num_threads(2)
NEAREST = 8


def read(path):
    import json
    import struct
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    out = {}
    for k, v in json.loads(b[8:8 + n]).items():
        if k != "__metadata__":
            s, e = v["data_offsets"]
            out[k] = torch.from_numpy(np.frombuffer(b[8 + n + s:8 + n + e], dtype="<f4").copy()).view(v["shape"])
    return out


def reference(state, x, r, flip=None):
    m = G.ResnetGenerator(3, 3, 64, n_blocks=9)
    m.load_state_dict(state)
    m = m.double()
    acts = G.with_kink_acts(m)
    if flip:
        acts[flip[0]].flip = [flip[1]]
    xi = x.double().requires_grad_(True)
    y = m(xi)
    names = [n for n, _ in m.named_parameters()]
    gs = torch.autograd.grad((y * r.double()).sum(), [xi] + [p for _, p in m.named_parameters()])
    ref = {"dx": gs[0]}
    ref.update({"grad." + n: g for n, g in zip(names, gs[1:])})
    near = []
    for n, a in acts.items():
        v = a.seen.flatten().abs()
        near += [(float(v[i]), n, int(i)) for i in torch.topk(v, NEAREST, largest=False).indices]
    return ref, sorted(near)[:NEAREST], set(G.zero_grad_keys(m))


def worst(got, ref, skip):
    """The worst gradient's error and its key."""
    e = {k: float((got[k].double() - ref[k]).abs().max() / ref[k].abs().max()) for k in ref if k not in skip}
    k = max(e, key=e.get)
    return e[k], k


def moved(ref, flipped, fs):
    """ref moved by the flips fs (indices into flipped), added up."""
    return {k: ref[k] + sum(flipped[f][k] - ref[k] for f in fs) for k in ref}


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with tempfile.TemporaryDirectory() as tmp:
        bins = {}
        for build, tags in [("asm", []), ("noasm", ["-tags", "noasm"])]:
            bins[build] = os.path.join(tmp, "kinks-" + build)
            subprocess.run(["go", "build"] + tags + ["-o", bins[build], "./scripts/kinks"], cwd=root, check=True)
        for seed in [int(a) for a in args] or [1, 2, 3, 4]:
            torch.manual_seed(seed)
            m = G.ResnetGenerator(3, 3, 64, n_blocks=9)
            x = torch.rand(1, 3, 64, 64) * 2 - 1
            r = torch.randn(1, 3, 64, 64)
            w, xr, out = (os.path.join(tmp, f) for f in ("w.safetensors", "xr.safetensors", "g.safetensors"))
            G.write_safetensors(w, m.state_dict(), {})
            G.write_safetensors(xr, {"x": x, "r": r}, {})
            ref, near, skip = reference(m.state_dict(), x, r)
            flipped = [reference(m.state_dict(), x, r, (act, i))[0] for _, act, i in near]
            print("seed %d: ReLU inputs nearest 0: %s" % (
                seed, ", ".join("%s[%d] %.1e" % (a, i, v) for v, a, i in near[:3])))
            for build, b in bins.items():
                subprocess.run([b, w, xr, out], check=True)
                got = read(out)
                e, k = worst(got, ref, skip)
                sets = [()] + [(f,) for f in range(len(near))] + list(itertools.combinations(range(len(near)), 2))
                (ef, kf), fs = min((worst(got, moved(ref, flipped, fs), skip), fs) for fs in sets)
                print("  %-5s worst gradient %.1e (%s); with %s flipped %.1e (%s)" % (
                    build, e, k, " and ".join("%s[%d] (%.1e)" % (near[f][1], near[f][2], near[f][0]) for f in fs)
                    or "nothing", ef, kf))


if __name__ == "__main__":
    main()
