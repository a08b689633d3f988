#!/usr/bin/python3
# Golden-file generator for semgan.
#
# Run from the repository root:
#
#     /usr/bin/python3 testdata/golden.py [case function ...]
#
# With arguments it runs only the named case functions (e.g.
# torch_save_files) and leaves the other files alone.
#
# Needs Debian's CPU PyTorch (apt-get install python3-torch; written against
# torch 1.13) and numpy (pulled in by python3-torch). It does NOT need the
# Python `safetensors` package: the format is written by hand below.
#
# It (re)writes testdata/golden/<case>.safetensors, and the .pth files of
# torch_save_files (read by nn/torchfile). The Go tests in tensor/,
# autograd/ and nn/ load these files and compare semgan's forward outputs and
# gradients against them. See testdata/README.md for the file convention.
#
# Everything is float32 on the CPU with torch.set_num_threads(2) and a
# per-case seed (crc32 of the case name), so the output is byte-for-byte
# deterministic.

import collections
import io
import json
import os
import pickle
import pickletools
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")

torch.set_num_threads(2)
torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------------------
# safetensors writer
# ---------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata):
    """tensors: dict name -> torch.Tensor (float32); metadata: dict str -> str."""
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous().cpu()
        data = np.ascontiguousarray(t.numpy(), dtype="<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    hbytes = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((-len(hbytes)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def seed_for(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def emit(name, tensors, **attrs):
    for k, v in tensors.items():
        assert torch.isfinite(v).all(), (name, k)
    meta = {"format": "semgan-golden", "version": "1", "case": name,
            "seed": str(seed_for(name)), "torch": torch.__version__}
    meta.update({k: str(v) for k, v in attrs.items()})
    write_safetensors(os.path.join(OUT_DIR, name + ".safetensors"), tensors, meta)


def fmt(v):
    """Format an attribute value as a string; tuples become comma lists."""
    if isinstance(v, (tuple, list)):
        return ",".join(fmt(x) for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def away_from_zero(x, margin=1e-2):
    """Push every element at least `margin` away from 0 (keeps the sign)."""
    s = torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))
    return x + s * margin


def op_grads(y, inputs):
    """Returns (dy, [grad for each input]) for L = (y*dy).sum()."""
    dy = torch.randn_like(y)
    grads = torch.autograd.grad(y, inputs, dy)
    return dy, grads


def zero_grad_keys(module):
    """Gradient keys that are mathematically zero: the bias of a conv directly
    followed by InstanceNorm (the norm subtracts the per-channel mean, so the
    bias has no effect on the output). Their stored values are float32 round-off
    (|g| ~ 1e-7..1e-4); compare them with an absolute tolerance only."""
    keys = []
    for prefix, m in module.named_modules():
        if not isinstance(m, nn.Sequential):
            continue
        ch = list(m.children())
        for i in range(len(ch) - 1):
            if isinstance(ch[i], (nn.Conv2d, nn.ConvTranspose2d)) and ch[i].bias is not None \
                    and isinstance(ch[i + 1], nn.InstanceNorm2d):
                keys.append("grad." + (prefix + "." if prefix else "") + "%d.bias" % i)
    return keys


def module_case(name, module, x, zero_grads=(), **attrs):
    """Runs a module forward/backward and emits the file; returns the
    state-dict keys."""
    x = x.clone().requires_grad_(True)
    params = dict(module.named_parameters())
    sd_keys = list(module.state_dict().keys())
    y = module(x)
    dy = torch.randn_like(y)
    names = list(params)
    grads = torch.autograd.grad(y, [x] + [params[n] for n in names], dy)
    t = {"x": x, "y": y, "dy": dy, "dx": grads[0]}
    for n, g in zip(names, grads[1:]):
        t["param." + n] = params[n]
        t["grad." + n] = g
    zg = list(zero_grads) + zero_grad_keys(module)
    for k in zg:
        assert k in t, (name, k)
    emit(name, t, keys=",".join(sd_keys), zero_grads=",".join(zg), **attrs)
    return sd_keys


# ---------------------------------------------------------------------------
# 1. conv2d
# ---------------------------------------------------------------------------

