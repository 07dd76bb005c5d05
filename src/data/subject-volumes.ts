// A folder of NIfTI subjects read as volumes (`nifti:<folder>?cases=volumes`): each subject one case of
// C x D x H x W in the canonical RAS+ array order of nifti.ts (W along x, to the Right; H along y, to
// Anterior; D along z, to Superior), normalised per subject and channel like the slices are, its
// segmentation (when every subject has one) its mask, and the subject its group and id.
import { DataError } from './errors.js';
import { checkMemory } from './memory-budget.js';
import { niftiMemory, readNifti, readNiftiHeader } from './nifti.js';
import { chooseSubjects } from './subjects.js';
import { normalize, type NormalizationMethod } from './transforms.js';
import type { VolumeDataset } from './types.js';

/** Options of `loadNiftiSubjectVolumes`. */
export interface NiftiSubjectVolumesOptions {
  /** Channels to read, in order (default: every channel all subjects have, T1, T1c, T2, FLAIR order). */
  channels?: string[];
  /** `auto` (default): each subject's segmentation becomes its mask when every subject has one; `none`. */
  seg?: 'auto' | 'none';
  /** Per subject and channel over all its voxels. Default `percentile` (1st–99th, clipped to [0, 1]); `none` keeps the stored values. */
  norm?: NormalizationMethod | 'none';
  /** Name of the segmented structure (the mask's name). Default `tumour`. */
  structure?: string;
  memoryBudget?: number;
}

/**
 * Loads every subject of a folder as one volume case. All subjects must share one voxel grid (after
 * reorientation to RAS+); a subject on another grid is refused naming both grids. No resizing: the 3D
 * models take 16 to 128 voxels a side, and a larger grid is refused when the model is built.
 */
export async function loadNiftiSubjectVolumes(folder: string, o: NiftiSubjectVolumesOptions = {}): Promise<VolumeDataset> {
  const { names, subjects, skipped, useSeg } = chooseSubjects(folder, o);
  // Sized from the headers before any voxel is read: one subject's volumes in reading, all subjects' cases kept.
  const headers = subjects.map((s) => names.map((c) => readNiftiHeader(s.channels[c]!)));
  const voxels = (h: { dims: number[] }) => h.dims.reduce((a, b) => a * b, 1);
  const allCases = headers.reduce((a, hs) => a + hs.reduce((b, h) => b + voxels(h), 0), 0);
  checkMemory(
    folder,
    [
      {
        what: "the largest subject's float32 volumes",
        bytes: Math.max(...headers.map((hs) => hs.reduce((a, h) => a + niftiMemory(h).kept.bytes, 0))),
      },
      { what: `${subjects.length} volume cases`, bytes: allCases * 4, elements: allCases },
      ...(useSeg ? [{ what: 'segmentation masks', bytes: allCases / names.length }] : []),
    ],
    o.memoryBudget,
  );

  const method = o.norm ?? 'percentile';
  let grid: [number, number, number] | null = null;
  let spacing: [number, number, number] = [1, 1, 1];
  let first = '';
  const cases: Float32Array[] = [];
  const masks: Uint8Array[] = [];
  for (const s of subjects) {
    const vols = names.map((c) => readNifti(s.channels[c]!, { memoryBudget: o.memoryBudget }));
    const segVol = useSeg ? readNifti(s.seg!, { memoryBudget: o.memoryBudget }) : null;
    for (const v of [...vols, ...(segVol ? [segVol] : [])]) {
      if (v.dims.join() !== vols[0]!.dims.join())
        throw new DataError(
          v.file,
          `${v.dims.join(' x ')} voxels but ${vols[0]!.file} has ${vols[0]!.dims.join(' x ')}; expected the volumes of subject ${s.subject} on one grid`,
        );
    }
    const [X, Y, Z] = vols[0]!.dims;
    if (!grid) {
      grid = [Z, Y, X];
      spacing = [vols[0]!.spacing[2], vols[0]!.spacing[1], vols[0]!.spacing[0]];
      first = s.subject;
    } else if (grid.join() !== [Z, Y, X].join()) {
      throw new DataError(
        folder,
        `subject ${s.subject} is ${Z} x ${Y} x ${X} voxels (D x H x W) but ${first} is ${grid.join(' x ')}; volumes as cases need every subject on one grid (resample them to one), or read slices (cases=slices with size=)`,
      );
    }
    const V = X * Y * Z;
    // The canonical data is x fastest, then y, then z: already D x H x W.
    const block = new Float32Array(names.length * V);
    vols.forEach((v, c) => block.set(v.data, c * V));
    cases.push(block);
    if (segVol) masks.push(Uint8Array.from(segVol.data, (v) => Math.max(0, Math.min(255, Math.round(v)))));
  }
  const [D, H, W] = grid!;
  const V = D * H * W;
  const N = cases.length;
  const images = new Float32Array(N * names.length * V);
  cases.forEach((b, i) => images.set(b, i * names.length * V));
  let ds: VolumeDataset = {
    images,
    shape: [N, names.length, D, H, W],
    channelNames: [...names],
    ids: subjects.map((s) => s.subject),
    groups: subjects.map((s) => s.subject),
    spacing,
    skipped,
    source: `nifti:${folder}?cases=volumes`,
  };
  if (useSeg) {
    const data = new Uint8Array(N * V);
    masks.forEach((m, i) => data.set(m, i * V));
    ds.masks = [{ name: o.structure ?? 'tumour', channels: [...names], data }];
  }
  if (method !== 'none') {
    // Per subject: each case is normalised on its own voxels (a one-case dataset per subject).
    const per = names.length * V;
    for (let i = 0; i < N; i++) {
      const one: VolumeDataset = {
        ...ds,
        images: ds.images.subarray(i * per, (i + 1) * per),
        shape: [1, names.length, D, H, W],
        masks: undefined,
        splits: undefined,
      };
      images.set(normalize(one, { method }).dataset.images, i * per);
    }
    if (o.norm === undefined)
      ds = { ...ds, defaults: [`norm=percentile (per subject and channel, over its voxels: 1st-99th percentile to [0, 1])`] };
  }
  return ds;
}
