# PyTorch peer of the convae and train3d benchmarks: latentlens's ConvAE (src/models/backbone.ts and
# conv-ae.ts) built layer for layer from the plan latentlens sends (input shape, stage widths, latent
# maps), 2D or 3D by the shape's length: stride-2 conv + batch norm + ReLU stages, a 3x3 conv to the
# maps; a 3x3 conv + norm + ReLU, 4x4 stride-2 transposed convs + norm + ReLU, a 3x3 conv to the
# channels; sigmoid, MSE, Adam 1e-3, on one batch of random inputs. Driven over stdin/stdout so that
# rounds alternate with latentlens in one run. "train STEPS", "infer STEPS" (eval mode, no_grad) and
# "frozen STEPS" (torch.jit.freeze + optimize_for_inference of the eval model, made once, untimed)
# answer with the seconds taken.
import json, sys, time
import torch
from torch import nn

threads, batch = int(sys.argv[1]), int(sys.argv[2])
plan = json.loads(sys.argv[3])
shape, widths, maps = plan["shape"], plan["widths"], plan["maps"]
torch.set_num_threads(threads)
torch.manual_seed(0)
volumetric = len(shape) == 4
Conv, ConvT, Norm = (nn.Conv3d, nn.ConvTranspose3d, nn.BatchNorm3d) if volumetric else (nn.Conv2d, nn.ConvTranspose2d, nn.BatchNorm2d)

enc, c = [], shape[0]
for w in widths:
    enc += [Conv(c, w, 3, 2, 1, bias=False), Norm(w), nn.ReLU(inplace=True)]
    c = w
enc.append(Conv(c, maps, 3, 1, 1))
rev = widths[::-1]
dec = [Conv(maps, rev[0], 3, 1, 1, bias=False), Norm(rev[0]), nn.ReLU(inplace=True)]
for i, cin in enumerate(rev):
    cout = rev[i + 1] if i + 1 < len(rev) else rev[-1]
    dec += [ConvT(cin, cout, 4, 2, 1, bias=False), Norm(cout), nn.ReLU(inplace=True)]
dec.append(Conv(rev[-1], shape[0], 3, 1, 1))
model = nn.Sequential(nn.Sequential(*enc), nn.Sequential(*dec), nn.Sigmoid())
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.rand(batch, *shape)
frozen = None
print("ready", torch.__version__, torch.get_num_threads(), sum(p.numel() for p in model.parameters()), flush=True)
for line in sys.stdin:
    cmd, steps = line.split()
    steps = int(steps)
    t0 = time.perf_counter()
    if cmd == "train":
        model.train()
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
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
        with torch.no_grad():
            for _ in range(steps):
                model(x).sum().item()
    print(time.perf_counter() - t0, flush=True)