def conv2d_case(name, k, stride, padding, bias=True, xshape=(2, 3, 9, 11)):
    torch.manual_seed(seed_for(name))
    x = torch.randn(*xshape, requires_grad=True)
    w = torch.randn(5, xshape[1], k, k, requires_grad=True)
    b = torch.randn(5, requires_grad=True) if bias else None
    y = F.conv2d(x, w, b, stride=stride, padding=padding)
    ins = [x, w] + ([b] if bias else [])
    dy, g = op_grads(y, ins)
    t = {"x": x, "weight": w, "y": y, "dy": dy, "dx": g[0], "dweight": g[1]}
    if bias:
        t["bias"] = b
        t["dbias"] = g[2]
    emit(name, t, op="conv2d", kernel_size=k, stride=stride, padding=padding,
         dilation=1, groups=1, bias=fmt(bias))


@case
def conv2d_all():
    conv2d_case("conv2d_k3s1p1", 3, 1, 1)
    conv2d_case("conv2d_k3s2p1", 3, 2, 1)
    conv2d_case("conv2d_k7s1p0", 7, 1, 0, xshape=(2, 3, 11, 13))
    conv2d_case("conv2d_k4s2p1", 4, 2, 1)
    conv2d_case("conv2d_k1s1p0", 1, 1, 0)
    conv2d_case("conv2d_k4s1p1_nobias", 4, 1, 1, bias=False)


# ---------------------------------------------------------------------------
# 2. conv_transpose2d
# ---------------------------------------------------------------------------

def convt_case(name, k, stride, padding, output_padding):
    torch.manual_seed(seed_for(name))
    x = torch.randn(2, 5, 6, 7, requires_grad=True)
    w = torch.randn(5, 3, k, k, requires_grad=True)  # [in, out, kh, kw]
    b = torch.randn(3, requires_grad=True)
    y = F.conv_transpose2d(x, w, b, stride=stride, padding=padding,
                           output_padding=output_padding)
    dy, g = op_grads(y, [x, w, b])
    emit(name, {"x": x, "weight": w, "bias": b, "y": y, "dy": dy,
                "dx": g[0], "dweight": g[1], "dbias": g[2]},
         op="conv_transpose2d", kernel_size=k, stride=stride, padding=padding,
         output_padding=output_padding, dilation=1, groups=1, bias="true")


@case
def convt_all():
    convt_case("conv_transpose2d_k3s2p1op1", 3, 2, 1, 1)
    convt_case("conv_transpose2d_k3s2p1op0", 3, 2, 1, 0)
    convt_case("conv_transpose2d_k4s2p1op0", 4, 2, 1, 0)


# ---------------------------------------------------------------------------
# 3. instance_norm
# ---------------------------------------------------------------------------

@case
def instance_norm_all():
    eps = 1e-5
    name = "instance_norm"
    torch.manual_seed(seed_for(name))
    x = (torch.randn(2, 5, 7, 9) * 1.7 + 0.3).requires_grad_(True)
    y = F.instance_norm(x, eps=eps)
    dy, g = op_grads(y, [x])
    emit(name, {"x": x, "y": y, "dy": dy, "dx": g[0]},
         op="instance_norm", eps=eps, affine="false")

    name = "instance_norm_affine"
    torch.manual_seed(seed_for(name))
    x = (torch.randn(2, 5, 7, 9) * 1.7 + 0.3).requires_grad_(True)
    w = (torch.randn(5) + 1.0).requires_grad_(True)
    b = torch.randn(5, requires_grad=True)
    y = F.instance_norm(x, weight=w, bias=b, eps=eps)
    dy, g = op_grads(y, [x, w, b])
    emit(name, {"x": x, "weight": w, "bias": b, "y": y, "dy": dy,
                "dx": g[0], "dweight": g[1], "dbias": g[2]},
         op="instance_norm", eps=eps, affine="true")


# ---------------------------------------------------------------------------
# 4. padding
# ---------------------------------------------------------------------------

