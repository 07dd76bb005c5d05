// The study-design diagnostics (explain/design.ts) as a short list: groups, split, cases per class and the
// confound check of nuisance statistics against the maps' score, with the warnings. Shown near the ranking.
import type { DesignReport } from '../../explain/design.js';
import { esc, num } from '../html.js';

export function designBlock(d: DesignReport | undefined): string {
  if (!d) return '';
  const facts: string[] = [
    d.groupsKnown
      ? `${d.nCases} cases from ${d.nGroups} subject(s)/group(s) (largest ${d.largestGroup})`
      : `${d.nCases} cases; groups (subjects) unknown, each case counted as its own`,
  ];
  if (d.split)
    facts.push(
      d.split.groupAware
        ? 'split: group-aware (every subject on one side)'
        : d.split.groupsGiven
          ? `split: not group-aware, ${d.split.groupsOnBothSides} subject(s) on both sides`
          : 'split: by case',
    );
  if (d.confound) {
    facts.push(
      `nuisance statistics (${esc(d.nuisance?.names.join(', ') ?? '')}) predict the label with ${d.confound.metric.toUpperCase()} ${num(d.confound.score, 3)}` +
        `${d.confound.mapScore !== null ? ` (the maps: ${num(d.confound.mapScore, 3)})` : ''}`,
    );
  }
  return (
    `<h4>Study design</h4><ul class="notes">${facts.map((f) => `<li>${f}</li>`).join('')}` +
    `${d.warnings.map((w) => `<li class="no">${esc(w)}</li>`).join('')}${d.notes.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`
  );
}
