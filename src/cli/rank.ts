// `latentlens rank <run>`: which latent maps predict the label, with intervals, null-model p-values and
// FDR, and rank stability. Writes rank.json into the run folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { rankFeatureMaps, type GroupRank, type RankResult } from '../explain/importance/index.js';
import { intervalChart, svgFile } from '../report/charts.js';
import { encodeLatents, latentFeatures, type Pooling } from '../explain/latent-features.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { loadRunData } from './run-data.js';

interface RankFlags { data?: string; split: 'train' | 'val' | 'test' | 'all'; pooling: Pooling; trees: number; nullPermutations: number; bootstraps: number; repeats: number; fdr: number; seed: number; maxCases?: number }

const num = (v: string) => Number(v);

export function registerRank(program: Command): void {
  program
    .command('rank <run>')
    .description('rank latent maps by how well they predict the label: grouped permutation importance, PIMP p-values with FDR, stability; writes rank.json')
    .option('--data <spec>', 'data to rank on (default: the spec the run was trained on)')
    .option('--split <name>', 'train, val, test or all', 'all')
    .option('--pooling <kind>', "features per map: 'summary' (mean, max, std) or 'grid' (all h x w values)", 'summary')
    .option('--trees <n>', 'trees per forest', num, 100)
    .option('--null-permutations <n>', 'label permutations of the PIMP null model (0 skips p-values)', num, 100)
    .option('--bootstraps <n>', 'bootstrap refits for rank stability (0 skips)', num, 30)
    .option('--repeats <n>', 'permutations per map for the importance interval', num, 10)
    .option('--fdr <q>', 'Benjamini-Hochberg FDR level', num, 0.05)
    .option('--max-cases <n>', 'use at most this many cases', num)
    .option('--seed <n>', 'seed of every random choice', num, 0)
    .action(async (dir: string, f: RankFlags) => {
      const rd = await loadRunData(dir, { data: f.data, split: f.split, maxCases: f.maxCases });
      if (!rd.labels) throw new Error('rank: the data has no single-label labels to predict');
      const enc = encodeLatents(rd.run.model, rd.x);
      const features = latentFeatures(enc.values, enc.shape, f.pooling);
      const t0 = performance.now();
      const result = await rankFeatureMaps(features, rd.labels, {
        forest: { nTrees: f.trees }, nullPermutations: f.nullPermutations, stabilityBootstraps: f.bootstraps,
        repeats: f.repeats, fdr: f.fdr, seed: f.seed,
        onProgress: (p) => { if (process.stderr.isTTY) process.stderr.write(`\r${p.stage} ${p.done}/${p.total}   `); },
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      const out = join(dir, 'rank.json');
      writeJsonAtomic(out, { ...result, pooling: f.pooling, cases: rd.indices.length, latentShape: enc.shape.slice(1) });
      const figures = await writeRankFigures(result, dir);
      console.log(`ranked ${features.groupNames.length} maps on ${rd.indices.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${out} (figures: ${figures.join(', ')})`);
      for (const m of result.ranking.slice(0, 5)) {
        const g = result.groups[m]!;
        console.log(`  ${g.rank}. ${g.name}: importance ${g.importance.mean.toFixed(4)} [${g.importance.ciLow.toFixed(4)}, ${g.importance.ciHigh.toFixed(4)}]` +
          (g.pimp ? `, p ${g.pimp.pValue.toFixed(4)}, q ${g.pimp.qValue.toFixed(4)}${g.pimp.significant ? ' *' : ''}` : '') + `, AUC ${g.univariateAuc.toFixed(3)}`);
      }
    });
}

/** figures/rank-importance.svg, rank-pvalues.svg and rank-stability.svg (charts as the report draws them). */
async function writeRankFigures(r: RankResult, dir: string): Promise<string[]> {
  const figDir = join(dir, 'figures');
  mkdirSync(figDir, { recursive: true });
  const ordered = r.ranking.map((m) => r.groups[m]!);
  const sig = (g: GroupRank) => g.pimp?.significant ?? false;
  const charts: [string, Promise<string>][] = [[
    'rank-importance.svg',
    intervalChart(ordered.map((g) => ({ label: g.name, value: g.importance.mean, lo: g.importance.ciLow, hi: g.importance.ciHigh, highlight: sig(g) })),
      { title: `Grouped permutation importance (drop in ${r.metric.toUpperCase()}), ${Math.round(r.settings.confidence * 100)}% intervals`, valueTitle: `drop in ${r.metric}`, labelTitle: 'map', rule: 0, highlightLegend: ['FDR significant', 'not significant'] }),
  ]];
  if (r.settings.nullPermutations > 0) {
    charts.push(['rank-pvalues.svg', intervalChart(ordered.map((g) => {
      const v = -Math.log10(g.pimp!.pValue);
      return { label: g.name, value: v, lo: v, hi: -Math.log10(g.pimp!.qValue), highlight: sig(g) };
    }), { title: 'PIMP p-values (bar: -log10 p; whisker to -log10 q)', valueTitle: '-log10 p', labelTitle: 'map', rule: -Math.log10(r.settings.fdr), highlightLegend: ['FDR significant', 'not significant'] })]);
  }
  if (ordered[0]?.stability) {
    charts.push(['rank-stability.svg', intervalChart(ordered.flatMap((g) => [
      { label: g.name, value: g.stability!.top1, lo: g.stability!.top1, hi: g.stability!.top1, group: 'top-1' },
      { label: g.name, value: g.stability!.topK, lo: g.stability!.topK, hi: g.stability!.topK, group: `top-${r.settings.topK}` },
    ]), { title: `Rank stability over ${r.settings.stabilityBootstraps} bootstrap refits`, valueTitle: 'fraction of refits', labelTitle: 'map', groupTitle: 'rank' })]);
  }
  const written: string[] = [];
  for (const [name, svg] of charts) {
    writeFileAtomic(join(figDir, name), svgFile(await svg));
    written.push(join('figures', name));
  }
  return written;
}