@case
def pad_all():
    for name, pad, mode in [("reflection_pad_3333", (3, 3, 3, 3), "reflect"),
                            ("reflection_pad_1231", (1, 2, 3, 1), "reflect"),
                            ("zero_pad_1231", (1, 2, 3, 1), "constant")]:
        torch.manual_seed(seed_for(name))
        x = torch.randn(2, 3, 7, 9, requires_grad=True)
        if mode == "reflect":
            y = nn.ReflectionPad2d(pad)(x)
        else:
            y = F.pad(x, pad, mode="constant", value=0.0)
        dy, g = op_grads(y, [x])
        attrs = {"op": "pad", "mode": mode, "pad": fmt(pad)}
        if mode == "constant":
            attrs["value"] = "0"
        emit(name, {"x": x, "y": y, "dy": dy, "dx": g[0]}, **attrs)


# ---------------------------------------------------------------------------
# 5. activations
# ---------------------------------------------------------------------------

@case
def activations():
    for name, fn, attrs in [
            ("relu", F.relu, {}),
            ("leaky_relu", lambda v: F.leaky_relu(v, 0.2), {"negative_slope": "0.2"}),
            ("tanh", torch.tanh, {}),
            ("sigmoid", torch.sigmoid, {})]:
        torch.manual_seed(seed_for(name))
        x = away_from_zero(torch.randn(2, 3, 5, 7) * 1.5).requires_grad_(True)
        assert x.abs().min() > 1e-3
        y = fn(x)
        dy, g = op_grads(y, [x])
        emit(name, {"x": x, "y": y, "dy": dy, "dx": g[0]}, op=name, **attrs)


# ---------------------------------------------------------------------------
# 6. losses
# ---------------------------------------------------------------------------

@case
def losses():
    for name, fn in [("l1_loss", F.l1_loss), ("mse_loss", F.mse_loss)]:
        torch.manual_seed(seed_for(name))
        x = torch.randn(2, 3, 5, 7, requires_grad=True)
        target = torch.randn(2, 3, 5, 7, requires_grad=True)
        assert (x - target).abs().min() > 1e-4
        y = fn(x, target)  # mean reduction, shape []
        dy = torch.tensor(0.7)
        g = torch.autograd.grad(y, [x, target], dy)
        emit(name, {"x": x, "target": target, "y": y, "dy": dy,
                    "dx": g[0], "dtarget": g[1]}, op=name, reduction="mean")


# ---------------------------------------------------------------------------
# 7. SAGAN self-attention
# ---------------------------------------------------------------------------

