// Calibration benchmark (issue 13, item 3): are the tool's verdicts calibrated on real latents?
//
// A small ConvAE (8 maps on a 7 x 7 grid, width 16) is trained --steps Adam steps (batch 32) on the train
// split of PneumoniaMNIST and of BreastMNIST (../shared/data); its train cases (at most --cases, 0 = all) are encoded and
// every map pooled to (mean, max): a feature matrix with one group of two columns per map.
// 1. Null runs (--shuffles, alternating between the datasets): rankFeatureMaps on shuffled labels.
//    Every flag is false: the fraction of maps flagged (marginal / conditional), the fraction of runs
//    with any flag (under this complete null that is the FDR that BH controls), and a one-sample KS test
//    of all p-values against U(0, 1). Control: the same on PneumoniaMNIST with the maps decorrelated.
// 2. Power (--power-runs): y = 1[map m's pooled mean > its median], --flip of the labels flipped, on the
//    real latents; how often map m is flagged, and separately how often other maps are (they may
//    legitimately be, when correlated with map m).
// 3. TCAV: on the PneumoniaMNIST latents with the real label, one random:N concept per seed
//    (--tcav-seeds): how often it is flagged; on phantoms (the known-answer setup of
//    test/explain/tcav.test.ts: 600 32 x 32 phantoms, untrained conv encoder, latents 8 x 4 x 4, MLP
//    probe), a fresh dataset and encoder per seed (--lesion-seeds): how often factor:lesion_present=1 is.
// Usage: node dist/bench/main.js calibration [--steps 500] [--shuffles 40] [--power-runs 16] [--flip 0.15]
//   [--trees 50] [--cases 0] [--tcav-seeds 40] [--tcav-seed-base 500] [--tcav-head-seed 3] [--lesion-seeds 10]
//   [--control-runs 6] [--threads 1] [--marginal-null 19]
// Last line: {"suite":"calibration", null_runs, marginal_fdp, conditional_fdp, any_discovery_rate, ks_p,
//   power, tcav_random_flag_rate, tcav_lesion_hit_rate, per-dataset detail, targets}.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manualSeed, scope, tensor } from '../src/engine/index.js';
import { closeSharedPool } from '../src/forest/index.js';
import { generatePhantoms } from '../src/data/phantom.js';
import { loadMedMNIST } from '../src/data/medmnist.js';
import { Random } from '../src/core/random.js';
import { createModel } from '../src/models/registry.js';
import { encodeLatents, type LatentMaps } from '../src/metrics/index.js';
import { rankFeatureMaps, type FeatureMatrix } from '../src/explain/importance/index.js';
import { ksUniform } from '../src/core/stats.js';
import { resolveConcept, runTcav, trainProbe } from '../src/explain/tcav/index.js';
import { fit } from '../test/helpers/train-loop.js';

const here = dirname(fileURLToPath(import.meta.url));
const dataRoot = join(here, '..', '..', '..', 'shared', 'data');
const K = 8;

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

/** The KS test of the finite values against U(0, 1), with how many there were. */
function ksOf(values: number[]): { d: number; p: number; n: number } {
  const u = values.filter((v) => Number.isFinite(v));
  return u.length === 0 ? { d: NaN, p: NaN, n: 0 } : { ...ksUniform(u), n: u.length };
}

interface Latents {
  name: string;
  maps: LatentMaps; // the selected cases, N x K x 7 x 7
  labels: Int32Array;
  features: FeatureMatrix; // (mean, max) per map
  pooledMean: Float32Array[]; // per map, the pooled mean of every case
  trainS: number;
  mse: number;
}

