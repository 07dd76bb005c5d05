// `latentlens info`: what engine this installation runs on.
import type { Command } from 'commander';
import { cudaDeviceCount, getNumThreads, memoryStats, torchVersion } from '../engine/index.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the libtorch version, threads, devices and memory of the engine')
    .action(() => {
      console.log(
        JSON.stringify(
          {
            libtorch: torchVersion(),
            libtorchLocation: process.env.LIBTORCH ?? 'Debian libtorch-dev',
            threads: getNumThreads(),
            cudaDevices: cudaDeviceCount(),
            memory: memoryStats(),
          },
          null,
          2,
        ),
      );
    });
}
