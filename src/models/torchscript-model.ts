// A user's own autoencoder exported from PyTorch as TorchScript, behind the same LatentModel surface so
// every analysis runs on it unchanged. Either one file with `encode` and `decode` methods, or two files
// (an encoder and a decoder, each with `forward`). Export in PyTorch:
//   m = torch.jit.script(model)          # encode/decode decorated with @torch.jit.export
//   m.save('autoencoder.pt')
// `encode` may return the latent maps, or a tuple (mu, logvar) whose mu is used as z.
// Grad-CAM convention (README "Analysing your own model"): a one-file module that also exports
// `encoder_activation(x)` (the encoder activation Grad-CAM reads) and `encode_from_activation(a)` (the
// rest of the encoder, returning what `encode` returns) offers them as its encoderCut; the two must
// compose to `encode` (checked once on a fixed input). Without them Grad-CAM is skipped with a note.
// Volumes (inputShape C x D x H x W): encode returns N x K x d x h x w (or a vector N x K, read as
// 1 x 1 x 1 maps) and encoder_activation N x C' x d' x h' x w'.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as F from '../engine/functional.js';
import { zeros } from '../engine/create.js';
import { noGrad } from '../engine/autograd.js';
import { ScriptModule, type ScriptValue } from '../engine/script.js';
import { Tensor, tensor } from '../engine/tensor.js';
import { scope } from '../engine/scope.js';
import { checkStateValue } from '../nn/module.js';
import type { EncoderCut, Encoding, LatentModel, LossTerms, ModelConfig, ParamGroup, UpdateFn } from './types.js';

/** The methods of the Grad-CAM convention. */
export const GRADCAM_METHODS = { activation: 'encoder_activation', latent: 'encode_from_activation' } as const;

/** Lower-case hex SHA-256 of a file's bytes. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface TorchScriptModelOptions {
  /** One file with encode/decode methods. */
  path?: string;
  /** Or separate encoder and decoder files (each called through forward). */
  encoderPath?: string;
  decoderPath?: string;
  /** C x H x W the model takes, or C x D x H x W for volumes (needed to find its latent shape). */
  inputShape: [number, number, number] | [number, number, number, number];
  /** Device to load onto. Default 'cpu'. */
  device?: string;
  /**
   * SHA-256 (hex) the file at `path` must have: a file that no longer matches is refused before it is
   * loaded (an imported run records it in config.json). Default: not checked.
   */
  sha256?: string;
}

function asEncoding(v: ScriptValue, where: string): Encoding {
  if (v instanceof Tensor) return { z: v };
  if (Array.isArray(v) && v[0] instanceof Tensor && v[1] instanceof Tensor) return { z: v[0], mu: v[0], logvar: v[1] };
  throw new TypeError(`${where}: encode must return a tensor or a (mu, logvar) tuple`);
}

export class TorchScriptModel implements LatentModel {
  readonly config: ModelConfig;
  private readonly enc: ScriptModule;
  private readonly dec: ScriptModule;
  private readonly split: boolean;

  constructor(readonly options: TorchScriptModelOptions) {
    const { path, encoderPath, decoderPath, device, sha256 } = options;
    if (path) {
      if (sha256 !== undefined) {
        const got = sha256File(path);
        if (got !== sha256.toLowerCase()) {
          throw new Error(
            `${path}: SHA-256 ${got} does not match the recorded ${sha256}: the file was changed or replaced since it was recorded; refusing to load it`,
          );
        }
      }
      this.enc = this.dec = ScriptModule.load(path, device);
      for (const m of ['encode', 'decode']) {
        if (!this.enc.hasMethod(m))
          throw new Error(
            `${path}: TorchScript model has no '${m}' method (it has ${this.enc.methodNames().join(', ')}); decorate it with @torch.jit.export, or pass encoderPath and decoderPath`,
          );
      }
      this.split = false;
    } else if (encoderPath && decoderPath) {
      this.enc = ScriptModule.load(encoderPath, device);
      this.dec = ScriptModule.load(decoderPath, device);
      this.split = true;
    } else {
      throw new Error('TorchScript model: give path (encode/decode methods) or encoderPath and decoderPath');
    }
    this.eval();
    const zShape = scope(() => noGrad(() => this.encode(zeros([1, ...options.inputShape])).z.shape));
    const rank = options.inputShape.length + 1;
    if (zShape.length !== rank)
      throw new Error(
        `${path ?? encoderPath}: encode returns [${zShape.join(', ')}] for an input of [1, ${options.inputShape.join(', ')}]; expected ${rank === 5 ? 'N x K x d x h x w maps' : 'N x K x h x w maps'} or an N x K vector`,
      );
    const grid = zShape.slice(2) as [number, number] | [number, number, number];
    this.config = {
      kind: 'torchscript',
      inputShape: options.inputShape,
      latentMaps: zShape[1]!,
      latentGrid: grid,
      path,
      encoderPath,
      decoderPath,
      ...(sha256 !== undefined ? { sha256 } : {}),
    };
  }

  private cut: { cut: EncoderCut } | { why: string } | null = null;

  /** The Grad-CAM convention's cut (see the file's header), or why this module offers none. */
  encoderCut(): { cut: EncoderCut } | { why: string } {
    this.cut ??= this.findCut();
    return this.cut;
  }

