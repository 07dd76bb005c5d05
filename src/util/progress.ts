// Progress on the console, the same for every command. On a terminal one line redrawn in place (`\r`,
// then cleared to its end); anywhere else (a pipe, a log file, CI) nothing is redrawn: a stage prints one
// line when it starts and one when it ends, so a log never reads `umap 9%umap 19%`.

/** What progress writes to: process.stderr, or a fake stream in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** One status line: redrawn in place on a terminal, never elsewhere; messages go on lines of their own. */
export class StatusLine {
  readonly tty: boolean;
  private open = false;

  constructor(private readonly stream: ProgressStream = process.stderr) {
    this.tty = stream.isTTY === true;
  }

  /** Redraws the line in place on a terminal (cut to its width); does nothing on any other stream. */
  redraw(line: string): void {
    if (!this.tty) return;
    this.stream.write(`\r${line.slice(0, (this.stream.columns || 120) - 1)}\x1b[K`);
    this.open = true;
  }

  /** A message on its own line; on a terminal the status line is cleared first and redrawn by the next `redraw`. */
  log(message: string): void {
    this.stream.write(this.open ? `\r\x1b[K${message}\n` : `${message}\n`);
    this.open = false;
  }

  /** Ends a status line that is showing (a newline after it, so it stays); nothing otherwise. */
  done(): void {
    if (this.open) this.stream.write('\n');
    this.open = false;
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Progress of named stages, each `done` of `total`. A terminal shows `<stage> done/total (pct%)` on one
 * line redrawn at most every `intervalMs` (interleaved stages share it), kept once a stage ends; elsewhere a stage prints `<stage> ...` when it is
 * first reported and `<stage> done: total in x s` when it reaches its total (stages that interleave, as a
 * fit and its evaluation per fold, still print one start and one end line each).
 */
export class StageProgress {
  private readonly line: StatusLine;
  private readonly stages = new Map<string, { start: number; ended: boolean; done: number; total: number }>();
  private lastDraw = -Infinity;

  constructor(
    stream: ProgressStream = process.stderr,
    private readonly o: { intervalMs?: number; now?: () => number } = {},
  ) {
    this.line = new StatusLine(stream);
  }

  private now(): number {
    return (this.o.now ?? (() => performance.now()))();
  }

  update(stage: string, done: number, total: number): void {
    const now = this.now();
    let s = this.stages.get(stage);
    if (!s) {
      s = { start: now, ended: false, done, total };
      this.stages.set(stage, s);
      if (!this.line.tty) this.line.log(`${stage} ...`);
    }
    s.done = done;
    s.total = total;
    if (s.ended) return;
    const finished = total > 0 && done >= total;
    if (this.line.tty) {
      if (finished || now - this.lastDraw >= (this.o.intervalMs ?? 100)) {
        this.lastDraw = now;
        const pct = total > 0 ? Math.floor((100 * Math.min(done, total)) / total) : 0;
        this.line.redraw(`${stage} ${done}/${total} (${pct}%)${finished ? ` in ${seconds(now - s.start)}` : ''}`);
      }
    }
    if (finished) {
      s.ended = true;
      if (this.line.tty) this.line.done();
      else this.line.log(`${stage} done: ${total} in ${seconds(now - s.start)}`);
    }
  }

  /** A message on its own line (the status line, if any, is redrawn below it by the next update). */
  log(message: string): void {
    this.line.log(message);
  }

  /** Ends every stage still open (one stopped before its total says where). */
  end(): void {
    const now = this.now();
    this.line.done();
    for (const [stage, s] of this.stages) {
      if (s.ended) continue;
      s.ended = true;
      if (!this.line.tty) this.line.log(`${stage} stopped at ${s.done}/${s.total} after ${seconds(now - s.start)}`);
    }
  }
}
