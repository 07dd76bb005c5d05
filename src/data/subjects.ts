// Multi-subject NIfTI datasets: a folder of subject folders in the BraTS layout (one folder per subject
// holding its t1, t1ce, t2, flair and optional seg volumes), read subject by subject with the NIfTI
// case reader. Every subject's slices are cases whose group is the subject (its folder name), so
// analyses keep a subject on one side of every split.
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DataError, dataWarning } from './errors.js';
import { checkMemory, type MemoryItem } from './memory-budget.js';
import { loadNiftiCase, niftiMemory, readNiftiHeader, type NiftiCaseOptions, type NiftiHeader } from './nifti.js';
import type { ImageDataset, SkippedItem } from './types.js';

/**
 * Channel name -> the file-name tokens that mark it (case-insensitive). A file's name without
 * `.nii`/`.nii.gz` is split at `_`, `-` and `.`; the last token that names a channel decides:
 * `BraTS2021_00001_t1ce.nii.gz` is T1c, `TCGA-DU-7294_fla_bet.nii.gz` FLAIR, `BraTS-GLI-00000-000-t2f.nii.gz`
 * FLAIR, `*_seg.nii.gz` (and `*_seg_fusion_simple.nii.gz`) the segmentation.
 */
export const SUBJECT_CHANNEL_TOKENS: Record<string, string[]> = {
  T1: ['t1', 't1n', 't1w'],
  T1c: ['t1ce', 't1c', 't1gd', 't1post'],
  T2: ['t2', 't2w'],
  FLAIR: ['flair', 'fla', 't2f'],
};
/** Tokens that mark a segmentation file. */
export const SUBJECT_SEG_TOKENS = ['seg', 'mask', 'label', 'labels'];

const NIFTI = /\.nii(\.gz)?$/i;

/** What a file's name says it is: a channel name, `seg`, or null. */
export function subjectFileRole(name: string): string | null {
  if (!NIFTI.test(name)) return null;
  const tokens = name.replace(NIFTI, '').toLowerCase().split(/[_.-]/);
  for (let t = tokens.length - 1; t >= 0; t--) {
    const tok = tokens[t]!;
    if (SUBJECT_SEG_TOKENS.includes(tok)) return 'seg';
    for (const [ch, toks] of Object.entries(SUBJECT_CHANNEL_TOKENS)) if (toks.includes(tok)) return ch;
  }
  return null;
}

/** One subject's files by role. */
export interface SubjectFiles {
  subject: string;
  folder: string;
  channels: Record<string, string>;
  seg?: string;
}

/** Options of `loadNiftiSubjects`: those of `loadNiftiCase` but the files, plus the channels to keep. */
export interface NiftiSubjectsOptions extends Omit<NiftiCaseOptions, 'channels' | 'seg'> {
  /** Channels to read, in order (names of SUBJECT_CHANNEL_TOKENS). Default: every channel all subjects have, in T1, T1c, T2, FLAIR order. */
  channels?: string[];
  /** Read the segmentations: `auto` (default: when every subject has one), `none`. */
  seg?: 'auto' | 'none';
  /** Called with each subject's dataset before they are joined (the spec normalises per subject there). */
  perSubject?: (ds: ImageDataset) => ImageDataset;
}

