// The analysis target: which labels an analysis (rank, explain, TCAV, embed colouring) contrasts. A
// target expression maps the dataset's labels (or one of its extra CSV columns) to the classes the
// analysis uses, and names its positive and reference classes explicitly:
//   label                  the labels as they are (default); two classes: positive = the second
//   label>=2  label>2  label<=1  label<1  label==3  label!=0     binary: positive = the cases that match
//   label in 3,4   label not in 3,4                              binary
//   one-vs-rest:3          binary: label 3 against the rest
//   ordinal                every class, in order (all must have cases)
//   <column>  <column>>=60  <column> in a,b   an extra column of folder/CSV data (`ImageDataset.columns`)
// Values are the class names when they are all numbers (MedMNIST grades, CSV grades 0..4), else class
// names or class indices. `selectLabelClasses` reads the same value syntax for TCAV's `label:` concepts.
import type { ImageDataset } from './types.js';

export type TargetOp = '>=' | '>' | '<=' | '<' | '==' | '!=';

/** A parsed target expression (syntax only; `resolveTarget` applies it to data). */
export type TargetForm =
  | { form: 'as-is'; subject: string }
  | { form: 'ordinal'; subject: string }
  | { form: 'compare'; subject: string; op: TargetOp; value: string }
  | { form: 'in'; subject: string; values: string[]; negate: boolean }
  | { form: 'one-vs-rest'; subject: string; value: string };

export type ParsedTarget = TargetForm & { expression: string };

/** What a resolved target is: the labels as they are, two classes, or ordered classes. */
export type TargetKind = 'as-is' | 'binary' | 'ordinal';

/** What every JSON an analysis writes records as `target`. */
export interface TargetRecord {
  /** The expression, normalised (`label>=2`, `label in 3,4`, `one-vs-rest:3`, `ordinal`, `label`). */
  expression: string;
  kind: TargetKind;
  /** The positive class as an expression (`label>=2`); explain and TCAV contrast it with `reference`. */
  positive: string;
  /** The reference class (`label<2`; `label!=1` when more than two classes are kept). */
  reference: string;
  /** Index of the positive class in `classes` (1 for a binary target). */
  positiveClass: number;
  /** The analysis classes in label order (binary: reference, positive) with their case counts. */
  classes: { name: string; cases: number }[];
  positiveCases: number;
  referenceCases: number;
  /** One line: `label>=2 (positive: grades 2-4, 312 cases; reference: grades 0-1, 488 cases)`. */
  description: string;
}

/** A resolved target: the record plus the mapped labels of the chosen cases. */
export interface Target extends TargetRecord {
  /** One class index (into `classNames`) per chosen case. */
  labels: Int32Array;
  classNames: string[];
}

/** The data a target is resolved against. */
export type TargetData = Pick<ImageDataset, 'labels' | 'labelWidth' | 'task' | 'classNames' | 'columns'>;

const EXPECTED =
  "expected label, label>=2 (or >, <=, <, ==, !=), 'label in 3,4', one-vs-rest:K, ordinal, or an extra column's name (optionally with the same comparisons)";
const SUBJECT = '[A-Za-z_][\\w.]*';

