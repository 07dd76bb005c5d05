// train.jsonl: one JSON object per line, each written with its own write() so a crash loses nothing
// already logged.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { FileWriteError, writeFileAtomic } from '../util/atomic-write.js';

export class JsonlLog {
  private fd: number | null;

  constructor(readonly path: string | null) {
    this.fd = path ? openSync(path, 'a') : null;
  }

  write(record: object): void {
    if (this.fd === null) return;
    try {
      writeSync(this.fd, `${JSON.stringify(record)}\n`);
    } catch (err) {
      throw new FileWriteError(this.path!, err);
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/**
 * Drops lines logged after the checkpoint of step `step` (work that a crash undid), so a resumed run's log reads like an
 * uninterrupted one. Lines without a step are kept.
 */
export function truncateLogAfter(path: string, step: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => {
    try {
      const r = JSON.parse(l) as { step?: number; type?: string };
      // A checkpoint is taken right after its step, before that step's epoch validation.
      return typeof r.step !== 'number' || r.step < step || (r.step === step && r.type === 'step');
    } catch {
      return false; // a line cut short by a crash
    }
  });
  writeFileAtomic(path, kept.map((l) => `${l}\n`).join(''));
}

/** Reads train.jsonl back as records. */
export function readTrainLog(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
