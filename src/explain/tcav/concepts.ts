// Concept sets for TCAV: which cases of the dataset show a concept. A concept is given as a spec:
//   factor:lesion_present=1              ground-truth factor conditions (=, !=, >, >=, <, <=, a..b range),
//   factor:lesion_present=1&lesion_radius>0.09   joined with & (all must hold)
//   ids:concept.csv                      a CSV of case ids (column id, case or case_id, else the first)
//   folder:path/to/dir                   files whose names (without extension) match case ids
//   label:1                              cases with that label (label:3,4 or label:in 3,4: any of them;
//   label:>=3                            label:>=3, >, <=, <, ==, !=: a comparison; values as in --target)
//   column:age_approx>=60                cases whose extra CSV column matches (column:sex==female,
//                                        column:site in a,b); cases with the column empty are never members
//   indices:0,5,10-19                    case indices
//   random:50                            a seeded random set of 50 cases (a control concept)
// and may end in #name (`factor:lesion_radius>0.09#large_lesion`); the name defaults to the spec.
// Concepts select cases of the dataset being analysed: a folder of outside images would need encoding
// with the same model, which this parser does not do.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseCsv } from '../../data/csv.js';
import { randomStream } from '../../core/random.js';
import { columnSource, countsText, labelCountsText, labelSource, selectLabelClasses } from '../../data/target.js';
import type { Factors } from '../../data/types.js';

/** A named set of case indices. */
export interface Concept {
  name: string;
  /** The spec it came from, if any. */
  spec?: string;
  indices: Int32Array;
}

/** What concept specs are resolved against. */
export interface ConceptContext {
  n: number;
  factors?: Factors;
  /** One id per case (file name, `phantom 17`, ...). */
  ids?: string[];
  labels?: ArrayLike<number>;
  /** Names of the label classes (indexed by label), for `label:` concepts by name and for messages. */
  classNames?: string[];
  /** The labels' task (`ordinal` names classes grades in messages). */
  labelTask?: string;
  /** Extra per-case columns (folder data's CSV), for `column:` concepts. */
  columns?: Record<string, string[]>;
  /** Seed of `random:` concepts. Default 0. */
  seed?: number;
}

type Op = '=' | '!=' | '>' | '>=' | '<' | '<=';
interface Condition {
  factor: string;
  test: (v: number) => boolean;
}

function parseCondition(text: string): Condition {
  const range = /^\s*([A-Za-z_][\w.]*)\s*=\s*(-?[\d.eE+-]+)\s*\.\.\s*(-?[\d.eE+-]+)\s*$/.exec(text);
  if (range) {
    const [lo, hi] = [Math.fround(Number(range[2])), Math.fround(Number(range[3]))];
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`concept condition '${text}': bad range`);
    return { factor: range[1]!, test: (v) => v >= lo && v <= hi };
  }
  const m = /^\s*([A-Za-z_][\w.]*)\s*(!=|>=|<=|=|>|<)\s*(-?[\d.eE+-]+)\s*$/.exec(text);
  if (!m) throw new Error(`concept condition '${text}': expected <factor><op><number>, op one of = != > >= < <=, or <factor>=<lo>..<hi>`);
  // Factors are float32: compare at float32 precision, so `lesion_radius<=0.2` includes a stored 0.2.
  const x = Math.fround(Number(m[3]));
  if (!Number.isFinite(x)) throw new Error(`concept condition '${text}': '${m[3]}' is not a number`);
  const tests: Record<Op, (v: number) => boolean> = {
    '=': (v) => v === x,
    '!=': (v) => v !== x,
    '>': (v) => v > x,
    '>=': (v) => v >= x,
    '<': (v) => v < x,
    '<=': (v) => v <= x,
  };
  return { factor: m[1]!, test: tests[m[2] as Op] };
}

function byFactors(body: string, ctx: ConceptContext): number[] {
  if (!ctx.factors) throw new Error('factor: concepts need a dataset with ground-truth factors (phantoms)');
  const { names, values } = ctx.factors;
  const conds = body
    .split('&')
    .map(parseCondition)
    .map((c) => {
      const k = names.indexOf(c.factor);
      if (k < 0) throw new Error(`unknown factor '${c.factor}' (factors: ${names.join(', ')})`);
      return { k, test: c.test };
    });
  const f = names.length;
  const out: number[] = [];
  for (let i = 0; i < ctx.n; i++) if (conds.every((c) => c.test(values[i * f + c.k]!))) out.push(i);
  return out;
}

const stem = (s: string) => basename(s, extname(s));

/** Maps id strings to case indices: exact id, then file stem, then an integer index. */
function byIds(wanted: string[], ctx: ConceptContext, source: string): number[] {
  const exact = new Map<string, number>();
  const stems = new Map<string, number>();
  ctx.ids?.forEach((id, i) => {
    exact.set(id, i);
    if (!stems.has(stem(id))) stems.set(stem(id), i);
  });
  const missing: string[] = [];
  const out = new Set<number>();
  for (const w of wanted) {
    const i = exact.get(w) ?? stems.get(stem(w)) ?? (/^\d+$/.test(w) && Number(w) < ctx.n ? Number(w) : undefined);
    if (i === undefined) missing.push(w);
    else out.add(i);
  }
  if (missing.length) throw new Error(`${source}: ${missing.length} id(s) not in the dataset, e.g. '${missing.slice(0, 3).join("', '")}'`);
  return [...out].sort((a, b) => a - b);
}

