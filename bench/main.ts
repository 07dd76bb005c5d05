// Benchmarks against peers (PyTorch, scikit-learn, umap-js), side by side in one run.
// Usage: ./run.sh bench <suite>. Each suite prints its result as one JSON object on its last line.
const suites: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  engine: () => import('./engine.js'),
  forest: () => import('./forest.js'),
  'explain-fp': () => import('./explain-fp.js'),
  embed: () => import('./embed.js'),
  train: () => import('./train.js'),
  convae: async () => ({ run: (await import('./convae.js')).convae }),
  train3d: async () => ({ run: (await import('./convae.js')).train3d }),
  disentangle: () => import('./disentangle.js'),
  contention: () => import('./contention.js'),
  calibration: () => import('./calibration.js'),
  generative: () => import('./generative.js'),
  ddp: () => import('./ddp.js'),
  all: () => import('./all.js'),
};

const [name, ...rest] = process.argv.slice(2);
const load = name ? suites[name] : undefined;
if (!load) {
  console.error(`usage: ./run.sh bench <suite>  (suites: ${Object.keys(suites).join(', ')})`);
  process.exit(2);
}
await (await load()).run(rest);