class SelfAttention(nn.Module):
    def __init__(self, C, out_conv=False):
        super().__init__()
        self.f = nn.Conv2d(C, C // 8, 1)  # keys, position i
        self.g = nn.Conv2d(C, C // 8, 1)  # queries, position j
        self.h = nn.Conv2d(C, C, 1)       # values
        self.v = nn.Conv2d(C, C, 1) if out_conv else None
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        B, C, H, W = x.shape
        N = H * W
        Fk = self.f(x).view(B, -1, N)
        Gq = self.g(x).view(B, -1, N)
        Hv = self.h(x).view(B, C, N)
        s = torch.bmm(Gq.permute(0, 2, 1), Fk)        # [B, N(j), N(i)]
        beta = F.softmax(s, dim=-1)
        o = torch.bmm(Hv, beta.permute(0, 2, 1)).view(B, C, H, W)
        if self.v is not None:
            o = self.v(o)
        return self.gamma * o + x


@case
def self_attention_all():
    for name, out_conv in [("self_attention", False), ("self_attention_out", True)]:
        torch.manual_seed(seed_for(name))
        m = SelfAttention(16, out_conv)
        with torch.no_grad():
            m.gamma.fill_(0.7)
            m.f.weight.mul_(3.0)
            m.g.weight.mul_(3.0)
        x = torch.randn(2, 16, 5, 7)
        # f's bias adds a term constant along the softmax axis: zero gradient.
        module_case(name, m, x, zero_grads=["grad.f.bias"], op="self_attention",
                    channels=16, reduction=8, out_conv=fmt(out_conv), gamma="0.7")


# ---------------------------------------------------------------------------
# 8. Adam
# ---------------------------------------------------------------------------

@case
def adam_all():
    for name, lr in [("adam", 2e-4), ("adam_lr1e3", 1e-3)]:
        torch.manual_seed(seed_for(name))
        beta1, beta2, eps = 0.5, 0.999, 1e-8
        p = torch.randn(3, 5, 7, requires_grad=True)
        grad1 = torch.randn(3, 5, 7)
        grad2 = torch.randn(3, 5, 7)
        opt = torch.optim.Adam([p], lr=lr, betas=(beta1, beta2), eps=eps)
        param0 = p.detach().clone()
        p.grad = grad1.clone()
        opt.step()
        param1 = p.detach().clone()
        p.grad = grad2.clone()
        opt.step()
        param2 = p.detach().clone()
        st = opt.state[p]
        emit(name, {"param0": param0, "grad1": grad1, "grad2": grad2,
                    "param1": param1, "param2": param2,
                    "exp_avg2": st["exp_avg"], "exp_avg_sq2": st["exp_avg_sq"]},
             op="adam", lr=repr(lr), beta1=repr(beta1), beta2=repr(beta2),
             eps=repr(eps), weight_decay="0", amsgrad="false", steps="2")


# ---------------------------------------------------------------------------
# 9-11. CycleGAN networks (compact equivalent of junyanz/pytorch-CycleGAN-and-
# pix2pix models/networks.py, with norm_layer = InstanceNorm2d(affine=False,
# track_running_stats=False), so use_bias = True everywhere)
# ---------------------------------------------------------------------------

def norm(c):
    return nn.InstanceNorm2d(c, affine=False, track_running_stats=False)


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, padding=0, bias=True),
            norm(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, padding=0, bias=True),
            norm(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, input_nc=3, output_nc=3, ngf=8, n_blocks=2):
        super().__init__()
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, 7, padding=0, bias=True),
                 norm(ngf), nn.ReLU(True)]
        for i in range(2):
            m = 2 ** i
            model += [nn.Conv2d(ngf * m, ngf * m * 2, 3, stride=2, padding=1, bias=True),
                      norm(ngf * m * 2), nn.ReLU(True)]
        for _ in range(n_blocks):
            model += [ResnetBlock(ngf * 4)]
        for i in range(2):
            m = 2 ** (2 - i)
            model += [nn.ConvTranspose2d(ngf * m, ngf * m // 2, 3, stride=2, padding=1,
                                         output_padding=1, bias=True),
                      norm(ngf * m // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, 7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    def __init__(self, input_nc=3, ndf=8, n_layers=3):
        super().__init__()
        seq = [nn.Conv2d(input_nc, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=2, padding=1, bias=True),
                    norm(ndf * mult), nn.LeakyReLU(0.2, True)]
        prev, mult = mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=1, padding=1, bias=True),
                norm(ndf * mult), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


def init_normal_random_bias(net, gain=0.02):
    """Official init_weights(net, 'normal', 0.02): conv weights ~ N(0, gain),
    biases = 0; then biases get N(0, gain) noise so the bias paths are tested."""
    def f(m):
        cls = m.__class__.__name__
        if hasattr(m, "weight") and ("Conv" in cls or "Linear" in cls):
            nn.init.normal_(m.weight.data, 0.0, gain)
            if getattr(m, "bias", None) is not None:
                nn.init.constant_(m.bias.data, 0.0)
    net.apply(f)
    with torch.no_grad():
        for n, p in net.named_parameters():
            if n.endswith("bias"):
                p.normal_(0.0, gain)


KEYS = {}


@case
def resnet_block():
    name = "resnet_block"
    torch.manual_seed(seed_for(name))
    m = ResnetBlock(8)
    init_normal_random_bias(m)
    x = torch.randn(2, 8, 9, 11)
    KEYS[name] = module_case(name, m, x, op="resnet_block", dim=8,
                             padding_type="reflect", norm="instance", eps="1e-05",
                             init="normal", init_gain="0.02")


@case
def resnet_generator_all():
    for name, batch in [("resnet_generator", 1), ("resnet_generator_b2", 2)]:
        torch.manual_seed(seed_for(name))
        m = ResnetGenerator(3, 3, 8, n_blocks=2)
        init_normal_random_bias(m)
        x = torch.rand(batch, 3, 32, 32) * 2.0 - 1.0
        KEYS[name] = module_case(name, m, x, op="resnet_generator", input_nc=3,
                                 output_nc=3, ngf=8, n_blocks=2, padding_type="reflect",
                                 norm="instance", eps="1e-05", init="normal",
                                 init_gain="0.02")


@case
def patchgan():
    name = "patchgan"
    torch.manual_seed(seed_for(name))
    m = NLayerDiscriminator(3, 8, 3)
    init_normal_random_bias(m)
    x = torch.rand(2, 3, 32, 32) * 2.0 - 1.0
    KEYS[name] = module_case(name, m, x, op="patchgan", input_nc=3, ndf=8, n_layers=3,
                             norm="instance", eps="1e-05", negative_slope="0.2",
                             init="normal", init_gain="0.02")


# ---------------------------------------------------------------------------
# 12. broadcasting binary ops
# ---------------------------------------------------------------------------

@case
def linear_chain():
    name = "linear_chain"
    torch.manual_seed(seed_for(name))
    a = torch.randn(2, 3, 4, 5, requires_grad=True)
    b = torch.randn(1, 3, 1, 1, requires_grad=True)
    c = torch.randn(1, requires_grad=True)
    y = (a * b + c) - a / (b * b + 1)
    dy, g = op_grads(y, [a, b, c])
    emit(name, {"a": a, "b": b, "c": c, "y": y, "dy": dy,
                "da": g[0], "db": g[1], "dc": g[2]},
         op="linear_chain", expr="(a*b + c) - a/(b*b + 1)")


# ---------------------------------------------------------------------------
# 13. torch.save files (.pth) for nn/torchfile
# ---------------------------------------------------------------------------

def save_legacy_pth(obj, path):
    """torch.save(obj, path) in the legacy (pre-1.6, non-zip) format, made
    reproducible. The legacy writer names each storage by its memory address
    and writes the storages in the sorted order of those names; this renames
    them to counters of the same width in order of first use (so no pickle
    length changes) and puts the storage blocks in that order. The layout is
    five pickles (magic number, protocol version, system info, the object,
    the sorted storage keys), then per storage an int64 element count and
    the raw elements."""
    storages = {}  # old key -> element size, in order of first use
    for t in obj.values():
        storages.setdefault(str(t.storage()._storage._cdata), t.element_size())
    width = len(next(iter(storages)))
    assert all(len(k) == width for k in storages), list(storages)
    rename = {k: str(i).zfill(width) for i, k in enumerate(storages)}
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=False)
    data = buf.getvalue()
    pos = 0
    for _ in range(4):  # to the end of the object's pickle
        pos += [p for op, _, p in pickletools.genops(data[pos:]) if op.name == "STOP"][0] + 1
    head = data[:pos]
    f = io.BytesIO(data[pos:])
    old_keys = pickle.load(f)
    assert sorted(old_keys) == sorted(storages), (old_keys, list(storages))
    pos += f.tell()
    blocks = {}
    for k in old_keys:
        n = struct.unpack_from("<q", data, pos)[0]
        size = 8 + n * storages[k]
        blocks[rename[k]] = data[pos:pos + size]
        pos += size
    assert pos == len(data)
    for k, v in rename.items():
        assert head.count(k.encode()) >= 1, k
        head = head.replace(k.encode(), v.encode())
    with open(path, "wb") as f:
        f.write(head)
        f.write(pickle.dumps(sorted(blocks), protocol=2))
        for k in sorted(blocks):
            f.write(blocks[k])


