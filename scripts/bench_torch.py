#!/usr/bin/python3
"""PyTorch side of semgan's CPU benchmark: the cases of examples/bench.

Usage (from the repository root):

    /usr/bin/python3 scripts/bench_torch.py                       # every case
    /usr/bin/python3 scripts/bench_torch.py -cases 'sgemm|conv' -reps 9
    /usr/bin/python3 scripts/bench_torch.py -json out.json        # also JSON
    /usr/bin/python3 scripts/bench_torch.py --no-flush-denormal   # FTZ off
    /usr/bin/python3 scripts/bench_torch.py -list                 # names, FLOPs
    /usr/bin/python3 scripts/bench_torch.py --precision bf16 -cases 'sgemm_2048|conv3x3'

Needs Debian's CPU PyTorch 1.13 (python3-torch); matmul goes through
OpenBLAS when libopenblas0-pthread is installed. Runs on the CPU with
torch.set_num_threads(2) (-threads) and, unless --no-flush-denormal, with
denormals flushed to zero.

OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE when it loads; some
machines set them to force an older kernel (Haswell on an AVX-512 host),
which makes PyTorch look slower than it is. So unless --keep-openblas-env
the script runs itself again without them before importing torch, and it
prints the OpenBLAS core it runs and the CPU's vector extensions.

--isa avx2 limits PyTorch to the AVX2 kernels of all three libraries it
runs (ATEN_CPU_CAPABILITY=avx2, DNNL_MAX_CPU_ISA=AVX2,
OPENBLAS_CORETYPE=Haswell), set the same way before torch loads: the
counterpart of semgan's SEMGAN_CPU_KERNELS=avx2, for comparing the AVX2
code of both on a host that has AVX-512.

--precision bf16 runs every timed repetition (and the warm-up) under
torch.autocast("cpu", dtype=torch.bfloat16): PyTorch's mixed precision on
the CPU, whose matmul and convolutions take bfloat16 copies of their
float32 operands (oneDNN's kernels; AVX512_BF16 where the CPU has it) and
accumulate in float32, as examples/bench -precision bf16 does. Set-up and
data stay float32. fp32, the default, runs without autocast.

Each case is built once, run -warmup times untimed, then -reps times; the
reported time is the median. -json writes, atomically,
[{"name", "seconds", "gflops", "peak_rss_bytes"}, ...] like examples/bench.
Peak RSS per case: gc.collect(), reset the kernel's high-water mark by
writing "5" to /proc/self/clear_refs, run the case, read VmHWM from
/proc/self/status; without clear_refs, getrusage's lifetime maximum.

The networks are those of testdata/golden.py (official CycleGAN
ResnetGenerator, PatchGAN, SAGAN self-attention), at full size, and the
training iteration is gan.Trainer.TrainStep's: both generators, both
discriminators, LSGAN, cycle L1 (lambda 10), identity L1 (0.5 * lambda),
semantic L1 between encoder features, image pools of 50, Adam (0.5, 0.999)
with the paper preset's TTUR rates. FLOP counts are those of
examples/bench/cases.go.
"""

import argparse
import gc
import itertools
import json
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time

# --isa avx2 limits every library under torch to AVX2 and FMA: ATen's own
# kernels, oneDNN's (convolutions) and OpenBLAS's (matmul). Each reads its
# variable once, when it loads.
ISA_LIMITS = {"avx2": {"ATEN_CPU_CAPABILITY": "avx2", "DNNL_MAX_CPU_ISA": "AVX2", "OPENBLAS_CORETYPE": "Haswell"}}


def _wanted_env(argv):
    """The environment torch must load in, for these arguments: without
    OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (unless --keep-openblas-env),
    with the limits of --isa."""
    env = dict(os.environ)
    if "--keep-openblas-env" not in argv:
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    isa = [a.split("=", 1)[1] for a in argv if a.startswith(("--isa=", "-isa="))]
    isa += [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("--isa", "-isa")]
    for name in isa:
        env.update(ISA_LIMITS.get(name, {}))  # argparse rejects the others
    return env


# Before torch loads its libraries, run again in the environment they must see.
_env = _wanted_env(sys.argv[1:])
if _env != dict(os.environ):
    os.execve(sys.executable, [sys.executable] + sys.argv, _env)

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # leave no __pycache__ in testdata/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata"))
import golden  # noqa: E402  (the reference networks)


# ---------------------------------------------------------------------------
# FLOP counts: the same as examples/bench/cases.go. A multiply-add is 2 FLOPs,
# only the products are counted, backward = 2x forward so fwd+bwd = 3x.
# ---------------------------------------------------------------------------

