// "Training": the health check (health.json), loss per step and per epoch, validation MSE / PSNR / SSIM per epoch.
import { lineChart } from '../../util/charts.js';
import { esc, num, table, type Section } from '../html.js';
import type { RunFiles } from '../run-files.js';
import { decoderComparison } from '../../runs/run-decoder.js';

/** At most `max` points, evenly spaced and always keeping the last: a long run's step curve stays small inline. */
function thin<T>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const stride = rows.length / max;
  const out = Array.from({ length: max }, (_, i) => rows[Math.floor(i * stride)]!);
  out[out.length - 1] = rows[rows.length - 1]!;
  return out;
}

/** The health check's numbers: the model against the mean-image baseline, and active units. */
export function healthTable(files: RunFiles): string {
  const h = files.health;
  if (h.status === 'absent') return '<p class="missing">Model health not recorded (no health.json).</p>';
  if (h.status === 'error') return `<p class="missing">health.json could not be read: ${esc(h.error)}</p>`;
  const r = h.value;
  const a = r.activeUnits;
  const rows = [
    ['Reconstruction (model)', `MSE ${num(r.model.mse, 5)}, PSNR ${num(r.model.psnr, 2)} dB`],
    [`Baseline: ${esc(r.baseline.what)}`, `MSE ${num(r.baseline.mse, 5)}, PSNR ${num(r.baseline.psnr, 2)} dB`],
    ['Required', `PSNR at least ${num(r.marginDb, 1)} dB above the baseline`],
    [
      'Active units',
      `${a.count} of ${a.of} maps (${a.cells.active} of ${a.cells.of} latent cells; variance of the encoded mean &gt; ${num(a.threshold, 4)}, ${a.thresholdKind === 'absolute' ? 'absolute' : 'relative to the most variable cell'})`,
    ],
    ['Verdict', r.passed ? '<span class="yes">passed</span>' : `<span class="no">failed</span>: ${r.reasons.map(esc).join('; ')}`],
  ];
  return (
    `<h3>Health check</h3><p class="note">On ${r.cases.count} ${esc(r.cases.split)} cases, weights ${esc(r.weights ?? 'of the run')}` +
    `${r.step !== undefined ? ` (step ${r.step})` : ''}; ${({ train: 'recorded when training finished', import: 'recorded when the model was imported' } as Record<string, string>)[r.source] ?? 'computed by a later analysis'}.</p>` +
    table(
      ['check', 'value'],
      rows.map((row) => [row[0]!, row[1]!]),
      { cls: 'kv num' },
    )
  );
}

