// Data specs: one string names a data source and its options, for the CLI and for run configs.
//   <kind>:<target>[?<key>=<value>&<key>=<value>...]
// Options may also be separated by ','; a comma-separated piece without '=' continues the previous
// value as a list (channels=T1,T2,FLAIR). Values may be percent-encoded (%2C for a literal comma).
import { isAbsolute, join } from 'node:path';
import { loadDicom, type DicomOptions } from './dicom.js';
import { DataError } from './errors.js';
import { loadImageFolder, type ImageFolderOptions } from './folder.js';
import { loadMedMNIST, VOLUME_READINGS, type MedMNISTOptions } from './medmnist.js';
import { applyImagingDefaults, defaultNote } from './defaults.js';
import { parseByteSize } from './memory-budget.js';
import { loadNiftiCase, type NiftiCaseOptions, type SliceAxis } from './nifti.js';
import { generatePhantoms, type PhantomOptions } from './phantom.js';
import { generateVolumePhantoms, type VolumePhantomOptions } from './phantom-volumes.js';
import { loadNiftiSubjects, type NiftiSubjectsOptions } from './subjects.js';
import { loadNiftiSubjectVolumes } from './subject-volumes.js';
import { takeSplit } from './splits.js';
import { normalize, type NormalizationMethod } from './transforms.js';
import { isVolumeDataset, type CaseDataset, type ImageDataset, type SplitName } from './types.js';

/** Kinds of data source. */
export type DataKind = 'medmnist' | 'folder' | 'dicom' | 'nifti' | 'phantom' | 'phantom3d';

/** A parsed data spec. */
export interface DataSpec {
  /** Source kind. */
  kind: DataKind;
  /** Name, path, or (nifti) `channel=file` list; '' for phantoms. */
  target: string;
  /** Options by key; list values joined with ','. */
  options: Record<string, string>;
}

const COMMON = ['norm', 'split', 'memory'];
const KEYS: Record<DataKind, string[]> = {
  medmnist: ['root', 'volumes', 'size', 'pixels', ...COMMON],
  folder: ['csv', 'path', 'label', 'group', 'size', 'channels', 'missing', 'paths', 'norm', 'memory'],
  dicom: ['window', 'size', 'series', 'norm', 'memory'],
  nifti: ['seg', 'axis', 'keep', 'size', 'min', 'structure', 'dir', 'channels', 'cases', 'norm', 'memory'],
  phantom: [
    'n',
    'size',
    'seed',
    'channels',
    'lesion',
    'distractor',
    'lesionRate',
    'distractorRate',
    'noise',
    'texture',
    'organScale',
    'lesionIntensity',
    'lesionRadius',
    'distractorIntensity',
    'distractorRadius',
    ...COMMON,
  ],
  phantom3d: ['n', 'size', 'seed', 'channels', 'lesion', 'lesionRate', 'noise', 'lesionIntensity', 'lesionRadius', ...COMMON],
};

const EXAMPLES: Record<string, string> = {
  channels: 'channels=T1,T2,FLAIR',
  lesion: 'lesion=FLAIR',
  n: 'n=1000',
  size: 'size=64',
  memory: 'memory=16GiB',
  label: 'label=diagnosis',
};

/** Percent-decodes one value; a malformed escape names the spec, the field and what was expected. */
function decodeValue(text: string, spec: string, field: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    const at = text.search(/%(?![0-9A-Fa-f]{2})/);
    const what = at >= 0 ? `"${text.slice(at, at + 3)}" is not a percent escape` : 'its percent escapes are not valid UTF-8';
    throw new DataError(
      spec,
      `${field}=${text}: ${what}; expected % followed by two hex digits (%2C for a comma, %26 for &, %3F for ?, %25 for a literal %)`,
    );
  }
}

/** Parses `key=value` pieces separated by '&' or ','; pieces without '=' extend the previous value. */
function parseOptions(text: string, spec: string, what = 'option'): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const piece of text.split(/[&,]/)) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    if (eq < 0) {
      const last = out[out.length - 1];
      if (!last) throw new DataError(spec, `"${piece}" is not key=value; expected options like size=64`);
      last[1] += `,${decodeValue(piece, spec, `${what} ${last[0]}`)}`;
    } else {
      const key = piece.slice(0, eq).trim();
      out.push([key, decodeValue(piece.slice(eq + 1), spec, `${what} ${key}`)]);
    }
  }
  return out;
}

