# PyTorch peer of the engine benchmark: the same reference autoencoder, driven over stdin/stdout so that
# rounds alternate with latentlens in one run. Commands: "train STEPS" and "infer STEPS" (and their
# "_bf16" forms under torch.autocast("cpu", torch.bfloat16)); each answers
# with the seconds taken. "frozen STEPS" runs inference through PyTorch's best CPU equivalent of a fast
# path: torch.jit.freeze + optimize_for_inference of the scripted eval model (made once, untimed).
import os, sys, time
import torch
from torch import nn

threads = int(sys.argv[1]) if len(sys.argv) > 1 else os.cpu_count()
torch.set_num_threads(threads)
torch.manual_seed(0)
batch = 32
model = nn.Sequential(
    nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(),
    nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
    nn.Conv2d(64, 64, 3, 2, 1), nn.ReLU(),
    nn.ConvTranspose2d(64, 64, 3, 2, 1, 1), nn.ReLU(),
    nn.ConvTranspose2d(64, 32, 3, 2, 1, 1), nn.ReLU(),
    nn.ConvTranspose2d(32, 1, 3, 2, 1, 1), nn.Sigmoid(),
)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(batch, 1, 64, 64)
frozen = None
print("ready", torch.__version__, torch.get_num_threads(), flush=True)
for line in sys.stdin:
    cmd, steps = line.split()
    steps = int(steps)
    t0 = time.perf_counter()
    if cmd in ("train", "train_bf16"):
        model.train()
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cmd == "train_bf16"):
                loss = nn.functional.mse_loss(model(x), x)
            loss.backward()
            opt.step()
        loss.item()
    elif cmd == "frozen":
        if frozen is None:
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model.eval())))
            t0 = time.perf_counter()
        with torch.no_grad():
            for _ in range(steps):
                frozen(x).sum().item()
    else:
        model.eval()
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=cmd == "infer_bf16"):
            for _ in range(steps):
                model(x).float().sum().item()
    print(time.perf_counter() - t0, flush=True)
