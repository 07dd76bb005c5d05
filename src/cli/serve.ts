// `latentlens serve <run> [run2]`: the local web explorer over one run folder, or two side by side.
import type { Command } from 'commander';
import { startServer } from '../serve/index.js';
import { wholeNumberFlag } from './flags.js';

interface ServeFlags {
  port: number;
  host: string;
  token?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve <run> [run2]')
    .description(
      'local web explorer: cases, map ranking, attribution heatmaps, live latent editing, embeddings, TCAV; a second run is shown beside the first',
    )
    .option('--port <n>', 'port (0: any free port)', wholeNumberFlag('--port'), 8470)
    .option('--host <addr>', 'address to bind; anything but loopback requires a token', '127.0.0.1')
    .option('--token <t>', 'access token (default: none on loopback, a random one otherwise)')
    .action(async (run: string, run2: string | undefined, f: ServeFlags) => {
      if (!Number.isInteger(f.port) || f.port < 0 || f.port > 65535) throw new Error(`--port ${f.port}: expected 0..65535`);
      const server = await startServer({ runs: run2 ? [run, run2] : [run], host: f.host, port: f.port, token: f.token });
      console.log(`loading ${server.runs.map((r) => r.dir).join(' and ')} ...`);
      server.ready.then(
        () => console.log('ready'),
        (err: Error) => console.error(`error: ${err.message}`),
      );
      console.log(`explorer: ${server.url}`);
      if (server.token) console.log('every request needs the token shown in the URL; share it only with people who may see these runs');
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        console.log('\nstopping');
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
