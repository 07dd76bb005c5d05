// Target expressions (src/data/target.ts) with known answers: parsing every form and its errors,
// 5-grade labels mapped to binary, one-vs-rest and ordinal targets, CSV columns, and TCAV's `label:`
// concepts read with the same value syntax.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTarget, resolveTarget, targetRecord, type TargetData } from '../../src/data/target.js';
import { resolveConcept } from '../../src/explain/tcav/concepts.js';

// 5 ordinal grades: 30, 25, 20, 15, 10 cases (100).
const COUNTS = [30, 25, 20, 15, 10];
const grades = Int32Array.from(COUNTS.flatMap((c, g) => Array<number>(c).fill(g)));
const ds: TargetData = {
  labels: grades,
  labelWidth: 1,
  task: 'ordinal',
  classNames: ['0', '1', '2', '3', '4'],
  columns: {
    site: Array.from(grades, (_, i) => (i % 4 === 0 ? 'B' : 'A')),
    age: Array.from(grades, (g, i) => String(40 + g * 5 + (i % 3))),
  },
};
const count = (a: ArrayLike<number>, v: number) => Array.from(a).filter((x) => x === v).length;

describe('parseTarget', () => {
  test('every form, normalised', () => {
    const cases: [string, string, string][] = [
      ['label', 'as-is', 'label'],
      ['  label ', 'as-is', 'label'],
      ['label>=2', 'compare', 'label>=2'],
      ['label > 2', 'compare', 'label>2'],
      ['label<=1', 'compare', 'label<=1'],
      ['label<1', 'compare', 'label<1'],
      ['label==3', 'compare', 'label==3'],
      ['label=3', 'compare', 'label==3'],
      ['label!=0', 'compare', 'label!=0'],
      ['label in 3,4', 'in', 'label in 3,4'],
      ['label in 3, 4', 'in', 'label in 3,4'],
      ['label not in 0,1', 'in', 'label not in 0,1'],
      ['one-vs-rest:3', 'one-vs-rest', 'one-vs-rest:3'],
      ['ordinal', 'ordinal', 'ordinal'],
      ['ordinal:age', 'ordinal', 'ordinal:age'],
      ['site', 'as-is', 'site'],
      ['age>=50', 'compare', 'age>=50'],
      ['label==lesion', 'compare', 'label==lesion'],
    ];
    for (const [text, form, expression] of cases) {
      const p = parseTarget(text);
      assert.equal(p.form, form, text);
      assert.equal(p.expression, expression, text);
    }
    const c = parseTarget('label>=2');
    assert.ok(c.form === 'compare' && c.op === '>=' && c.value === '2' && c.subject === 'label');
    const i = parseTarget('label in 3,4');
    assert.ok(i.form === 'in' && i.values.join('|') === '3|4' && !i.negate);
  });
  test('errors name the expression and what was expected', () => {
    assert.throws(() => parseTarget(''), /target '': empty; expected label, label>=2/);
    assert.throws(() => parseTarget('label>='), /target 'label>=': nothing after '>='/);
    assert.throws(() => parseTarget('label in'), /target 'label in': expected 'label in v1,v2,...'/);
    assert.throws(() => parseTarget('label in 3,,4'), /expected 'label in v1,v2,...'/);
    assert.throws(() => parseTarget('one-vs-rest:'), /expected one-vs-rest:K/);
    assert.throws(() => parseTarget('one-vs-rest:3,4'), /expected one-vs-rest:K/);
    assert.throws(() => parseTarget('>=2'), /target '>=2': not understood; expected label/);
    assert.throws(() => parseTarget('label ~ 2'), /not understood/);
  });
});

