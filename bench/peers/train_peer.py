# PyTorch peer of the train benchmark: latentlens's ConvAE (K=32 maps of 7x7 on 28x28x1; see
# src/models/conv-ae.ts and backbone.ts), built layer for layer in PyTorch with the same optimiser
# (Adam 1e-3), batch size, loss (MSE of sigmoid output) and per-epoch validation (loss, MSE, PSNR, SSIM).
# Driven over stdin/stdout: "train EPOCHS" answers {"seconds": [...per epoch]}; "test" answers
# {"psnr": .., "mse": ..} on the test split; "reset SEED" builds fresh weights.
import json, sys, time
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

threads, batch, npz, seed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
torch.set_num_threads(threads)
d = np.load(npz)
def images(split):
    x = d[f"{split}_images"].astype(np.float32) / 255.0
    return torch.from_numpy(x.reshape(x.shape[0], 1, 28, 28).copy())
train_x, val_x, test_x = images("train"), images("val"), images("test")

def conv_ae():
    enc = nn.Sequential(
        nn.Conv2d(1, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 32, 3, 1, 1))
    dec = nn.Sequential(
        nn.Conv2d(32, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.ConvTranspose2d(32, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 1, 3, 1, 1))
    return nn.ModuleDict({"encoder": enc, "decoder": dec})

def reconstruct(m, x):
    return torch.sigmoid(m["decoder"](m["encoder"](x)))

def gauss(size=11, sigma=1.5):
    c = (size - 1) / 2
    g = torch.exp(-((torch.arange(size, dtype=torch.float64) - c) ** 2) / (2 * sigma * sigma))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]

WIN = gauss()
def ssim_sum(x, y):
    x, y = x.double(), y.double()
    f = lambda t: F.conv2d(t, WIN)
    mx, my = f(x), f(y)
    sxx, syy, sxy = f(x * x) - mx * mx, f(y * y) - my * my, f(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return s.flatten(1).mean(1).sum().item()

def evaluate(m, xs, bs=256):
    m.eval()
    se, ss, loss = 0.0, 0.0, 0.0
    with torch.no_grad():
        for i in range(0, len(xs), bs):
            x = xs[i:i + bs]
            loss += F.mse_loss(reconstruct(m, x), x).item() * len(x)  # evalLoss, as latentlens computes it
            y = reconstruct(m, x)
            se += F.mse_loss(y, x, reduction="sum").item()
            ss += ssim_sum(y, x)
    m.train()
    mse = se / xs.numel()
    return {"loss": loss / len(xs), "mse": mse, "psnr": 10 * np.log10(1 / max(mse, 1e-12)), "ssim": ss / len(xs)}

def reset(s):
    global model, opt, gen
    torch.manual_seed(s)
    model = conv_ae()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(s)

reset(seed)
print("ready", torch.__version__, torch.get_num_threads(), flush=True)
for line in sys.stdin:
    cmd, *args = line.split()
    if cmd == "reset":
        reset(int(args[0])); print("{}", flush=True)
    elif cmd == "train":
        secs, vals = [], []
        for _ in range(int(args[0])):
            t0 = time.perf_counter()
            order = torch.randperm(len(train_x), generator=gen)
            for i in range(0, len(order), batch):
                x = train_x[order[i:i + batch]]
                opt.zero_grad(set_to_none=True)
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args[1:] == ["bf16"]):
                    loss = F.mse_loss(reconstruct(model, x), x)
                loss.backward()
                opt.step()
            vals.append(evaluate(model, val_x))
            secs.append(time.perf_counter() - t0)
        print(json.dumps({"seconds": secs, "val": vals}), flush=True)
    elif cmd == "test":
        print(json.dumps(evaluate(model, test_x)), flush=True)
