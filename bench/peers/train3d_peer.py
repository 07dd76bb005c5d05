# PyTorch peer of the train3d benchmark: the same 3D ConvAE as latentlens's conv-ae on 1 x 28^3 volumes
# (width 32, batch norm, ReLU, transposed-conv decoder, sigmoid, MSE; Adam 1e-3), batch 16 of random
# volumes, driven over stdin/stdout so that rounds alternate with latentlens in one run.
# Commands: "train STEPS" answers with the seconds taken.
import os, sys, time
import torch
from torch import nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count()
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 16
side = int(sys.argv[3]) if len(sys.argv) > 3 else 28
torch.set_num_threads(threads)
torch.manual_seed(0)
# src/models/backbone.ts for inputShape [1, 28, 28, 28], latent grid 7^3, K = 16 maps.
encoder = nn.Sequential(
    nn.Conv3d(1, 32, 3, 2, 1, bias=False), nn.BatchNorm3d(32), nn.ReLU(),
    nn.Conv3d(32, 64, 3, 2, 1, bias=False), nn.BatchNorm3d(64), nn.ReLU(),
    nn.Conv3d(64, 16, 3, 1, 1),
)
decoder = nn.Sequential(
    nn.Conv3d(16, 64, 3, 1, 1, bias=False), nn.BatchNorm3d(64), nn.ReLU(),
    nn.ConvTranspose3d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm3d(32), nn.ReLU(),
    nn.ConvTranspose3d(32, 32, 4, 2, 1, bias=False), nn.BatchNorm3d(32), nn.ReLU(),
    nn.Conv3d(32, 1, 3, 1, 1),
)
model = nn.Sequential(encoder, decoder)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(batch, 1, side, side, side)
print("ready", torch.__version__, torch.get_num_threads(), sum(p.numel() for p in model.parameters()), flush=True)
for line in sys.stdin:
    cmd, steps = line.split()
    steps = int(steps)
    model.train()
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(torch.sigmoid(model(x)), x)
        loss.backward()
        opt.step()
    loss.item()
    print(time.perf_counter() - t0, flush=True)
