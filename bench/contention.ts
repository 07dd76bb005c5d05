// Contention benchmark: the engine benchmark (latentlens and PyTorch alternating) alone and with N busy
// processes on the cores, for several libgomp spin counts on the latentlens side (PyTorch keeps libgomp's
// defaults). libgomp's threads spin-wait at each parallel region's end; with a core taken by another
// process a spinning thread holds the core that its descheduled partner needs. Each setting runs in a
// child process because libgomp reads GOMP_SPINCOUNT once, when it loads.
//   ./run.sh bench contention [--spins default,3000,0] [--contend 1] [--rounds 3]
// Last line: {"suite":"contention", rows: [{spin, contend, latentlens/pytorch img/s}], ...}.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : fallback;
}

interface EngineRow {
  latentlens_train_img_s: number;
  pytorch_train_img_s: number;
  latentlens_infer_img_s: number;
  pytorch_infer_img_s: number;
}

function spinEnv(spin: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OMP_WAIT_POLICY;
  if (spin === 'default') delete env.GOMP_SPINCOUNT;
  else env.GOMP_SPINCOUNT = spin;
  return env;
}

export async function run(args: string[]): Promise<void> {
  // 'default' leaves GOMP_SPINCOUNT unset (libgomp's own spin, about 300000 iterations).
  const spins = arg(args, 'spins', 'default,3000,0').split(',');
  const contend = Number(arg(args, 'contend', '1'));
  const rounds = arg(args, 'rounds', '3');
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const rows: Record<string, unknown>[] = [];
  for (const spin of spins) {
    for (const c of [0, contend]) {
      const r = spawnSync(
        process.execPath,
        [main, 'engine', '--rounds', rounds, '--train-steps', '20', '--infer-steps', '40', '--contend', String(c)],
        {
          env: spinEnv(spin),
          encoding: 'utf8',
        },
      );
      const last = r.stdout.trim().split('\n').pop() ?? '';
      if (r.status !== 0 || !last.startsWith('{'))
        throw new Error(`engine benchmark failed (spin ${spin}, contend ${c}): ${r.stderr.slice(-1500)}`);
      const e = JSON.parse(last) as EngineRow;
      const row = {
        spin,
        contend: c,
        ll_train: e.latentlens_train_img_s,
        py_train: e.pytorch_train_img_s,
        ll_infer: e.latentlens_infer_img_s,
        py_infer: e.pytorch_infer_img_s,
      };
      console.error(JSON.stringify(row));
      rows.push(row);
    }
  }
  console.log(JSON.stringify({ suite: 'contention', contend, rows }));
}
