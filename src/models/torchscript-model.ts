// A user's own autoencoder exported from PyTorch as TorchScript, behind the same LatentModel surface so
// every analysis runs on it unchanged. Either one file with `encode` and `decode` methods, or two files
// (an encoder and a decoder, each with `forward`). Export in PyTorch:
//   m = torch.jit.script(model)          # encode/decode decorated with @torch.jit.export
//   m.save('autoencoder.pt')
// `encode` may return the latent maps, or a tuple (mu, logvar) whose mu is used as z.
import * as F from '../engine/functional.js';
import { zeros } from '../engine/create.js';
import { noGrad } from '../engine/autograd.js';
import { ScriptModule, type ScriptValue } from '../engine/script.js';
import { Tensor } from '../engine/tensor.js';
import { scope } from '../engine/scope.js';
import { checkStateValue } from '../nn/module.js';
import type { Encoding, LatentModel, LossTerms, ModelConfig, ParamGroup, UpdateFn } from './types.js';

export interface TorchScriptModelOptions {
  /** One file with encode/decode methods. */
  path?: string;
  /** Or separate encoder and decoder files (each called through forward). */
  encoderPath?: string;
  decoderPath?: string;
  /** C x H x W the model takes (needed to find its latent shape). */
  inputShape: [number, number, number];
  /** Device to load onto. Default 'cpu'. */
  device?: string;
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
    const { path, encoderPath, decoderPath, device } = options;
    if (path) {
      this.enc = this.dec = ScriptModule.load(path, device);
      for (const m of ['encode', 'decode']) {
        if (!this.enc.hasMethod(m)) throw new Error(`${path}: TorchScript model has no '${m}' method (it has ${this.enc.methodNames().join(', ')}); decorate it with @torch.jit.export, or pass encoderPath and decoderPath`);
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
    const grid: [number, number] = zShape.length === 4 ? [zShape[2]!, zShape[3]!] : [1, 1];
    this.config = { kind: 'torchscript', inputShape: options.inputShape, latentMaps: zShape[1]!, latentGrid: grid, path, encoderPath, decoderPath };
  }

  encode(x: Tensor): Encoding {
    const r = this.split ? this.enc.forward(x) : this.enc.call('encode', x);
    const e = asEncoding(r, this.options.path ?? this.options.encoderPath!);
    return e.z.ndim === 2 ? { ...e, z: e.z.unsqueeze(2).unsqueeze(3) } : e;
  }
  decode(z: Tensor): Tensor {
    const zz = this.config?.latentGrid[0] === 1 && z.ndim === 4 && !this.split ? z : z;
    return this.split ? this.dec.callTensor('forward', zz) : this.dec.callTensor('decode', zz);
  }
  reconstruct(x: Tensor): Tensor { return this.decode(this.encode(x).z); }

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
  train(on = true): this { this.enc.train(on); this.dec.train(on); return this; }
  eval(): this { return this.train(false); }
  stateDict(): Map<string, Tensor> {
    const named = (m: ScriptModule, prefix: string) => [...m.namedParameters(), ...m.namedBuffers()].map(([n, t]) => [prefix + n, t] as [string, Tensor]);
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
