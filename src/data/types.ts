// The one in-memory shape every data source is converted to (see DESIGN.md, "Data model").
// Readers convert; nothing downstream knows the file format.

/** Names of the three standard splits. */
export type SplitName = 'train' | 'val' | 'test';

/** Sample indices (into the dataset's N) of each split. A sample is in at most one split. */
export interface Splits {
  /** Indices of training samples, ascending. */
  train: Int32Array;
  /** Indices of validation samples, ascending. */
  val: Int32Array;
  /** Indices of test samples, ascending. */
  test: Int32Array;
}

/**
 * What the labels mean.
 * - `binary`: one label per sample, 0 or 1.
 * - `multiclass`: one label per sample, 0..K-1.
 * - `ordinal`: like multiclass, but the classes are ordered grades.
 * - `multilabel`: K independent 0/1 labels per sample (`labelWidth` = K).
 */
export type LabelTask = 'binary' | 'multiclass' | 'ordinal' | 'multilabel';

/**
 * Ground-truth generative factors, one row per sample (phantoms only, or any source that knows them).
 * Every factor is a float; a presence factor is 0 or 1.
 */
export interface Factors {
  /** Factor names, F of them, e.g. `lesion_present`, `lesion_x`. */
  names: string[];
  /** Values, row-major N x F: the value of factor f for sample i is `values[i * F + f]`. */
  values: Float32Array;
}

/**
 * A ground-truth region, one H x W plane per sample (one D x H x W volume per case in a VolumeDataset),
 * plus the input channels that show it.
 * For example a phantom lesion visible only in FLAIR is `{ name: 'lesion', channels: ['FLAIR'] }`,
 * and a tumour segmentation of a multi-contrast MRI case lists every channel.
 */
export interface GroundTruthMask {
  /** What the region is, e.g. `lesion`, `distractor`, `tumour`. */
  name: string;
  /** Names of the input channels (members of `channelNames`) in which the region is visible. */
  channels: string[];
  /**
   * Row-major N x H x W (volumes: N x D x H x W). 0 is outside; nonzero is inside. A binary mask stores 1; a segmentation
   * stores its label value (e.g. 1, 2, 4 for a BraTS segmentation).
   */
  data: Uint8Array;
}

/** An input that a reader could not use and therefore left out: counted and reported, never silent. */
export interface SkippedItem {
  /** The file, row or slice that was left out, e.g. `labels.csv row 12` or `slice 3`. */
  item: string;
  /** Why it was left out. */
  reason: string;
}

/**
 * What 2D and 3D datasets share: everything but the shape of one case, its masks and its spacing.
 * `ImageDataset` (N x C x H x W) and `VolumeDataset` (N x C x D x H x W) add those.
 */
