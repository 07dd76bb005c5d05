// TCAV's probe gate and the wording of its verdicts: when a verdict is withheld (a head that does not beat
// the majority class, a concept defined by the target) and the conditions stated beside it.
import { noGrad, scope, tensor } from '../../engine/index.js';
import type { GridShape, LatentMaps } from '../../models/encode.js';
import type { Concept } from './concepts.js';
import { majorityRate, type LabelHead } from './label-head.js';
import { mean, std, wilsonLowerBound } from '../../core/stats.js';

/** Whether the label head beats always predicting the majority class; verdicts need it to. */
export interface TcavProbeGate {
  /** 'held-out': a probe's held-out cases; 'labelled cases': every labelled case (a head trained elsewhere, which may have seen them). */
  source: 'held-out' | 'labelled cases';
  cases: number;
  accuracy: number;
  /** Wilson 95% lower bound of `accuracy`. */
  lowerBound: number;
  /** Fraction of the most common class among the same cases. */
  majorityRate: number;
  /** lowerBound > majorityRate. */
  passed: boolean;
  /** One sentence: the numbers and what they mean. */
  note: string;
}

/** Cases the head classifies as their label. */
function correctCount(head: LabelHead, maps: LatentMaps<GridShape>, labels: ArrayLike<number>, batch = 512): number {
  const [n, k, h, w] = maps.shape;
  const d = k * h * w;
  let correct = 0;
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    const pred = scope(() =>
      noGrad(() =>
        head
          .logits(tensor(maps.data.slice(start * d, (start + b) * d), [b, k, h, w]))
          .argmax(1)
          .toNumbers(),
      ),
    );
    pred.forEach((p, r) => {
      if (p === labels[start + r]) correct++;
    });
  }
  return correct;
}

export const fmt = (x: number, digits = 2) => x.toFixed(digits);
export const fmtP = (p: number) => (p >= 0.001 ? String(Number(p.toPrecision(2))) : p.toExponential(1));

/** The probe gate: the head's accuracy (held out when known) against the majority-class rate. */
export function probeGate(head: LabelHead, maps: LatentMaps<GridShape>, labels: ArrayLike<number>): TcavProbeGate {
  const held = head.heldOut;
  const source = held ? 'held-out' : 'labelled cases';
  const cases = held ? held.cases : labels.length;
  const correct = held ? held.correct : correctCount(head, maps, labels);
  const majority = held ? held.majorityRate : majorityRate(labels);
  const accuracy = correct / cases;
  const lowerBound = wilsonLowerBound(correct, cases);
  const passed = lowerBound > majority;
  const what = held
    ? `${head.kind} probe's held-out accuracy`
    : `${head.kind} head's accuracy on all labelled cases (it may have been trained on them, so this can only catch a head that has not learned the label)`;
  const note =
    `the ${what} is ${fmt(accuracy, 3)} (95% lower bound ${fmt(lowerBound, 3)}) on ${cases} cases, ` +
    (passed
      ? `above the majority-class rate ${fmt(majority, 3)}`
      : `not above the majority-class rate ${fmt(majority, 3)}: the head has not shown that it predicts the label, so its gradients say nothing about what drives the label`);
  return { source, cases, accuracy, lowerBound, majorityRate: majority, passed, note };
}

/**
 * A `label:` or `column:` concept is circular when it is defined by the target: it selects exactly the
 * cases of the target class (`label:1` of labels 0/1, `label:>=2` under the target `label>=2`, or
 * `column:sex==female` under `--target sex==female`) or, with two classes, exactly the others.
 */
export function circularity(
  c: Concept,
  targetClass: number,
  classes: number,
  inTarget: Uint8Array,
  targetSize: number,
  className?: string,
): string | null {
  if (!c.spec || !/^(label|column):/.test(c.spec)) return null;
  let inside = 0;
  for (const i of c.indices) inside += inTarget[i]!;
  const name = className ?? String(targetClass);
  if (inside === c.indices.length && inside === targetSize)
    return `defined by the target: ${c.spec} selects the cases labelled ${name}, the class whose logit is tested, so its score restates that the head separates the class (circular)`;
  if (classes === 2 && inside === 0 && c.indices.length === inTarget.length - targetSize)
    return `defined by the target: ${c.spec} selects the cases not labelled ${name} (the labels have two classes), so its score restates that the head separates the class (circular)`;
  return null;
}

export function jaccard(a: Int32Array, inB: Uint8Array, sizeB: number): number {
  let both = 0;
  for (const i of a) if (inB[i]) both++;
  const union = a.length + sizeB - both;
  return union ? both / union : 0;
}

/**
 * The conditions under which a TCAV verdict was measured to mislead (see the README): they are stated
 * next to the verdict rather than left for the user to rediscover.
 */
export function conceptWarnings(size: number, setSize: number, cavAccuracy: number, scores: number[], nullScores: number[]): string[] {
  const out: string[] = [];
  if (size < 3 * setSize) {
    out.push(
      `${size} cases for sets of ${Math.min(size, setSize)}: runs share most of them, so they are not independent repeats; ` +
        'the random concepts it is compared with have the same size and share cases the same way, but the verdict rests on these few cases',
    );
  }
  if (cavAccuracy < 0.6)
    out.push(`CAV accuracy ${cavAccuracy.toFixed(2)} is near chance: the concept is barely separable from random cases`);
  const binary = (a: number[]) => a.every((v) => v === 0 || v === 1);
  if (binary(scores) && binary(nullScores)) {
    out.push(
      "every run scored 0 or 1 (the head's gradient points one way for all cases): the score counts runs whose CAV falls on the head's side, " +
        'and random concepts scored the same way often reach 0 or 1 too; such ties are decided by how closely the CAVs follow the gradients',
    );
  }
  return out;
}

/** "score 1.00 in 20 of 20 runs", "score 1 in 31 of 40 runs (mean 0.78)", "score 0.62 +- 0.08 over 20 runs". */
export function describeScores(scores: number[]): string {
  const m = mean(scores);
  if (scores.every((s) => s === scores[0])) return `score ${fmt(scores[0]!)} in ${scores.length} of ${scores.length} runs`;
  if (scores.every((s) => s === 0 || s === 1)) {
    const ones = scores.filter((s) => s === 1).length;
    return `score 1 in ${ones} of ${scores.length} runs (mean ${fmt(m)})`;
  }
  return `score ${fmt(m)} ± ${fmt(std(scores))} over ${scores.length} runs`;
}
