// Charts as inline SVG: Vega-Lite specs compiled to Vega and rendered headless (no DOM, no canvas, no
// network: every chart's data is inlined in its spec).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';

const CONFIG = {
  font: FONT,
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
  title: { fontSize: 13, anchor: 'start' as const },
};

/**
 * Renders a Vega-Lite spec to an SVG string for inlining in HTML. The XML namespace attributes are
 * dropped: HTML parsers put inline <svg> in the SVG namespace anyway, and the report carries no URL at all.
 */
export async function renderChart(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' }).logLevel(vega.Error);
  try {
    const svg = await view.toSVG();
    const stripped = svg.replace(/\s+xmlns(:xlink)?="[^"]*"/g, '');
    // Vega gives the root class="marks", which nothing here styles: replace it rather than add a second class attribute.
    return /^<svg[^>]*\sclass="marks"/.test(stripped)
      ? stripped.replace(/^(<svg[^>]*\s)class="marks"/, '$1role="img" class="chart"')
      : stripped.replace(/<svg /, '<svg role="img" class="chart" ');
  } finally {
    view.finalize();
  }
}

/** A chart from renderChart as a standalone .svg file, which needs the SVG namespace that inlining drops. */
export function svgFile(chart: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${chart.replace(/^<svg /, '<svg xmlns="http://www.w3.org/2000/svg" ')}\n`;
}

export interface LineChartOptions {
  title: string;
  /** `integer`: ticks only at whole numbers (epochs). */
  x: { field: string; title: string; integer?: boolean };
  y: { field: string; title: string; log?: boolean; zero?: boolean };
  /** Field whose values draw separate coloured lines. */
  color?: { field: string; title: string };
  width?: number;
  height?: number;
  points?: boolean;
}

export function lineChart(rows: Record<string, unknown>[], o: LineChartOptions): Promise<string> {
  return renderChart({
    data: { values: rows },
    title: o.title,
    width: o.width ?? 420,
    height: o.height ?? 220,
    mark: { type: 'line', point: o.points ?? false, strokeWidth: 1.5 },
    encoding: {
      x: { field: o.x.field, type: 'quantitative', title: o.x.title, ...(o.x.integer ? { axis: { tickMinStep: 1, format: 'd' } } : {}) },
      y: { field: o.y.field, type: 'quantitative', title: o.y.title, scale: o.y.log ? { type: 'log' } : { zero: o.y.zero ?? false } },
      ...(o.color ? { color: { field: o.color.field, type: 'nominal', title: o.color.title } } : {}),
    },
  } as TopLevelSpec);
}

export interface IntervalRow {
  /** Category on the band axis (e.g. a map name or a channel). */
  label: string;
  value: number;
  lo: number;
  hi: number;
  /** Series within a category (e.g. attribution method); drawn side by side. */
  group?: string;
  /** Highlighted rows (e.g. FDR-significant maps) are drawn in the accent colour. */
  highlight?: boolean;
}

export interface IntervalChartOptions {
  title: string;
  valueTitle: string;
  labelTitle: string;
  groupTitle?: string;
  /** A reference value drawn as a dashed rule (e.g. 0 importance, 0.5 TCAV chance). */
  rule?: number;
  /** Keep the rows' order on the band axis (default: as given). */
  width?: number;
  highlightLegend?: [string, string];
}

/**
 * True when a point-and-interval chart of `rows` would be an empty axis: no rows, or every estimate and
 * interval end exactly 0 (bars of length 0 on a degenerate scale). Callers say so in words instead.
 */
export function allZero(rows: Pick<IntervalRow, 'value' | 'lo' | 'hi'>[]): boolean {
  return rows.every((r) => r.value === 0 && r.lo === 0 && r.hi === 0);
}

/** Horizontal point-and-interval chart: one row per label (grouped rows offset), bars for the estimate, whiskers for its interval. */
export function intervalChart(rows: IntervalRow[], o: IntervalChartOptions): Promise<string> {
  const grouped = rows.some((r) => r.group !== undefined);
  const labels = [...new Set(rows.map((r) => r.label))];
  const band = grouped ? Math.max(14, 8 * new Set(rows.map((r) => r.group)).size) : 18;
  const y = { field: 'label', type: 'nominal', title: o.labelTitle, sort: labels };
  const yOffset = grouped ? { yOffset: { field: 'group', type: 'nominal' } } : {};
  const colour = grouped
    ? { color: { field: 'group', type: 'nominal', title: o.groupTitle ?? '' } }
    : {
        color: {
          field: 'kind',
          type: 'nominal',
          title: null,
          scale: { domain: o.highlightLegend ?? ['highlighted', 'other'], range: ['#c0392b', '#7f8c9a'] },
        },
      };
  const values = rows.map((r) => ({
    ...r,
    kind: r.highlight ? (o.highlightLegend ?? ['highlighted'])[0] : (o.highlightLegend ?? ['', 'other'])[1],
  }));
  const layers: unknown[] = [
    {
      mark: { type: 'bar', opacity: 0.55, ...(grouped ? {} : { height: { band: 0.8 } }) },
      encoding: { y, ...yOffset, x: { field: 'value', type: 'quantitative', title: o.valueTitle }, ...colour },
    },
    {
      mark: { type: 'rule', strokeWidth: 1.5 },
      encoding: { y, ...yOffset, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' }, ...colour },
    },
    { mark: { type: 'tick', thickness: 2, size: 8 }, encoding: { y, ...yOffset, x: { field: 'value', type: 'quantitative' }, ...colour } },
  ];
  if (o.rule !== undefined)
    layers.push({
      data: { values: [{ r: o.rule }] },
      mark: { type: 'rule', strokeDash: [4, 3], color: '#555' },
      encoding: { x: { field: 'r', type: 'quantitative' } },
    });
  return renderChart({
    data: { values },
    title: o.title,
    width: o.width ?? 420,
    height: { step: band },
    layer: layers,
  } as TopLevelSpec);
}
