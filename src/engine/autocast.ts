// bf16 autocast on CPU, as torch.autocast('cpu', dtype=torch.bfloat16): inside the region, ops on
// libtorch's lower-precision list (convolutions, transposed convolutions, linear, matmul) cast their
// inputs to bf16 and the loss-like ops on its fp32 list cast back; weights stay fp32 and their bf16
// copies are cached for the region. Only worth it where the CPU has native bf16 (AVX512-BF16 or AMX):
// elsewhere oneDNN emulates it and it is slower than fp32.
import { readFileSync } from 'node:fs';
import { native } from './native.js';

/**
 * Runs fn with CPU bf16 autocast on. Synchronous only: the state is per thread, and a Promise would
 * leave it on for whatever else runs on the event loop meanwhile.
 */
export function autocastBf16<T>(fn: () => T): T {
  const was = native.enterAutocastCpu();
  try {
    const result = fn();
    if (result instanceof Promise) throw new Error('autocastBf16: the function must be synchronous');
    return result;
  } finally {
    native.exitAutocastCpu(was);
  }
}

export const isAutocastBf16 = (): boolean => native.isAutocastCpu();

let bf16Native: boolean | undefined;

/** Whether this CPU computes bf16 natively (Linux /proc/cpuinfo flags avx512_bf16 or amx_bf16). */
export function cpuHasNativeBf16(): boolean {
  if (bf16Native === undefined) {
    try {
      const flags =
        readFileSync('/proc/cpuinfo', 'utf8')
          .match(/^flags\s*:(.*)$/m)?.[1]
          ?.split(/\s+/) ?? [];
      bf16Native = flags.includes('avx512_bf16') || flags.includes('amx_bf16');
    } catch {
      bf16Native = false;
    }
  }
  return bf16Native;
}

/** Runs fn with autocast paused (for backward passes inside an autocast region, as PyTorch recommends). */
export function outsideAutocast<T>(fn: () => T): T {
  const was = native.isAutocastCpu();
  if (!was) return fn();
  native.setAutocastCpuEnabled(false);
  try {
    return fn();
  } finally {
    native.setAutocastCpuEnabled(true);
  }
}
