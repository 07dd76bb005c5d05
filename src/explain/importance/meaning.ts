// The one-sentence meaning of each verdict of rankFeatureMaps, shared by the CLI, the report and the
// docs (no imports, so readers of rank.json need not load the forest).

/** What a starred marginal verdict means, in one sentence. */
export const MARGINAL_MEANING =
  "marginal: the forest relies on the map (its held-out Brier score worsens when the map is replaced by another case's, more than it does with shuffled labels).";
/**
 * What a starred conditional verdict means, in one sentence, for the method that made it (rank.json's
 * settings.conditionalMethod; absent in files written before LOCO, whose test was 'cpi').
 */
export function conditionalMeaning(method: 'loco' | 'cpi' | undefined): string {
  return method === 'loco'
    ? 'conditional: the map carries label information that the other maps do not (a forest refitted without it predicts worse, by more than refitting alone or permuted labels make it).'
    : "conditional: the map carries label information that the other maps do not (replaced by a draw given the other maps' means, assuming a linear relation).";
}

/**
 * A univariate AUC with its direction, as every output prints it: `0.207 (lower in positive: label>=2)`
 * for two classes (the map's mean against the positive class), `0.612 (macro one-vs-rest)` for more.
 */
export function aucWithDirection(auc: number, direction: string | null | undefined, positive?: string, classes = 2): string {
  const v = Number.isFinite(auc) ? auc.toFixed(3) : String(auc);
  if (classes > 2) return `${v} (macro one-vs-rest)`;
  if (!direction) return `${v} (no direction)`;
  const d = direction.replace(/ class$/, '');
  return `${v} (${positive ? `${d}: ${positive}` : d})`;
}

/** A map's label on a chart's band axis, with its verdicts: "map 3 [M* C*]". */
export function chartLabel(name: string, m: { significant: boolean }, c: { significant: boolean } | null): string {
  const stars = [m.significant ? 'M*' : '', c?.significant ? 'C*' : ''].filter(Boolean).join(' ');
  return stars ? `${name} [${stars}]` : name;
}

/** A q-value as every command prints it. */
export const formatQ = (q: number): string => (q < 1e-3 ? q.toExponential(1) : q.toFixed(3));