/** Parses a data spec string; throws a DataError naming the spec and the expected syntax. */
export function parseDataSpec(spec: string): DataSpec {
  const colon = spec.indexOf(':');
  const kinds = Object.keys(KEYS);
  if (colon < 0)
    throw new DataError(
      spec,
      `no source kind; expected <kind>:<target>[?options] with kind one of ${kinds.join(', ')} (e.g. medmnist:pneumoniamnist, phantom:n=1000)`,
    );
  const kind = spec.slice(0, colon).trim().toLowerCase() as DataKind;
  if (!kinds.includes(kind)) throw new DataError(spec, `unknown source kind "${kind}"; expected one of ${kinds.join(', ')}`);
  const rest = spec.slice(colon + 1);
  let target = '';
  let optText = '';
  if (kind === 'phantom' || kind === 'phantom3d') optText = rest.startsWith('?') ? rest.slice(1) : rest;
  else {
    const q = rest.indexOf('?');
    target = q < 0 ? rest : rest.slice(0, q);
    optText = q < 0 ? '' : rest.slice(q + 1);
    if (!target)
      throw new DataError(
        spec,
        `no target; expected ${kind === 'nifti' ? 'nifti:T1=t1.nii.gz,FLAIR=flair.nii.gz[?seg=seg.nii.gz]' : `${kind}:<${kind === 'medmnist' ? 'name or .npz path' : 'path'}>`}`,
      );
  }
  const options: Record<string, string> = {};
  for (const [k, v] of parseOptions(optText, spec)) {
    if (!KEYS[kind].includes(k)) throw new DataError(spec, `unknown option "${k}" for ${kind}; expected one of ${KEYS[kind].join(', ')}`);
    if (k in options) throw new DataError(spec, `option "${k}" given twice`);
    // An empty value would silently mean the default (channels= gave T1,T2,FLAIR); only distractor=
    // has a meaning empty (no distractor, like distractor=none).
    if (v.trim() === '' && !(kind === 'phantom' && k === 'distractor')) {
      throw new DataError(
        spec,
        `option ${k}= has no value; give one (e.g. ${EXAMPLES[k] ?? `${k}=...`}) or leave the option out for its default`,
      );
    }
    options[k] = v;
  }
  return { kind, target, options };
}

function int(spec: string, key: string, v: string, min = 1): number {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= min)) throw new DataError(spec, `option ${key}=${v}; expected an integer >= ${min}`);
  return n;
}
function num(spec: string, key: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new DataError(spec, `option ${key}=${v}; expected a number`);
  return n;
}
/** `a:b` as [a, b], or one number `a` as [a, a]. */
function range(spec: string, key: string, v: string): [number, number] {
  const parts = v.split(':');
  if (parts.length > 2) throw new DataError(spec, `option ${key}=${v}; expected a number or a range low:high`);
  const lo = num(spec, key, parts[0]!);
  const hi = parts.length === 2 ? num(spec, key, parts[1]!) : lo;
  if (hi < lo) throw new DataError(spec, `option ${key}=${v}; the range's low end is above its high end`);
  return [lo, hi];
}

function oneOf<T extends string>(spec: string, key: string, v: string, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) throw new DataError(spec, `option ${key}=${v}; expected one of ${allowed.join(', ')}`);
  return v as T;
}