def gemm_flops(m, n, k):
    return 2.0 * m * n * k


def conv_flops(cin, cout, kh, kw, hout, wout):
    """Forward convolution; for a transposed one pass its input size."""
    return 2.0 * cout * cin * kh * kw * hout * wout


def attn_flops(c, n):
    """SAGAN block forward: 1x1 convs to C/8, C/8, C, then Q^T K and V P^T."""
    dk = c // 8
    return 2.0 * n * c * (dk + dk + c) + 2.0 * n * n * dk + 2.0 * n * n * c


def fwd_bwd(f):
    return 3.0 * f


# ---------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------

ATTENTION_PLACES = ("none", "res", "up1", "up2")


class Generator(nn.Module):
    """golden.ResnetGenerator split into encoder and decoder, with an
    optional SAGAN block (no output conv) as gan.Generator places it: "res"
    after the residual blocks, "up1" after the first upsampling, "up2" after
    the last one."""

    def __init__(self, ngf=64, n_blocks=9, attention="none"):
        super().__init__()
        self.model = golden.ResnetGenerator(3, 3, ngf, n_blocks).model
        self.encoder_end = 4 + 3 * 2 + n_blocks
        place = ATTENTION_PLACES.index(attention)
        self.attn_at = self.encoder_end + 3 * (place - 1)
        self.attn = None
        if place > 0:
            self.attn = golden.SelfAttention({1: 4 * ngf, 2: 2 * ngf, 3: ngf}[place])

    def encode(self, x):
        for layer in self.model[:self.encoder_end]:
            x = layer(x)
        return x

    def decode(self, h):
        for i in range(self.encoder_end, len(self.model)):
            if self.attn is not None and i == self.attn_at:
                h = self.attn(h)
            h = self.model[i](h)
        return h

    def forward(self, x):
        return self.decode(self.encode(x))


def init_normal(net, std=0.02):
    """CycleGAN's init_weights(net, "normal", 0.02), as nn.InitNormal: conv
    weights from N(0, std^2), biases 0; SAGAN's gamma is left alone."""
    def f(m):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight.data, 0.0, std)
            if m.bias is not None:
                nn.init.constant_(m.bias.data, 0.0)
    net.apply(f)


class ImagePool:
    """CycleGAN's image pool (util/image_pool.py)."""

    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, images):
        if self.size == 0:
            return images
        out = []
        for img in images:
            img = img.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif random.uniform(0, 1) > 0.5:
                j = random.randint(0, self.size - 1)
                out.append(self.images[j].clone())
                self.images[j] = img.clone()
            else:
                out.append(img)
        return torch.cat(out, 0)


def set_requires_grad(nets, on):
    for net in nets:
        for p in net.parameters():
            p.requires_grad = on


def mse_to(pred, target):
    return F.mse_loss(pred, torch.full_like(pred, target))


