// Public API of the data layer: every source becomes one ImageDataset (float32 N x C x H x W).
export type { ImageDataset, Splits, SplitName, LabelTask, Factors, GroundTruthMask, SkippedItem } from './types.js';
export { datasetLength } from './types.js';
export { DataError, assertFinite } from './errors.js';
export { generatePhantoms, channelMask, PHANTOM_FACTORS, type PhantomOptions } from './phantom.js';
export {
  parseNpy,
  parseNpyHeader,
  readNpy,
  parseNpz,
  readNpz,
  openNpz,
  listNpz,
  encodeNpy,
  type NpyArray,
  type NpyData,
  type NpyHeader,
  type NpzFile,
  type NpzArrayInfo,
} from './npy.js';
export {
  MEMORY_BUDGET_ENV,
  MAX_ARRAY_ELEMENTS,
  checkMemory,
  memoryBudget,
  parseByteSize,
  formatGiB,
  type MemoryBudget,
  type MemoryItem,
} from './memory-budget.js';
export { loadMedMNIST, resolveMedMNIST, defaultMedMNISTRoot, parseMedMNISTName, type MedMNISTOptions } from './medmnist.js';
export { MEDMNIST_INFO, type MedMNISTInfo } from './medmnist-info.js';
export {
  readNifti,
  readNiftiHeader,
  parseNifti,
  slicePlane,
  loadNiftiCase,
  type NiftiVolume,
  type NiftiHeader,
  type NiftiCaseOptions,
  type SliceAxis,
} from './nifti.js';
export {
  loadNiftiSubjects,
  findSubjects,
  subjectFileRole,
  SUBJECT_CHANNEL_TOKENS,
  SUBJECT_SEG_TOKENS,
  type NiftiSubjectsOptions,
  type SubjectFiles,
} from './subjects.js';
export { applyImagingDefaults, normalizePerGroup, resizeDataset, DEFAULT_MAX_SIDE, type ImagingDefaultOptions } from './defaults.js';
export { readDicom, loadDicom, applyWindow, type DicomImage, type DicomOptions } from './dicom.js';
export { loadImageFolder, openImageFolder, type ImageFolderOptions, type ImageFolderSource } from './folder.js';
export { parseCsv, type CsvTable } from './csv.js';
export { randomSplits, subset, takeSplit, withSplits, type RandomSplitOptions } from './splits.js';
export {
  normalize,
  fitNormalization,
  applyNormalization,
  augmentBatch,
  type Normalization,
  type NormalizationMethod,
  type NormalizeOptions,
  type AugmentOptions,
} from './transforms.js';
export { batches, streamBatches, datasetSource, type Batch, type BatchOptions, type ImageSource } from './batches.js';
export { resizePlane, resizeLabels, squarePlane, squareLabels, centerSquare } from './resize.js';
export { parseDataSpec, loadDataset, type DataSpec, type DataKind } from './spec.js';
export {
  summarizeDataset,
  formatSummary,
  contactSheet,
  type DatasetSummary,
  type ChannelStats,
  type ContactSheetOptions,
} from './inspect.js';
export {
  parseTarget,
  resolveTarget,
  targetRecord,
  selectLabelClasses,
  type ParsedTarget,
  type Target,
  type TargetRecord,
  type TargetKind,
  type TargetData,
} from './target.js';