// nifti:<folder>: a folder of subject folders (subjects.ts); defaults and normalisation per subject.
async function loadSubjects(
  text: string,
  folder: string,
  o: Record<string, string>,
  budget: { memoryBudget?: number },
): Promise<CaseDataset> {
  if (o.seg && o.seg !== 'auto' && o.seg !== 'none')
    throw new DataError(
      text,
      `option seg=${o.seg}; a folder of subjects finds each subject's *_seg.nii.gz itself: expected seg=auto or seg=none`,
    );
  const cases = o.cases ? oneOf(text, 'cases', o.cases, ['slices', 'volumes'] as const) : 'slices';
  const norm = o.norm ? oneOf(text, 'norm', o.norm, ['zscore', 'minmax', 'percentile', 'none'] as const) : undefined;
  const dir = o.dir && !isAbsolute(folder) ? join(o.dir, folder) : folder;
  if (cases === 'volumes') {
    // Each subject one C x D x H x W case (subject-volumes.ts); the slice options do not apply.
    const sliceOnly = ['axis', 'keep', 'min', 'size'].filter((k) => o[k] !== undefined);
    if (sliceOnly.length)
      throw new DataError(
        text,
        `option ${sliceOnly.join(', ')} is for slices; cases=volumes reads each subject whole, without resizing (expected channels, seg, structure, norm, dir, memory)`,
      );
    return loadNiftiSubjectVolumes(dir, {
      ...budget,
      ...(o.channels ? { channels: o.channels.split(',') } : {}),
      ...(o.seg ? { seg: o.seg as 'auto' | 'none' } : {}),
      ...(norm ? { norm } : {}),
      ...(o.structure ? { structure: o.structure } : {}),
    });
  }
  const opts: NiftiSubjectsOptions = { ...budget };
  if (o.seg) opts.seg = o.seg as 'auto' | 'none';
  if (o.channels) opts.channels = o.channels.split(',');
  if (o.axis) opts.axis = oneOf(text, 'axis', o.axis, ['axial', 'coronal', 'sagittal'] as const satisfies readonly SliceAxis[]);
  if (o.keep) opts.keep = oneOf(text, 'keep', o.keep, ['nonempty', 'labelled', 'all'] as const);
  if (o.size) opts.size = int(text, 'size', o.size);
  if (o.min) opts.minLabelVoxels = int(text, 'min', o.min);
  if (o.structure) opts.structure = o.structure;
  opts.perSubject = (ds) => applyImagingDefaults(ds, { norm: o.norm, size: o.size }, text, true);
  const ds = await loadNiftiSubjects(dir, opts);
  const size = ds.defaults?.find((d) => d.startsWith('size='));
  if (size) defaultNote(text, `default ${size}`);
  return ds;
}

/** Options of `loadDataset`. */
export interface LoadDatasetOptions {
  /**
   * The command (or function) the data is for, named in the error when the spec holds volumes, which
   * loadDataset refuses (e.g. `tcav`). Default: "this command".
   */
  command?: string;
}

/**
 * Loads the 2D images a spec names (see `loadCases` for the options). A spec that holds 3D volumes
 * (a MedMNIST 3D subset read as volumes, the default; `phantom3d:`) is refused with a DataError naming
 * the command and the 2D readings to ask for instead: the callers of this function are written for
 * N x C x H x W images, and a volume must never reach them as wrongly sized images.
 */
export async function loadDataset(spec: string | DataSpec, o: LoadDatasetOptions = {}): Promise<ImageDataset> {
  const ds = await loadCases(spec);
  if (!isVolumeDataset(ds)) return ds;
  const s = typeof spec === 'string' ? parseDataSpec(spec) : spec;
  const text = typeof spec === 'string' ? spec : `${s.kind}:${s.target}`;
  throw new DataError(
    text,
    `holds 3D volumes (${ds.shape.join(' x ')}, N x C x D x H x W), and ${o.command ?? 'this command'} takes 2D images only (volumes work in ${VOLUME_COMMANDS}); ${sliceHint(s)}`,
  );
}

/** The commands that take volumes, for the refusals of the others. */
export const VOLUME_COMMANDS = 'train, import, rank, explain, tcav, metrics, embed, report, serve and data inspect';

// What to ask for instead of volumes, per source kind.
function sliceHint(s: DataSpec): string {
  if (s.kind === 'phantom3d') return 'use a 2D phantom (phantom:...) instead';
  return 'read 2D images from it with volumes=middle (the middle slice of each volume), volumes=slices (every slice a case, grouped by volume) or volumes=channels (the slices as channels)';
}