@case
def torch_save_files():
    # A small ResnetGenerator's state dict as torch.save writes it (zip
    # format), beside the same weights, an input and the output in safetensors.
    # ngf 4 keeps the file small (ngf 8 would be ~200 KiB).
    name = "pth_generator"
    torch.manual_seed(seed_for(name))
    m = ResnetGenerator(3, 3, 4, n_blocks=2)
    init_normal_random_bias(m)
    x = torch.rand(1, 3, 16, 16) * 2.0 - 1.0
    with torch.no_grad():
        y = m(x)
    sd = m.state_dict()
    t = {"x": x, "y": y}
    t.update({"param." + k: v for k, v in sd.items()})
    emit(name, t, op="resnet_generator", input_nc=3, output_nc=3, ngf=4, n_blocks=2,
         padding_type="reflect", norm="instance", eps="1e-05", init="normal",
         init_gain="0.02", keys=",".join(sd.keys()))
    torch.save(sd, os.path.join(OUT_DIR, name + ".pth"))
    KEYS[name] = list(sd.keys())

    # Tensors that are views (strides, storage offsets, shared and expanded
    # storages), other dtypes, a scalar and an empty tensor; saved in the zip
    # and the legacy format, and as contiguous float32 in safetensors.
    name = "pth_views"
    torch.manual_seed(seed_for(name))
    big = torch.randn(4, 6)
    sd = collections.OrderedDict([
        ("transposed.weight", torch.randn(5, 3).t()),        # [3 5], strides (1, 3)
        ("big", big),
        ("window", big[1:3, 2:5]),                           # big's storage, offset 8
        ("expanded", torch.randn(3, 1).expand(3, 4)),        # stride 0
        ("nhwc", torch.randn(2, 3, 4, 5).permute(0, 2, 3, 1)),
        ("every_other", torch.randn(11)[1::2]),              # offset 1, stride 2
        ("scalar", torch.tensor(0.25)),
        ("empty", torch.zeros(0, 3)),
        ("half", torch.randn(2, 3).half()),
        ("bfloat16", torch.randn(2, 3).bfloat16()),
        ("double", torch.randn(2, 3).double().t()),
        ("bn.num_batches_tracked", torch.tensor(7)),         # int64
        ("int32", torch.arange(-3, 3, dtype=torch.int32).view(2, 3)),
        ("mask", torch.tensor([True, False, True])),
    ])
    assert not sd["transposed.weight"].is_contiguous() and sd["window"].storage_offset() == 8
    emit(name, {k: v.contiguous().to(torch.float32) for k, v in sd.items()},
         op="torch_save", keys=",".join(sd.keys()))
    torch.save(sd, os.path.join(OUT_DIR, name + ".pth"))
    save_legacy_pth(sd, os.path.join(OUT_DIR, name + "_legacy.pth"))

    # A training checkpoint with the state dict nested under "state_dict".
    name = "pth_checkpoint"
    torch.manual_seed(seed_for(name))
    conv = nn.Conv2d(2, 3, 3)
    torch.save({"epoch": 3, "arch": "conv", "state_dict": conv.state_dict(),
                "optimizer": {"lr": 2e-4, "betas": (0.5, 0.999)}},
               os.path.join(OUT_DIR, name + ".pth"))
    emit(name, {k: v for k, v in conv.state_dict().items()}, op="torch_save",
         keys=",".join(conv.state_dict().keys()))


