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
 * A ground-truth region, one H x W plane per sample, plus the input channels that show it.
 * For example a phantom lesion visible only in FLAIR is `{ name: 'lesion', channels: ['FLAIR'] }`,
 * and a tumour segmentation of a multi-contrast MRI case lists every channel.
 */
export interface GroundTruthMask {
  /** What the region is, e.g. `lesion`, `distractor`, `tumour`. */
  name: string;
  /** Names of the input channels (members of `channelNames`) in which the region is visible. */
  channels: string[];
  /**
   * Row-major N x H x W. 0 is outside; nonzero is inside. A binary mask stores 1; a segmentation
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
 * The in-memory dataset: N samples x C named channels x H x W, float32, NCHW like PyTorch.
 *
 * Pixel values are whatever the reader documents (MedMNIST and image folders: 0..1; DICOM: rescaled
 * units such as Hounsfield units, or 0..1 after a window; NIfTI: scaled voxel values; phantoms: about
 * 0..1.5). Use `normalize()` to bring channels to a common scale.
 */
export interface ImageDataset {
  /** Pixel values, contiguous NCHW: pixel (i, c, y, x) is at `((i * C + c) * H + y) * W + x`. */
  images: Float32Array;
  /** `[N, C, H, W]`. */
  shape: [number, number, number, number];
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
  /** Ground-truth masks: which region of which channels carries each factor (phantoms, segmentations). */
  masks?: GroundTruthMask[];
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
  /** Physical pixel size in mm `[row, column]` where the source knows it (DICOM, NIfTI). */
  spacing?: [number, number];
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

/** Number of samples in a dataset. */
export function datasetLength(ds: ImageDataset): number {
  return ds.shape[0];
}
