// ddp benchmark: latentlens's data-parallel training on 2 local ranks against PyTorch DDP (Debian's
// python3-torch, gloo, torch.multiprocessing; bench/peers/ddp_peer.py) from the same initial weights on
// the same images in the same DistributedSampler order: the train benchmark's ConvAE (BatchNorm: buffers
// from rank 0), global batch 64, Adam 1e-3, 16 steps (--steps) on the first 1024 PneumoniaMNIST training images.
// Reports the largest weight difference (parameters and BatchNorm statistics) between the two, and
// latentlens's images per second as one process of 2 threads and as 2 ranks of 1 thread (steps 3..16).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMedMNIST } from '../src/data/medmnist.js';
import { generator, withGenerator } from '../src/engine/generator.js';
import { setNumThreads } from '../src/engine/runtime.js';
import { createModel } from '../src/models/registry.js';
import { freePort } from '../src/cli/launch-ranks.js';
import { benchTrain, type BenchSetup } from './ddp-rank.js';

const RANKS = 2;
const PEER = fileURLToPath(new URL('../../bench/peers/ddp_peer.py', import.meta.url));

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
}

function runChild(cmd: string, argv: string[], env: Record<string, string>): Promise<string> {
  return new Promise((res, rej) => {
    const base = { ...process.env };
    // PyTorch and the ranks run with libgomp's own wait policy, as the other peers do (python-peer.ts).
    delete base.GOMP_SPINCOUNT;
    delete base.OMP_WAIT_POLICY;
    const child = spawn(cmd, argv, { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`))));
  });
}

export async function run(args: string[]): Promise<void> {
  const npz = resolve(arg(args, 'npz', fileURLToPath(new URL('../../../shared/data/pneumoniamnist/pneumoniamnist.npz', import.meta.url))));
  // --steps: at least 3, since the speed is timed over the steps after the first two.
  const steps = Number(arg(args, 'steps', '16'));
  if (!Number.isInteger(steps) || steps < 3)
    throw new Error(`bench ddp: --steps takes a whole number from 3, got ${arg(args, 'steps', '')}`);
  const s: BenchSetup & { world: number } = { n: 1024, batch: 64, steps, lr: 1e-3, world: RANKS };
  const dir = mkdtempSync(join(tmpdir(), 'latentlens-bench-ddp-'));
  try {
    const data = await loadMedMNIST(npz);
    const px = 28 * 28;
    const train = data.splits!.train;
    const images = new Float32Array(s.n * px);
    for (let i = 0; i < s.n; i++) images.set(data.images.subarray(train[i]! * px, (train[i]! + 1) * px), i * px);
    writeFileSync(join(dir, 'images.f32'), images);
    const model = withGenerator(generator(0), () =>
      createModel('conv-ae', { inputShape: [1, 28, 28], latentMaps: 32, latentGrid: [7, 7] }),
    );
    const init = Object.fromEntries([...model.stateDict()].map(([k, t]) => [k, [t.shape, Array.from(t.toNumbers(), Number)]]));
    writeFileSync(join(dir, 'init.json'), JSON.stringify(init));
    model.dispose();

    // One process, 2 threads.
    setNumThreads(RANKS);
    const single = await benchTrain(dir, s);
    const singleState = Object.fromEntries([...single.model.stateDict()].map(([k, t]) => [k, Array.from(t.toNumbers(), Number)]));
    single.model.dispose();
    // 2 ranks of 1 thread, then PyTorch DDP likewise.
    const rankScript = fileURLToPath(new URL('./ddp-rank.js', import.meta.url));
    const port = await freePort();
    const outs = await Promise.all(
      Array.from({ length: RANKS }, (_, r) =>
        runChild(process.execPath, [rankScript, dir, JSON.stringify(s)], {
          RANK: String(r),
          LOCAL_RANK: String(r),
          WORLD_SIZE: String(RANKS),
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: String(port),
          LATENTLENS_THREADS: '1',
        }),
      ),
    );
    const ll = JSON.parse(outs[0]!.trim().split('\n').at(-1)!) as { imgPerSec: number; state: Record<string, number[]> };
    await runChild('/usr/bin/python3', [PEER, dir, JSON.stringify(s), String(await freePort())], {
      OMP_NUM_THREADS: '1',
    });
    const py = JSON.parse(readFileSync(join(dir, 'pytorch.json'), 'utf8')) as {
      imgPerSec: number;
      state: Record<string, number[]>;
      torch: string;
    };
    // The same comparison without data parallelism (one process each side), for scale: kernels differ
    // (latentlens's transposed convolution is its own), and 16 Adam steps with BatchNorm carry that on.
    await runChild('/usr/bin/python3', [PEER, dir, JSON.stringify({ ...s, world: 1 }), String(await freePort())], { OMP_NUM_THREADS: '1' });
    const py1 = JSON.parse(readFileSync(join(dir, 'pytorch.json'), 'utf8')) as { state: Record<string, number[]> };
    const diff = (a: Record<string, number[]>, b: Record<string, number[]>) =>
      Math.max(...Object.entries(a).map(([k, v]) => v.reduce((m, x, i) => Math.max(m, Math.abs(x - b[k]![i]!)), 0)));
    console.error(`one process each: max |w_latentlens - w_pytorch| ${diff(singleState, py1.state).toExponential(2)}`);
    let maxDiff = 0;
    let worst = '';
    let moved = 0;
    for (const [k, v] of Object.entries(ll.state)) {
      const p = py.state[k]!;
      if (p.length !== v.length) throw new Error(`${k}: ${v.length} values in latentlens, ${p.length} in PyTorch`);
      for (let i = 0; i < v.length; i++) {
        const d = Math.abs(v[i]! - p[i]!);
        if (d > maxDiff) [maxDiff, worst] = [d, k];
        if (k.endsWith('.weight') || k.endsWith('.bias')) moved = Math.max(moved, Math.abs(v[i]! - (init[k]![1] as number[])[i]!));
      }
    }
    console.error(
      `torch ${py.torch}: max |w_latentlens - w_pytorch_ddp| ${maxDiff.toExponential(2)} (in ${worst}; parameters moved up to ` +
        `${moved.toExponential(2)} in ${s.steps} steps); PyTorch DDP 2x1 thread ${py.imgPerSec.toFixed(0)} img/s`,
    );
    console.log(
      JSON.stringify({
        suite: 'ddp',
        ranks: RANKS,
        max_abs_weight_diff_vs_pytorch_ddp: Number(maxDiff.toExponential(3)),
        img_s_1x2threads: Math.round(single.imgPerSec),
        img_s_2x1thread: Math.round(ll.imgPerSec),
        pytorch_ddp_img_s_2x1thread: Math.round(py.imgPerSec),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
