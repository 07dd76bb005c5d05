// The harness of the suites that time latentlens against a Python PyTorch peer doing the same steps
// (engine, convae, train3d). Kept in one place so that all start their peer, name the two sides and time
// a training step and an inference pass alike, and their ratios compare like with like.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { F, autocastBf16, noGrad, scope, torchVersion, type Optimizer, type Tensor } from '../src/engine/index.js';
import type { Module } from '../src/nn/module.js';
import { PythonPeer } from './python-peer.js';

/** The number after `--name` in `args`, or `fallback` when the flag is absent. */
export function numberArg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/**
 * Starts bench/peers/<script> with `args`. OpenBLAS is held to one thread so that the peer's threads
 * are torch's own pool, sized like latentlens's.
 */
export function startPeer(script: string, args: string[]): PythonPeer {
  return new PythonPeer(fileURLToPath(new URL(`../../bench/peers/${script}`, import.meta.url)), args, { OPENBLAS_NUM_THREADS: '1' });
}

/**
 * Writes to stderr what each side runs on: the peer's first line, then libtorch, threads, cores and
 * `extra`. Returns that first line.
 */
export async function announceSides(peer: PythonPeer, threads: number, extra = ''): Promise<string> {
  const ready = await peer.next();
  console.error(`peer: ${ready}; latentlens: libtorch ${torchVersion()}, ${threads} threads, ${availableParallelism()} cores${extra}`);
  return ready;
}

/**
 * A timer of training steps: it runs `steps` Adam steps of MSE reconstruction of `x` and returns the
 * seconds taken. `readLastLoss` reads the last step's loss back before the clock stops, as the peers
 * do after their steps.
 */
export function reconstructionTrainer(
  model: Module,
  opt: Optimizer,
  x: Tensor,
  readLastLoss = false,
  bf16 = false,
): (steps: number) => number {
  // bf16: the forward and the loss under CPU autocast, backward and step outside, as the peer's torch.autocast.
  const lossOf = () => F.mseLoss(model.forward(x), x);
  return (steps) => {
    model.train();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) {
      scope(() => {
        opt.zeroGrad();
        const loss = bf16 ? autocastBf16(lossOf) : lossOf();
        loss.backward();
        opt.step();
        if (readLastLoss && i === steps - 1) loss.item();
      });
    }
    return (performance.now() - t0) / 1000;
  };
}

/**
 * A timer of inference: it runs `steps` forward passes of `x` in eval mode without gradients (under CPU
 * bf16 autocast with `bf16`), reading each output's sum back as the peers do, and returns the seconds taken.
 */
export function inferenceTimer(model: Module, x: Tensor): (steps: number, bf16?: boolean) => number {
  const forward = () => model.forward(x).float().sum().item();
  return (steps, bf16 = false) => {
    model.eval();
    const t0 = performance.now();
    noGrad(() => {
      for (let i = 0; i < steps; i++) scope(() => (bf16 ? autocastBf16(forward) : forward()));
    });
    return (performance.now() - t0) / 1000;
  };
}

export const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** Prints the suite's result: one JSON object on the last line of stdout, which is what bench/main.ts promises. */
export function printResult(result: Record<string, unknown>): void {
  console.log(JSON.stringify(result));
}
