// Decoder-side effects of a map of a 3D model: single-map ablation (map k set to its dataset mean,
// against the other maps as a control) and the decoder-entanglement index, by the 2D implementation
// (map-effects.ts) on flattened volumes. The latents N x K x d x h x w are handled as N x K x (d·h) x w
// and the decodings N x C x D x H x W as N x C x (D·H) x W: ablation and the index only compare values
// cell by cell and voxel by voxel, so the flattening changes nothing they compute.
import { noGrad, scope, tensor, type Tensor } from '../../engine/index.js';
import type { LatentModel } from '../../models/types.js';
import { encodeAll } from './latent-edit.js';
import { entanglementIndex, mapEffects, singleMapAblation, type Entanglement, type SingleMapAblation } from './map-effects.js';

export interface VolumeDecoderEffects {
  ablation: SingleMapAblation;
  entanglement: Entanglement;
  /** Decodings run: 1 + K per explained volume (the unablated one, then each map ablated). */
  decodesPerVolume: number;
}

/**
 * Ablation of `map` and the entanglement index on the volumes `explained` (indices into x, N x C x D x H x W);
 * the dataset mean latent is over all of x. `masks`: N_explained x D x H x W, the region whose share of the
 * ablation's effect is reported (`insideMask`).
 */
export function volumeDecoderEffects(
  model: LatentModel,
  x: Tensor,
  explained: number[],
  map: number,
  channels: string[],
  o: { masks?: Uint8Array; permutations?: number; seed?: number } = {},
): VolumeDecoderEffects {
  if (x.ndim !== 5) throw new RangeError(`volumeDecoderEffects: expected volumes N x C x D x H x W, got [${x.shape}]`);
  const [, c, D, H, W] = x.shape as [number, number, number, number, number];
  return noGrad(() =>
    scope(() => {
      const z = encodeAll(model, x, 16);
      if (z.ndim !== 5) throw new RangeError(`volumeDecoderEffects: the model's latents are [${z.shape}], expected N x K x d x h x w`);
      const [, k, d, h, w] = z.shape as [number, number, number, number, number];
      const flat = z.reshape(z.shape[0]!, k, d * h, w);
      const meanLatent = flat.mean(0);
      const ze = flat.indexSelect(0, tensor(explained, [explained.length], { dtype: 'int64' }));
      // The decoder seen through flattened shapes: what mapEffects calls.
      const decoder = {
        decode: (zz: Tensor) => model.decode(zz.reshape(zz.shape[0]!, k, d, h, w)).reshape(zz.shape[0]!, c, D * H, W),
      } as unknown as LatentModel;
      const effects = mapEffects(decoder, ze, meanLatent);
      return {
        ablation: singleMapAblation(effects, map, channels, o.masks, o.permutations ?? 500, o.seed ?? 0),
        entanglement: entanglementIndex(effects),
        decodesPerVolume: 1 + k,
      };
    }),
  );
}
