"""Writes the PyTorch side of the checkpoint tests (run with the peers' venv; CI does not need it):

- seed_state_dict.json: name, shape and dtype of every state_dict entry of the reference UNet3D with its default
  configuration (../shared/peers/torch_unet.py), the exact contract of patchtrain's weights.safetensors;
- small_unet.safetensors: a small UNet3D (filters 4-8-16-32, bottleneck 64, 2 classes) with seeded random values
  in every entry (running statistics and num_batches_tracked included), saved by safetensors.torch.save_file, for
  the reader to load and compare against small_unet_values.json.

    python Fixtures/checkpoint/make_fixtures.py [path/to/peers]
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file

here = os.path.dirname(os.path.abspath(__file__))
peers = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared", "peers")
sys.path.insert(0, peers)
from torch_unet import UNet3D  # noqa: E402

seed = UNet3D()
entries = [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")} for k, v in seed.state_dict().items()]
with open(os.path.join(here, "seed_state_dict.json"), "w") as f:
    json.dump(entries, f, indent=1)

torch.manual_seed(7)
small = UNet3D(cin=1, ncls=2, filters=(4, 8, 16, 32), bott=64)
state = {}
for name, value in small.state_dict().items():
    if value.dtype == torch.int64:
        state[name] = torch.tensor(17, dtype=torch.int64)
    else:
        state[name] = torch.randn(value.shape, dtype=torch.float32)
save_file(state, os.path.join(here, "small_unet.safetensors"))
# A few values per tensor (first, last, sum) are enough to catch a wrong layout or offset.
summary = {k: ([float(v.flatten()[0]), float(v.flatten()[-1]), float(v.double().sum())] if v.dtype != torch.int64 else [int(v)])
           for k, v in state.items()}
with open(os.path.join(here, "small_unet_values.json"), "w") as f:
    json.dump(summary, f, indent=1, sort_keys=True)
print(f"{len(entries)} seed entries; small model {len(state)} tensors")
