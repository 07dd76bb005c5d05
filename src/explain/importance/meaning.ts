// The one-sentence meaning of each verdict of rankFeatureMaps, shared by the CLI, the report and the
// docs (no imports, so readers of rank.json need not load the forest).

/** What a starred marginal verdict means, in one sentence. */
export const MARGINAL_MEANING = 'marginal: the forest relies on the map (its held-out Brier score worsens when the map is replaced by another case\'s).';
/** What a starred conditional verdict means, in one sentence. */
export const CONDITIONAL_MEANING = 'conditional: the map carries label information that the other maps do not (replaced by a draw given the other maps\' means, assuming a linear relation).';
