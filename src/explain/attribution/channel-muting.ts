// "Which input image drives this map?" answered with controls. The naive recipe mutes one input channel
// and correlates (Spearman, across cases) the map's activation before and after: a low correlation is
// read as "this channel drives the map". It gives false positives: muting (zeroing, above all) moves
// inputs off the data distribution, and every map's ordering of cases changes, driven or not.
// The statistic here is the same, S(k, c) = 1 - Spearman(f_k(x), f_k(x with channel c muted)), judged
// against two nulls built from the same muted inputs:
//  - random maps: S for random directions in the space of pooled maps (a latent feature that no one
//    claims is special). Is map k more disturbed by muting c than an arbitrary latent feature?
//  - shuffled channels: S when each case has a random channel muted instead of c. Is muting c more
//    disturbing for map k than muting any channel?
// The driver is the channel whose muting disturbs the map more than muting a random channel does
// (shuffled-channels null, Bonferroni over channels): that removes the naive false positives, which come
// from channels that disturb everything. The random-maps p-value says in addition whether the map is
// more tied to that channel than latent features in general (`mapSpecific`); in autoencoders that spread
// one factor over many maps it is often not, and that is worth knowing, not a reason to name no channel.
import { noGrad, scope, tensor, type Tensor } from '../../engine/index.js';
import { Random } from '../../core/random.js';
import type { LatentModel } from '../../models/types.js';
import { bootstrapMeanCI, mean, spearman } from '../../core/stats.js';
import { makeBaseline, type BaselineKind } from './baseline.js';

export interface ChannelMutingOptions {
  /** The map k under test. */
  map: number;
  /** What a muted channel becomes: 'mean' (dataset mean image; default), 'blur' or 'zero' (the naive choice). */
  baseline?: BaselineKind;
  /** Mean image C x H x W for the 'mean' baseline; default the mean of the inputs. */
  meanImage?: Tensor;
  /** Draws per null. Default 1000. */
  permutations?: number;
  /** Family-wise significance level. Default 0.05. */
  alpha?: number;
  /** The naive rule's threshold: a channel "drives" the map when the correlation falls below 1 - this. Default 0.1. */
  naiveThreshold?: number;
  seed?: number;
  /** Channel names for the report. */
  channelNames?: string[];
}

export interface ChannelMutingResult {
  map: number;
  channels: string[];
  baseline: BaselineKind;
  /** Spearman across cases between map k's mean activation before and after muting, per channel (the naive statistic). */
  spearman: number[];
  /** S = 1 - spearman, per channel. */
  disturbance: number[];
  /** Channels the naive rule (S above naiveThreshold) would call drivers. */
  naiveDrivers: string[];
  /** p-value of S against random latent directions, per channel. */
  pRandomMaps: number[];
  /** p-value of S against muting random channels, per channel. */
  pShuffledChannels: number[];
  /** Each channel's share of the change of map k's mean activation when muted, mean over cases, with a 95% bootstrap interval. */
  share: number[];
  shareCI: [number, number][];
  /** The channel significant against shuffled channels (Bonferroni over channels) with the largest S, or null. */
  driver: string | null;
  /** Whether the driver is also significant against random maps: map k depends on it more than latent features in general. */
  mapSpecific: boolean;
  cases: number;
}

/** Mean activation per case and map, N x K, of the encodings of x. */
function pooled(model: LatentModel, x: Tensor): { values: Float32Array; k: number } {
  const z = model.encode(x).z;
  return { values: z.mean([2, 3]).toFloat32(), k: z.shape[1]! };
}

const column = (v: Float32Array, n: number, k: number, m: number) => Float64Array.from({ length: n }, (_, i) => v[i * k + m]!);

export function channelMutingTest(model: LatentModel, x: Tensor, o: ChannelMutingOptions): ChannelMutingResult {
  const [n, c] = x.shape as [number, number, number, number];
  const draws = o.permutations ?? 1000;
  const alpha = o.alpha ?? 0.05;
  const rnd = new Random(o.seed ?? 0);
  const baselineKind = o.baseline ?? 'mean';
  model.eval();
  const { orig, muted, k } = scope(() =>
    noGrad(() => {
      const base = makeBaseline(x, { kind: baselineKind, meanImage: o.meanImage });
      const p = pooled(model, x);
      const m = Array.from({ length: c }, (_, ch) => {
        const mask = tensor(
          Array.from({ length: c }, (_, j) => (j === ch ? 1 : 0)),
          [1, c, 1, 1],
        );
        return pooled(model, x.mul(mask.neg().add(1)).add(base.mul(mask))).values;
      });
      return { orig: p.values, muted: m, k: p.k };
    }),
  );
  if (!(o.map >= 0 && o.map < k)) throw new RangeError(`map ${o.map}: the model has maps 0..${k - 1}`);
  const before = column(orig, n, k, o.map);
  const s = muted.map((mv) => 1 - spearman(before, column(mv, n, k, o.map)));

  // Random maps: random unit directions over the K pooled maps.
  const project = (v: Float32Array, dir: Float64Array) =>
    Float64Array.from({ length: n }, (_, i) => {
      let acc = 0;
      for (let m = 0; m < k; m++) acc += v[i * k + m]! * dir[m]!;
      return acc;
    });
  const randomS: number[][] = muted.map(() => []);
  for (let d = 0; d < draws; d++) {
    const dir = Float64Array.from({ length: k }, () => rnd.normal());
    const b = project(orig, dir);
    muted.forEach((mv, ch) => randomS[ch]!.push(1 - spearman(b, project(mv, dir))));
  }
  const pRandomMaps = s.map((sc, ch) => (1 + randomS[ch]!.filter((v) => v >= sc).length) / (1 + draws));

  // Shuffled channels: each case gets a random channel muted.
  const shuffledS: number[] = [];
  const mix = new Float64Array(n);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < n; i++) mix[i] = muted[rnd.int(c)]![i * k + o.map]!;
    shuffledS.push(1 - spearman(before, mix));
  }
  const pShuffledChannels = s.map((sc) => (1 + shuffledS.filter((v) => v >= sc).length) / (1 + draws));

  const effects = muted.map((mv) => Float64Array.from({ length: n }, (_, i) => Math.abs(before[i]! - mv[i * k + o.map]!)));
  const shares = effects.map((e) =>
    Float64Array.from({ length: n }, (_, i) => {
      const tot = effects.reduce((acc, f) => acc + f[i]!, 0);
      return tot > 0 ? e[i]! / tot : 1 / c;
    }),
  );
  const channels = o.channelNames ?? Array.from({ length: c }, (_, i) => `channel ${i}`);
  const threshold = o.naiveThreshold ?? 0.1;
  let driverIndex = -1;
  s.forEach((sc, ch) => {
    if (pShuffledChannels[ch]! < alpha / c && (driverIndex < 0 || sc > s[driverIndex]!)) driverIndex = ch;
  });
  const driver = driverIndex >= 0 ? channels[driverIndex]! : null;
  const mapSpecific = driverIndex >= 0 && pRandomMaps[driverIndex]! < alpha / c;
  return {
    map: o.map,
    channels,
    baseline: baselineKind,
    spearman: s.map((v) => 1 - v),
    disturbance: s,
    naiveDrivers: channels.filter((_, ch) => s[ch]! > threshold),
    pRandomMaps,
    pShuffledChannels,
    share: shares.map((v) => mean(v)),
    shareCI: shares.map((v, ch) => bootstrapMeanCI(v, 0.95, 1000, (o.seed ?? 0) + ch)),
    driver,
    mapSpecific,
    cases: n,
  };
}