function listDir(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch (err) {
    throw new DataError(folder, `cannot read the folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

// The NIfTI files of one folder by role; two files of one role are refused naming both.
function filesOf(folder: string, subject: string): SubjectFiles {
  const out: SubjectFiles = { subject, folder, channels: {} };
  for (const name of listDir(folder)) {
    const path = join(folder, name);
    const role = subjectFileRole(name);
    if (!role || !isFile(path)) continue;
    const had = role === 'seg' ? out.seg : out.channels[role];
    if (had)
      throw new DataError(
        folder,
        `two ${role === 'seg' ? 'segmentation' : role} files, ${basename(had)} and ${name}; expected one per subject (file names are matched case-insensitively: *_t1, *_t1ce, *_t2, *_flair, *_seg .nii[.gz])`,
      );
    if (role === 'seg') out.seg = path;
    else out.channels[role] = path;
  }
  return out;
}

/**
 * Finds the subjects of a folder: its subfolders that hold NIfTI files named as a channel, or the
 * folder itself when it holds them (one subject). Subfolders without any are listed in `skipped`.
 */
export function findSubjects(folder: string): { subjects: SubjectFiles[]; skipped: SkippedItem[] } {
  if (!isDir(folder))
    throw new DataError(folder, 'not a folder; expected a folder of subject folders (BraTS layout) or nifti:T1=t1.nii.gz,... files');
  const own = filesOf(folder, basename(folder));
  if (Object.keys(own.channels).length > 0) return { subjects: [own], skipped: [] };
  const subjects: SubjectFiles[] = [];
  const skipped: SkippedItem[] = [];
  for (const name of listDir(folder)) {
    const path = join(folder, name);
    if (!isDir(path)) continue;
    const f = filesOf(path, name);
    if (Object.keys(f.channels).length === 0)
      skipped.push({ item: path, reason: 'no NIfTI file named as a channel (*_t1, *_t1ce, *_t2, *_flair .nii[.gz])' });
    else subjects.push(f);
  }
  if (subjects.length === 0)
    throw new DataError(
      folder,
      'no subject found; expected subject folders holding *_t1.nii.gz, *_t1ce.nii.gz, *_t2.nii.gz, *_flair.nii.gz (and optionally *_seg.nii.gz), matched case-insensitively',
    );
  return { subjects, skipped };
}

/**
 * Loads a folder of subjects as 2D slices: each subject read by `loadNiftiCase` (its channels, its
 * segmentation), its cases grouped by subject (`groups` = the subject's folder name, ids
 * `<subject> <axis> <slice>`), then joined. Channels are those every subject has (or `channels`);
 * a subject lacking one of them is skipped and listed. The memory the whole dataset needs is checked
 * from the headers before any voxel is read.
 */
export async function loadNiftiSubjects(folder: string, options: NiftiSubjectsOptions = {}): Promise<ImageDataset> {
  const { names, subjects, skipped, useSeg } = chooseSubjects(folder, options);
  if (options.keep === 'labelled' && !useSeg)
    throw new DataError(folder, 'keep=labelled needs a segmentation (*_seg.nii.gz) in every subject');

  // Every header first: the largest subject's case plus every subject's slices (held until joined, then the joined array).
  const headers: NiftiHeader[][] = subjects.map((s) => names.map((c) => readNiftiHeader(s.channels[c]!)));
  const caseBytes = (hs: NiftiHeader[]) => hs.reduce((a, h) => a + niftiMemory(h).kept.bytes, 0);
  const sliceBytes = (hs: NiftiHeader[]) => {
    const h = hs[0]!;
    const vox = options.size ? Math.max(...h.dims) * options.size ** 2 : h.dims[0] * h.dims[1] * h.dims[2];
    return vox * names.length * 4;
  };
  const allSlices = headers.reduce((a, hs) => a + sliceBytes(hs), 0);
  const items: MemoryItem[] = [
    { what: "the largest subject's float32 volumes", bytes: Math.max(...headers.map(caseBytes)) },
    { what: `the slices of ${subjects.length} subjects and their dataset array`, bytes: 2 * allSlices, elements: allSlices / 4 },
  ];
  checkMemory(folder, items, options.memoryBudget);

  const parts: ImageDataset[] = [];
  for (const s of subjects) {
    const caseOpts: NiftiCaseOptions = { ...options, channels: Object.fromEntries(names.map((c) => [c, s.channels[c]!])) };
    delete (caseOpts as { perSubject?: unknown }).perSubject;
    if (useSeg) caseOpts.seg = s.seg!;
    else delete caseOpts.seg;
    let ds: ImageDataset;
    try {
      ds = await loadNiftiCase(caseOpts);
    } catch (err) {
      // A subject without a kept slice (e.g. keep=labelled and no tumour) is skipped, not fatal.
      if (err instanceof DataError && /no \w+ slice kept/.test(err.message)) {
        skipped.push({ item: s.folder, reason: err.message });
        continue;
      }
      throw err;
    }
    ds = { ...ds, groups: ds.groups!.map(() => s.subject), ids: ds.ids!.map((id) => `${s.subject} ${id.split(' ').slice(1).join(' ')}`) };
    parts.push(options.perSubject ? options.perSubject(ds) : ds);
  }
  if (parts.length === 0) throw new DataError(folder, 'no subject has a slice kept');
  return joinSubjects(folder, parts, skipped, useSeg);
}

/**
 * The subjects of a folder that have every channel read, and those channels: `channels` (names of
 * SUBJECT_CHANNEL_TOKENS) or those all subjects have; subjects lacking one are skipped and listed.
 * `useSeg`: whether segmentations are read (`seg` not `none` and every subject has one). Shared by the
 * slice reader (loadNiftiSubjects) and the volume reader (subject-volumes.ts).
 */
export function chooseSubjects(
  folder: string,
  options: { channels?: string[]; seg?: 'auto' | 'none' },
): { names: string[]; subjects: SubjectFiles[]; skipped: SkippedItem[]; useSeg: boolean } {
  const found = findSubjects(folder);
  const skipped = [...found.skipped];
  const order = Object.keys(SUBJECT_CHANNEL_TOKENS);
  let names: string[];
  if (options.channels) {
    for (const c of options.channels)
      if (!order.includes(c)) throw new DataError(folder, `channel "${c}"; expected some of ${order.join(', ')}`);
    names = options.channels;
  } else {
    names = order.filter((c) => found.subjects.every((s) => s.channels[c]));
    if (names.length === 0)
      throw new DataError(
        folder,
        `no channel is present in every subject (${found.subjects.map((s) => `${s.subject}: ${Object.keys(s.channels).join(', ')}`).join('; ')}); give channels=... and the subjects without them are skipped`,
      );
  }
  const subjects = found.subjects.filter((s) => {
    const missing = names.filter((c) => !s.channels[c]);
    if (missing.length > 0) skipped.push({ item: s.folder, reason: `no ${missing.join(', ')} file` });
    return missing.length === 0;
  });
  if (subjects.length === 0) throw new DataError(folder, `no subject has every channel of ${names.join(', ')}`);
  if (subjects.length < found.subjects.length)
    dataWarning(folder, `${found.subjects.length - subjects.length} subject(s) skipped for missing channels (listed in skipped)`);
  const useSeg = options.seg !== 'none' && subjects.every((s) => s.seg);
  return { names, subjects, skipped, useSeg };
}

// Concatenates the subjects' datasets (same channels; same slice size, else refused suggesting size=).
function joinSubjects(folder: string, parts: ImageDataset[], skipped: SkippedItem[], seg: boolean): ImageDataset {
  const [, C, H, W] = parts[0]!.shape;
  for (const p of parts) {
    if (p.shape[2] !== H || p.shape[3] !== W) {
      throw new DataError(
        folder,
        `subject ${p.groups![0]} has ${p.shape[2]} x ${p.shape[3]} slices but ${parts[0]!.groups![0]} has ${H} x ${W}; give size=<pixels> to resize every slice to one size`,
      );
    }
  }
  const N = parts.reduce((a, p) => a + p.shape[0], 0);
  const images = new Float32Array(N * C * H * W);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at);
    at += p.images.length;
  }
  const cat = <T>(f: (p: ImageDataset) => T[]) => parts.flatMap(f);
  const first = parts[0]!;
  const ds: ImageDataset = {
    images,
    shape: [N, C, H, W],
    channelNames: [...first.channelNames],
    ids: cat((p) => p.ids!),
    groups: cat((p) => p.groups!),
    sliceIndex: Int32Array.from(cat((p) => Array.from(p.sliceIndex!))),
    skipped: [...skipped, ...parts.flatMap((p) => p.skipped.map((k) => ({ item: `${p.groups![0]} ${k.item}`, reason: k.reason })))],
    source: `nifti:${folder}`,
  };
  if (first.spacing) ds.spacing = first.spacing;
  const defaults = [...new Set(parts.flatMap((p) => p.defaults ?? []))];
  if (defaults.length > 0) ds.defaults = defaults;
  if (seg) {
    const HW = H * W;
    const mask = new Uint8Array(N * HW);
    let m = 0;
    for (const p of parts) {
      mask.set(p.masks![0]!.data, m);
      m += p.shape[0] * HW;
    }
    ds.masks = [{ ...first.masks![0]!, data: mask }];
    ds.labels = Int32Array.from(cat((p) => Array.from(p.labels!)));
    ds.labelWidth = 1;
    ds.task = 'binary';
    ds.classNames = [...first.classNames!];
  }
  return ds;
}
