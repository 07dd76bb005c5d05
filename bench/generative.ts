// Generative benchmark (issue 17 item 4, first part): the same trained ConvAE encoder with its own conv
// decoder and with a diffusion decoder (AdaGN, + spatial by default; DDPM, linear schedule by default) trained on
// its frozen latents, on phantoms. Reconstruction PSNR / SSIM of held-out cases at 10, 20 and 50 DDIM
// steps with the inferred x_T (DDIM inversion of the case) and with a random one (the model's fixed
// noise), the same with the latents shuffled across cases (does the decoder use them?), the mean-image
// baseline, and decoding time per image. The adversarial decoder (the encoder's own conv decoder
// fine-tuned against a patch discriminator, encoder frozen) beside a control fine-tuned for as many
// steps without the adversarial term, so that a difference is the adversarial term's and not the extra
// training's; for every decoder the detail it keeps (gradientEnergy, against the cases'), and for the
// conv decoders and the diffusion decoder (its decode(z), fixed x_T) the entanglement index of their map
// effects; MS-SSIM beside SSIM. On phantoms also (generative-fp.ts) masked-decoding and ablation false
// positives through every decoder, as explain-fp counts them, and MIG / DCI of the shared encoder; and for
// every decoder its entanglement index against a null of conv decoders retrained on the same frozen
// encoder (generative-null.ts says why that null). With --joint also a diffusion autoencoder trained
// jointly (its own encoder, from the conv encoder's initial weights, trained by the diffusion loss alone,
// as Diff-AE): the same rows, its entanglement index against conv decoders retrained on its frozen
// encoder, false positives on its own label-carrying maps, and MIG / DCI of its latents beside the conv
// encoder's and the untrained encoder's (the frozen-encoder decoders cannot move MIG / DCI; this one can).
// One JSON line last.
//   --enc-steps 600 --steps 1500 --batch 16 --width 16 --cases 32 --seed 0 --prediction eps|v
//   --conditioning adagn+spatial|adagn|adagn+cross-attention, or several comma-separated (one diffusion
//   decoder each, on the same encoder) --noise-schedule linear|cosine
//   --null-decoders 4 (retrained conv decoders of the null; 0 skips) --fp-cases 32 (explained lesion
//   cases of the false-positive count) --metric-cases 1000 (phantoms of MIG / DCI)
//   --adv-steps 600 --adv-start 100 --adv-weight 0.5 --no-diffusion (the conv decoders only)
//   --data phantoms|pneumoniamnist (640 cases either way; PneumoniaMNIST from ../shared/data)
//   --joint (the jointly trained diffusion autoencoder) --joint-steps <steps> --joint-lr 2e-3
//   --joint-conditioning <the first of --conditioning>
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../src/core/random.js';
import { loadMedMNIST } from '../src/data/medmnist.js';
import { closeSharedPool } from '../src/forest/index.js';
import { generatePhantoms, type PhantomOptions } from '../src/data/phantom.js';
import type { ImageDataset } from '../src/data/types.js';
import {
  Adam,
  generator,
  getNumThreads,
  manualSeed,
  noGrad,
  scope,
  tensor,
  torchVersion,
  withGenerator,
  type Tensor,
} from '../src/engine/index.js';
import { entanglementIndex, mapEffects } from '../src/explain/ablation/map-effects.js';
import { AdversarialAE } from '../src/models/adversarial/adversarial-ae.js';
import { ConvAE } from '../src/models/conv-ae.js';
import type { LatentModel } from '../src/models/types.js';
import { DiffusionAE, type DiffusionConditioning, type DiffusionPrediction } from '../src/models/diffusion/diffusion-ae.js';
import { jointDiffusionAE } from '../src/models/diffusion/joint.js';
import type { ScheduleKind } from '../src/models/diffusion/schedule.js';
import { msSsim, psnr, ssim } from '../src/train/image-quality.js';
import { decoderFalsePositives, encoderDisentanglement, strongMaps, type DecoderFalsePositives } from './generative-fp.js';
import { againstNull, freshConvDecoders } from './generative-null.js';

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