  private findCut(): { cut: EncoderCut } | { why: string } {
    const { activation, latent } = GRADCAM_METHODS;
    const how = `export ${activation}(x) and ${latent}(a) with encode(x) == ${latent}(${activation}(x)) (README "Analysing your own model")`;
    if (this.split)
      return {
        why: `a TorchScript encoder given as its own file offers no encoder activation (for Grad-CAM, give one file that has encode/decode and ${how})`,
      };
    const missing = [activation, latent].filter((m) => !this.enc.hasMethod(m));
    if (missing.length) return { why: `the TorchScript module does not export ${missing.join(' and ')} (for Grad-CAM, ${how})` };
    const where = this.options.path!;
    const cut: EncoderCut = {
      layer: activation,
      activation: (x) => this.enc.callTensor(activation, x),
      latent: (a) => {
        const e = asEncoding(this.enc.call(latent, a), `${where}: ${latent}`);
        return this.asMaps(e.z);
      },
    };
    // The cut must be the encoder: on a fixed input, the composition gives encode's latent.
    const check = () =>
      scope(() =>
        noGrad(() => {
          const n = this.options.inputShape.reduce((a, b) => a * b, 1);
          const x = tensor(
            Array.from({ length: n }, (_, i) => Math.sin(0.37 * i) * 0.5 + 0.5),
            [1, ...this.options.inputShape],
          );
          const a = cut.activation(x);
          if (a.ndim !== x.ndim)
            return `${activation} returns ${a.ndim} dimensions, not ${x.ndim === 5 ? 'N x C x d x h x w' : 'N x C x h x w'}`;
          const z = this.encode(x).z,
            zc = cut.latent(a);
          if (zc.shape.join() !== z.shape.join()) return `${latent}(${activation}(x)) has shape [${zc.shape}], encode(x) [${z.shape}]`;
          const diff = zc.sub(z).abs().max().item(),
            scale = z.abs().max().item();
          return diff <= 1e-4 * Math.max(1, scale)
            ? null
            : `${latent}(${activation}(x)) differs from encode(x) by up to ${diff.toPrecision(3)}`;
        }),
      );
    let gap: string | null;
    try {
      gap = check();
    } catch (err) {
      gap = `calling them failed: ${(err as Error).message.split('\n')[0]}`;
    }
    return gap === null ? { cut } : { why: `the TorchScript module's Grad-CAM methods do not compose to its encoder: ${gap}` };
  }

  encode(x: Tensor): Encoding {
    const r = this.split ? this.enc.forward(x) : this.enc.call('encode', x);
    const e = asEncoding(r, this.options.path ?? this.options.encoderPath!);
    return e.z.ndim === 2 ? { ...e, z: this.asMaps(e.z) } : e;
  }

  /** A vector latent N x K as 1 x 1 maps (1 x 1 x 1 for volumes); maps as they are. */
  private asMaps(z: Tensor): Tensor {
    if (z.ndim !== 2) return z;
    const maps = z.unsqueeze(2).unsqueeze(3);
    return this.options.inputShape.length === 4 ? maps.unsqueeze(4) : maps;
  }
  decode(z: Tensor): Tensor {
    const zz = this.config?.latentGrid[0] === 1 && z.ndim === 4 && !this.split ? z : z;
    return this.split ? this.dec.callTensor('forward', zz) : this.dec.callTensor('decode', zz);
  }
  reconstruct(x: Tensor): Tensor {
    return this.decode(this.encode(x).z);
  }

  paramGroups(): ParamGroup[] {
    const params = this.split ? [...this.enc.namedParameters(), ...this.dec.namedParameters()] : this.enc.namedParameters();
    return [{ name: 'main', params: params.map(([, t]) => t) }];
  }
  trainStep(x: Tensor, _step: number, update: UpdateFn): LossTerms {
    const loss = F.mseLoss(this.reconstruct(x), x);
    update('main', loss);
    return { loss: loss.item(), recon: loss.item() };
  }
  evalLoss(x: Tensor): LossTerms {
    const l = F.mseLoss(this.reconstruct(x), x).item();
    return { loss: l, recon: l };
  }
  train(on = true): this {
    this.enc.train(on);
    this.dec.train(on);
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  stateDict(): Map<string, Tensor> {
    const named = (m: ScriptModule, prefix: string) =>
      [...m.namedParameters(), ...m.namedBuffers()].map(([n, t]) => [prefix + n, t] as [string, Tensor]);
    return new Map(this.split ? [...named(this.enc, 'encoder.'), ...named(this.dec, 'decoder.')] : named(this.enc, ''));
  }
  loadStateDict(state: Map<string, Tensor>, strict = true): void {
    const own = this.stateDict();
    noGrad(() => {
      const pairs: [Tensor, Tensor][] = [];
      for (const [name, t] of own) {
        const v = state.get(name);
        if (!v) {
          if (strict) throw new Error(`loadStateDict: missing '${name}'`);
          continue;
        }
        checkStateValue(name, v, t); // shape, dtype and finite values, as for built-in models
        pairs.push([t, v]);
      }
      for (const [t, v] of pairs) t.copy_(v);
    });
  }
  dispose(): void {}
}
