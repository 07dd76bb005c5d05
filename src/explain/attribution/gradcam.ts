// Grad-CAM (Selvaraju et al. 2017) on an encoder layer: the layer's activations weighted by the spatial
// mean of the target's gradient, rectified, upsampled to the input. Spatial only: it cannot say which
// input channel matters, so it complements the per-channel methods rather than replacing them.
// Models with a layer stack (ConvAE, the VAE family) are cut at any layer; a TorchScript module is cut
// where its encoderCut says (its `encoder_activation` / `encode_from_activation` methods).
import { F, grad, type Tensor } from '../../engine/index.js';
import type { Sequential } from '../../nn/layers.js';
import type { LatentModel } from '../../models/types.js';
import { poolTarget, type MapTarget } from '../target.js';

/** The encoder's layer stack, as the model declares it (ConvAE and the VAE family do; TorchScript does not). */
export function encoderLayers(model: LatentModel, method = 'Grad-CAM'): Sequential {
  const enc = model.encoderStack?.();
  if (!enc) throw new Error(`${method} needs a model that exposes its encoder as a layer stack (${model.config.kind} does not)`);
  return enc;
}

/** Why no encoder activation of `model` can be read (Grad-CAM: no layer stack and no encoder cut), or null when one can. */
export function encoderActivationUnavailable(model: LatentModel): string | null {
  if (model.encoderStack) return null;
  const c = model.encoderCut?.();
  if (c && 'cut' in c) return null;
  return c ? c.why : `a ${model.config.kind} model exposes neither its encoder as a layer stack nor an encoder activation`;
}

/**
 * Grad-CAM maps N x 1 x H x W (N x 1 x D x H x W for volumes). `layer`: index into the encoder's layers (default: the last stage's
 * activation); a model cut by encoderCut has its one layer (its name is returned, `layer` must be unset).
 */
export function gradCam(model: LatentModel, x: Tensor, target: MapTarget, layer?: number): { cam: Tensor; layer: number | string } {
  if ((model.config as { latent?: string }).latent === 'vector') throw new Error('Grad-CAM is for spatial latents');
  let act: Tensor, out: Tensor, at: number | string;
  if (!model.encoderStack && model.encoderCut) {
    const c = model.encoderCut();
    if (!('cut' in c)) throw new Error(`Grad-CAM: ${c.why}`);
    if (layer !== undefined)
      throw new RangeError(`Grad-CAM layer ${layer}: this ${model.config.kind} model offers one activation (${c.cut.layer})`);
    act = c.cut.activation(x).detach().requiresGrad_(true);
    out = c.cut.latent(act);
    at = c.cut.layer;
  } else {
    const layers = encoderLayers(model).layers;
    const i0 = layer ?? layers.length - 2;
    if (i0 < 0 || i0 >= layers.length - 1)
      throw new RangeError(`Grad-CAM layer ${i0}: the encoder has layers 0..${layers.length - 2} before its output`);
    let h = x;
    for (let i = 0; i <= i0; i++) h = layers[i]!.forward(h);
    act = h.detach().requiresGrad_(true);
    out = act;
    for (let i = i0 + 1; i < layers.length; i++) out = layers[i]!.forward(out);
    at = i0;
  }
  // Variational encoders output [mu, logvar]: the first K maps are the latent.
  const z = out.narrow(1, 0, model.config.latentMaps);
  const [g] = grad(poolTarget(z, target).sum(), act);
  if (act.ndim === 5) {
    // Volumes: the same weights (the gradient's mean over the layer's d x h x w), upsampled trilinearly.
    const cam = act
      .mul(g!.mean([2, 3, 4], true))
      .sum(1, true)
      .relu();
    return { cam: F.interpolate3d(cam, { size: [x.shape[2]!, x.shape[3]!, x.shape[4]!], mode: 'trilinear' }), layer: at };
  }
  const weights = g!.mean([2, 3], true);
  const cam = act.mul(weights).sum(1, true).relu();
  return { cam: F.interpolate(cam, { size: [x.shape[2]!, x.shape[3]!], mode: 'bilinear' }), layer: at };
}
