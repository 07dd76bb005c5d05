// Attribution on volumes (N x C x D x H x W): integrated gradients (the 2D implementation, which is
// rank-free), occlusion with a 3D window and strides per input channel, and Grad-CAM on a 3D encoder
// layer; with the two measures a known answer needs: how much of the attribution lies inside a
// ground-truth mask, and whether its peak does (a 3D pointing game). Occlusion's cost is counted in
// forward passes per volume, since it grows with the cube of the number of window positions per side.
import { noGrad, scope, tensor, type Tensor } from '../../engine/index.js';
import type { LatentModel } from '../../models/types.js';
import { targetOf, type MapTarget } from '../target.js';
import { gradCam } from './gradcam.js';
import { integratedGradients } from './gradients.js';
import { channelShares } from './types.js';

/** The methods that run on volumes. */
export const VOLUME_ATTRIBUTION_METHODS = ['integrated-gradients', 'occlusion', 'grad-cam'] as const;
export type VolumeAttributionMethod = (typeof VOLUME_ATTRIBUTION_METHODS)[number];

export interface Occlusion3dOptions {
  /** Side of the cubic window in voxels. Default: a quarter of the shortest side (7 for 28^3), at least 2. */
  window?: number;
  /** Step between windows in voxels. Default: the window (no overlap). */
  stride?: number;
}

/** Window starts along one axis: every `stride`, plus one flush with the far edge so every voxel is covered. */
function starts(size: number, window: number, stride: number): number[] {
  const s: number[] = [];
  for (let p = 0; p + window <= size; p += stride) s.push(p);
  if (s.length === 0 || s[s.length - 1]! + window < size) s.push(Math.max(0, size - window));
  return s;
}

/**
 * Occlusion (Zeiler & Fergus 2014) of volumes, per input channel: a window x window x window cube of one
 * channel replaced by the baseline, the drop of the target credited to the cube's voxels (averaged where
 * windows overlap). `forwardPasses` is per volume: 1 (the unoccluded target) + C x windows.
 */
export function occlusion3d(
  model: LatentModel,
  x: Tensor,
  baseline: Tensor,
  target: MapTarget,
  o: Occlusion3dOptions = {},
): { attribution: Tensor; forwardPasses: number; window: number; stride: number } {
  if (x.ndim !== 5) throw new RangeError(`occlusion3d: expected volumes N x C x D x H x W, got [${x.shape}]`);
  const [n, c, d, h, w] = x.shape as [number, number, number, number, number];
  const window = o.window ?? Math.max(2, Math.round(Math.min(d, h, w) / 4));
  const stride = o.stride ?? window;
  if (!(Number.isInteger(window) && window >= 1 && window <= Math.min(d, h, w)))
    throw new RangeError(`occlusion window ${window}: expected a whole number of voxels from 1 to ${Math.min(d, h, w)}`);
  if (!(Number.isInteger(stride) && stride >= 1))
    throw new RangeError(`occlusion stride ${stride}: expected a whole number of voxels >= 1`);
  const zs = starts(d, window, stride),
    ys = starts(h, window, stride),
    xs0 = starts(w, window, stride);
  const V = d * h * w;
  return noGrad(() => {
    const base = targetOf(model, x, target).toFloat32();
    const xs = x.contiguous().toFloat32(),
      bs = baseline.contiguous().toFloat32();
    const sum = new Float32Array(n * c * V),
      count = new Float32Array(n * c * V);
    const occluded = xs.slice();
    // Visits the window's voxels of channel ch of case i: fn(flat index).
    const each = (i: number, ch: number, z0: number, y0: number, x0: number, fn: (p: number) => void) => {
      for (let z = z0; z < z0 + window; z++)
        for (let y = y0; y < y0 + window; y++) {
          const off = (((i * c + ch) * d + z) * h + y) * w;
          for (let q = x0; q < x0 + window; q++) fn(off + q);
        }
    };
    for (let ch = 0; ch < c; ch++)
      for (const z0 of zs)
        for (const y0 of ys)
          for (const x0 of xs0) {
            for (let i = 0; i < n; i++)
              each(i, ch, z0, y0, x0, (p) => {
                occluded[p] = bs[p]!;
              });
            const t = scope(() => targetOf(model, tensor(occluded, [n, c, d, h, w]), target).toFloat32());
            for (let i = 0; i < n; i++) {
              const drop = base[i]! - t[i]!;
              each(i, ch, z0, y0, x0, (p) => {
                sum[p] += drop;
                count[p] += 1;
                occluded[p] = xs[p]!;
              });
            }
          }
    for (let p = 0; p < sum.length; p++) sum[p] = count[p]! > 0 ? sum[p]! / count[p]! : 0;
    return { attribution: tensor(sum, [n, c, d, h, w]), forwardPasses: 1 + c * zs.length * ys.length * xs0.length, window, stride };
  });
}

/** One method's attribution of a batch of volumes. */
export interface VolumeAttribution {
  method: VolumeAttributionMethod;
  /** N x C x D x H x W (Grad-CAM: N x 1 x D x H x W, spatial only). */
  heatmaps: Float32Array;
  shape: number[];
  /** N x C net channel shares (as the 2D methods, types.ts); null for Grad-CAM. */
  channelShare: Float32Array | null;
  /** Forward passes per volume (occlusion: 1 + C x windows; IG: steps forward-backward passes + 2; Grad-CAM: 1 forward-backward). */
  forwardPassesPerVolume: number;
  /** IG only: sum of attributions minus (f(x) - f(baseline)) per case. */
  convergenceDelta?: Float32Array;
  settings: Record<string, unknown>;
}

