// The options of explainRun and the settings explain/map-<k>.json records (2D and volumes alike).
import type { SplitChoice } from './run-data.js';

export interface ExplainRunOptions {
  /** A map index, or 'top' for the first of rank.json. */
  map: number | 'top';
  /** Attribution methods (default: explainMap's). */
  methods?: string[];
  /** Cases explained (of the positive class when there are labels); default 32. */
  cases?: number;
  /** Cases shown in the figures and traversed (indices of the loaded cases). */
  figureCases?: number[];
  data?: string;
  split?: SplitChoice;
  /** Cases loaded for the population-level tests; default 2000. */
  maxCases?: number;
  seed?: number;
  target?: string;
  /** Volumes: side of the cubic occlusion window, and the step between windows, in voxels. */
  occlusionWindow?: number;
  occlusionStride?: number;
}

export type ExplainSettings = Omit<ExplainRunOptions, 'map' | 'data' | 'split' | 'target'> & {
  map: number;
  cases: number;
  maxCases: number;
  seed: number;
};

export const EXPLAIN_DEFAULTS = { cases: 32, maxCases: 2000, seed: 0 } as const;
