"""PyTorch fp32 reference for `patchtrain-bench block`: one ConvBlock (Conv3d 3x3x3 -> BatchNorm3d -> ReLU, twice),
16 -> 16 channels, 128^3, batch 1, forward + backward, best of 2 after a warm-up. Run it right after
`patchtrain-bench block` so that both see the same machine load.   python torch_conv_block_bench.py [threads]
"""
import sys
import time

import torch
import torch.nn as nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
c, edge = 16, 128
block = nn.Sequential(nn.Conv3d(c, c, 3, padding=1), nn.BatchNorm3d(c, eps=1e-3, momentum=0.01), nn.ReLU(),
                      nn.Conv3d(c, c, 3, padding=1), nn.BatchNorm3d(c, eps=1e-3, momentum=0.01), nn.ReLU())
x = torch.randn(1, c, edge, edge, edge, requires_grad=True)
g = torch.randn(1, c, edge, edge, edge)
best = float("inf")
for i in range(3):
    start = time.perf_counter()
    block(x).backward(g)
    if i > 0:
        best = min(best, time.perf_counter() - start)
print(f"torch fp32 conv block {c}->{c} {edge}^3 fwd+bwd ({threads} threads): {best:.3f} s")
