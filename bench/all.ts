// Every suite that issue 19's targets name, one after another, each in its own process (so one suite's
// threads, allocator and worker pools cannot slow the next), with the CPU named in the result: the
// re-measurement a new machine kind needs, as one command. Prints each target's verdict, writes all
// results to --out (default bench-results/<date>-<cpu>.json) and prints them as the last line.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Result = Record<string, unknown>;
interface Target {
  suite: string;
  what: string;
  value: (r: Result) => number;
  /** Whether the value meets the target; `bound` says it in words. */
  ok: (v: number, r: Result) => boolean;
  bound: string;
}

const num = (r: Result, ...path: (string | number)[]) => Number(path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], r));
const TARGETS: Target[] = [
  { suite: 'engine', what: 'training vs PyTorch eager', value: (r) => num(r, 'train_speedup'), ok: (v) => v >= 1.2, bound: '>= 1.2' },
  { suite: 'engine', what: 'inference vs PyTorch eager', value: (r) => num(r, 'infer_speedup'), ok: (v) => v >= 1.5, bound: '>= 1.5' },
  {
    suite: 'engine',
    what: 'inference vs PyTorch frozen',
    value: (r) => num(r, 'infer_speedup_vs_frozen'),
    ok: (v) => v >= 1,
    bound: '>= 1.0',
  },
  { suite: 'engine', what: 'RSS growth, MB', value: (r) => num(r, 'rss_growth_mb'), ok: (v) => v < 50, bound: '< 50' },
  {
    suite: 'train',
    what: 'PneumoniaMNIST epochs vs PyTorch',
    value: (r) => num(r, 'speedup'),
    ok: (v, r) => v >= 1.2 && Math.abs(num(r, 'latentlens_test_psnr') - num(r, 'pytorch_test_psnr')) <= 0.3,
    bound: '>= 1.2, PSNR within 0.3 dB',
  },
  {
    suite: 'convae',
    what: '2 x 128 x 128 training vs PyTorch',
    value: (r) => num(r, 'train_speedup'),
    ok: (v) => v >= 1.2,
    bound: '>= 1.2',
  },
  {
    suite: 'convae',
    what: '2 x 128 x 128 inference vs eager',
    value: (r) => num(r, 'infer_speedup'),
    ok: (v) => v >= 1.5,
    bound: '>= 1.5',
  },
  {
    suite: 'convae',
    what: '2 x 128 x 128 inference vs frozen',
    value: (r) => num(r, 'infer_speedup_frozen'),
    ok: (v) => v >= 1,
    bound: '>= 1.0',
  },
  { suite: 'train3d', what: '3D training vs PyTorch', value: (r) => num(r, 'train_speedup'), ok: (v) => v >= 1, bound: '>= 1.0' },
  ...[0, 1].map((i): Target => ({
    suite: 'forest',
    what: `forest fit ${i ? '4708 x 1568' : '4708 x 64'} vs scikit-learn`,
    value: (r) => num(r, 'cases', i, 'speedup'),
    ok: (v, r) => v >= 3 && Math.abs(num(r, 'cases', i, 'latentlens_oob') - num(r, 'cases', i, 'sklearn_oob')) <= 0.01,
    bound: '>= 3, OOB within 0.01',
  })),
  { suite: 'forest', what: 'PIMP 100 permutations, s', value: (r) => num(r, 'pimp100_s'), ok: (v) => v < 60, bound: '< 60' },
  ...(['tsne', 'umap'] as const).map((m): Target => ({
    suite: 'embed',
    what: `${m === 'tsne' ? 't-SNE vs scikit-learn' : 'UMAP vs umap-js'}`,
    value: (r) => num(r, m, 'speedup'),
    ok: (v, r) => v >= 3 && Math.abs(num(r, m, 'latentlens_trust') - num(r, m, 'peer_trust')) <= 0.02,
    bound: '>= 3, trustworthiness within 0.02',
  })),
  // Float differences only: the weights after 16 steps moved by about 1e-2; 1e-3 would be a different update.
  {
    suite: 'ddp',
    what: 'max weight difference to PyTorch DDP',
    value: (r) => num(r, 'max_abs_weight_diff_vs_pytorch_ddp'),
    ok: (v) => v < 1e-3,
    bound: '< 1e-3',
  },
];
const SUITES: [string, string[]][] = [
  ['engine', []],
  ['train', []],
  ['convae', []],
  ['train3d', []],
  ['forest', []],
  ['embed', ['--rounds', '3']],
  ['ddp', []],
];

/**
 * The CPU's model name with its family and model numbers (a virtual machine may call both a Zen 4 and a
 * Zen 5 EPYC just "AMD EPYC"), and the instruction sets that change libtorch's kernels.
 */
function cpu(): { model: string; flags: string[] } {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim() ?? 'unknown';
  const have = new Set(field('flags').split(' '));
  return {
    model: `${field('model name')} (family ${field('cpu family')}, model ${field('model')})`,
    flags: ['avx2', 'avx512f', 'avx512_bf16', 'amx_tile'].filter((f) => have.has(f)),
  };
}

export async function run(args: string[]): Promise<void> {
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : null;
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const machine = cpu();
  const date = new Date().toISOString().slice(0, 10);
  const out = args.includes('--out')
    ? args[args.indexOf('--out') + 1]!
    : join('bench-results', `${date}-${machine.model.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.json`);
  const results: Record<string, Result & { load_before: number; wall_s: number }> = {};
  for (const [suite, extra] of SUITES) {
    if (only && !only.includes(suite)) continue;
    const load = loadavg()[0]!;
    console.error(`== ${suite} (load average ${load.toFixed(2)})`);
    const t0 = performance.now();
    const stdout = execFileSync(process.execPath, [main, suite, ...extra], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 << 20,
    });
    results[suite] = {
      ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as Result),
      load_before: load,
      wall_s: Math.round((performance.now() - t0) / 1000),
    };
  }
  const verdicts = TARGETS.filter((t) => results[t.suite]).map((t) => {
    const v = t.value(results[t.suite]!);
    return { suite: t.suite, what: t.what, value: v, target: t.bound, met: t.ok(v, results[t.suite]!) };
  });
  for (const v of verdicts) console.error(`${v.met ? 'met   ' : 'MISSED'} ${v.suite.padEnd(8)} ${v.what}: ${v.value} (target ${v.target})`);
  const summary = { suite: 'all', cpu: machine.model, cpu_flags: machine.flags, date, verdicts, results };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(summary, null, 1) + '\n');
  console.error(`wrote ${out}`);
  console.log(JSON.stringify(summary));
}