class Trainer:
    """The "paper" preset of gan.Config: NGF 64, NDF 64, 9 blocks, 3-layer
    PatchGAN, lambda cycle 10, identity 0.5, semantic 1, Adam (0.5, 0.999),
    LR G 1e-3 and D 2e-3, pools of 50, one D step per G step."""

    def __init__(self, attention, ngf=64, ndf=64, n_blocks=9):
        self.lambda_cycle, self.lambda_idt, self.lambda_sem = 10.0, 0.5, 1.0
        self.GA, self.GB = Generator(ngf, n_blocks, attention), Generator(ngf, n_blocks, attention)
        self.DA, self.DB = golden.NLayerDiscriminator(3, ndf, 3), golden.NLayerDiscriminator(3, ndf, 3)
        for net in (self.GA, self.GB, self.DA, self.DB):
            init_normal(net)
        self.opt_g = torch.optim.Adam(itertools.chain(self.GA.parameters(), self.GB.parameters()),
                                      lr=1e-3, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(itertools.chain(self.DA.parameters(), self.DB.parameters()),
                                      lr=2e-3, betas=(0.5, 0.999))
        self.pool_a, self.pool_b = ImagePool(50), ImagePool(50)

    def step(self, a, b):
        # Generators: fool the frozen discriminators, close both cycles, keep
        # identities and the encoder semantics.
        set_requires_grad([self.DA, self.DB], False)
        self.opt_g.zero_grad(set_to_none=True)
        h_a = self.GA.encode(a)
        fake_b = self.GA.decode(h_a)
        h_fake_b = self.GB.encode(fake_b)
        rec_a = self.GB.decode(h_fake_b)
        h_b = self.GB.encode(b)
        fake_a = self.GB.decode(h_b)
        h_fake_a = self.GA.encode(fake_a)
        rec_b = self.GA.decode(h_fake_a)
        w_idt = self.lambda_cycle * self.lambda_idt
        terms = [
            mse_to(self.DA(fake_b), 1.0),
            mse_to(self.DB(fake_a), 1.0),
            F.l1_loss(rec_a, a) * self.lambda_cycle,
            F.l1_loss(rec_b, b) * self.lambda_cycle,
            F.l1_loss(self.GA(b), b) * w_idt,
            F.l1_loss(self.GB(a), a) * w_idt,
            (F.l1_loss(h_a, h_fake_b) + F.l1_loss(h_b, h_fake_a)) * self.lambda_sem,
        ]
        loss_g = sum(terms[1:], terms[0])
        losses = [t.item() for t in terms]
        loss_g.backward()
        self.opt_g.step()
        set_requires_grad([self.DA, self.DB], True)

        # Discriminators: real towards 1, pooled fakes towards 0, halved.
        self.opt_d.zero_grad(set_to_none=True)
        pooled_b = self.pool_b.query(fake_b.detach())
        pooled_a = self.pool_a.query(fake_a.detach())
        loss_da = 0.5 * (mse_to(self.DA(b), 1.0) + mse_to(self.DA(pooled_b), 0.0))
        loss_db = 0.5 * (mse_to(self.DB(a), 1.0) + mse_to(self.DB(pooled_a), 0.0))
        (loss_da + loss_db).backward()
        self.opt_d.step()
        losses += [loss_da.item(), loss_db.item()]
        if not all(map(lambda v: v == v and abs(v) != float("inf"), losses)):
            raise RuntimeError("loss is not finite: %r" % losses)


# ---------------------------------------------------------------------------
# Cases: name, FLOPs (0 = undefined), setup() -> run
# ---------------------------------------------------------------------------

def sgemm_case(n):
    def setup():
        a = torch.rand(n, n) * 2 - 1
        b = torch.rand(n, n) * 2 - 1
        c = torch.empty(n, n)

        def run():
            if torch.is_autocast_cpu_enabled():
                # out= is not eligible for autocast: the product would stay
                # float32. Under autocast the result is bfloat16.
                torch.matmul(a, b)
            else:
                torch.matmul(a, b, out=c)
        return run
    return setup


def forward_backward(m, x, dy):
    y = m(x)
    y.backward(dy)
    x.grad = None
    m.zero_grad(set_to_none=True)


def conv_case(transposed, backward):
    """Conv2d 256->256 3x3 pad 1, or ConvTranspose2d 256->128 k3 s2 p1 op1,
    on 1x256x64x64, with bias as in examples/bench."""
    def setup():
        if transposed:
            layer = nn.ConvTranspose2d(256, 128, 3, stride=2, padding=1, output_padding=1)
        else:
            layer = nn.Conv2d(256, 256, 3, padding=1)
        x = torch.randn(1, 256, 64, 64)
        if not backward:
            def run():
                with torch.no_grad():
                    layer(x)
            return run
        x.requires_grad_(True)
        with torch.no_grad():
            dy = torch.randn_like(layer(x))
        return lambda: forward_backward(layer, x, dy)
    return setup


def attn_case(c, size):
    """golden.SelfAttention (SAGAN: f, g to C/8, h to C, gamma) with gamma 0.5."""
    def setup():
        m = golden.SelfAttention(c)
        with torch.no_grad():
            m.gamma.fill_(0.5)
        x = torch.randn(1, c, size, size, requires_grad=True)
        dy = torch.randn(1, c, size, size)
        return lambda: forward_backward(m, x, dy)
    return setup


def gen_infer_case(attention, size):
    """Official CycleGAN generator (NGF 64, 9 blocks), N(0, 0.02) weights,
    attention gamma 0.5, one 3 x size x size image without autograd."""
    def setup():
        g = Generator(64, 9, attention)
        init_normal(g)
        if g.attn is not None:
            with torch.no_grad():
                g.attn.gamma.fill_(0.5)
        x = torch.rand(1, 3, size, size) * 2 - 1

        def run():
            with torch.no_grad():
                g(x)
        return run
    return setup


def train_case(attention, size):
    def setup():
        tr = Trainer(attention)
        a = torch.rand(1, 3, size, size) * 2 - 1
        b = torch.rand(1, 3, size, size) * 2 - 1
        return lambda: tr.step(a, b)
    return setup


def fid_features_case():
    """pytorch-fid's Inception (as testdata/fid/make_golden.py builds it;
    needs python3-torchvision) on 100 random 3x299x299 images in [0, 1], 16
    per batch, random He-normal weights: examples/bench's fid_features_100."""
    def setup():
        import importlib.util
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "fid", "make_golden.py")
        spec = importlib.util.spec_from_file_location("fid_golden", path)
        fid = importlib.util.module_from_spec(spec)
        threads = torch.get_num_threads()
        spec.loader.exec_module(fid)
        torch.set_num_threads(threads)  # the module sets 2
        model = fid.FIDFeatures(fid.fid_inception_v3()).eval()
        for m in model.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, (2.0 / (m.in_channels * m.kernel_size[0] * m.kernel_size[1])) ** 0.5)
        x = torch.rand(100, 3, 299, 299)

        def run():
            with torch.no_grad():
                for i in range(0, 100, 16):
                    model(x[i:i + 16])
        return run
    return setup