/** A decoder run's decoder next to the conv decoder of its encoder's run (nothing for other runs). */
export function decoderBlock(files: RunFiles): string {
  const c = decoderComparison(files.dir, files.config);
  if (!c) return '';
  const row = (name: string, s: typeof c.decoder) =>
    s
      ? [name, `${num(s.psnr, 2)} dB`, `${num(s.psnr - s.baselinePsnr, 2)} dB`, `${s.cases} ${esc(s.split)}`]
      : [name, '—', '—', 'not recorded'];
  const what = c.joint
    ? `<h3>Decoder</h3><p>A <strong>${esc(c.kind)}</strong> decoder trained jointly with its encoder (diffusion loss alone, as Diffusion Autoencoders); ` +
      `the encoder analyses (rank, attribution, TCAV) read latents shaped by this decoder's loss, the decoding ones (masked decoding, ablation, entanglement, traversals) use this decoder.</p>`
    : `<h3>Decoder</h3><p>A <strong>${esc(c.kind)}</strong> decoder on the frozen encoder of <code>${esc(c.from)}</code>; ` +
      `every encoder analysis (rank, attribution, TCAV) is that encoder's, the decoding ones (masked decoding, ablation, entanglement, traversals) use this decoder.</p>`;
  return (
    what +
    table(
      ['decoder', 'reconstruction PSNR', 'above the mean image', 'cases'],
      c.joint
        ? [row(`${c.kind}, joint (this run)`, c.decoder)]
        : [row(`${c.kind} (this run)`, c.decoder), row('conv (the encoder run)', c.conv)],
      { cls: 'num' },
    ) +
    (c.notes.length ? `<ul class="notes">${c.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '')
  );
}

export async function trainingSection(files: RunFiles): Promise<Section> {
  const { steps, epochs } = files;
  if (!steps.length && !epochs.length) {
    return {
      id: 'training',
      title: 'Training',
      body: `<p class="missing">train.jsonl is absent or empty: this run has no training log.</p>${decoderBlock(files)}${healthTable(files)}`,
    };
  }
  const charts: string[] = [];
  if (steps.length) {
    const rows = thin(steps, 600).flatMap((s) =>
      Object.entries(s.terms)
        .filter(([, v]) => Number.isFinite(v))
        .map(([term, v]) => ({ step: s.step, value: v, term })),
    );
    const positive = rows.every((r) => r.value > 0);
    charts.push(
      await lineChart(rows, {
        title: 'Training loss per step',
        x: { field: 'step', title: 'step' },
        y: { field: 'value', title: positive ? 'loss (log scale)' : 'loss', log: positive },
        color: { field: 'term', title: 'term' },
      }),
    );
  }
  const withVal = epochs.filter((e) => e.val);
  if (epochs.length) {
    const rows = epochs
      .flatMap((e) => [
        { epoch: e.epoch + 1, loss: e.train.loss, set: 'train' },
        ...(e.val ? [{ epoch: e.epoch + 1, loss: e.val.terms.loss, set: 'validation' }] : []),
      ])
      .filter((r) => typeof r.loss === 'number' && Number.isFinite(r.loss));
    charts.push(
      await lineChart(rows, {
        title: 'Loss per epoch',
        x: { field: 'epoch', title: 'epoch', integer: true },
        y: { field: 'loss', title: 'loss' },
        color: { field: 'set', title: '' },
        points: true,
      }),
    );
  }
  if (withVal.length) {
    const q = withVal.map((e) => ({ epoch: e.epoch + 1, psnr: e.val!.psnr, ssim: e.val!.ssim, mse: e.val!.mse }));
    charts.push(
      await lineChart(q, {
        title: 'Validation PSNR',
        x: { field: 'epoch', title: 'epoch', integer: true },
        y: { field: 'psnr', title: 'PSNR (dB)' },
        points: true,
        width: 300,
      }),
    );
    charts.push(
      await lineChart(q, {
        title: 'Validation SSIM',
        x: { field: 'epoch', title: 'epoch', integer: true },
        y: { field: 'ssim', title: 'SSIM' },
        points: true,
        width: 300,
      }),
    );
    charts.push(
      await lineChart(q, {
        title: 'Validation MSE',
        x: { field: 'epoch', title: 'epoch', integer: true },
        y: { field: 'mse', title: 'MSE' },
        points: true,
        width: 300,
      }),
    );
  }
  const last = epochs[epochs.length - 1];
  const best = withVal.length ? withVal.reduce((a, b) => (b.val!.terms.loss! < a.val!.terms.loss! ? b : a)) : null;
  const summary = last
    ? `<p>${epochs.length} epochs, ${last.step} steps${last.val ? `; final validation MSE ${num(last.val.mse, 5)}, PSNR ${num(last.val.psnr, 2)} dB, SSIM ${num(last.val.ssim, 4)} on ${last.val.images} images` : ''}` +
      `${best ? `; best validation loss at epoch ${best.epoch + 1}` : ''}.</p>`
    : `<p>${steps.length} steps logged, no completed epoch.</p>`;
  const rows = epochs.map((e) => [
    String(e.epoch + 1),
    String(e.step),
    num(e.train.loss, 5),
    e.val ? num(e.val.terms.loss, 5) : '—',
    e.val ? num(e.val.mse, 5) : '—',
    e.val ? num(e.val.psnr, 2) : '—',
    e.val ? num(e.val.ssim, 4) : '—',
    num(e.lr, 5),
    num(e.seconds, 1),
  ]);
  const head = ['epoch', 'step', 'train loss', 'val loss', 'val MSE', 'PSNR (dB)', 'SSIM', 'lr', 'seconds'];
  return {
    id: 'training',
    title: 'Training',
    body: `${summary}${decoderBlock(files)}${healthTable(files)}<div class="charts">${charts.join('')}</div>${rows.length ? `<details><summary>Epoch table</summary>${table(head.map(esc), rows)}</details>` : ''}`,
  };
}
