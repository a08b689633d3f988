#!/usr/bin/env python3
"""PyTorch at its best on the GPU, beside kernels-cuda.test's benchmarks
(scripts/gpu-check.sh copies this file next to it). Every case runs in
three precisions, as a user would set them:

  fp32  torch.backends.{cuda.matmul,cudnn}.allow_tf32 = False
  tf32  both True (PyTorch's default for convolutions)
  bf16  torch.autocast("cuda", torch.bfloat16), TF32 allowed for the rest

with cudnn.benchmark on, and attention through
torch.nn.functional.scaled_dot_product_attention (its flash and
memory-efficient kernels) instead of bmm + softmax: the SAGAN block of
testdata/golden.py is patched to call it. The cases and their names are
those of the Go benchmarks (Benchmark<name>/<precision>):

  Sgemm4096                  C = A B, 4096^3
  Conv3x3_256_64/fwd         3x3 convolution 256 -> 256 channels, 8 x 64x64
  Conv3x3_256_64/fwdbwd      the same, forward and both gradients
  Attention256               attention over 65,536 positions, Dk 8, Dv 64,
                             forward and backward
  GeneratorInfer256          the paper's generator, one 256x256 image
  TrainIter256Batch8         a paper training iteration, 8 images per domain

Prints one JSON object per line: {"name", "precision", "seconds"} (median
of 5 after warm-up) or {"name", "precision", "error"}.
"""
import contextlib
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch", "scripts"))
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import bench_torch as bt  # noqa: E402
import golden  # noqa: E402  (bench_torch puts testdata on the path)


def sdpa_self_attention(self, x):
    """golden.SelfAttention.forward with the product and softmax fused by
    scaled_dot_product_attention (scale 1, as the SAGAN block has)."""
    B, C, H, W = x.shape
    N = H * W
    q = self.g(x).view(B, -1, N).transpose(1, 2)  # [B, N, Dk]
    k = self.f(x).view(B, -1, N).transpose(1, 2)
    v = self.h(x).view(B, C, N).transpose(1, 2)   # [B, N, C]
    o = F.scaled_dot_product_attention(q, k, v, scale=1.0)
    o = o.transpose(1, 2).reshape(B, C, H, W)
    if self.v is not None:
        o = self.v(o)
    return self.gamma * o + x


golden.SelfAttention.forward = sdpa_self_attention


def precision(name):
    """Sets PyTorch's flags for precision name and returns the context the
    case runs in."""
    tf32 = name != "fp32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    if name == "bf16":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def timed(run, reps=5):
    run()
    run()
    torch.cuda.synchronize()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        torch.cuda.synchronize()
        ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]


def rand(*shape, grad=False):
    return (torch.rand(*shape, device="cuda") * 2 - 1).requires_grad_(grad)


def sgemm():
    a, b = rand(4096, 4096), rand(4096, 4096)
    return lambda: a @ b


def conv(backward):
    def setup():
        m = torch.nn.Conv2d(256, 256, 3, padding=1, bias=False).cuda()
        x = rand(8, 256, 64, 64, grad=backward)
        if not backward:
            return lambda: m(x)
        dy = rand(8, 256, 64, 64)
        return lambda: m(x).backward(dy)
    return setup


def attention():
    q, k = rand(1, 65536, 8, grad=True), rand(1, 65536, 8, grad=True)
    v = rand(1, 65536, 64, grad=True)
    do = rand(1, 65536, 64)
    return lambda: F.scaled_dot_product_attention(q, k, v, scale=1.0).backward(do)


def gen_infer():
    g = bt.Generator(64, 9, "up2")
    bt.init_normal(g)
    with torch.no_grad():
        g.attn.gamma.fill_(0.5)
    g.cuda()
    x = rand(1, 3, 256, 256)

    def run():
        with torch.no_grad():
            g(x)
    return run


def train_iter():
    tr = bt.Trainer("up2")
    for net in (tr.GA, tr.GB, tr.DA, tr.DB):
        net.cuda()  # in place: the optimisers keep their parameters
    a, b = rand(8, 3, 256, 256), rand(8, 3, 256, 256)
    return lambda: tr.step(a, b)


CASES = [
    ("Sgemm4096", sgemm),
    ("Conv3x3_256_64/fwd", conv(False)),
    ("Conv3x3_256_64/fwdbwd", conv(True)),
    ("Attention256", attention),
    ("GeneratorInfer256", gen_infer),
    ("TrainIter256Batch8", train_iter),
]


def main():
    torch.backends.cudnn.benchmark = True
    print(json.dumps({"name": "device", "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}))
    only = sys.argv[1:]
    for name, setup in CASES:
        if only and not any(name.startswith(o) for o in only):
            continue
        for prec in ("fp32", "tf32", "bf16"):
            row = {"name": name, "precision": prec}
            try:
                with precision(prec):
                    row["seconds"] = timed(setup())
            except RuntimeError as e:  # out of memory among others
                row["error"] = str(e).splitlines()[0][:200]
            print(json.dumps(row), flush=True)
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
