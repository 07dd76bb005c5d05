# PyTorch DDP peer of the ddp benchmark: the train benchmark's ConvAE (train_peer.py's conv_ae) from the
# shared initial weights (DIR/init.json), DistributedDataParallel over gloo (broadcast_buffers=True, 25 MB
# buckets), DistributedSampler(seed=0) over the shared images (DIR/images.f32), Adam, W processes of one
# thread each started by torch.multiprocessing. Rank 0 writes its final state to DIR/pytorch.json.
import json, os, sys, time
import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from torch import nn

class ConvAE(nn.Module):
    # A module with a forward, as DDP wraps one; the state dict names are latentlens's.
    def __init__(self):
        super().__init__()
        self.encoder, self.decoder = conv_ae()

    def forward(self, x):
        return torch.sigmoid(self.decoder(self.encoder(x)))

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
    return enc, dec

def worker(rank, world, d, s, port):
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    model = ConvAE()
    init = json.load(open(f"{d}/init.json"))
    sd = model.state_dict()
    model.load_state_dict({k: torch.tensor(init[k][1], dtype=v.dtype).reshape(v.shape) for k, v in sd.items()})
    net = DDP(model, broadcast_buffers=True)
    x = torch.from_numpy(np.fromfile(f"{d}/images.f32", dtype=np.float32).reshape(s["n"], 1, 28, 28))
    sampler = DistributedSampler(TensorDataset(x), num_replicas=world, rank=rank, shuffle=True, seed=0)
    opt = torch.optim.Adam(net.parameters(), lr=s["lr"])
    step, times = 0, []
    epoch = 0
    while step < s["steps"]:
        sampler.set_epoch(epoch)
        for (xb,) in DataLoader(TensorDataset(x), batch_size=s["batch"] // world, sampler=sampler):
            if step >= s["steps"]:
                break
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(net(xb), xb)
            loss.backward()
            opt.step()
            step += 1
            times.append(time.perf_counter())
        epoch += 1
    if rank == 0:
        img_s = (len(times) - 2) * s["batch"] / (times[-1] - times[1])
        state = {k: v.flatten().tolist() for k, v in model.state_dict().items()}
        json.dump({"imgPerSec": img_s, "state": state, "torch": torch.__version__}, open(f"{d}/pytorch.json", "w"))
    dist.barrier()
    dist.destroy_process_group()

if __name__ == "__main__":
    d, s, port = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    mp.spawn(worker, args=(s["world"], d, s, port), nprocs=s["world"], join=True)