# ---------------------------------------------------------------------------
# 10. float64 references for the full-size networks
# ---------------------------------------------------------------------------
#
# The official CycleGAN generator (ngf 64, 9 blocks) and 70x70 PatchGAN
# (ndf 64) hold 14 M parameters: too many to commit. Their weights, input
# and loss weights are derived from a counter-based hash instead, written
# identically here and in internal/golden/hash.go, so the Go test rebuilds
# the same tensors. What is committed is small: the output, and for every
# gradient its norm and its dot products with a few hashed vectors, all
# computed in float64, plus what PyTorch float32 reaches on the same tensors
# (the yardstick for the Go tolerances).
#
# Kinks. The generator applies ReLU to 1.4 M values that instance norm
# has made about N(0, 1), so about one of them lies within 1e-6 of 0, inside
# the rounding error of any float32 forward pass. Where float32 puts such a
# value on the other side of 0, the gradient it computes is the exact
# gradient of what it computed, yet differs from float64's by a few percent
# in the layer before (one activation gradient element passes or not). So
# the case also keeps, for the KINKS activation inputs nearest 0, how every
# gradient summary changes when that one activation takes its other branch,
# and a float32 result is compared against float64 with up to MAX_FLIPS of
# those branches taken (the set that fits best; a result that needs more,
# or other changes, fails).

MASK64 = (1 << 64) - 1
HASH_SEED = 20221
KINKS = 16
MAX_FLIPS = 2


