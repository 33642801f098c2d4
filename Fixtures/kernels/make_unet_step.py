"""Golden values for one whole training step of a small 3D U-Net (the network of torch_unet.py with base 4
filters: 4-8-16-32, bottleneck 64, 1 input channel, 2 classes, 16^3 patch, batch 2), BatchNorm and InstanceNorm
variants, computed by PyTorch in float64.

`python make_unet_step.py --sensitivity` writes nothing; it measures how far this small network's gradients move
when every tensor patchtrain stores in fp16 is rounded to fp16 (raw convolution outputs, pooled and upsampled
tensors), and how far they move again when the values are jittered by 1e-7 relative (fp32-level differences) before
that rounding. The Swift test's fp16 tolerance rests on these numbers.

Run from anywhere:  python make_unet_step.py   (needs torch and numpy)

Parameters, the image and the labels are not stored: both sides generate them from SplitMix64 seeded by the
FNV-1a hash of the tensor's name (see `stream`), rounded to float16 values. What is stored is small: the loss, the
BatchNorm running statistics after the step, and for every parameter gradient its L2 norm and a strided sample of
at most 512 elements (flat PyTorch order, indices 0, s, 2s, ... with s = ceil(n / 512)).
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.set_default_dtype(torch.float64)
MASK = (1 << 64) - 1
FILTERS, BOTTLENECK, CLASSES, EDGE, BATCH = (4, 8, 16, 32), 64, 2, 16, 2
SAMPLE = 512


def fnv1a(name):
    h = 0xCBF29CE484222325
    for byte in name.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def stream(name, count, lo, hi):
    """SplitMix64 seeded with fnv1a(name); uniform lo + (hi - lo) * (next >> 40) / 2^24; rounded to float16."""
    state, out = fnv1a(name), np.empty(count)
    for i in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        out[i] = lo + (hi - lo) * float(z >> 40) / float(1 << 24)
    return torch.from_numpy(out.astype(np.float16).astype(np.float64))


class InstanceNorm(nn.Module):
    """Per sample and channel over space, with affine; written out because F.instance_norm refuses the 1^3
    bottleneck (there x - mean = 0, so the output is beta and the input gradient 0, which is well defined)."""
    def __init__(self, f, eps=1e-3):
        super().__init__()
        self.weight, self.bias, self.eps = nn.Parameter(torch.ones(f)), nn.Parameter(torch.zeros(f)), eps

    def forward(self, x):
        mean = x.mean((2, 3, 4), keepdim=True)
        var = ((x - mean) ** 2).mean((2, 3, 4), keepdim=True)
        w, b = self.weight.view(1, -1, 1, 1, 1), self.bias.view(1, -1, 1, 1, 1)
        return (x - mean) / torch.sqrt(var + self.eps) * w + b


class RoundToHalf(torch.autograd.Function):
    """Rounds to float16 values on the way forward and passes gradients straight through: what patchtrain's fp16
    storage does to every tensor it keeps (raw convolution outputs, pooled and upsampled tensors)."""
    jitter = 0.0

    @staticmethod
    def forward(ctx, x):
        if RoundToHalf.jitter:
            x = x * (1 + RoundToHalf.jitter * torch.randn_like(x))
        return x.to(torch.float16).to(torch.float64)

    @staticmethod
    def backward(ctx, g):
        return g


def stored(x, fp16):
    return RoundToHalf.apply(x) if fp16 else x


def norm(kind, f):
    return nn.BatchNorm3d(f, eps=1e-3, momentum=0.01) if kind == "batchnorm" else InstanceNorm(f)


class ConvBlock(nn.Module):
    def __init__(self, kind, cin, f, fp16):
        super().__init__()
        self.fp16 = fp16
        self.net = nn.Sequential(nn.Conv3d(cin, f, 3, padding=1), norm(kind, f), nn.ReLU(),
                                 nn.Conv3d(f, f, 3, padding=1), norm(kind, f), nn.ReLU())

    def forward(self, x):
        n = self.net
        x = n[2](n[1](stored(n[0](x), self.fp16)))
        return n[5](n[4](stored(n[3](x), self.fp16)))


class UNet3D(nn.Module):
    """torch_unet.py's UNet3D with a choice of normalisation (same module names); with fp16, every tensor
    patchtrain stores is rounded to float16 as it stores it."""
    def __init__(self, kind, fp16=False):
        super().__init__()
        self.fp16 = fp16
        self.enc, c = nn.ModuleList(), 1
        for f in FILTERS:
            self.enc.append(ConvBlock(kind, c, f, fp16)); c = f
        self.bott = ConvBlock(kind, c, BOTTLENECK, fp16); c = BOTTLENECK
        self.up, self.dec = nn.ModuleList(), nn.ModuleList()
        for f in reversed(FILTERS):
            self.up.append(nn.ConvTranspose3d(c, f, 2, stride=2))
            self.dec.append(ConvBlock(kind, 2 * f, f, fp16)); c = f
        self.out = nn.Conv3d(c, CLASSES, 1)

    def forward(self, x):
        skips = []
        for blk in self.enc:
            s = blk(x); skips.append(s); x = stored(F.max_pool3d(s, 2), self.fp16)
        x = self.bott(x)
        for up, blk, s in zip(self.up, self.dec, reversed(skips)):
            x = blk(torch.cat([stored(up(x), self.fp16), s], 1))
        return torch.softmax(self.out(x), 1)


def dice_loss(y_true, y_pred, smooth=1e-6):
    axes = (0, 2, 3, 4)
    inter = (y_true * y_pred).sum(axes)
    denom = y_true.sum(axes) + y_pred.sum(axes)
    return 1.0 - ((2.0 * inter + smooth) / (denom + smooth)).mean()


def initialise(model):
    """Conv weights and biases uniform in +-1/sqrt(fan_in) (PyTorch's default bound); norm weight in [0.8, 1.2],
    bias in [-0.1, 0.1]."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and ("net.1." in name or "net.4." in name):
                lo, hi = (0.8, 1.2) if name.endswith("weight") else (-0.1, 0.1)
            else:
                # PyTorch's fan_in: weight.shape[1] x kernel volume (for ConvTranspose3d that is co x 8).
                owner = model.get_submodule(name.rsplit(".", 1)[0])
                fan_in = owner.weight.shape[1] * math.prod(owner.kernel_size)
                lo, hi = -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in)
            p.copy_(stream(name, p.numel(), lo, hi).reshape(p.shape))