export interface AttributeVolumesOptions {
  method: VolumeAttributionMethod;
  target: MapTarget;
  /** Reference volumes, same shape as the inputs (e.g. the mean lesion-free volume, expanded). */
  baseline: Tensor;
  /** Integrated-gradients steps. Default 32. */
  steps?: number;
  occlusion?: Occlusion3dOptions;
}

/** Attributes the target map of each volume to its input voxels with one method. */
export function attributeVolumes(model: LatentModel, x: Tensor, o: AttributeVolumesOptions): VolumeAttribution {
  if (x.ndim !== 5) throw new RangeError(`attributeVolumes: expected volumes N x C x D x H x W, got [${x.shape}]`);
  model.eval();
  return scope(() => {
    const n = x.shape[0]!;
    const flatShape = (s: readonly number[]): [number, number, number, number] => [s[0]!, s[1]!, s.slice(2).reduce((a, b) => a * b, 1), 1];
    if (o.method === 'integrated-gradients') {
      const steps = o.steps ?? 32;
      const { attribution, delta } = integratedGradients(model, x, o.baseline, o.target, steps);
      const heat = attribution.contiguous().toFloat32();
      return {
        method: o.method,
        heatmaps: heat,
        shape: [...x.shape],
        channelShare: channelShares(heat, flatShape(x.shape), 'net'),
        forwardPassesPerVolume: steps + 2,
        convergenceDelta: delta.toFloat32(),
        settings: { steps, baseline: 'reference mean' },
      };
    }
    if (o.method === 'occlusion') {
      const r = occlusion3d(model, x, o.baseline, o.target, o.occlusion);
      const heat = r.attribution.toFloat32();
      return {
        method: o.method,
        heatmaps: heat,
        shape: [...x.shape],
        channelShare: channelShares(heat, flatShape(x.shape), 'net'),
        forwardPassesPerVolume: r.forwardPasses,
        settings: { window: r.window, stride: r.stride, baseline: 'reference mean' },
      };
    }
    const { cam, layer } = gradCam(model, x, o.target);
    return {
      method: o.method,
      heatmaps: cam.contiguous().toFloat32(),
      shape: [n, 1, ...x.shape.slice(2)],
      channelShare: null,
      forwardPassesPerVolume: 1,
      settings: { layer },
    };
  });
}

/** How much of an attribution lies in a ground-truth region, against what a uniform map would put there. */
export interface MaskMass {
  /** Cases with a nonempty mask that were measured. */
  cases: number;
  /** Mean share of the positive attribution inside the mask (in the mask's channels; Grad-CAM: spatially). */
  inMask: number;
  /** The share a uniform attribution would put there: the mask's share of the channels x voxels counted. */
  chance: number;
  /** Pointing game in 3D: share of cases whose attribution peak lies in the mask grown by one voxel. */
  pointing: number;
}

/**
 * Attribution mass inside masks (N x D x H x W, 0 outside) shown in `maskChannels` (indices): positive
 * attribution only (the evidence for the target). Heatmaps N x C' x D x H x W with C' = C (channel
 * methods; only the mask channels count as inside) or 1 (Grad-CAM; every voxel of the mask counts).
 */
export function maskMass(heat: Float32Array, shape: readonly number[], masks: Uint8Array, maskChannels: number[]): MaskMass {
  const [n, c, d, h, w] = shape as [number, number, number, number, number];
  const V = d * h * w;
  let cases = 0,
    inSum = 0,
    chanceSum = 0,
    hits = 0;
  const inChannel = (ch: number) => c === 1 || maskChannels.includes(ch);
  for (let i = 0; i < n; i++) {
    const m = masks.subarray(i * V, (i + 1) * V);
    let area = 0;
    for (let p = 0; p < V; p++) if (m[p]) area++;
    if (area === 0) continue;
    let total = 0,
      inside = 0,
      best = -Infinity,
      bestP = 0;
    for (let ch = 0; ch < c; ch++) {
      const off = (i * c + ch) * V;
      for (let p = 0; p < V; p++) {
        const v = heat[off + p]!;
        if (v > best) {
          best = v;
          bestP = p;
        }
        if (v <= 0) continue;
        total += v;
        if (m[p] && inChannel(ch)) inside += v;
      }
    }
    if (!(total > 0)) continue;
    cases++;
    inSum += inside / total;
    chanceSum += (area / V) * ((c === 1 ? 1 : maskChannels.length) / c);
    if (nearMask(m, bestP, d, h, w)) hits++;
  }
  return { cases, inMask: cases ? inSum / cases : NaN, chance: cases ? chanceSum / cases : NaN, pointing: cases ? hits / cases : NaN };
}

// Whether voxel p or one of its 26 neighbours is in the mask (the tolerance of the 2D pointing game).
function nearMask(m: Uint8Array, p: number, d: number, h: number, w: number): boolean {
  const z = Math.floor(p / (h * w)),
    y = Math.floor(p / w) % h,
    x = p % w;
  for (let dz = -1; dz <= 1; dz++)
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) {
        const zz = z + dz,
          yy = y + dy,
          xx = x + dx;
        if (zz >= 0 && zz < d && yy >= 0 && yy < h && xx >= 0 && xx < w && m[(zz * h + yy) * w + xx]) return true;
      }
  return false;
}