// Plain Adam steps over consecutive batches of the training cases.
function fit(
  step: (x: Tensor, s: number, update: (g: string, l: Tensor) => void) => unknown,
  params: Tensor[],
  x: Tensor,
  steps: number,
  batch: number,
  lr: number,
): number {
  const opt = new Adam(params, { lr });
  const n = x.shape[0]!;
  const t0 = performance.now();
  for (let s = 1; s <= steps; s++) {
    scope(() =>
      step(x.narrow(0, ((s - 1) * batch) % (n - batch), batch), s, (_g, l) => {
        opt.zeroGrad();
        l.backward();
        opt.step();
      }),
    );
    if (s % 250 === 0) console.error(`  step ${s}/${steps} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  opt.dispose();
  return (performance.now() - t0) / 1000;
}

// Adam per optimizer group (its own learning rate and betas), as the trainer runs a model's groups.
function fitGroups(model: LatentModel, x: Tensor, steps: number, batch: number, lr: number): number {
  const opts = new Map(
    model.paramGroups().map((g) => [g.name, new Adam(g.params, { lr: g.lr ?? lr, ...(g.betas ? { betas: g.betas } : {}) })]),
  );
  const n = x.shape[0]!;
  const t0 = performance.now();
  model.train(true);
  for (let s = 1; s <= steps; s++) {
    scope(() =>
      model.trainStep(x.narrow(0, ((s - 1) * batch) % (n - batch), batch), s, (g, l) => {
        const o = opts.get(g)!;
        o.zeroGrad();
        l.backward();
        o.step();
      }),
    );
  }
  model.eval();
  for (const o of opts.values()) o.dispose();
  return (performance.now() - t0) / 1000;
}

const round = (v: number, d = 3) => Number(v.toFixed(d));

// Mean squared difference of neighbouring pixels: how much fine detail (edges, texture) an image set
// holds; a decoder's over the cases' own says whether it blurs (below 1) or adds detail.
function gradientEnergy(x: Tensor): number {
  const [, , h, w] = x.shape as [number, number, number, number];
  const dx = x.narrow(3, 1, w - 1).sub(x.narrow(3, 0, w - 1));
  const dy = x.narrow(2, 1, h - 1).sub(x.narrow(2, 0, h - 1));
  return dx.square().mean().item() + dy.square().mean().item();
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * 640 cases, the last ones held out: two-channel 32 px phantoms with a lesion, or a seeded subset of
 * PneumoniaMNIST's train split (1 x 28 x 28 chest X-rays; ../shared/data).
 */
// Lesion in FLAIR (the last channel), distractor in T1 (the first), as explain-fp's phantoms.
const PHANTOMS: PhantomOptions = { size: 32, channels: ['T1', 'FLAIR'], lesionIntensity: [0.6, 1.0], lesionRadius: [0.08, 0.15] };

async function benchData(source: 'phantoms' | 'pneumoniamnist', seed: number): Promise<{ all: Tensor; what: string; data?: ImageDataset }> {
  if (source === 'phantoms') {
    const data = generatePhantoms({ ...PHANTOMS, n: 640, seed });
    return { all: tensor(data.images, data.shape).clamp(0, 1), what: 'phantoms 2x32x32', data };
  }
  const path = join(here, '..', '..', '..', 'shared', 'data', 'pneumoniamnist', 'pneumoniamnist.npz');
  if (!existsSync(path)) throw new Error(`bench generative --data pneumoniamnist: ${path} not found (see ../shared/data/README.md)`);
  const ds = await loadMedMNIST(path, { split: 'train' });
  const per = ds.shape.slice(1).reduce((a, b) => a * b, 1);
  const pick = new Random(`generative/${seed}`).permutation(ds.shape[0]).subarray(0, 640);
  const images = new Float32Array(640 * per);
  pick.forEach((r, i) => images.set(ds.images.subarray(r * per, (r + 1) * per), i * per));
  return { all: tensor(images, [640, ...ds.shape.slice(1)]), what: 'PneumoniaMNIST 1x28x28 (640 train-split cases, seeded)' };
}

export async function run(args: string[]): Promise<void> {
  const encSteps = arg(args, 'enc-steps', 600),
    steps = arg(args, 'steps', 1500),
    batch = arg(args, 'batch', 16);
  const width = arg(args, 'width', 16),
    cases = arg(args, 'cases', 32),
    seed = arg(args, 'seed', 0);
  const pi = args.indexOf('--prediction');
  const prediction = (pi >= 0 ? args[pi + 1] : 'eps') as DiffusionPrediction;
  const si = args.indexOf('--noise-schedule');
  const schedule = (si >= 0 ? args[si + 1] : 'linear') as ScheduleKind;
  const ci = args.indexOf('--conditioning');
  const conditionings = (ci >= 0 ? args[ci + 1]! : 'adagn+spatial').split(',') as DiffusionConditioning[];
  const ji = args.indexOf('--joint-conditioning');
  const jointConditioning = (ji >= 0 ? args[ji + 1]! : conditionings[0]!) as DiffusionConditioning;
  const nullDecoders = arg(args, 'null-decoders', 4),
    fpCases = arg(args, 'fp-cases', 32),
    metricCases = arg(args, 'metric-cases', 1000);
  const advSteps = arg(args, 'adv-steps', 600),
    advStart = arg(args, 'adv-start', 100),
    advWeight = arg(args, 'adv-weight', 0.5);
  const diffusion = !args.includes('--no-diffusion');
  const joint = args.includes('--joint');
  const jointSteps = arg(args, 'joint-steps', steps),
    jointLr = arg(args, 'joint-lr', 2e-3);
  const di = args.indexOf('--data');
  const source = di >= 0 ? args[di + 1]! : 'phantoms';
  if (source !== 'phantoms' && source !== 'pneumoniamnist') throw new Error(`--data ${source}: expected phantoms or pneumoniamnist`);
  const { all, what, data } = await benchData(source, seed);
  const [n, c, side] = all.shape as [number, number, number, number];
  const xTrain = all.narrow(0, 0, n - cases),
    xTest = all.narrow(0, n - cases, cases);
  console.error(`generative: libtorch ${torchVersion()}, ${getNumThreads()} threads; ${n - cases} training ${what}, ${cases} held out`);

  manualSeed(seed);
  const grid = side / 4; // 32 px: 8x8, 28 px: 7x7
  const enc = new ConvAE({ inputShape: [c, side, side], latentMaps: 8, latentGrid: [grid, grid], width: 16 });
  enc.train();
  const encSeconds = fit((x, s, u) => enc.trainStep(x, s, u), enc.parameters(), xTrain, encSteps, 32, 2e-3);
  enc.eval();
  console.error(`encoder trained ${encSteps} steps in ${encSeconds.toFixed(0)} s`);
  // Copies of the trained model whose conv decoders are fine-tuned: with and without the adversarial term.
  const copy = () => {
    const m = new ConvAE(enc.config as never);
    m.loadStateDict(enc.stateDict());
    return m;
  };
  const adversarial = withGenerator(generator(seed + 2), () => new AdversarialAE(copy(), { advStart, advWeight, discriminatorWidth: 16 }));
  const control = withGenerator(generator(seed + 2), () => new AdversarialAE(copy(), { advStart, advWeight: 0, discriminatorWidth: 16 }));
  const advSeconds = fitGroups(adversarial, xTrain, advSteps, batch, 2e-4);
  fitGroups(control, xTrain, advSteps, batch, 2e-4);
  console.error(
    `adversarial decoder fine-tuned ${advSteps} steps in ${advSeconds.toFixed(0)} s (control without the adversarial term as long)`,
  );
  // One diffusion decoder per conditioning, each on the same frozen encoder, trained in turn.
  const diffusionDecoder = (conditioning: DiffusionConditioning) => {
    const model = withGenerator(
      generator(seed + 1),
      () => new DiffusionAE(enc, { width, mults: [1, 2, 2], noiseSeed: seed, prediction, conditioning, schedule: { kind: schedule } }),
    );
    // Latent standardisation from the training cases, as trainDiffusionDecoder does it.
    noGrad(() =>
      scope(() => {
        const z = enc.encode(xTrain).z;
        model.setLatentStats(z.mean([0, 2, 3]).toNumbers(), z.std([0, 2, 3]).toNumbers());
      }),
    );
    const parameters = model.denoiser.parameters().reduce((a, t) => a + t.numel, 0);
    model.train();
    const trainSeconds = diffusion
      ? fit((x, s, u) => model.trainStep(x, s, u), model.denoiser.parameters(), xTrain, steps, batch, 2e-3)
      : 0;
    model.eval();
    if (diffusion)
      console.error(`diffusion decoder ${conditioning} (${parameters} parameters) trained ${steps} steps in ${trainSeconds.toFixed(0)} s`);
    return { model, conditioning, parameters, trainSeconds: round(trainSeconds, 1) };
  };

  const rows: Record<string, unknown>[] = [];
  const score = (
    decoder: string,
    ddimSteps: number | null,
    xT: string,
    latents: string,
    f: () => Tensor,
    extra: Record<string, unknown> = {},
  ) =>
    scope(() =>
      noGrad(() => {
        const t0 = performance.now();
        const y = f();
        const msPerImage = (performance.now() - t0) / cases;
        const row = {
          decoder,
          ddimSteps,
          xT,
          latents,
          psnr: round(psnr(y, xTest), 2),
          ssim: round(ssim(y, xTest), 4),
          msSsim: round(msSsim(y, xTest).value, 4),
          msPerImage: round(msPerImage, 1),
          detail: round(gradientEnergy(y) / gradientEnergy(xTest), 3),
          ...extra,
        };
        console.error(JSON.stringify(row));
        rows.push(row);
      }),
    );
  const mean = noGrad(() => xTrain.mean(0, true).expand(...xTest.shape));
  score('mean-image', null, '-', '-', () => mean);
  const z = noGrad(() => enc.encode(xTest).z);
  const perm = tensor(
    BigInt64Array.from({ length: cases }, (_, i) => BigInt((i + 1) % cases)),
    [cases],
    { dtype: 'int64' },
  );
  const zShuffled = z.index([perm]);
  // The entanglement index of a decoder's map effects on the held-out cases (maps set to their training mean).
  const meanLatent = noGrad(() => enc.encode(xTrain).z.mean(0));
  const indexOf: Record<string, number> = {};
  const entangled = (name: string, m: LatentModel) => {
    const e = entanglementIndex(mapEffects(m, z, meanLatent));
    indexOf[name] = e.overall;
    return { entanglement: round(e.overall, 4), entanglementPerMap: e.perMap.map((v) => round(v, 4)) };
  };
  // Phantoms: the encoder's label-carrying maps and the lesion cases every decoder is asked about.
  const strong = data ? await strongMaps(enc, xTrain, data.labels!, fpCases, seed) : null;
  if (strong)
    console.error(`label-carrying maps ${strong.maps.join(', ') || 'none'} (AUC ${strong.auc.map((a) => a.toFixed(2)).join(', ')})`);
  const falsePositives: DecoderFalsePositives[] = [];
  const countFalsePositives = (name: string, m: LatentModel) => {
    if (data && strong) falsePositives.push(decoderFalsePositives(name, m, xTrain, data, strong, seed));
  };
  for (const [name, m] of [
    ['conv', enc],
    ['adversarial', adversarial],
    ['conv fine-tuned without the adversarial term', control],
  ] as const) {
    score(name, null, '-', 'own', () => m.decode(z), entangled(name, m));
    score(name, null, '-', 'shuffled', () => m.decode(zShuffled));
    countFalsePositives(name, m);
  }
  adversarial.dispose();
  control.dispose();
  const diffusionDecoders: { conditioning: string; parameters: number; trainSeconds: number }[] = [];
  for (const conditioning of conditionings) {
    const { model, ...info } = diffusionDecoder(conditioning);
    diffusionDecoders.push(info);
    const name = `diffusion ${conditioning}`;
    for (const n of diffusion ? [10, 20, 50] : []) {
      score('diffusion', n, 'inferred', 'own', () => model.decodeFrom(model.invert(xTest, z, n), z, n), { conditioning });
      // The entanglement index through the diffusion decoder: its decode(z) (the fixed x_T, its own DDIM steps).
      score('diffusion', n, 'random', 'own', () => model.decodeFrom(model.fixedNoise(cases), z, n), {
        conditioning,
        ...(n === model.config.ddimSteps ? entangled(name, model) : {}),
      });
      score('diffusion', n, 'random', 'shuffled', () => model.decodeFrom(model.fixedNoise(cases), zShuffled, n), { conditioning });
    }
    if (diffusion) countFalsePositives(name, model);
    model.denoiser.dispose(); // not model.dispose(): that frees the shared encoder too
  }
  // The null of the entanglement index: conv decoders retrained on the frozen encoder (generative-null.ts).
  const t0 = performance.now();
  const nullIndices = freshConvDecoders(enc, xTrain, nullDecoders, encSteps, seed).map((m, r) => {
    const e = round(entanglementIndex(mapEffects(m, z, meanLatent)).overall, 4);
    const p = noGrad(() => scope(() => psnr(m.decode(z), xTest)));
    console.error(`retrained conv decoder ${r}: entanglement ${e}, PSNR ${p.toFixed(2)} dB`);
    m.dispose();
    return { index: e, psnr: round(p, 2) };
  });
  const nullSeconds = (performance.now() - t0) / 1000;
  const entanglementNull =
    nullDecoders > 0
      ? {
          kind: 'conv decoders retrained from new initial weights on the same frozen encoder (same cases, steps, lr, batch)',
          count: nullDecoders,
          trainSeconds: round(nullSeconds, 1),
          retrained: nullIndices,
          conv: round(indexOf.conv!, 4),
          decoders: Object.entries(indexOf)
            .filter(([name]) => name !== 'conv')
            .map(([name, index]) => {
              const a = againstNull(
                index,
                indexOf.conv!,
                nullIndices.map((r) => r.index),
              );
              return {
                decoder: name,
                index: round(index, 4),
                ...a,
                minusConv: round(a.minusConv, 4),
                nullMinusConv: a.nullMinusConv.map((v) => round(v, 4)),
                pLower: round(a.pLower, 3),
                pHigher: round(a.pHigher, 3),
              };
            }),
        }
      : null;
  if (entanglementNull)
    for (const d of entanglementNull.decoders)
      console.error(
        `entanglement ${d.decoder} ${d.index} (minus conv ${d.minusConv}; retrained conv minus conv ${d.nullMinusConv.join(' .. ')}): ${d.verdict}, p lower ${d.pLower}`,
      );
  const metricsSet = data ? generatePhantoms({ ...PHANTOMS, n: metricCases, seed: seed + 1000, lesionRate: 1, distractorRate: 1 }) : null;
  const disentanglement = metricsSet ? await encoderDisentanglement(enc, metricsSet, seed) : null;
  if (disentanglement)
    console.error(`encoder MIG ${disentanglement.mig.toFixed(3)}, DCI D ${disentanglement.dciDisentanglement.toFixed(3)}`);

  // --joint: a diffusion autoencoder trained from scratch, its encoder with its decoder by the diffusion
  // loss alone (train --model diffusion-ae). Its encoder starts from the conv encoder's initial weights
  // (the same global draws: ConvAE builds its encoder first), so the two encoders differ by their loss.
  let jointReport: Record<string, unknown> | null = null;
  if (joint) {
    const rounded = (d: Awaited<ReturnType<typeof encoderDisentanglement>>) => ({
      ...d,
      mig: round(d.mig, 4),
      dciDisentanglement: round(d.dciDisentanglement, 4),
      dciCompleteness: round(d.dciCompleteness, 4),
      dciInformativeness: round(d.dciInformativeness, 4),
    });
    // The untrained encoder's MIG / DCI: what neither loss did.
    manualSeed(seed);
    const untrained = new ConvAE(enc.config as never);
    untrained.eval();
    const untrainedScores = metricsSet ? rounded(await encoderDisentanglement(untrained, metricsSet, seed)) : null;
    untrained.dispose();
    manualSeed(seed);
    const jm = jointDiffusionAE({
      inputShape: [c, side, side],
      latentMaps: 8,
      latentGrid: [grid, grid],
      width: 16,
      denoiserWidth: width,
      mults: [1, 2, 2],
      prediction,
      noiseSchedule: schedule,
      conditioning: jointConditioning,
      noiseSeed: seed,
    });
    const parameters = jm.denoiser.parameters().reduce((a, t) => a + t.numel, 0);
    const jointSeconds = fitGroups(jm, xTrain, jointSteps, batch, jointLr);
    console.error(
      `joint diffusion autoencoder ${jointConditioning} (denoiser ${parameters} parameters) trained ${jointSteps} steps in ${jointSeconds.toFixed(0)} s`,
    );
    const zj = noGrad(() => jm.encode(xTest).z);
    const zjShuffled = zj.index([perm]);
    const meanJ = noGrad(() => jm.encode(xTrain).z.mean(0));
    let jointIndex = NaN;
    for (const n of [10, 20, 50]) {
      score('diffusion joint', n, 'inferred', 'own', () => jm.decodeFrom(jm.invert(xTest, zj, n), zj, n), {
        conditioning: jointConditioning,
      });
      const ent =
        n === jm.config.ddimSteps
          ? (() => {
              const e = entanglementIndex(mapEffects(jm, zj, meanJ));
              jointIndex = e.overall;
              return { entanglement: round(e.overall, 4), entanglementPerMap: e.perMap.map((v) => round(v, 4)) };
            })()
          : {};
      score('diffusion joint', n, 'random', 'own', () => jm.decodeFrom(jm.fixedNoise(cases), zj, n), {
        conditioning: jointConditioning,
        ...ent,
      });
      score('diffusion joint', n, 'random', 'shuffled', () => jm.decodeFrom(jm.fixedNoise(cases), zjShuffled, n), {
        conditioning: jointConditioning,
      });
    }
    // The null: conv decoders trained on the joint encoder, frozen (a ConvAE holding its encoder's weights
    // and batch-norm statistics), as the frozen design's null is on the conv encoder.
    const jointEnc = new ConvAE(enc.config as never);
    const sd = jm.stateDict();
    jointEnc.loadStateDict(new Map([...jointEnc.stateDict()].map(([k, v]) => [k, k.startsWith('encoder.') ? sd.get(`encoder.${k}`)! : v])));
    jointEnc.eval();
    const t1 = performance.now();
    const retrained = freshConvDecoders(jointEnc, xTrain, Math.max(1, nullDecoders), encSteps, seed);
    const jointNull = retrained.map((m, r) => {
      const e = round(entanglementIndex(mapEffects(m, zj, meanJ)).overall, 4);
      const p = noGrad(() => scope(() => psnr(m.decode(zj), xTest)));
      const pShuffled = noGrad(() => scope(() => psnr(m.decode(zjShuffled), xTest)));
      console.error(
        `conv decoder ${r} retrained on the joint encoder: entanglement ${e}, PSNR ${p.toFixed(2)} dB (shuffled ${pShuffled.toFixed(2)})`,
      );
      return { index: e, psnr: round(p, 2), psnrShuffled: round(pShuffled, 2) };
    });
    const jointNullSeconds = (performance.now() - t1) / 1000;
    const a = againstNull(
      jointIndex,
      jointIndex,
      jointNull.map((r) => r.index),
    );
    console.error(
      `entanglement joint ${round(jointIndex, 4)} against conv decoders on its encoder ${Math.min(...jointNull.map((r) => r.index))} .. ${Math.max(...jointNull.map((r) => r.index))}: ${a.verdict}, p lower ${a.pLower.toFixed(3)}`,
    );
    // False positives on the joint encoder's own label-carrying maps, through its diffusion decoder and
    // through the first retrained conv decoder (same maps, same cases).
    const strongJ = data ? await strongMaps(jm, xTrain, data.labels!, fpCases, seed) : null;
    if (strongJ)
      console.error(
        `joint label-carrying maps ${strongJ.maps.join(', ') || 'none'} (AUC ${strongJ.auc.map((v) => v.toFixed(2)).join(', ')})`,
      );
    const jointFp =
      data && strongJ
        ? [
            decoderFalsePositives('diffusion joint', jm, xTrain, data, strongJ, seed),
            decoderFalsePositives('conv retrained on the joint encoder', retrained[0]!, xTrain, data, strongJ, seed),
          ]
        : [];
    for (const m of retrained) m.dispose();
    jointEnc.dispose();
    const jointScores = metricsSet ? rounded(await encoderDisentanglement(jm, metricsSet, seed)) : null;
    if (jointScores)
      console.error(
        `joint encoder MIG ${jointScores.mig.toFixed(3)}, DCI D ${jointScores.dciDisentanglement.toFixed(3)}; untrained encoder MIG ${untrainedScores!.mig.toFixed(3)}, DCI D ${untrainedScores!.dciDisentanglement.toFixed(3)}`,
      );
    jm.dispose();
    jointReport = {
      conditioning: jointConditioning,
      prediction,
      schedule,
      encoder: { kind: 'conv-encoder', latentMaps: 8, latentGrid: [grid, grid], width: 16, init: "the conv encoder's initial weights" },
      denoiser: { width, mults: [1, 2, 2], parameters },
      steps: jointSteps,
      batch,
      lr: jointLr,
      trainSeconds: round(jointSeconds, 1),
      entanglement: {
        index: round(jointIndex, 4),
        null: {
          kind: "conv decoders trained from new initial weights on the joint encoder, frozen (as the conv encoder's null)",
          count: jointNull.length,
          trainSeconds: round(jointNullSeconds, 1),
          retrained: jointNull,
        },
        pLower: round(a.pLower, 3),
        pHigher: round(a.pHigher, 3),
        verdict: a.verdict,
      },
      falsePositives: strongJ
        ? {
            maps: strongJ.maps,
            auc: strongJ.auc.map((v) => round(v)),
            explainedCases: strongJ.explained.length,
            decoders: jointFp.map((f) => ({ decoder: f.decoder, counts: f.counts, maps: f.maps })),
          }
        : null,
      encoderDisentanglement: jointScores,
      untrainedEncoderDisentanglement: untrainedScores,
    };
  }
  closeSharedPool(); // the ranking's and DCI's forest workers
  console.log(
    JSON.stringify({
      suite: 'generative',
      data: what,
      trainCases: n - cases,
      testCases: cases,
      encoder: { kind: 'conv-ae', latentMaps: 8, latentGrid: [grid, grid], steps: encSteps },
      adversarial: {
        steps: advSteps,
        advStart,
        advWeight,
        adaptiveWeight: true,
        advLoss: 'non-saturating',
        lr: 2e-4,
        discriminatorLr: 2e-4,
        trainSeconds: round(advSeconds, 1),
      },
      decoder: {
        kind: diffusion ? 'diffusion' : 'none',
        prediction,
        conditioning: conditionings.join(','),
        schedule,
        T: 1000,
        width,
        mults: [1, 2, 2],
        steps,
        batch,
      },
      diffusionDecoders,
      threads: getNumThreads(),
      // MS-SSIM on 32 px: the two scales of Wang et al.'s five that fit an 11-px window, weights renormalised.
      msSsimScales: noGrad(() => scope(() => msSsim(xTest, xTest).scales)),
      rows,
      entanglementNull,
      // Phantoms only: false positives as explain-fp counts them, on the encoder's label-carrying maps.
      falsePositives: strong
        ? {
            maps: strong.maps,
            auc: strong.auc.map((a) => round(a)),
            explainedCases: strong.explained.length,
            decoders: falsePositives.map((f) => ({ decoder: f.decoder, counts: f.counts, maps: f.maps })),
          }
        : null,
      // MIG / DCI of the encoder's latents: one encoder, frozen under every decoder, so one score per run.
      encoderDisentanglement: disentanglement
        ? {
            ...disentanglement,
            mig: round(disentanglement.mig, 4),
            dciDisentanglement: round(disentanglement.dciDisentanglement, 4),
            dciCompleteness: round(disentanglement.dciCompleteness, 4),
            dciInformativeness: round(disentanglement.dciInformativeness, 4),
          }
        : null,
      joint: jointReport,
    }),
  );
}