def gradients(kind, fp16):
    model = UNet3D(kind, fp16)
    initialise(model)
    # Image (batch, x, y, z) and labels, both generated channel-last then moved to NCDHW.
    image = stream("image", BATCH * EDGE ** 3, -1, 1).reshape(BATCH, EDGE, EDGE, EDGE, 1).permute(0, 4, 1, 2, 3)
    labels = (stream("labels", BATCH * EDGE ** 3, 0, 1) >= 0.5).long().reshape(BATCH, EDGE, EDGE, EDGE)
    model.train()
    probabilities = model(image.contiguous())
    onehot = F.one_hot(labels, CLASSES).permute(0, 4, 1, 2, 3).to(torch.float64)
    loss = dice_loss(onehot, probabilities)
    loss.backward()
    return model, loss


def step(kind):
    model, loss = gradients(kind, fp16=False)
    out = {"loss": loss.reshape(1)}
    for name, p in model.named_parameters():
        g = p.grad.reshape(-1)
        stride = -(-g.numel() // SAMPLE)
        out[f"grad_norm/{name}"] = g.norm().reshape(1)
        out[f"grad_sample/{name}"] = g[::stride]
    for name, b in model.named_buffers():
        if "running" in name:
            out[f"buffer/{name}"] = b.reshape(-1)
    # One file per variant: names and values concatenated, with an index of (name, offset, count).
    names = sorted(out)
    values = np.concatenate([out[n].detach().numpy().astype(np.float32) for n in names])
    offsets = np.cumsum([0] + [out[n].numel() for n in names])
    stem = f"unet_step_{kind}"
    np.save(os.path.join(HERE, stem + ".npy"), values)
    with open(os.path.join(HERE, stem + ".index"), "w") as f:
        for n, o in zip(names, offsets):
            f.write(f"{n} {o} {out[n].numel()}\n")
    print(stem, "loss", float(loss.detach()), "values", values.size)


def sensitivity():
    def grads(kind, fp16, jitter):
        torch.manual_seed(1)
        RoundToHalf.jitter = jitter
        model, _ = gradients(kind, fp16)
        return {n: p.grad.clone() for n, p in model.named_parameters()
                if not (n.endswith("net.0.bias") or n.endswith("net.3.bias"))}  # zero in exact arithmetic

    def worst(a, b):
        return max(float((a[n] - b[n]).norm() / a[n].norm()) for n in a)

    for kind in ("batchnorm", "instancenorm"):
        exact, rounded, jittered = grads(kind, False, 0), grads(kind, True, 0), grads(kind, True, 1e-7)
        print(f"{kind}: worst relative gradient change, fp16 rounding vs exact {worst(exact, rounded):.3f}; "
              f"fp16 rounding with 1e-7 jitter vs without {worst(rounded, jittered):.3f}")


if __name__ == "__main__":
    import sys
    if "--sensitivity" in sys.argv:
        sensitivity()
    else:
        step("batchnorm")
        step("instancenorm")