const cases = (n: number): string => `${n} case${n === 1 ? '' : 's'}`;
const unquote = (s: string): string => s.trim().replace(/^(['"])(.*)\1$/, '$2');

/** Parses a target expression; throws naming the expression and what was expected. */
export function parseTarget(text: string): ParsedTarget {
  const t = text.trim();
  if (!t) throw new Error(`target '${text}': empty; ${EXPECTED}`);
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^ordinal(?::(${SUBJECT}))?$`).exec(t))) {
    const subject = m[1] ?? 'label';
    return { form: 'ordinal', subject, expression: subject === 'label' ? 'ordinal' : `ordinal:${subject}` };
  }
  if ((m = /^one-vs-rest\s*:\s*(.*)$/.exec(t))) {
    const value = unquote(m[1]!);
    if (!value || value.includes(',')) throw new Error(`target '${text}': expected one-vs-rest:K with K one label (e.g. one-vs-rest:3)`);
    return { form: 'one-vs-rest', subject: 'label', value, expression: `one-vs-rest:${value}` };
  }
  if ((m = new RegExp(`^(${SUBJECT})\\s+(not\\s+)?in\\b\\s*(.*)$`).exec(t))) {
    const values = m[3]!.split(',').map(unquote);
    if (!m[3]!.trim() || values.some((v) => !v))
      throw new Error(`target '${text}': expected '${m[1]} in v1,v2,...' with a comma-separated list of labels`);
    const negate = m[2] !== undefined;
    return { form: 'in', subject: m[1]!, values, negate, expression: `${m[1]} ${negate ? 'not in' : 'in'} ${values.join(',')}` };
  }
  if ((m = new RegExp(`^(${SUBJECT})\\s*(>=|<=|==|!=|=|>|<)\\s*(.*)$`).exec(t))) {
    const value = unquote(m[3]!);
    if (!value) throw new Error(`target '${text}': nothing after '${m[2]}'; expected a label such as ${m[1]}${m[2]}2`);
    const op = (m[2] === '=' ? '==' : m[2]) as TargetOp;
    return { form: 'compare', subject: m[1]!, op, value, expression: `${m[1]}${op}${value}` };
  }
  if (new RegExp(`^${SUBJECT}$`).test(t)) return { form: 'as-is', subject: t, expression: t };
  throw new Error(`target '${text}': not understood; ${EXPECTED}`);
}

/** The labels of one subject (`label` or a column) on the chosen cases, as class indices. */
export interface LabelSource {
  subject: string;
  /** Singular noun for describing classes: `grade`, `label`, or the column name. */
  noun: string;
  classNames: string[];
  /** Per class: its numeric value when every class name is a number, else its index (the order). */
  order: number[];
  numeric: boolean;
  /** Class index per chosen case. */
  cls: Int32Array;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function orderOf(names: string[]): { order: number[]; numeric: boolean } {
  const numeric = names.length > 0 && names.every((s) => NUMBER.test(s.trim()));
  return { order: names.map((s, k) => (numeric ? Number(s) : k)), numeric };
}

/** A label source over already-chosen labels (TCAV's `label:` concepts). */
export function labelSource(labels: ArrayLike<number>, classNames?: string[], task?: string): LabelSource {
  let k = 0;
  for (let i = 0; i < labels.length; i++) k = Math.max(k, labels[i]! + 1);
  const names =
    classNames && classNames.length >= k
      ? classNames
      : Array.from({ length: Math.max(k, classNames?.length ?? 0) }, (_, j) => classNames?.[j] ?? String(j));
  return {
    subject: 'label',
    noun: task === 'ordinal' ? 'grade' : 'label',
    classNames: names,
    ...orderOf(names),
    cls: Int32Array.from(labels),
  };
}

function sourceFor(expr: string, subject: string, ds: TargetData, indices: ArrayLike<number>): LabelSource {
  if (subject === 'label') {
    if (!ds.labels) {
      const cols = Object.keys(ds.columns ?? {});
      throw new Error(`target '${expr}': the data has no labels${cols.length ? ` (its extra columns: ${cols.join(', ')})` : ''}`);
    }
    if ((ds.labelWidth ?? 1) !== 1)
      throw new Error(
        `target '${expr}': the data is multi-label (${ds.labelWidth} labels per case); expected single-label data or a column`,
      );
    return labelSource(
      Array.from(indices, (i) => ds.labels![i]!),
      ds.classNames,
      ds.task,
    );
  }
  const col = ds.columns?.[subject];
  if (!col) {
    const cols = Object.keys(ds.columns ?? {});
    throw new Error(
      `target '${expr}': no column '${subject}' (${cols.length ? `columns: ${cols.join(', ')}` : 'the data has no extra columns'}); ${EXPECTED}`,
    );
  }
  const values = Array.from(indices, (i) => (col[i] ?? '').trim());
  const empty = values.filter((v) => !v).length;
  if (empty)
    throw new Error(`target '${expr}': column '${subject}' is empty in ${empty} of ${values.length} cases; expected a value in every case`);
  return columnSource(subject, values);
}

/** The classes of a column's values (every one non-empty), ordered numerically when all are numbers. */
export function columnSource(subject: string, values: string[]): LabelSource {
  const uniq = [...new Set(values)];
  const { numeric } = orderOf(uniq);
  uniq.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const index = new Map(uniq.map((u, k) => [u, k]));
  return { subject, noun: subject, classNames: uniq, ...orderOf(uniq), cls: Int32Array.from(values, (v) => index.get(v)!) };
}

/** The order value a token names: a class name, else a number (the class index when names are not numbers). */
function tokenValue(src: LabelSource, token: string, where: string): number {
  const k = src.classNames.indexOf(token);
  if (k >= 0) return src.order[k]!;
  if (NUMBER.test(token)) {
    const v = Number(token);
    if (src.numeric) return v;
    if (Number.isInteger(v) && v >= 0 && v < src.classNames.length) return v;
  }
  throw new Error(
    `${where}: '${token}' is not a ${src.noun} (${src.noun}s: ${src.classNames.join(', ')}${src.numeric ? '' : `, or their indices 0..${src.classNames.length - 1}`})`,
  );
}

const TESTS: Record<TargetOp, (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '>': (a, b) => a > b,
  '<=': (a, b) => a <= b,
  '<': (a, b) => a < b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};
const COMPLEMENT: Record<TargetOp, TargetOp> = { '>=': '<', '>': '<=', '<=': '>', '<': '>=', '==': '!=', '!=': '==' };

/** Which classes of `src` a binary form selects (its positive class). */
function positiveClasses(src: LabelSource, f: TargetForm, where: string): boolean[] {
  if (f.form === 'compare') {
    const v = tokenValue(src, f.value, where);
    return src.order.map((o) => TESTS[f.op](o, v));
  }
  if (f.form === 'one-vs-rest') {
    const v = tokenValue(src, f.value, where);
    return src.order.map((o) => o === v);
  }
  if (f.form === 'in') {
    const vs = new Set(f.values.map((t) => tokenValue(src, t, where)));
    return src.order.map((o) => vs.has(o) !== f.negate);
  }
  throw new Error(`internal: ${f.form} is not a binary target`);
}

function countClasses(cls: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const c of cls) counts[c]!++;
  return counts;
}

/** `grades 0: 120, 1: 80, 2: 200` — every class of a source with its count on the chosen cases. */
export function countsText(src: LabelSource, counts = countClasses(src.cls, src.classNames.length)): string {
  return `${src.noun}s ${src.classNames.map((n, k) => `${n}: ${counts[k]}`).join(', ')} (${src.cls.length} cases)`;
}

/** `label counts: 0: 120, 1: 80, ...` of chosen labels: what a 0-case concept's error shows. */
export function labelCountsText(labels: ArrayLike<number>, classNames?: string[], task?: string): string {
  return countsText(labelSource(labels, classNames, task));
}

/** `grades 2-4`, `grade 3`, `labels lesion, cyst`: the classes of a group, integer runs shortened. */
function groupText(src: LabelSource, member: boolean[]): string {
  const ks = member.flatMap((m, k) => (m ? [k] : []));
  const parts: string[] = [];
  const ints = src.numeric && ks.every((k) => Number.isInteger(src.order[k]));
  for (let a = 0; a < ks.length;) {
    let b = a;
    while (ints && b + 1 < ks.length && ks[b + 1] === ks[b]! + 1 && src.order[ks[b + 1]!] === src.order[ks[b]!]! + 1) b++;
    parts.push(b > a ? `${src.classNames[ks[a]!]}-${src.classNames[ks[b]!]}` : src.classNames[ks[a]!]!);
    a = b + 1;
  }
  return `${src.noun}${ks.length > 1 ? 's' : ''} ${parts.join(', ') || '(none)'}`;
}

/**
 * Resolves a target expression (default `label`) on the chosen cases (default all) of a dataset.
 * Throws naming the expression and what was expected, or, when a class is left empty, the counts.
 */
export function resolveTarget(expression: string | undefined, ds: TargetData, indices?: ArrayLike<number>): Target {
  const text = expression ?? 'label';
  const f = parseTarget(text);
  const expr = f.expression;
  const all = ds.labels ? ds.labels.length / (ds.labelWidth ?? 1) : (Object.values(ds.columns ?? {})[0]?.length ?? 0);
  const idx = indices ?? Int32Array.from({ length: all }, (_, i) => i);
  const src = sourceFor(expr, f.subject, ds, idx);
  const counts = countClasses(src.cls, src.classNames.length);

  if (f.form === 'as-is' || f.form === 'ordinal') {
    const present = counts.filter((c) => c > 0).length;
    if (present < 2)
      throw new Error(
        `target '${expr}': the cases have ${present} class(es) with cases (${countsText(src, counts)}); expected at least two`,
      );
    const emptyK = counts.flatMap((c, k) => (c === 0 ? [src.classNames[k]] : []));
    if (f.form === 'ordinal' && emptyK.length)
      throw new Error(
        `target '${expr}': ${src.noun} ${emptyK.join(', ')} has no cases (${countsText(src, counts)}); ordinal keeps every class, so each needs cases (or use label>=k)`,
      );
    const pos = src.classNames[1]!;
    const positive = `${src.subject}==${pos}`;
    const reference = src.classNames.length === 2 ? `${src.subject}==${src.classNames[0]}` : `${src.subject}!=${pos}`;
    const refCases = src.cls.length - counts[1]!;
    const posMember = src.classNames.map((_, k) => k === 1);
    const classes = src.classNames.map((name, k) => ({ name, cases: counts[k]! }));
    const head = f.form === 'ordinal' ? `${src.classNames.length} ordered classes` : `as is, ${src.classNames.length} classes`;
    const description =
      src.classNames.length === 2
        ? `${expr} (${head}; positive: ${groupText(src, posMember)}, ${cases(counts[1]!)}; reference: ${groupText(
            src,
            posMember.map((m) => !m),
          )}, ${cases(refCases)})`
        : `${expr} (${head}: ${classes.map((c) => `${c.name}: ${c.cases}`).join(', ')} cases; explain and TCAV contrast ${groupText(src, posMember)} (${cases(counts[1]!)}) with the other ${refCases}; --target label>=k makes it binary)`;
    return {
      expression: expr,
      kind: f.form === 'ordinal' ? 'ordinal' : 'as-is',
      positive,
      reference,
      positiveClass: 1,
      classes,
      positiveCases: counts[1]!,
      referenceCases: refCases,
      description,
      labels: src.cls,
      classNames: src.classNames,
    };
  }

  const member = positiveClasses(src, f, `target '${expr}'`);
  const labels = Int32Array.from(src.cls, (c) => (member[c] ? 1 : 0));
  let p = 0;
  for (const v of labels) p += v;
  const r = labels.length - p;
  const positive = f.form === 'one-vs-rest' ? `${f.subject}==${f.value}` : expr;
  const reference =
    f.form === 'compare'
      ? `${f.subject}${COMPLEMENT[f.op]}${f.value}`
      : f.form === 'one-vs-rest'
        ? `${f.subject}!=${f.value}`
        : `${f.subject} ${f.negate ? 'in' : 'not in'} ${f.values.join(',')}`;
  if (p === 0 || r === 0) {
    throw new Error(
      `target '${expr}' leaves the ${p === 0 ? 'positive' : 'reference'} class empty: ${positive} has ${p} cases, ${reference} has ${r} (${countsText(src, counts)}); expected cases in both`,
    );
  }
  return {
    expression: expr,
    kind: 'binary',
    positive,
    reference,
    positiveClass: 1,
    classes: [
      { name: reference, cases: r },
      { name: positive, cases: p },
    ],
    positiveCases: p,
    referenceCases: r,
    description: `${expr} (positive: ${groupText(src, member)}, ${cases(p)}; reference: ${groupText(
      src,
      member.map((m) => !m),
    )}, ${cases(r)})`,
    labels,
    classNames: [reference, positive],
  };
}

/** The JSON record of a target (everything but the per-case labels). */
export function targetRecord(t: Target): TargetRecord {
  const { labels: _l, classNames: _c, ...record } = t;
  void _l;
  void _c;
  return record;
}

/**
 * The classes a `label:` concept body selects: `1` or `==1`, `3,4` or `in 3,4`, `>=3` (any comparison),
 * `!=0`, `not in 3,4`, a class name. Values are read as in target expressions.
 */
export function selectLabelClasses(body: string, src: LabelSource, what = `concept 'label:${body}'`): boolean[] {
  const b = body.trim();
  let m: RegExpExecArray | null;
  if ((m = /^(>=|<=|==|!=|=|>|<)\s*(.+)$/.exec(b))) {
    const op = (m[1] === '=' ? '==' : m[1]) as TargetOp;
    return positiveClasses(src, { form: 'compare', subject: 'label', op, value: unquote(m[2]!) }, what);
  }
  const list = (m = /^(not\s+)?in\b\s*(.*)$/.exec(b)) ? m[2]! : b;
  const values = list.split(',').map(unquote);
  if (!list.trim() || values.some((v) => !v))
    throw new Error(`${what}: expected label:K, label:3,4, label:in 3,4 or label:>=3 (any of >= > <= < == !=)`);
  return positiveClasses(src, { form: 'in', subject: 'label', values, negate: m?.[1] !== undefined }, what);
}