/**
 * Loads the dataset a spec names: 2D images (ImageDataset) or 3D volumes (VolumeDataset: MedMNIST 3D
 * subsets, read as volumes unless `volumes=` asks for slices; `phantom3d:`). Common options:
 * `norm=zscore|minmax|percentile` normalises each channel (fitted on the train split when there is
 * one); `split=train|val|test` keeps one split; `memory=16GiB` sets the memory budget the reader checks
 * before it allocates (memory-budget.ts).
 */
export async function loadCases(spec: string | DataSpec): Promise<CaseDataset> {
  const s = typeof spec === 'string' ? parseDataSpec(spec) : spec;
  const text = typeof spec === 'string' ? spec : `${s.kind}:${s.target}`;
  const o = s.options;
  let memoryBudget: number | undefined;
  if (o.memory !== undefined) {
    const v = parseByteSize(o.memory);
    if (v === null)
      throw new DataError(text, `option memory=${o.memory}; expected a memory budget in bytes or with a unit, e.g. memory=16GiB`);
    memoryBudget = v;
  }
  const budget = memoryBudget === undefined ? {} : { memoryBudget };
  let ds: CaseDataset;
  switch (s.kind) {
    case 'medmnist': {
      const opts: MedMNISTOptions = { ...budget };
      if (o.split) opts.split = oneOf(text, 'split', o.split, ['train', 'val', 'test', 'all'] as const);
      if (o.root) opts.root = o.root;
      if (o.volumes) opts.volumes = oneOf(text, 'volumes', o.volumes, VOLUME_READINGS);
      if (o.pixels) opts.pixels = oneOf(text, 'pixels', o.pixels, ['range', 'raw'] as const);
      const name = o.size && int(text, 'size', o.size) !== 28 ? `${s.target}_${o.size}` : s.target;
      ds = await loadMedMNIST(name, opts);
      break;
    }
    case 'folder': {
      const opts: ImageFolderOptions = { ...budget };
      if (o.csv) opts.csv = o.csv;
      if (o.path) opts.pathColumn = o.path;
      if (o.label) opts.labelColumn = o.label;
      if (o.group) opts.groupColumn = o.group;
      if (o.size) opts.size = int(text, 'size', o.size);
      if (o.channels) opts.channels = oneOf(text, 'channels', o.channels, ['gray', 'rgb', 'auto'] as const);
      if (o.missing) opts.missing = oneOf(text, 'missing', o.missing, ['error', 'skip'] as const);
      if (o.paths) opts.paths = oneOf(text, 'paths', o.paths, ['folder', 'any'] as const);
      ds = await loadImageFolder(s.target, opts);
      break;
    }
    case 'dicom': {
      const opts: DicomOptions = { ...budget };
      if (o.size) opts.size = int(text, 'size', o.size);
      if (o.series) opts.series = o.series;
      if (o.window) {
        if (o.window === 'none' || o.window === 'file') opts.window = o.window;
        else {
          const parts = o.window.split(',');
          if (parts.length !== 2) throw new DataError(text, `option window=${o.window}; expected none, file, or <center>,<width>`);
          opts.window = [num(text, 'window', parts[0]!), num(text, 'window', parts[1]!)];
        }
      }
      ds = applyImagingDefaults(await loadDicom(s.target, opts), { norm: o.norm, size: o.size }, text);
      break;
    }
    case 'nifti': {
      if (!s.target.includes('=')) {
        ds = await loadSubjects(text, s.target, o, budget);
        break;
      }
      for (const k of ['channels', 'cases'] as const)
        if (o[k])
          throw new DataError(
            text,
            `option ${k}= is for a folder of subjects (nifti:<folder>); name the files as nifti:T1=t1.nii.gz,... for one case`,
          );
      const at = (p: string) => (o.dir && !isAbsolute(p) ? join(o.dir, p) : p);
      const channels: Record<string, string> = {};
      for (const [k, v] of parseOptions(s.target, text, 'channel')) {
        if (v.includes(',')) throw new DataError(text, `channel ${k} names several files; expected one file per channel`);
        channels[k] = at(v);
      }
      const opts: NiftiCaseOptions = { channels, ...budget };
      if (o.seg) opts.seg = at(o.seg);
      if (o.axis) opts.axis = oneOf(text, 'axis', o.axis, ['axial', 'coronal', 'sagittal'] as const satisfies readonly SliceAxis[]);
      if (o.keep) opts.keep = oneOf(text, 'keep', o.keep, ['nonempty', 'labelled', 'all'] as const);
      if (o.size) opts.size = int(text, 'size', o.size);
      if (o.min) opts.minLabelVoxels = int(text, 'min', o.min);
      if (o.structure) opts.structure = o.structure;
      ds = applyImagingDefaults(await loadNiftiCase(opts), { norm: o.norm, size: o.size }, text);
      break;
    }
    case 'phantom': {
      const opts: PhantomOptions = { ...budget };
      if (o.n) opts.n = int(text, 'n', o.n);
      if (o.size) opts.size = int(text, 'size', o.size, 8);
      if (o.seed) opts.seed = /^-?\d+$/.test(o.seed) ? Number(o.seed) : o.seed;
      if (o.channels) opts.channels = o.channels.split(',');
      if (o.lesion) opts.lesionChannels = o.lesion.split(',');
      if (o.distractor !== undefined)
        opts.distractorChannels = o.distractor === '' || o.distractor === 'none' ? [] : o.distractor.split(',');
      if (o.lesionRate) opts.lesionRate = num(text, 'lesionRate', o.lesionRate);
      if (o.distractorRate) opts.distractorRate = num(text, 'distractorRate', o.distractorRate);
      if (o.noise) opts.noise = num(text, 'noise', o.noise);
      if (o.texture) opts.texture = num(text, 'texture', o.texture);
      if (o.organScale) opts.organScale = range(text, 'organScale', o.organScale);
      if (o.lesionIntensity) opts.lesionIntensity = range(text, 'lesionIntensity', o.lesionIntensity);
      if (o.lesionRadius) opts.lesionRadius = range(text, 'lesionRadius', o.lesionRadius);
      if (o.distractorIntensity) opts.distractorIntensity = range(text, 'distractorIntensity', o.distractorIntensity);
      if (o.distractorRadius) opts.distractorRadius = range(text, 'distractorRadius', o.distractorRadius);
      ds = generatePhantoms(opts);
      break;
    }
    case 'phantom3d': {
      const opts: VolumePhantomOptions = { ...budget };
      if (o.n) opts.n = int(text, 'n', o.n);
      if (o.size) opts.size = int(text, 'size', o.size, 8);
      if (o.seed) opts.seed = /^-?\d+$/.test(o.seed) ? Number(o.seed) : o.seed;
      if (o.channels) opts.channels = o.channels.split(',');
      if (o.lesion) opts.lesionChannels = o.lesion.split(',');
      if (o.lesionRate) opts.lesionRate = num(text, 'lesionRate', o.lesionRate);
      if (o.noise) opts.noise = num(text, 'noise', o.noise);
      if (o.lesionIntensity) opts.lesionIntensity = range(text, 'lesionIntensity', o.lesionIntensity);
      if (o.lesionRadius) opts.lesionRadius = range(text, 'lesionRadius', o.lesionRadius);
      ds = generateVolumePhantoms(opts);
      break;
    }
  }
  // The imaging defaults (NIfTI, DICOM) were applied in their cases above: per subject for a folder of
  // NIfTI subjects (loadSubjects), to the one case or DICOM series otherwise.
  const imaging = s.kind === 'nifti' || s.kind === 'dicom';
  if (imaging && o.norm) oneOf(text, 'norm', o.norm, ['zscore', 'minmax', 'percentile', 'none'] as const);
  if (o.split && s.kind !== 'medmnist')
    ds = takeSplit(ds, oneOf(text, 'split', o.split, ['train', 'val', 'test'] as const satisfies readonly SplitName[]));
  if (o.norm && !imaging)
    ds = normalize(ds, {
      method: oneOf(text, 'norm', o.norm, ['zscore', 'minmax', 'percentile'] as const satisfies readonly NormalizationMethod[]),
    }).dataset;
  return { ...ds, source: typeof spec === 'string' ? spec : ds.source };
}
