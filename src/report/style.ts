// The report's stylesheet, inlined: no fonts or files are fetched, system fonts only.
export const STYLE = `
:root { --fg: #1d2330; --muted: #5b6474; --line: #dde1e7; --accent: #c0392b; --ok: #1e7b4a; --bg2: #f6f7f9; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; }
header { padding: 24px 40px 12px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: var(--muted); }
nav { padding: 8px 40px; background: var(--bg2); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
nav a { margin-right: 16px; color: var(--fg); text-decoration: none; font-weight: 500; }
main { padding: 0 40px 40px; max-width: 1400px; }
section { border-bottom: 1px solid var(--line); padding: 8px 0 24px; }
h2 { font-size: 20px; margin: 20px 0 8px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
h4 { font-size: 14px; margin: 16px 0 4px; }
h4.part { font-size: 15px; border-top: 2px solid var(--line); padding-top: 10px; margin-top: 22px; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px 4px 0; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
table.kv thead { display: none; }
table.num td { font-variant-numeric: tabular-nums; }
table.figs td, table.figs th { padding: 2px 6px 2px 0; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
.ci { color: var(--muted); font-size: 12px; }
.yes { color: var(--ok); }
.no, .flag { color: var(--accent); }
.flag { font-size: 12px; }
.note { color: var(--muted); }
.missing { background: #fff6e5; border-left: 3px solid #e0a030; padding: 6px 10px; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.gallery { display: flex; flex-wrap: wrap; gap: 20px; align-items: flex-start; }
figure { margin: 6px 0; max-width: 520px; min-width: 0; }
/* A strip wider than its figure (7 traversal frames of a 96 px image) is scaled down, never drawn over the next one. */
figure img { display: block; max-width: 100%; height: auto; }
/* A volume's three orthogonal slices side by side, one figure per method, case and channel. */
figure.slices img { display: inline-block; vertical-align: top; margin-right: 4px; }
/* Figures that can be white (activation maximisation of a bright channel, traversals): framed on a dark ground. */
img.framed { border: 1px solid #555; background: #000; padding: 2px; }
.empty-chart { border-left: 3px solid var(--line); padding: 4px 10px; }
figcaption { color: var(--muted); font-size: 12px; max-width: 560px; }
img { image-rendering: pixelated; }
img.embed { image-rendering: auto; width: 100%; height: auto; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 4px 20px 16px; margin: 16px 0; }
.card h3 .sub { color: var(--muted); font-weight: 400; }
.conclusion { background: var(--bg2); border-radius: 4px; padding: 4px 14px; }
.conclusion ul { margin: 4px 0 8px; }
details summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
code { font-size: 12px; background: var(--bg2); padding: 1px 4px; border-radius: 3px; word-break: break-all; }
svg.chart { max-width: 100%; height: auto; }
@media print { nav { position: static; } .card { break-inside: avoid-page; } }
`;