CASES = [
    ("sgemm_2048", gemm_flops(2048, 2048, 2048), sgemm_case(2048)),
    ("sgemm_4096", gemm_flops(4096, 4096, 4096), sgemm_case(4096)),
    ("conv3x3_256_64_fwd", conv_flops(256, 256, 3, 3, 64, 64), conv_case(False, False)),
    ("conv3x3_256_64_fwdbwd", fwd_bwd(conv_flops(256, 256, 3, 3, 64, 64)), conv_case(False, True)),
    ("convT_256_128_64_fwdbwd", fwd_bwd(conv_flops(256, 128, 3, 3, 64, 64)), conv_case(True, True)),
    ("attn_256_64_fwdbwd", fwd_bwd(attn_flops(256, 64 * 64)), attn_case(256, 64)),
    ("gen_infer_256_cyclegan", 0.0, gen_infer_case("none", 256)),
    ("gen_infer_256_paper_res", 0.0, gen_infer_case("res", 256)),
    ("train_iter_128_paper_res", 0.0, train_case("res", 128)),
    ("train_iter_256_paper_res", 0.0, train_case("res", 256)),
    ("train_iter_256_paper_up2", 0.0, train_case("up2", 256)),
    ("fid_features_100", 100 * 11.422336192e9, fid_features_case()),  # convolutions only
]


# ---------------------------------------------------------------------------
# Peak RSS
# ---------------------------------------------------------------------------

def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def read_hwm():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def rusage_peak():
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb if sys.platform == "darwin" else kb * 1024


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------

def under_precision(run, precision):
    """run, called under bf16 autocast on the CPU for "bf16"."""
    if precision == "fp32":
        return run

    def autocast_run():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return run()
    return autocast_run


def run_case(name, flops, setup, reps, warmup, clear_refs, precision="fp32"):
    gc.collect()
    if clear_refs:
        reset_hwm()
    run = under_precision(setup(), precision)
    for _ in range(warmup):
        run()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    sec = statistics.median(times)
    peak = read_hwm() if clear_refs else rusage_peak()
    del run
    gc.collect()
    return {"name": name, "seconds": sec, "gflops": flops / sec / 1e9 if flops > 0 and sec > 0 else 0.0,
            "peak_rss_bytes": peak}, times


