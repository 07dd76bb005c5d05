// `latentlens train --nproc 2` end to end: the launcher's ranks, the same command started by a torchrun-like
// launcher (only the variables set) reaching the same bytes, and a rank killed mid-run ending the run with
// a message naming it, after which `--resume --nproc 2` finishes from the last checkpoint.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hasDistributed } from '../../src/engine/index.js';
import { readTrainLog } from '../../src/train/jsonl-log.js';
import { runRanks } from '../helpers/ranks.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const skip = hasDistributed() ? false : 'the addon was built without Gloo (libgloo-dev)';
const dir = mkdtempSync(join(tmpdir(), 'latentlens-nproc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const args = (steps: number, out: string) => [
  'train',
  ...['--data', 'phantom:n=60,size=28,channels=gray,seed=3', '--model', 'conv-ae', '--width', '4', '--latent-maps', '2'],
  ...['--steps', String(steps), '--batch-size', '8', '--checkpoint-every', '3', '--seed', '5', '--no-progress', '--dist-timeout', '20'],
  ...['--out', out],
];

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

function latentlens(argv: string[], onSpawn?: (pid: number) => void): Promise<Done> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...argv], { env: { ...process.env, LATENTLENS_THREADS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    onSpawn?.(child.pid!);
    // 'close', not 'exit': only then has the child's stdout been read to its end.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The pid of the launcher's child that is rank `rank` (Linux: from /proc/<pid>/environ). */
function rankPid(launcher: number, rank: number): number | null {
  let pids: number[] = [];
  try {
    pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(launcher)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .map(Number);
  } catch {
    return null; // no children yet
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`RANK=${rank}`)) return pid;
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

const lastStep = (run: string) => {
  const steps = readTrainLog(join(run, 'train.jsonl')).filter((e) => e.type === 'step');
  return steps.length ? (steps[steps.length - 1]!.step as number) : 0;
};

describe('train --nproc', { concurrency: true }, () => {
  test('--nproc 2 and a torchrun-like launch of the same command write the same run; only rank 0 reports', { skip }, async () => {
    const a = join(dir, 'nproc');
    const b = join(dir, 'torchrun');
    const [r, ranks] = await Promise.all([latentlens([...args(6, a), '--nproc', '2']), runRanks(main, args(6, b), { worldSize: 2 })]);
    assert.equal(r.code, 0, r.stderr);
    for (const k of ranks) assert.equal(k.code, 0, k.stderr);
    assert.match(r.stderr, /2 ranks x 1 threads/);
    // One summary: rank 0's.
    assert.equal(r.stdout.match(/^completed: 6 steps/gm)?.length, 1);
    assert.equal(ranks[1]!.stdout, '');
    const config = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    assert.equal(config.train.sampler, 'distributed');
    assert.equal(config.worldSize, 2);
    assert.ok(readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(b, 'model.safetensors'))), 'the same final weights');
  });

  test('a rank killed mid-run ends the run naming it; --resume --nproc 2 continues from the last checkpoint', { skip }, async () => {
    const run = join(dir, 'killed');
    let killed = false;
    let poll: NodeJS.Timeout | undefined;
    const r = await latentlens([...args(30, run), '--nproc', '2'], (launcher) => {
      poll = setInterval(() => {
        if (!existsSync(join(run, 'train.jsonl')) || lastStep(run) < 4) return;
        const pid = rankPid(launcher, 1);
        if (pid === null) return;
        clearInterval(poll);
        process.kill(pid, 'SIGKILL');
        killed = true;
      }, 20);
    });
    clearInterval(poll);
    assert.ok(killed, r.stderr);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /distributed: rank 0 of 2: \w+ #\d+ failed: peer rank 1 closed the connection/);
    assert.match(r.stderr, /latentlens: rank 1 of 2 was killed by SIGKILL/);
    const stoppedAt = lastStep(run);
    assert.ok(stoppedAt < 30, `the run reached step ${stoppedAt}`);
    const checkpoint = JSON.parse(readFileSync(join(run, 'checkpoints', 'latest.json'), 'utf8')).step as number;
    const resumed = await latentlens(['train', '--resume', '--nproc', '2', '--no-progress', '--dist-timeout', '20', '--out', run]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /^completed: 30 steps/m);
    // The log continues from the checkpoint: every step once, in order.
    const log = readTrainLog(join(run, 'train.jsonl'));
    assert.equal(log.filter((e) => e.type === 'start').at(-1)!.step, checkpoint);
    assert.deepEqual(
      log.filter((e) => e.type === 'step').map((e) => e.step),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });
});
