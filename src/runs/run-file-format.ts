// The analysis files of a run folder name their kind and shape version (`format`, `version`). Every
// reader checks them through here, so a file from a newer latentlens, or another program's JSON under
// the same name, is refused with what to do instead of being half-read into wrong numbers.
import { TCAV_RESULT_VERSION } from '../explain/tcav/index.js';

/** The newest version of each run file this latentlens reads (older versions are read as they are). */
export const RUN_FILE_FORMATS = {
  rank: { format: 'latentlens-rank', version: 2, command: 'rank' },
  explain: { format: 'latentlens-explain', version: 1, command: 'explain' },
  tcav: { format: 'latentlens-tcav', version: TCAV_RESULT_VERSION, command: 'tcav' },
  health: { format: 'latentlens-health', version: 1, command: 'train' },
} as const;

export type RunFileKind = keyof typeof RUN_FILE_FORMATS;

/**
 * Throws when `value` (parsed from `path`) is not a JSON object, names another format, or has a version
 * newer than this latentlens reads. Files written before `format`/`version` existed pass.
 */
export function checkRunFile(kind: RunFileKind, value: unknown, path: string): void {
  const want = RUN_FILE_FORMATS[kind];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${path}: expected a JSON object (a ${want.format} file), got ${Array.isArray(value) ? 'an array' : String(value === null ? 'null' : typeof value)}`);
  const { format, version } = value as { format?: unknown; version?: unknown };
  if (format !== undefined && format !== want.format) throw new Error(`${path}: its format is ${JSON.stringify(format)}, not ${want.format}: not a file latentlens ${want.command} wrote`);
  if (version !== undefined) {
    if (!(typeof version === 'number' && Number.isInteger(version) && version >= 1)) throw new Error(`${path}: version ${JSON.stringify(version)} is not a positive whole number`);
    if (version > want.version) throw new Error(`${path} is ${want.format} version ${version}; this latentlens reads up to version ${want.version}: update latentlens, or re-run 'latentlens ${want.command}' to rewrite it`);
  }
}