describe('resolveTarget on 5 grades', () => {
  test('label>=2: positive grades 2-4 (45 cases), reference grades 0-1 (55), explicit', () => {
    const t = resolveTarget('label>=2', ds);
    assert.equal(t.kind, 'binary');
    assert.deepEqual(
      Array.from(t.labels),
      Array.from(grades, (g) => (g >= 2 ? 1 : 0)),
    );
    assert.equal(t.positive, 'label>=2');
    assert.equal(t.reference, 'label<2');
    assert.deepEqual(t.classNames, ['label<2', 'label>=2']);
    assert.deepEqual(t.classes, [
      { name: 'label<2', cases: 55 },
      { name: 'label>=2', cases: 45 },
    ]);
    assert.equal(t.positiveClass, 1);
    assert.equal(t.description, 'label>=2 (positive: grades 2-4, 45 cases; reference: grades 0-1, 55 cases)');
    const rec = targetRecord(t);
    assert.ok(!('labels' in rec) && !('classNames' in rec));
    assert.equal(JSON.parse(JSON.stringify(rec)).positiveCases, 45);
  });
  test('the other comparisons and sets', () => {
    const pos = (e: string) => count(resolveTarget(e, ds).labels, 1);
    assert.equal(pos('label>2'), 25);
    assert.equal(pos('label<=1'), 55);
    assert.equal(pos('label<1'), 30);
    assert.equal(pos('label==3'), 15);
    assert.equal(pos('label!=0'), 70);
    assert.equal(pos('label in 3,4'), 25);
    assert.equal(pos('label not in 3,4'), 75);
    assert.equal(resolveTarget('label>2', ds).reference, 'label<=2');
    assert.equal(resolveTarget('label in 3,4', ds).reference, 'label not in 3,4');
    assert.equal(
      resolveTarget('label in 0,2,3,4', ds).description,
      'label in 0,2,3,4 (positive: grades 0, 2-4, 75 cases; reference: grade 1, 25 cases)',
    );
  });
  test('one-vs-rest:3: grade 3 against the rest', () => {
    const t = resolveTarget('one-vs-rest:3', ds);
    assert.deepEqual(
      Array.from(t.labels),
      Array.from(grades, (g) => (g === 3 ? 1 : 0)),
    );
    assert.equal(t.positive, 'label==3');
    assert.equal(t.reference, 'label!=3');
    assert.equal(t.positiveCases, 15);
    assert.equal(t.referenceCases, 85);
  });
  test('ordinal keeps the 5 classes in order; label keeps them as they are', () => {
    const t = resolveTarget('ordinal', ds);
    assert.equal(t.kind, 'ordinal');
    assert.deepEqual(Array.from(t.labels), Array.from(grades));
    assert.deepEqual(
      t.classes.map((c) => c.cases),
      COUNTS,
    );
    assert.deepEqual(t.classNames, ['0', '1', '2', '3', '4']);
    assert.match(
      t.description,
      /^ordinal \(5 ordered classes: 0: 30, 1: 25, 2: 20, 3: 15, 4: 10 cases; explain and TCAV contrast grade 1 \(25 cases\) with the other 75/,
    );
    const a = resolveTarget(undefined, ds);
    assert.equal(a.expression, 'label');
    assert.equal(a.kind, 'as-is');
    assert.deepEqual(Array.from(a.labels), Array.from(grades));
    assert.equal(a.positive, 'label==1');
    assert.equal(a.reference, 'label!=1');
  });
  test('on chosen cases only', () => {
    const idx = Int32Array.from([0, 1, 30, 31, 60, 90, 99]); // grades 0 0 1 1 2 4 4
    const t = resolveTarget('label>=2', ds, idx);
    assert.deepEqual(Array.from(t.labels), [0, 0, 0, 0, 1, 1, 1]);
    assert.throws(
      () => resolveTarget('ordinal', ds, idx),
      /target 'ordinal': grade 3 has no cases \(grades 0: 2, 1: 2, 2: 1, 3: 0, 4: 2 \(7 cases\)\)/,
    );
  });
  test('an empty class is an error naming the counts', () => {
    assert.throws(
      () => resolveTarget('label>=5', ds),
      /target 'label>=5' leaves the positive class empty: label>=5 has 0 cases, label<5 has 100 \(grades 0: 30, 1: 25, 2: 20, 3: 15, 4: 10 \(100 cases\)\); expected cases in both/,
    );
    assert.throws(() => resolveTarget('label>=0', ds), /leaves the reference class empty: label>=0 has 100 cases, label<0 has 0/);
    assert.throws(() => resolveTarget('label==7', ds), /positive class empty/);
    const one: TargetData = { labels: new Int32Array(5), labelWidth: 1, classNames: ['a', 'b'] };
    assert.throws(
      () => resolveTarget('label', one),
      /target 'label': the cases have 1 class\(es\) with cases \(labels a: 5, b: 0 \(5 cases\)\); expected at least two/,
    );
  });
  test('value errors and data without labels', () => {
    const named: TargetData = { labels: Int32Array.from([0, 1, 1, 2]), labelWidth: 1, classNames: ['none', 'mild', 'severe'] };
    assert.throws(
      () => resolveTarget('label==moderate', named),
      /target 'label==moderate': 'moderate' is not a label \(labels: none, mild, severe, or their indices 0..2\)/,
    );
    assert.equal(count(resolveTarget('label>=mild', named).labels, 1), 3);
    assert.equal(count(resolveTarget('label>=1', named).labels, 1), 3); // indices when names are not numbers
    assert.equal(
      resolveTarget('label in severe', named).description,
      'label in severe (positive: label severe, 1 case; reference: labels none, mild, 3 cases)',
    );
    assert.throws(
      () => resolveTarget('label', { columns: { site: ['a'] } }),
      /target 'label': the data has no labels \(its extra columns: site\)/,
    );
    assert.throws(() => resolveTarget('label', { labels: new Int32Array(4), labelWidth: 2 }), /multi-label \(2 labels per case\)/);
    assert.throws(() => resolveTarget('grade>=2', ds), /target 'grade>=2': no column 'grade' \(columns: site, age\)/);
  });
  test('a CSV column as the target, as is or compared', () => {
    const s = resolveTarget('site', ds);
    assert.deepEqual(s.classNames, ['A', 'B']);
    assert.equal(s.positive, 'site==B');
    assert.equal(s.reference, 'site==A');
    assert.equal(s.positiveCases, 25);
    assert.equal(s.description, 'site (as is, 2 classes; positive: site B, 25 cases; reference: site A, 75 cases)');
    const a = resolveTarget('age>=55', ds);
    assert.equal(a.positiveCases, Array.from(ds.columns!.age!).filter((v) => Number(v) >= 55).length);
    assert.equal(resolveTarget('site==B', ds).positiveCases, 25);
    assert.throws(() => resolveTarget('site', { columns: { site: ['A', '', 'B'] } }), /column 'site' is empty in 1 of 3 cases/);
  });
});

describe("TCAV's label: concepts", () => {
  const ctx = { n: grades.length, labels: grades, classNames: ds.classNames, labelTask: 'ordinal' };
  const idx = (spec: string) => Array.from(resolveConcept(spec, ctx).indices);
  const where = (f: (g: number) => boolean) => Array.from(grades).flatMap((g, i) => (f(g) ? [i] : []));
  test('label:>=3, label:3,4, label:in 3,4, label:1, label:!=0 select the right cases', () => {
    assert.deepEqual(
      idx('label:>=3'),
      where((g) => g >= 3),
    );
    assert.equal(idx('label:>=3').length, 25);
    assert.deepEqual(
      idx('label:3,4'),
      where((g) => g >= 3),
    );
    assert.deepEqual(
      idx('label:in 3,4'),
      where((g) => g >= 3),
    );
    assert.deepEqual(
      idx('label:1'),
      where((g) => g === 1),
    );
    assert.deepEqual(
      idx('label:==1'),
      where((g) => g === 1),
    );
    assert.deepEqual(
      idx('label:<2'),
      where((g) => g < 2),
    );
    assert.deepEqual(
      idx('label:!=0'),
      where((g) => g !== 0),
    );
    assert.deepEqual(
      idx('label:not in 0,1'),
      where((g) => g >= 2),
    );
    assert.equal(resolveConcept('label:>=3#severe', ctx).name, 'severe');
  });
  test('a concept that selects 0 cases says which labels exist and how many of each', () => {
    assert.throws(
      () => idx('label:>=7'),
      /concept 'label:>=7' selects 0 case\(s\); a CAV needs at least 2\. The cases' grades 0: 30, 1: 25, 2: 20, 3: 15, 4: 10 \(100 cases\)/,
    );
    assert.throws(() => idx('label:9,8'), /selects 0 case\(s\).*grades 0: 30/);
    assert.throws(() => idx('label:'), /concept 'label:': expected label:K, label:3,4, label:in 3,4 or label:>=3/);
    const named = { n: 4, labels: [0, 1, 1, 0], classNames: ['no lesion', 'lesion'] };
    assert.deepEqual(Array.from(resolveConcept('label:lesion', named).indices), [1, 2]);
    assert.deepEqual(Array.from(resolveConcept('label:1', named).indices), [1, 2]);
    assert.throws(
      () => resolveConcept('label:cyst', named),
      /concept 'label:cyst': 'cyst' is not a label \(labels: no lesion, lesion, or their indices 0..1\)/,
    );
  });
});