def write_json(path, results):
    """Writes results to path atomically: temp file in the same directory,
    fsync, rename."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def print_table(results, times):
    if not results:
        return
    width = max([len("case")] + [len(r["name"]) for r in results])
    print("%-*s  %10s  %10s  %10s  %8s  %12s" % (width, "case", "median s", "min s", "max s", "GFLOP/s", "peak RSS MiB"))
    for r in results:
        t = times[r["name"]]
        gf = "%.1f" % r["gflops"] if r["gflops"] > 0 else "-"
        rss = "%.0f" % (r["peak_rss_bytes"] / 2.0 ** 20) if r["peak_rss_bytes"] > 0 else "-"
        print("%-*s  %10.4g  %10.4g  %10.4g  %8s  %12s" % (width, r["name"], r["seconds"], min(t), max(t), gf, rss))


def host_line():
    """The CPU model, its vector extensions and the OpenBLAS core loaded."""
    model, flags = "unknown CPU", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k.strip() == "model name":
                    model = v.strip()
                elif k.strip() == "flags":
                    flags = set(v.split())
                    break
    except OSError:
        pass
    ext = [e for e in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16")
           if e in flags]
    core = "OpenBLAS not loaded"
    try:
        import ctypes
        with open("/proc/self/maps") as f:
            libs = sorted({l.split()[-1] for l in f if "openblas" in l.split()[-1]})
        if libs:
            get = ctypes.CDLL(libs[0]).openblas_get_corename
            get.restype = ctypes.c_char_p
            core = "OpenBLAS core %s (%s)" % (get().decode(), os.path.basename(libs[0]))
    except (OSError, AttributeError):
        pass
    env = ", ".join("%s=%s" % (v, os.environ[v]) for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                    if v in os.environ) or "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"
    limits = ", ".join("%s=%s" % (v, os.environ[v]) for v in ("ATEN_CPU_CAPABILITY", "DNNL_MAX_CPU_ISA")
                       if v in os.environ)
    aten = [l.split(":", 1)[1].strip() for l in torch.__config__.show().splitlines()
            if "CPU capability usage" in l]
    return "host: %s; %s; %s; %s; ATen kernels %s%s" % (
        model, " ".join(ext) or "no AVX2", core, env, aten[0] if aten else "unknown",
        "; " + limits if limits else "")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-cases", "--cases", default="",
                    help="run only the cases whose names match this regular expression (re.search)")
    ap.add_argument("-reps", "--reps", type=int, default=5, help="timed repetitions per case (median reported)")
    ap.add_argument("-warmup", "--warmup", type=int, default=1, help="untimed repetitions before the timed ones")
    ap.add_argument("-json", "--json", default="", help="also write the results as JSON to this file")
    ap.add_argument("-threads", "--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("-list", "--list", action="store_true", help="list the cases and their FLOP counts, then exit")
    ap.add_argument("-precision", "--precision", choices=("fp32", "bf16"), default="fp32",
                    help="bf16: run the cases under torch.autocast(\"cpu\", dtype=torch.bfloat16)")
    ap.add_argument("-isa", "--isa", choices=("all", "avx2"), default="all",
                    help="avx2: limit ATen, oneDNN and OpenBLAS to their AVX2 kernels, to compare "
                         "with semgan's SEMGAN_CPU_KERNELS=avx2 on a host that has AVX-512")
    ap.add_argument("--keep-openblas-env", action="store_true",
                    help="keep OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (by default the script drops them)")
    ap.add_argument("--no-flush-denormal", dest="flush_denormal", action="store_false",
                    help="leave denormal arithmetic on (PyTorch's default); by default denormals are flushed to zero")
    args = ap.parse_args(argv)
    if args.reps < 1 or args.warmup < 0:
        ap.error("-reps must be at least 1 and -warmup at least 0")
    try:
        pattern = re.compile(args.cases)
    except re.error as e:
        ap.error("-cases: %s" % e)
    selected = [c for c in CASES if pattern.search(c[0])]
    if not selected:
        ap.error("-cases %r matches no case; the cases are %s" % (args.cases, [c[0] for c in CASES]))
    if args.list:
        for name, flops, _ in selected:
            print("%s\t%.6g" % (name, flops))
        return 0

    print(host_line())
    torch.set_num_threads(args.threads)
    ftz = torch.set_flush_denormal(args.flush_denormal)
    torch.manual_seed(1)
    random.seed(1)
    clear_refs = reset_hwm() and read_hwm() > 0
    print("torch %s, %d threads, products in %s, flush denormal %s, %d warm-up + %d timed repetitions per case; %s" % (
        torch.__version__, torch.get_num_threads(),
        "bf16 (autocast)" if args.precision == "bf16" else "fp32", "on" if args.flush_denormal and ftz else "off",
        args.warmup, args.reps,
        "peak RSS per case from VmHWM after resetting it through /proc/self/clear_refs" if clear_refs else
        "peak RSS is the process's lifetime maximum (getrusage): /proc/self/clear_refs is unavailable"))
    sys.stdout.flush()
    results, times, status = [], {}, 0
    for name, flops, setup in selected:
        try:
            r, t = run_case(name, flops, setup, args.reps, args.warmup, clear_refs, args.precision)
        except (RuntimeError, MemoryError) as e:
            # An allocation beyond the memory limit lands here.
            print("bench_torch: %s: %s" % (name, str(e).splitlines()[0] if str(e) else type(e).__name__),
                  file=sys.stderr)
            status = 1
            gc.collect()
            continue
        print("bench_torch: %s: repetitions (s): %s" % (name, " ".join("%.4g" % s for s in t)), file=sys.stderr)
        results.append(r)
        times[name] = t
    print_table(results, times)
    if args.json:
        write_json(args.json, results)
    return status


if __name__ == "__main__":
    sys.exit(main())
