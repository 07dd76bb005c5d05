// A long-lived Python peer process (Debian's /usr/bin/python3 with python3-torch/sklearn), driven by
// one-line commands so that latentlens and the peer can alternate rounds in the same run.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

export class PythonPeer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(script: string, args: string[] = [], env: Record<string, string> = {}) {
    // PyTorch runs as its users run it: with libgomp's own wait policy, not the spin count that
    // latentlens's engine sets in its process (engine/native.ts) or that a benchmark gives it.
    const base = { ...process.env };
    delete base.GOMP_SPINCOUNT;
    delete base.OMP_WAIT_POLICY;
    this.proc = spawn('/usr/bin/python3', [script, ...args], { env: { ...base, ...env } });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.lines = createInterface({ input: this.proc.stdout });
    this.lines.on('line', (l) => this.pending.shift()?.(l));
    this.proc.on('exit', (code) => {
      for (const p of this.pending.splice(0)) p(`__exit__ ${code}: ${this.stderr.slice(-2000)}`);
    });
  }

  /** The next line the peer prints (after sending `command`, if given). */
  async next(command?: string): Promise<string> {
    const line = new Promise<string>((resolve) => this.pending.push(resolve));
    if (command !== undefined) this.proc.stdin.write(`${command}\n`);
    const l = await line;
    if (l.startsWith('__exit__')) throw new Error(`python peer exited: ${l}`);
    return l;
  }

  close(): void {
    this.proc.stdin.end();
    this.proc.kill();
  }
}
