// HTML building blocks of the report. Every string that came from a file (channel names, class names,
// notes, data specs) goes through `esc`: a run folder is data, and data may contain markup.
import sharp from 'sharp';

/** The widest a figure is shown (the stylesheet's `figure { max-width }`): inlined images are no wider. */
export const FIGURE_WIDTH = 520;

/**
 * A PNG no wider than `maxWidth` pixels, the width it is displayed at: wider ones are scaled down
 * (aspect kept) and re-encoded, so the report carries no pixels nobody sees (a 96 px run's report is
 * several MB smaller). Grayscale stays one channel.
 */
export async function fitPng(png: Uint8Array, maxWidth = FIGURE_WIDTH): Promise<Uint8Array> {
  const meta = await sharp(png).metadata();
  if (!meta.width || meta.width <= maxWidth) return png;
  const out = await sharp(png).resize({ width: maxWidth, kernel: 'lanczos3' }).png({ compressionLevel: 9 }).toBuffer();
  return out.length < png.length ? out : png;
}

/** Escapes text for HTML element content and double-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A number for a table cell: fixed digits for ordinary magnitudes, exponent for tiny ones, '—' when missing. */
export function num(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v !== 0 && Math.abs(v) < 10 ** -digits) return v.toExponential(1);
  return v.toFixed(digits);
}

export const pct = (v: number | null | undefined, digits = 0): string =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(digits)}%`;

/** An interval as "[lo, hi]". */
export const interval = (ci: [number, number] | null | undefined, digits = 3): string =>
  ci ? `[${num(ci[0], digits)}, ${num(ci[1], digits)}]` : '—';

/** A p-value: exponent below 0.001 so small values stay readable. */
export function pval(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return '—';
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/** A table; cells are already-escaped HTML. */
export function table(head: string[], rows: string[][], o: { caption?: string; cls?: string } = {}): string {
  return (
    `<table${o.cls ? ` class="${o.cls}"` : ''}>${o.caption ? `<caption>${o.caption}</caption>` : ''}` +
    `<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`
  );
}

/** A PNG inlined as a data: URI, so the report needs no files beside it. */
export function pngImg(png: Uint8Array, alt: string, o: { width?: number; cls?: string } = {}): string {
  return (
    `<img src="data:image/png;base64,${Buffer.from(png).toString('base64')}" alt="${esc(alt)}"` +
    `${o.width ? ` width="${o.width}"` : ''}${o.cls ? ` class="${o.cls}"` : ''}>`
  );
}

export function figure(inner: string, caption: string, cls?: string): string {
  return `<figure${cls ? ` class="${cls}"` : ''}>${inner}<figcaption>${caption}</figcaption></figure>`;
}

/** Where an analysis has no file yet: says so and gives the command that makes it. */
export function notComputed(what: string, command: string): string {
  return `<p class="missing"><strong>Not computed:</strong> ${esc(what)}. Run <code>${esc(command)}</code>, then <code>latentlens report</code> again.</p>`;
}

/** Where a file exists but cannot be read: the report still renders, and says which file failed. */
export function unreadable(file: string, err: string): string {
  return `<p class="missing"><strong>Could not read ${esc(file)}:</strong> ${esc(err)}</p>`;
}

/**
 * The banner on top of the report: a failed health check (the model reconstructs no better than the mean
 * image, or its latents do not vary) says so before any analysis is shown; a run without health.json says
 * its health is not recorded. Nothing when the model passed.
 */
export function healthBanner(
  health:
    | { status: 'absent' }
    | { status: 'error'; error: string }
    | { status: 'ok'; value: { passed: boolean; warning: string | null; reasons: string[] } },
): string {
  if (health.status === 'absent') {
    return (
      '<p class="missing health-banner" style="margin:12px 40px"><strong>Model health not recorded:</strong> this run has no health.json ' +
      '(made before the health check existed, and not analysed since). Any analysis command (rank, explain, tcav, embed, metrics) checks and records it.</p>'
    );
  }
  if (health.status === 'error') return `<div style="margin:12px 40px">${unreadable('health.json', health.error)}</div>`;
  if (health.value.passed) return '';
  return (
    '<div class="health-banner failed" role="alert" style="margin:12px 40px;padding:10px 14px;background:#fdecea;border-left:4px solid #c0392b">' +
    `<p style="margin:0"><strong>This model failed the health check:</strong> ${esc((health.value.warning ?? '').replace(/^WARNING: /, ''))}. Every result below describes that model.</p>` +
    `<ul style="margin:4px 0 0">${health.value.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul></div>`
  );
}

export interface Section {
  id: string;
  title: string;
  body: string;
}

export function section(s: Section): string {
  return `<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>${s.body}</section>`;
}
