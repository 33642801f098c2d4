"""Writes the PyTorch side of the inference round-trip test (run with the peers' venv; CI does not need it):

- small_unet.safetensors: a small UNet3D (filters 4-8-16-32, bottleneck 64, 3 classes) as PyTorch initialises it,
  with plausible running statistics (mean ~ N(0, 0.1), var ~ U(0.5, 1.5)), num_batches_tracked, and its head scaled ×100 so the classes compete, saved by
  safetensors.torch.save_file;
- image.npy: a float32 (32, 48, 32, 1) input in patchtrain's (x, y, z, c) layout;
- probabilities.npy: float32 (32, 48, 32, 3), the model's softmax output in eval() mode (running statistics), computed
  by PyTorch in float64 and transposed to (x, y, z, classes).

    python Fixtures/inference/make_fixture.py [path/to/peers] [--classes 2]

With `--classes 2` it writes the binary variant instead (a two-class softmax head, as PyTorch users train binary
segmentation with a 2-class cross-entropy): small_unet_2class.safetensors and probabilities_2class.npy, for the
same image.npy.
"""
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file

here = os.path.dirname(os.path.abspath(__file__))
arguments = sys.argv[1:]
classes = 3
if "--classes" in arguments:
    at = arguments.index("--classes")
    classes = int(arguments[at + 1])
    del arguments[at:at + 2]
suffix = "" if classes == 3 else f"_{classes}class"
peers = arguments[0] if arguments else os.path.join(here, "..", "..", "..", "shared", "peers")
sys.path.insert(0, peers)
from torch_unet import UNet3D  # noqa: E402

torch.manual_seed(11)
model = UNet3D(cin=1, ncls=classes, filters=(4, 8, 16, 32), bott=64)
with torch.no_grad():
    for name, value in model.state_dict().items():
        if name.endswith("running_mean"):
            value.copy_(torch.randn(value.shape) * 0.1)
        elif name.endswith("running_var"):
            value.copy_(torch.rand(value.shape) + 0.5)
        elif name.endswith("num_batches_tracked"):
            value.fill_(23)
        elif ".net.1." in name or ".net.4." in name:  # batch-norm affine parameters
            value.copy_((1.0 if name.endswith("weight") else 0.0) + 0.2 * torch.randn(value.shape))
        elif name == "out.weight":  # a sharper head, so that the classes really compete
            value.mul_(100)
save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(here, f"small_unet{suffix}.safetensors"))

rng = np.random.default_rng(5)
x, y, z = np.meshgrid(np.linspace(-1, 1, 32), np.linspace(-1, 1, 48), np.linspace(-1, 1, 32), indexing="ij")
image = (np.sin(3 * x) * np.cos(2 * y) + z + 0.3 * rng.standard_normal(x.shape)).astype(np.float32)
if classes == 3:
    np.save(os.path.join(here, "image.npy"), image[..., None])

model = model.double().eval()
with torch.no_grad():
    # Balance the classes: shift the head's bias so every class's median logit is the same.
    features = {}
    hook = model.out.register_forward_hook(lambda m, i, o: features.__setitem__("logits", o))
    model(torch.from_numpy(image.astype(np.float64))[None, None])
    hook.remove()
    medians = features["logits"][0].flatten(1).median(dim=1).values
    model.out.bias -= medians - medians.mean()
    save_file({k: v.float().contiguous() for k, v in model.state_dict().items()
               if v.dtype != torch.int64} | {k: v for k, v in model.state_dict().items() if v.dtype == torch.int64},
              os.path.join(here, f"small_unet{suffix}.safetensors"))
    p = model(torch.from_numpy(image.astype(np.float64))[None, None])  # softmax output, (1, classes, x, y, z)
np.save(os.path.join(here, f"probabilities{suffix}.npy"), p[0].permute(1, 2, 3, 0).float().numpy())