async function prepare(flag: string, steps: number, maxCases: number, seed: number): Promise<Latents> {
  const path = join(dataRoot, flag, `${flag}.npz`);
  if (!existsSync(path)) throw new Error(`calibration: ${path} not found (see ../shared/data/README.md)`);
  const ds = await loadMedMNIST(path, { split: 'train' });
  const [n, c, h, w] = ds.shape;
  manualSeed(seed);
  const model = createModel('conv-ae', { inputShape: [c, h, w], latentMaps: K, latentGrid: [7, 7], width: 16 });
  const x = scope(() => tensor(ds.images, ds.shape));
  const t0 = performance.now();
  const log = fit(model, x, steps, 32, 2e-3, seed);
  const trainS = (performance.now() - t0) / 1000;
  x.dispose();
  const mse = log.slice(-20).reduce((s, t) => s + t.recon!, 0) / Math.min(20, log.length);
  // The cases analysed: a seeded subset of the train split (all of it when smaller).
  const pick =
    n <= maxCases
      ? Int32Array.from({ length: n }, (_, i) => i)
      : new Random(`calibration/${flag}`).permutation(n).subarray(0, maxCases).sort();
  const plane = c * h * w;
  const images = new Float32Array(pick.length * plane);
  pick.forEach((r, i) => images.set(ds.images.subarray(r * plane, (r + 1) * plane), i * plane));
  const maps = encodeLatents(model, { images, shape: [pick.length, c, h, w] }, { batch: 128 });
  model.dispose();
  const labels = Int32Array.from(pick, (r) => ds.labels![r]!);
  const [N, k, gh, gw] = maps.shape;
  const cells = gh * gw;
  const data = new Float32Array(N * k * 2);
  const pooledMean = Array.from({ length: k }, () => new Float32Array(N));
  for (let i = 0; i < N; i++) {
    for (let m = 0; m < k; m++) {
      let s = 0,
        mx = -Infinity;
      const o = (i * k + m) * cells;
      for (let p = 0; p < cells; p++) {
        const v = maps.data[o + p]!;
        s += v;
        if (v > mx) mx = v;
      }
      data[i * k * 2 + 2 * m] = s / cells;
      data[i * k * 2 + 2 * m + 1] = mx;
      pooledMean[m]![i] = s / cells;
    }
  }
  const features: FeatureMatrix = {
    data,
    rows: N,
    cols: k * 2,
    groupOf: Int32Array.from({ length: k * 2 }, (_, j) => Math.floor(j / 2)),
    groupNames: Array.from({ length: k }, (_, m) => `map${m}`),
  };
  console.error(
    `${flag}: ${n} train images, ${steps} steps in ${trainS.toFixed(1)} s (last-20 MSE ${mse.toFixed(4)}); ${N} cases analysed, positives ${labels.reduce((a, b) => a + b, 0)}`,
  );
  return { name: flag, maps, labels, features, pooledMean, trainS, mse };
}

const round = (v: number, digits = 4) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null);
const frac = (a: number, b: number) => (b > 0 ? a / b : NaN);