def splitmix64(x):
    """SplitMix64's output function on uint64 numpy arrays (wrapping)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hashed_uniform(stream, n, bound):
    """n float32 values bound*(2u-1), u = 24 hashed bits / 2^24, of stream."""
    key = splitmix64(np.array([((HASH_SEED << 32) | stream) & MASK64], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        u = splitmix64(key + np.arange(n, dtype=np.uint64)) >> np.uint64(40)
    return (bound * (2.0 * (u.astype(np.float64) / 2.0 ** 24) - 1.0)).astype(np.float32)


PROJECTIONS = 3  # hashed vectors each gradient is projected on


def projection_stream(j, k):
    """Stream of the k-th vector for gradient j (0: input, 1+i: parameter i)."""
    return 10000 + 16 * j + k


def hashed_parameters(module):
    """Sets parameter i (state-dict order) to stream 100+i, uniform in
    +-1/sqrt(fan_in) with fan_in = prod(weight.shape[1:]) of the layer's
    weight (PyTorch's default bound; a bias takes its weight's)."""
    params = dict(module.named_parameters())
    with torch.no_grad():
        for i, (name, p) in enumerate(params.items()):
            w = params[name.rsplit(".", 1)[0] + ".weight"]
            bound = 1.0 / np.sqrt(float(np.prod(w.shape[1:])))
            p.copy_(torch.from_numpy(hashed_uniform(100 + i, p.numel(), bound)).view(p.shape))


class KinkAct(nn.Module):
    """ReLU (slope 0) or LeakyReLU as x * (x > 0 ? 1 : slope) that records
    its input and can send chosen elements (flat indices in flip) down the
    other branch."""

    def __init__(self, slope):
        super().__init__()
        self.slope, self.flip, self.seen = slope, [], None

    def forward(self, x):
        self.seen = x.detach()
        m = torch.where(x > 0, torch.ones_like(x), torch.full_like(x, self.slope)).flatten()
        for i in self.flip:
            m[i] = 1 + self.slope - m[i]
        return x * m.view(x.shape)


def with_kink_acts(module):
    """Replaces every ReLU and LeakyReLU of module by a KinkAct; returns
    them by name."""
    acts = {}
    for name, m in list(module.named_modules()):
        for cname, c in list(m.named_children()):
            if isinstance(c, (nn.ReLU, nn.LeakyReLU)):
                a = KinkAct(c.negative_slope if isinstance(c, nn.LeakyReLU) else 0.0)
                setattr(m, cname, a)
                acts[(name + "." if name else "") + cname] = a
    return acts


def grad_summaries(module, names, x, dtype):
    """Runs module in dtype on x with the hashed loss weights and returns
    the output and, for the input and every parameter gradient, its norm
    and PROJECTIONS dot products with hashed vectors, in float64."""
    m = module.to(dtype)
    xi = x.to(dtype).clone().requires_grad_(True)
    y = m(xi)
    r = torch.from_numpy(hashed_uniform(1, y.numel(), 1.0)).view(y.shape).to(dtype)
    params = dict(m.named_parameters())
    grads = torch.autograd.grad((y * r).sum(), [xi] + [params[n] for n in names])
    out = []
    for j, g in enumerate(grads):
        g = g.detach().double().flatten()
        dots = [float(g @ torch.from_numpy(hashed_uniform(projection_stream(j, k), g.numel(), 1.0)).double())
                for k in range(PROJECTIONS)]
        out.append([float(g.norm())] + dots)
    return y.detach().double(), np.array(out)


def summary_errors(got, ref):
    """Per gradient, the relative L2 error of got estimated from the
    summaries ([norm, dots...] rows), as internal/golden computes it: a dot
    product with a vector of uniform +-1 values moves by about |e|/sqrt(3)
    for an error e. Where ref's norm is 0 the error is absolute."""
    est = np.maximum(np.abs(got[:, 0] - ref[:, 0]),
                     np.abs(got[:, 1:] - ref[:, 1:]).max(axis=1) * np.sqrt(3.0))
    return np.where(ref[:, 0] > 0, est / np.where(ref[:, 0] > 0, ref[:, 0], 1), est)