export interface DatasetFields {
  /** Values, contiguous, case after case, channel after channel (NCHW, or NCDHW for volumes). */
  images: Float32Array;
  /** One name per channel, C of them (e.g. `['T1', 'T1c', 'T2', 'FLAIR']`, `['gray']`, `['R','G','B']`). */
  channelNames: string[];
  /**
   * Labels as integers. Single-label tasks: N values (class index, 0..K-1). Multi-label tasks:
   * row-major N x `labelWidth` of 0/1. Absent when the source has no labels.
   */
  labels?: Int32Array;
  /** Labels per sample: 1 for single-label tasks (the default when absent), K for multi-label. */
  labelWidth?: number;
  /** What the labels mean; present whenever `labels` is. */
  task?: LabelTask;
  /** Name of each class (single-label) or of each label column (multi-label), indexed by label value. */
  classNames?: string[];
  /** Sample indices of the train/val/test splits, kept from the source where it has them. */
  splits?: Splits;
  /** Ground-truth factors (phantoms). */
  factors?: Factors;
  /** One identifier per sample (file name, `train/17`, `slice 80`, ...), for reports and exemplars. */
  ids?: string[];
  /**
   * The group (subject, patient, volume) of each sample, N strings, where the source knows it: NIfTI
   * (every slice of one case is one group), DICOM (PatientID, else the series), MedMNIST 3D with
   * `volumes=slices` (the volume), image folders with `group=<column>`. Absent: every sample is its own
   * group. Cases of one group are correlated; analyses keep a group on one side of every split.
   */
  groups?: string[];
  /**
   * The position of each sample within its group where the source knows it (NIfTI: the slice number
   * along the slicing axis; DICOM: the position in the series sorted along the slice normal; MedMNIST
   * `volumes=slices`: the slice), N numbers. A nuisance statistic for the study-design checks.
   */
  sliceIndex?: Int32Array;
  /** Extra per-sample columns (e.g. CSV columns other than path and label), each N strings. */
  columns?: Record<string, string[]>;
  /**
   * Defaults the loader applied that the spec did not name, each as the option and why (NIfTI and
   * DICOM: `norm=percentile (per subject ...)`, `size=128 (slices are 240 x 240 pixels ...)`; see
   * defaults.ts). Absent when none was.
   */
  defaults?: string[];
  /** Inputs left out while reading, with reasons. Empty when nothing was skipped. */
  skipped: SkippedItem[];
  /** Where the data came from: a data spec or description, for run configs and reports. */
  source: string;
}

/**
 * The in-memory dataset of 2D images: N samples x C named channels x H x W, float32, NCHW like PyTorch.
 *
 * Pixel values are whatever the reader documents (MedMNIST and image folders: 0..1; DICOM: rescaled
 * units such as Hounsfield units, or 0..1 after a window; NIfTI: scaled voxel values; phantoms: about
 * 0..1.5). Use `normalize()` to bring channels to a common scale.
 */
export interface ImageDataset extends DatasetFields {
  /** `[N, C, H, W]`. Pixel (i, c, y, x) is at `((i * C + c) * H + y) * W + x`. */
  shape: [number, number, number, number];
  /** Ground-truth masks: which region of which channels carries each factor (phantoms, segmentations). */
  masks?: GroundTruthMask[];
  /** Physical pixel size in mm `[row, column]` where the source knows it (DICOM, NIfTI). */
  spacing?: [number, number];
}

/**
 * The in-memory dataset of 3D volumes: N cases x C named channels x D x H x W, float32, NCDHW like
 * PyTorch's Conv3d. Voxel (i, c, z, y, x) is at `(((i * C + c) * D + z) * H + y) * W + x`. A separate
 * type from ImageDataset on purpose: a function written for 2D images cannot be handed volumes by
 * mistake (the compiler refuses), and the loaders for 2D commands refuse volumes by name
 * (`loadDataset`), so no 2D code reads a volume as a stack of wrong-sized images.
 */
export interface VolumeDataset extends DatasetFields {
  /** `[N, C, D, H, W]`. */
  shape: [number, number, number, number, number];
  /** Ground-truth masks, each row-major N x D x H x W (one D x H x W volume per case). */
  masks?: GroundTruthMask[];
  /** Physical voxel size in mm `[slice, row, column]` where the source knows it. */
  spacing?: [number, number, number];
}

/** A dataset of either kind: what the commands that handle volumes (train, rank, explain) take. */
export type CaseDataset = ImageDataset | VolumeDataset;

/** Whether a dataset holds volumes (N x C x D x H x W). */
export function isVolumeDataset(ds: CaseDataset): ds is VolumeDataset {
  return ds.shape.length === 5;
}

/** Values of one case: C x H x W (images) or C x D x H x W (volumes). */
export function caseSize(ds: CaseDataset): number {
  return ds.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Cells of one mask plane of a case: H x W (images) or D x H x W (volumes). */
export function maskSize(ds: CaseDataset): number {
  return ds.shape.slice(2).reduce((a, b) => a * b, 1);
}

/** Number of samples in a dataset. */
export function datasetLength(ds: CaseDataset): number {
  return ds.shape[0];
}
