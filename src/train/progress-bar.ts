// A one-line progress bar redrawn in place on a terminal: steps, epoch, loss, images/s, ETA. On any other
// stream it draws nothing (the trainer's epoch lines say where it is): see src/util/progress.ts.
import { StatusLine, type ProgressStream } from '../util/progress.js';

const WIDTH = 24;

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    sec = Math.floor(s % 60);
  const mm = String(m).padStart(2, '0'),
    ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class ProgressBar {
  private lastDraw = 0;
  private rate = 0;
  private readonly line: StatusLine;

  constructor(
    stream: ProgressStream,
    private readonly totalSteps: number,
    private readonly batchSize: number,
  ) {
    this.line = new StatusLine(stream);
  }

  /** Redraws at most 10 times a second (and always on the last step). */
  update(step: number, epoch: number, epochs: number, loss: number, imagesPerSec: number): void {
    this.rate = this.rate === 0 ? imagesPerSec : 0.9 * this.rate + 0.1 * imagesPerSec;
    const now = performance.now();
    if (now - this.lastDraw < 100 && step < this.totalSteps) return;
    this.lastDraw = now;
    const frac = Math.min(1, step / this.totalSteps);
    const filled = Math.round(frac * WIDTH);
    const eta = ((this.totalSteps - step) * this.batchSize) / this.rate;
    this.line.redraw(
      `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${step}/${this.totalSteps} ` +
        `epoch ${epoch + 1}/${epochs} loss ${loss.toPrecision(4)} ${this.rate.toFixed(0)} img/s ETA ${duration(eta)}`,
    );
  }

  /** Prints a message on its own line, keeping the bar below it. */
  log(message: string): void {
    this.line.log(message);
    this.lastDraw = 0;
  }

  done(): void {
    this.line.done();
  }
}