export async function run(args: string[]): Promise<void> {
  const tStart = performance.now();
  const steps = arg(args, 'steps', 500);
  const shuffles = arg(args, 'shuffles', 40);
  const powerRuns = arg(args, 'power-runs', 16);
  const flip = arg(args, 'flip', 0.15);
  const trees = arg(args, 'trees', 50);
  const maxCases = arg(args, 'cases', 0) || Infinity; // 0: every train case
  const tcavSeeds = arg(args, 'tcav-seeds', 40);
  // Every earlier run started at seed 500, so runs re-tested the same concept sets: a run meant as new
  // evidence needs a base no earlier run used.
  const tcavSeedBase = arg(args, 'tcav-seed-base', 500);
  const tcavHeadSeed = arg(args, 'tcav-head-seed', 3);
  const lesionSeeds = arg(args, 'lesion-seeds', 10);
  const threads = arg(args, 'threads', 1);
  const controlRuns = arg(args, 'control-runs', 6);
  const marginalNull = arg(args, 'marginal-null', 19);
  const fdr = 0.05;
  const rankOpts = (seed: number) => ({ forest: { nTrees: trees }, stabilityBootstraps: 0, fdr, seed, threads, marginalNull });

  const sets = [await prepare('pneumoniamnist', steps, maxCases, 1), await prepare('breastmnist', steps, maxCases, 2)];

  // 1. Null runs.
  const tNull = performance.now();
  const perNull = sets.map(() => ({
    runs: 0,
    maps: 0,
    marg: 0,
    cond: 0,
    anyMarg: 0,
    anyCond: 0,
    any: 0,
    pm: [] as number[],
    pc: [] as number[],
    pm05: 0,
    pc05: 0,
  }));
  for (let s = 0; s < shuffles; s++) {
    const di = s % sets.length;
    const L = sets[di]!;
    const st = perNull[di]!;
    const perm = new Random(`calibration/null/${s}`).permutation(L.labels.length);
    const y = Int32Array.from(perm, (i) => L.labels[i]!);
    const r = await rankFeatureMaps(L.features, y, rankOpts(1000 + s));
    let m = 0,
      c = 0;
    for (const g of r.groups) {
      st.maps++;
      if (g.marginal.significant) m++;
      if (g.conditional?.significant) c++;
      st.pm.push(g.marginal.pValue);
      if (g.marginal.pValue <= 0.05) st.pm05++;
      if (g.conditional) {
        st.pc.push(g.conditional.pValue);
        if (g.conditional.pValue <= 0.05) st.pc05++;
      }
    }
    st.runs++;
    st.marg += m;
    st.cond += c;
    if (m > 0) st.anyMarg++;
    if (c > 0) st.anyCond++;
    if (m + c > 0) st.any++;
    console.error(
      `null ${s + 1}/${shuffles} (${L.name}): marginal ${m}, conditional ${c} of ${r.groups.length} flagged; min p ${Math.min(...r.groups.map((g) => g.marginal.pValue)).toExponential(2)} / ${Math.min(...r.groups.map((g) => g.conditional?.pValue ?? 1)).toExponential(2)}  ${((performance.now() - tNull) / 1000).toFixed(0)} s`,
    );
  }
  const nullS = (performance.now() - tNull) / 1000;

  // 1b. Control (--control-runs): the same null on PneumoniaMNIST with the maps made independent of each
  // other (each map's columns permuted across cases on their own). If the false flags above vanish here,
  // they come from the maps' correlation (a marginal permutation puts cases where no real case lies),
  // not from the labels or the cross-validation.
  const C0 = sets[0]!;
  const { rows: cn, cols: cd } = C0.features;
  const dec = new Float32Array(cn * cd);
  for (let m = 0; m < K; m++) {
    const p = new Random(`calibration/decorrelate/${m}`).permutation(cn);
    for (let i = 0; i < cn; i++) for (const c of [2 * m, 2 * m + 1]) dec[i * cd + c] = C0.features.data[p[i]! * cd + c]!;
  }
  const control = { runs: 0, maps: 0, marg: 0, cond: 0, any: 0, pm: [] as number[] };
  for (let s = 0; s < controlRuns; s++) {
    const perm = new Random(`calibration/null/${2 * s}`).permutation(cn);
    const y = Int32Array.from(perm, (i) => C0.labels[i]!);
    const r = await rankFeatureMaps({ ...C0.features, data: dec }, y, rankOpts(1000 + 2 * s));
    let m = 0,
      c = 0;
    for (const g of r.groups) {
      control.maps++;
      if (g.marginal.significant) m++;
      if (g.conditional?.significant) c++;
      control.pm.push(g.marginal.pValue);
    }
    control.runs++;
    control.marg += m;
    control.cond += c;
    if (m + c > 0) control.any++;
    console.error(`control ${s + 1}/${controlRuns} (${C0.name}, maps decorrelated): marginal ${m}, conditional ${c} flagged`);
  }
  const sum = (f: (x: (typeof perNull)[0]) => number) => perNull.reduce((a, x) => a + f(x), 0);
  const allP = perNull.flatMap((x) => [...x.pm, ...x.pc]);
  const ks = ksOf(allP);
  const ksMarg = ksOf(perNull.flatMap((x) => x.pm));
  const ksCond = ksOf(perNull.flatMap((x) => x.pc));

  // 2. Power: a label planted in one map's pooled mean.
  const tPow = performance.now();
  const perPow = sets.map(() => ({
    runs: 0,
    hitMarg: 0,
    hitCond: 0,
    otherMarg: 0,
    otherCond: 0,
    others: 0,
    runsOtherMarg: 0,
    skipped: [] as number[],
  }));
  for (let s = 0; s < powerRuns; s++) {
    const di = s % sets.length;
    const L = sets[di]!;
    const st = perPow[di]!;
    const rnd = new Random(`calibration/power/${s}`);
    // Map: cycle through the maps; skip a (nearly) constant one, which cannot carry a median split.
    let target = -1;
    for (let t = 0; t < K; t++) {
      const m = (Math.floor(s / sets.length) + t) % K;
      const v = Array.from(L.pooledMean[m]!).sort((a, b) => a - b);
      const med = v[Math.floor(v.length / 2)]!;
      const above = v.filter((x) => x > med).length / v.length;
      if (above >= 0.3 && above <= 0.7) {
        target = m;
        break;
      }
      if (!st.skipped.includes(m)) st.skipped.push(m);
    }
    if (target < 0) continue;
    const v = Array.from(L.pooledMean[target]!).sort((a, b) => a - b);
    const med = v[Math.floor(v.length / 2)]!;
    const y = Int32Array.from(L.pooledMean[target]!, (x) => (x > med ? 1 : 0) ^ (rnd.next() < flip ? 1 : 0));
    const r = await rankFeatureMaps(L.features, y, rankOpts(2000 + s));
    const g = r.groups[target]!;
    st.runs++;
    if (g.marginal.significant) st.hitMarg++;
    if (g.conditional?.significant) st.hitCond++;
    let om = 0;
    for (const o of r.groups) {
      if (o.index === target) continue;
      st.others++;
      if (o.marginal.significant) om++;
      if (o.conditional?.significant) st.otherCond++;
    }
    st.otherMarg += om;
    if (om > 0) st.runsOtherMarg++;
    console.error(
      `power ${s + 1}/${powerRuns} (${L.name}, map ${target}): planted marginal ${g.marginal.significant} (p ${g.marginal.pValue.toExponential(2)}), conditional ${g.conditional?.significant} (p ${g.conditional?.pValue.toExponential(2)}); other maps flagged marginally ${om}, rank of planted ${g.rank}  ${((performance.now() - tPow) / 1000).toFixed(0)} s`,
    );
  }
  const powS = (performance.now() - tPow) / 1000;
  const psum = (f: (x: (typeof perPow)[0]) => number) => perPow.reduce((a, x) => a + f(x), 0);

  // 3a. TCAV random concepts on the PneumoniaMNIST latents, real label.
  const tT = performance.now();
  const P = sets[0]!;
  const head = trainProbe(P.maps, P.labels, { seed: tcavHeadSeed });
  const rndP: number[] = [];
  let rndFlag = 0,
    rndBelow20 = 0,
    rndRuns = 0,
    gateNote = '';
  const sizes = [100, 300];
  for (let s = 0; s < tcavSeeds; s++) {
    const ctx = { n: P.labels.length, labels: P.labels, seed: tcavSeedBase + s };
    const size = sizes[s % sizes.length]!;
    const r = runTcav(P.maps, P.labels, [resolveConcept(`random:${size}`, ctx)], {
      head,
      targetClass: 1,
      runs: 20,
      seed: tcavSeedBase + s,
    });
    gateNote = r.gate.note;
    const c = r.concepts[0]!;
    if (c.verdict === 'not determined') {
      console.error(`tcav random ${s}: not determined: ${c.reason}`);
      continue;
    }
    rndRuns++;
    rndP.push(c.p);
    if (c.significant) rndFlag++;
    if (c.p <= 0.2) rndBelow20++;
    console.error(
      `tcav random ${s + 1}/${tcavSeeds} (random:${size}): ${c.verdict}, p ${c.p.toFixed(3)} (score ${c.score.toFixed(2)}, ${c.randomConcepts} random concepts)  ${((performance.now() - tT) / 1000).toFixed(0)} s`,
    );
  }
  head.dispose();
  console.error(`pneumonia probe: ${gateNote}`);

  // 3b. TCAV lesion concept on phantoms (known answer), a fresh dataset and untrained encoder per seed.
  let lesionHit = 0,
    lesionRuns = 0,
    worstLesionP = 0;
  for (let s = 0; s < lesionSeeds; s++) {
    const ds = generatePhantoms({
      n: 600,
      size: 32,
      seed: 21 + s,
      channels: ['T1', 'FLAIR'],
      lesionChannels: ['FLAIR'],
      distractorChannels: ['T1'],
    });
    manualSeed(2 + s);
    const model = createModel('conv-ae', { inputShape: [2, 32, 32], latentMaps: 8, latentGrid: [4, 4], width: 16 });
    model.eval();
    const maps = encodeLatents(model, { images: ds.images.map((v) => Math.min(1, Math.max(0, v))), shape: ds.shape }, { batch: 128 });
    model.dispose();
    const ctx = { n: 600, factors: ds.factors!, ids: ds.ids, labels: ds.labels, seed: 40 + s };
    const r = runTcav(maps, ds.labels!, [resolveConcept('factor:lesion_present=1#lesion', ctx)], {
      targetClass: 1,
      runs: 20,
      randomConcepts: 99,
      seed: 60 + s,
    });
    const c = r.concepts[0]!;
    lesionRuns++;
    if (c.significant) lesionHit++;
    worstLesionP = Math.max(worstLesionP, c.pBonferroni);
    console.error(`tcav lesion ${s + 1}/${lesionSeeds}: ${c.verdict}, p ${c.p.toFixed(3)}, score ${c.score.toFixed(2)}; ${r.gate.note}`);
  }
  const tcavS = (performance.now() - tT) / 1000;
  closeSharedPool();

  const nullRuns = sum((x) => x.runs);
  const marginalFdp = frac(
    sum((x) => x.marg),
    sum((x) => x.maps),
  );
  const conditionalFdp = frac(
    sum((x) => x.cond),
    sum((x) => x.maps),
  );
  const anyRate = frac(
    sum((x) => x.any),
    nullRuns,
  );
  const power = frac(
    psum((x) => x.hitMarg),
    psum((x) => x.runs),
  );
  const tcavRandom = frac(rndFlag, rndRuns);
  const tcavLesion = frac(lesionHit, lesionRuns);
  console.log(
    JSON.stringify({
      suite: 'calibration',
      null_runs: nullRuns,
      marginal_fdp: round(marginalFdp),
      conditional_fdp: round(conditionalFdp),
      any_discovery_rate: round(anyRate),
      ks_p: round(ks.p, 6),
      power: round(power),
      tcav_random_flag_rate: round(tcavRandom),
      tcav_lesion_hit_rate: round(tcavLesion),
      null_detail: {
        any_marginal_rate: round(
          frac(
            sum((x) => x.anyMarg),
            nullRuns,
          ),
        ),
        any_conditional_rate: round(
          frac(
            sum((x) => x.anyCond),
            nullRuns,
          ),
        ),
        ks: {
          all: { n: ks.n, d: round(ks.d), p: round(ks.p, 6) },
          marginal: { n: ksMarg.n, d: round(ksMarg.d), p: round(ksMarg.p, 6) },
          conditional: { n: ksCond.n, d: round(ksCond.d), p: round(ksCond.p, 6) },
        },
        p_le_005: {
          marginal: round(
            frac(
              sum((x) => x.pm05),
              sum((x) => x.pm.length),
            ),
          ),
          conditional: round(
            frac(
              sum((x) => x.pc05),
              sum((x) => x.pc.length),
            ),
          ),
        },
        per_dataset: sets.map((L, i) => {
          const x = perNull[i]!;
          return {
            dataset: L.name,
            runs: x.runs,
            maps: x.maps,
            marginal_fdp: round(frac(x.marg, x.maps)),
            conditional_fdp: round(frac(x.cond, x.maps)),
            any_discovery_rate: round(frac(x.any, x.runs)),
            ks_marginal_p: round(ksOf(x.pm).p, 6),
            ks_conditional_p: round(ksOf(x.pc).p, 6),
            p_le_005_marginal: round(frac(x.pm05, x.pm.length)),
            p_le_005_conditional: round(frac(x.pc05, x.pc.length)),
          };
        }),
      },
      null_control_decorrelated: {
        dataset: C0.name,
        runs: control.runs,
        marginal_fdp: round(frac(control.marg, control.maps)),
        conditional_fdp: round(frac(control.cond, control.maps)),
        any_discovery_rate: round(frac(control.any, control.runs)),
        ks_marginal_p: round(ksOf(control.pm).p, 6),
      },
      power_detail: {
        flip,
        runs: psum((x) => x.runs),
        conditional_power: round(
          frac(
            psum((x) => x.hitCond),
            psum((x) => x.runs),
          ),
        ),
        other_maps_marginal_rate: round(
          frac(
            psum((x) => x.otherMarg),
            psum((x) => x.others),
          ),
        ),
        other_maps_conditional_rate: round(
          frac(
            psum((x) => x.otherCond),
            psum((x) => x.others),
          ),
        ),
        runs_with_other_marginal_flag: round(
          frac(
            psum((x) => x.runsOtherMarg),
            psum((x) => x.runs),
          ),
        ),
        per_dataset: sets.map((L, i) => {
          const x = perPow[i]!;
          return {
            dataset: L.name,
            runs: x.runs,
            power: round(frac(x.hitMarg, x.runs)),
            conditional_power: round(frac(x.hitCond, x.runs)),
            other_maps_marginal_rate: round(frac(x.otherMarg, x.others)),
            other_maps_conditional_rate: round(frac(x.otherCond, x.others)),
            skipped_maps: x.skipped,
          };
        }),
      },
      tcav_detail: {
        random_runs: rndRuns,
        random_flagged: rndFlag,
        random_p_le_02_rate: round(frac(rndBelow20, rndRuns)),
        random_seeds: [tcavSeedBase, tcavSeedBase + tcavSeeds - 1],
        random_head_seed: tcavHeadSeed,
        // Besag-Clifford p-values lie on a coarse lattice (stopAfter / drawn), so a KS test against U(0, 1)
        // rejects even under the null: the rejection rate at fixed levels is the check.
        random_p_le: Object.fromEntries(
          [0.01, 0.05, 0.1, 0.2, 0.5].map((a) => [a, round(frac(rndP.filter((p) => p <= a).length, rndP.length))]),
        ),
        random_p: rndP.map((p) => round(p, 4)),
        random_sizes: sizes,
        pneumonia_probe: gateNote,
        lesion_runs: lesionRuns,
        lesion_hits: lesionHit,
        worst_lesion_p: round(worstLesionP),
      },
      targets: {
        any_discovery_le_005: anyRate <= 0.05,
        marginal_fdp_le_005: marginalFdp <= 0.05,
        conditional_fdp_le_005: conditionalFdp <= 0.05,
        power_ge_08: power >= 0.8,
        tcav_random_le_005: tcavRandom <= 0.05,
        tcav_lesion_always: tcavLesion === 1,
      },
      settings: {
        steps,
        shuffles,
        marginal_null: marginalNull,
        power_runs: powerRuns,
        flip,
        trees,
        cases: Number.isFinite(maxCases) ? maxCases : 'all',
        folds: 5,
        evaluation: 'cv',
        fdr,
        tcav_seeds: tcavSeeds,
        lesion_seeds: lesionSeeds,
        control_runs: controlRuns,
        threads,
        latent: [K, 7, 7],
        pooling: 'mean+max',
      },
      datasets: sets.map((L) => ({ dataset: L.name, cases: L.labels.length, train_s: round(L.trainS, 1), train_mse: round(L.mse) })),
      seconds: {
        null: round(nullS, 1),
        power: round(powS, 1),
        tcav: round(tcavS, 1),
        total: round((performance.now() - tStart) / 1000, 1),
      },
    }),
  );
}
