"""Golden outputs for patchtrain's kernels, computed by PyTorch in float64.

Run from anywhere:  python make_golden.py   (needs torch and numpy)
Writes one float32 .npy per array beside this script. Layout is patchtrain's: activations channel-last
(batch, x, y, z, c) -- torch's NCDHW with D = x, H = y, W = z, permuted -- and weights in PyTorch's own layout
(the Swift tests convert them, as checkpoints do). Inputs are rounded to float16-representable values first, so
the Swift kernels with float16 storage start from exactly these numbers; every remaining difference is theirs.

Each case's loss is sum(output * upstream) with a fixed random `upstream`, so its gradients are the
backward pass with that upstream gradient.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(20241126)
torch.set_default_dtype(torch.float64)


def half(t):
    """Rounded to the nearest float16 value, kept in float64."""
    return t.to(torch.float16).to(torch.float64)


def rand(*shape, lo=-1.0, hi=1.0):
    return half(torch.rand(*shape) * (hi - lo) + lo)


def last(t):
    """NCDHW -> channel-last NDHWC."""
    return t.permute(0, 2, 3, 4, 1).contiguous()


def save(name, t):
    np.save(os.path.join(HERE, name + ".npy"), t.detach().cpu().numpy().astype(np.float32))


def leaf(t):
    return t.clone().requires_grad_(True)


def conv3x3():
    # Decoder-like: two sources (3 + 2 channels) concatenated, 4 outputs, batch 2, uneven extent.
    a, b = leaf(rand(2, 3, 6, 5, 4, lo=-2, hi=2)), leaf(rand(2, 2, 6, 5, 4, lo=-2, hi=2))
    w, bias = leaf(rand(4, 5, 3, 3, 3, lo=-0.3, hi=0.3)), leaf(rand(4))
    y = F.conv3d(torch.cat([a, b], 1), w, bias, padding=1)
    g = rand(*y.shape)
    (y * g).sum().backward()
    for n, t in dict(a=a, b=b, weight=w, bias=bias).items():
        save(f"conv3x3_{n}", last(t) if t.dim() == 5 and n in "ab" else t)
    save("conv3x3_upstream", last(g)); save("conv3x3_output", last(y))
    save("conv3x3_grad_a", last(a.grad)); save("conv3x3_grad_b", last(b.grad))
    save("conv3x3_grad_weight", w.grad); save("conv3x3_grad_bias", bias.grad)


def transposed():
    x = leaf(rand(2, 4, 3, 2, 4, lo=-2, hi=2))
    w, bias = leaf(rand(4, 3, 2, 2, 2, lo=-0.5, hi=0.5)), leaf(rand(3))
    y = F.conv_transpose3d(x, w, bias, stride=2)
    g = rand(*y.shape)
    (y * g).sum().backward()
    save("convT_input", last(x)); save("convT_weight", w); save("convT_bias", bias)
    save("convT_upstream", last(g)); save("convT_output", last(y))
    save("convT_grad_input", last(x.grad)); save("convT_grad_weight", w.grad); save("convT_grad_bias", bias.grad)


def pointwise():
    x = leaf(rand(2, 4, 4, 4, 4, lo=-2, hi=2))
    w, bias = leaf(rand(3, 4, 1, 1, 1)), leaf(rand(3))
    y = F.conv3d(x, w, bias)
    g = rand(*y.shape)
    (y * g).sum().backward()
    save("conv1x1_input", last(x)); save("conv1x1_weight", w); save("conv1x1_bias", bias)
    save("conv1x1_upstream", last(g)); save("conv1x1_output", last(y))
    save("conv1x1_grad_input", last(x.grad)); save("conv1x1_grad_weight", w.grad); save("conv1x1_grad_bias", bias.grad)


def maxpool():
    # Distinct values on a 1/64 grid (exact in fp16), so no window has a tie.
    n = 2 * 3 * 4 * 4 * 6
    x = leaf((torch.randperm(n).to(torch.float64) - n / 2).reshape(2, 3, 4, 4, 6) / 64)
    y = F.max_pool3d(x, 2)
    g = rand(*y.shape)
    (y * g).sum().backward()
    save("maxpool_input", last(x)); save("maxpool_upstream", last(g))
    save("maxpool_output", last(y)); save("maxpool_grad_input", last(x.grad))


def normalization(kind):
    y = leaf(rand(2, 3, 4, 4, 4, lo=-1, hi=3))
    gamma, beta = leaf(rand(3, lo=0.5, hi=1.5)), leaf(rand(3, lo=-0.3, hi=0.3))
    if kind == "batchnorm":
        rm, rv = torch.zeros(3), torch.ones(3)
        z = F.batch_norm(y, rm, rv, gamma, beta, training=True, momentum=0.01, eps=1e-3)
    else:
        z = F.instance_norm(y, weight=gamma, bias=beta, eps=1e-3)
    a = F.relu(z)
    g = rand(*a.shape)
    (a * g).sum().backward()
    for name, t in dict(raw=last(y), gamma=gamma, beta=beta, upstream=last(g), output=last(a),
                        grad_raw=last(y.grad), grad_gamma=gamma.grad, grad_beta=beta.grad).items():
        save(f"{kind}_{name}", t)
    if kind == "batchnorm":
        save("batchnorm_running_mean", rm); save("batchnorm_running_var", rv)


def losses():
    logits = leaf(rand(2, 3, 4, 4, 4, lo=-3, hi=3))
    labels = torch.randint(0, 3, (2, 4, 4, 4))
    save("loss_logits", last(logits)); save("loss_labels", labels.to(torch.float64))
    onehot = F.one_hot(labels, 3).permute(0, 4, 1, 2, 3).to(torch.float64)
    for name in ("dice", "ce", "dice_ce"):
        logits.grad = None
        p = torch.softmax(logits, 1)
        inter = (onehot * p).sum((0, 2, 3, 4))
        denom = onehot.sum((0, 2, 3, 4)) + p.sum((0, 2, 3, 4))
        dice = 1 - ((2 * inter + 1e-6) / (denom + 1e-6)).mean()
        ce = F.cross_entropy(logits, labels)
        value = {"dice": dice, "ce": ce, "dice_ce": dice + ce}[name]
        value.backward()
        save(f"loss_{name}_value", value.reshape(1)); save(f"loss_{name}_grad", last(logits.grad))


if __name__ == "__main__":
    conv3x3(); transposed(); pointwise(); maxpool()
    normalization("batchnorm"); normalization("instancenorm"); losses()
    print("wrote", len([f for f in os.listdir(HERE) if f.endswith(".npy")]), "files to", HERE)