function idsFromCsv(file: string): string[] {
  if (!existsSync(file)) throw new Error(`concept file not found: ${file}`);
  const table = parseCsv(readFileSync(file, 'utf8'), file);
  const header = table.header.map((h) => h.trim().toLowerCase());
  const col = ['id', 'case', 'case_id', 'index'].map((h) => header.indexOf(h)).find((i) => i >= 0) ?? 0;
  return table.rows.map((r) => (r.fields[col] ?? '').trim()).filter((s) => s.length > 0);
}

function idsFromFolder(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`concept folder not found: ${dir}`);
  return readdirSync(dir).filter((f) => !f.startsWith('.') && statSync(join(dir, f)).isFile());
}

function byIndexList(body: string, n: number): number[] {
  const out = new Set<number>();
  for (const part of body
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`indices: '${part}' is not an index or a range a-b`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    for (let i = a; i <= b; i++) {
      if (i >= n) throw new Error(`indices: ${i} is out of range (the dataset has ${n} cases)`);
      out.add(i);
    }
  }
  return [...out].sort((x, y) => x - y);
}

function byColumn(body: string, ctx: ConceptContext, spec: string): number[] {
  const m = /^\s*([A-Za-z_][\w.]*)\s*(.*)$/.exec(body);
  const cols = Object.keys(ctx.columns ?? {});
  const have = cols.length ? `the data's columns: ${cols.join(', ')}` : 'the data has no extra columns (folder data with a CSV has them)';
  if (!m || !m[2])
    throw new Error(
      `concept '${spec}': expected column:<name> with a comparison or a set (column:age>=60, column:sex==female, column:site in a,b); ${have}`,
    );
  const col = ctx.columns?.[m[1]!];
  if (!col) throw new Error(`concept '${spec}': no column '${m[1]}'; ${have}`);
  const known: number[] = [];
  for (let i = 0; i < ctx.n; i++) if ((col[i] ?? '').trim()) known.push(i);
  if (known.length === 0) throw new Error(`concept '${spec}': column '${m[1]}' is empty in every case`);
  const src = columnSource(
    m[1]!,
    known.map((i) => col[i]!.trim()),
  );
  const member = selectLabelClasses(m[2], src, `concept '${spec}'`);
  const out = known.filter((_, j) => member[src.cls[j]!]);
  if (out.length < 2)
    throw new Error(
      `concept '${spec}' selects ${out.length} case(s); a CAV needs at least 2. ${known.length} of ${ctx.n} cases have a value: ${countsText(src)}`,
    );
  return out;
}

/** Resolves a concept spec (see the file header) to case indices. */
export function resolveConcept(spec: string, ctx: ConceptContext): Concept {
  const hash = spec.lastIndexOf('#');
  const body = hash >= 0 ? spec.slice(0, hash) : spec;
  const name = hash >= 0 ? spec.slice(hash + 1) : spec;
  const colon = body.indexOf(':');
  if (colon < 0) throw new Error(`concept '${spec}': expected kind:value (factor:, ids:, folder:, label:, column:, indices:, random:)`);
  const kind = body.slice(0, colon);
  const rest = body.slice(colon + 1);
  let indices: number[];
  switch (kind) {
    case 'factor':
      indices = byFactors(rest, ctx);
      break;
    case 'ids':
      indices = byIds(idsFromCsv(rest), ctx, rest);
      break;
    case 'folder':
      indices = byIds(idsFromFolder(rest), ctx, rest);
      break;
    case 'indices':
      indices = byIndexList(rest, ctx.n);
      break;
    case 'label': {
      if (!ctx.labels) throw new Error('label: concepts need a labelled dataset');
      const src = labelSource(
        Array.from({ length: ctx.n }, (_, i) => ctx.labels![i]!),
        ctx.classNames,
        ctx.labelTask,
      );
      const member = selectLabelClasses(rest, src, `concept '${spec}'`);
      indices = [];
      for (let i = 0; i < ctx.n; i++) if (member[src.cls[i]!]) indices.push(i);
      if (indices.length < 2)
        throw new Error(
          `concept '${name}' selects ${indices.length} case(s); a CAV needs at least 2. The cases' ${labelCountsText(src.cls, src.classNames, ctx.labelTask)}`,
        );
      break;
    }
    case 'column':
      indices = byColumn(rest, ctx, spec);
      break;
    case 'random': {
      const size = Number(rest);
      if (!(Number.isInteger(size) && size >= 2 && size <= ctx.n)) throw new Error(`random:${rest}: expected a size from 2 to ${ctx.n}`);
      indices = Array.from(
        randomStream(ctx.seed ?? 0, `concept/${spec}`)
          .permutation(ctx.n)
          .subarray(0, size),
      ).sort((a, b) => a - b);
      break;
    }
    default:
      throw new Error(`concept '${spec}': unknown kind '${kind}' (factor, ids, folder, label, column, indices, random)`);
  }
  if (indices.length < 2) throw new Error(`concept '${name}' selects ${indices.length} case(s); a CAV needs at least 2`);
  return { name, spec, indices: Int32Array.from(indices) };
}