def best_flips(got, ref, deltas, live):
    """The errors of got against ref with the set of at most MAX_FLIPS kink
    flips (rows of deltas added to ref) that minimises the worst error over
    the live gradients, and that set."""
    import itertools
    best = (summary_errors(got, ref), ())
    for n in range(1, MAX_FLIPS + 1):
        for s in itertools.combinations(range(len(deltas)), n):
            e = summary_errors(got, ref + sum(deltas[i] for i in s))
            if e[live].max() < best[0][live].max():
                best = (e, s)
    return best


def float64_case(name, module, x_shape):
    module = module.double()
    hashed_parameters(module)
    acts = with_kink_acts(module)
    names = [n for n, _ in module.named_parameters()]
    x = torch.from_numpy(hashed_uniform(0, int(np.prod(x_shape)), 1.0)).view(x_shape)
    keys = ["dx"] + ["grad." + n for n in names]
    zg = zero_grad_keys(module)
    live = np.array([k not in zg for k in keys])

    y64, s64 = grad_summaries(module, names, x, torch.float64)
    # The KINKS activation inputs nearest 0, and each one's flip.
    near = []
    for an, a in acts.items():
        v = a.seen.flatten().abs()
        idx = torch.topk(v, min(KINKS, v.numel()), largest=False).indices
        near += [(float(v[i]), an, int(i)) for i in idx]
    near = sorted(near)[:KINKS]
    deltas = []
    for _, an, i in near:
        acts[an].flip = [i]
        deltas.append(grad_summaries(module, names, x, torch.float64)[1] - s64)
        acts[an].flip = []
    deltas = np.array(deltas)

    y32, s32 = grad_summaries(module, names, x, torch.float32)
    e32, flips32 = best_flips(s32, s64, deltas, live)
    t = {"y": y64, "y.torch32_err": (y32 - y64).abs().max() / y64.abs().max(),
         "kinks.value": torch.tensor([v for v, _, _ in near])}
    for j, key in enumerate(keys):
        t[key + ".norm"] = torch.tensor(s64[j, 0])
        t[key + ".dots"] = torch.tensor(s64[j, 1:])
        t[key + ".torch32_norm"] = torch.tensor(s32[j, 0])
        t[key + ".torch32_err"] = torch.tensor(e32[j])
        t[key + ".kink_deltas"] = torch.tensor(deltas[:, j, :])
    emit(name, t, keys=",".join(names), zero_grads=",".join(zg), hash_seed=HASH_SEED,
         projections=PROJECTIONS, x_shape=fmt(x_shape), max_flips=MAX_FLIPS,
         kinks=",".join("%s[%d]" % (an, i) for _, an, i in near))
    print("%s: torch float32 vs float64: y %.2e, worst gradient %.2e, kinks flipped %s; "
          "nearest kink %.1e" % (name, float(t["y.torch32_err"]), e32[live].max(),
                                 [near[i][1:] for i in flips32], near[0][0]))


@case
def float64_networks():
    float64_case("f64_resnet_generator", ResnetGenerator(3, 3, 64, n_blocks=9), (1, 3, 64, 64))
    float64_case("f64_patchgan", NLayerDiscriminator(3, 64, 3), (1, 3, 64, 64))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    # Case functions to run, by name (default: all), e.g. torch_save_files.
    only = set(sys.argv[1:])
    unknown = only - {fn.__name__ for fn in CASES}
    if unknown:
        print("ERROR: no case function %s" % ", ".join(sorted(unknown)), file=sys.stderr)
        sys.exit(2)
    for fn in CASES:
        if not only or fn.__name__ in only:
            fn()
    for k, v in KEYS.items():
        print("%s keys: %s" % (k, ",".join(v)))
    total = 0
    for f in sorted(os.listdir(OUT_DIR)):
        sz = os.path.getsize(os.path.join(OUT_DIR, f))
        total += sz
        print("%8d  %s" % (sz, f))
    print("%8d  total bytes (%.2f MiB)" % (total, total / 2.0 ** 20))
    if total >= 2 * 10 ** 6:
        print("ERROR: golden files exceed 2 MB", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
