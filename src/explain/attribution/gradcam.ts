// Grad-CAM (Selvaraju et al. 2017) on an encoder layer: the layer's activations weighted by the spatial
// mean of the target's gradient, rectified, upsampled to the input. Spatial only: it cannot say which
// input channel matters, so it complements the per-channel methods rather than replacing them.
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

/** Grad-CAM maps N x 1 x H x W. `layer`: index into the encoder's layers (default: the last stage's activation). */
export function gradCam(model: LatentModel, x: Tensor, target: MapTarget, layer?: number): { cam: Tensor; layer: number } {
  const enc = encoderLayers(model);
  const layers = enc.layers;
  const at = layer ?? layers.length - 2;
  if (at < 0 || at >= layers.length - 1) throw new RangeError(`Grad-CAM layer ${at}: the encoder has layers 0..${layers.length - 2} before its output`);
  if ((model.config as { latent?: string }).latent === 'vector') throw new Error('Grad-CAM is for spatial latents');
  let h = x;
  for (let i = 0; i <= at; i++) h = layers[i]!.forward(h);
  const act = h.detach().requiresGrad_(true);
  let out = act;
  for (let i = at + 1; i < layers.length; i++) out = layers[i]!.forward(out);
  // Variational encoders output [mu, logvar]: the first K maps are the latent.
  const z = out.narrow(1, 0, model.config.latentMaps);
  const [g] = grad(poolTarget(z, target).sum(), act);
  const weights = g!.mean([2, 3], true);
  const cam = act.mul(weights).sum(1, true).relu();
  return { cam: F.interpolate(cam, { size: [x.shape[2]!, x.shape[3]!], mode: 'bilinear' }), layer: at };
}
