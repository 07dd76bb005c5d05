// "Methods": what each analysis shows and where it misleads. Written for the researcher reading the
// report, so every claim in the sections above can be weighed against its caveat here.
import type { Section } from '../html.js';

const ITEMS: [string, string][] = [
  [
    'Training and reconstructions',
    'Loss per step is the training objective on each mini-batch (noisy by construction); per epoch it is averaged over the epoch and compared with the validation split. ' +
      'PSNR = 10 log10(range² / MSE) and SSIM (Gaussian window 11, σ 1.5) are computed on the validation split after each epoch. ' +
      'A good reconstruction score says the latent space keeps the information; it does not say any single map is interpretable. Reconstructions shown are held-out cases, never training cases, when the run has a test or validation split.',
  ],
  [
    'Map ranking: per-case Brier importance, marginal and conditional',
    'A random forest predicts the label from per-map features (summary pooling: mean, max and standard deviation of each map; grid pooling: every cell). ' +
      "By default every case is predicted once by a forest that did not train on it (stratified 5-fold cross-validation). For each case and map, the map's columns are <em>replaced together</em> and the rise in the case's Brier score (sum over classes of (p<sub>k</sub> − 1[y = k])², a proper scoring rule that still moves when AUC is saturated at 1) is averaged over draws. " +
      'Replacing a map as a group matters: columns of one map are strongly correlated, and replacing them one at a time lets the forest read the same information from the untouched siblings, which hides the map. ' +
      '<strong>Marginal</strong>: the columns come from another case — the forest relies on the map. Every map of an autoencoder is associated with the other maps, so a map that merely copies an informative one passes this test too. ' +
      "<strong>Conditional</strong> (leave-one-covariate-out, LOCO; Lei et al. 2018): the forest is refitted without the map's columns and the rise in each held-out case's Brier score is averaged — the map carries label information that the other maps do not. No model of the map given the others is needed. Two forests fitted to the same cases with different seeds also differ, by a shift shared by many cases, so the mean is compared with forests refitted with every map and other seeds (19 per fit by default): t = (mean − null mean) / (null sd·√(1 + 1/B)), B − 1 degrees of freedom. (<code>--conditional cpi</code>: Watson &amp; Wright's CPI instead replaces the map by its linear prediction from the other maps' means plus another case's residual and uses a paired t-test; cheaper, but where the relation is non-linear it errs towards the marginal answer — on phantom autoencoders it flagged 3 to 7 of 8 maps where one carries the lesion.) " +
      'The interval is mean ± t·sd/√n over cases, so it reflects which cases were evaluated. The marginal p-value is not a t-test over cases either: replacing one of several correlated maps puts cases where no real case lies, and a forest predicts worse there even when it learned noise (with shuffled labels a PneumoniaMNIST ConvAE had half its maps starred by the t-test). So the whole evaluation is re-run on shuffled labels (19 times by default) and the observed mean is compared with those null means in the same way. Both are corrected with Benjamini–Hochberg across maps (separately per test). ' +
      '“Significant” requires BH q ≤ the FDR level <em>and</em> an interval above zero. Under cross-validation the folds share training cases, which makes the per-case p-values somewhat small (in simulations under the null about 7–9% fell below 0.05); use <code>--evaluation holdout</code> for a test closer to exact. ' +
      "The drop in AUC / accuracy is shown as description only. The forest's mean decrease in impurity (“impurity share”) is shown for reference only: it is biased towards features with many distinct values and is computed on training data (Strobl et al. 2007).",
  ],
  [
    'PIMP, stability and univariate AUC',
    "PIMP (Altmann et al. 2010), when run, refits the forest on permuted labels and compares each map's out-of-bag statistic with its null distribution. Its null is marginal (“no association with the label at all”), which nearly every latent map rejects, so it is shown for reference and sets no verdict. " +
      'Stability is the fraction of bootstrap refits (cases resampled, forest refitted) in which the map ranks first or in the top k: a significant map with low stability is one of several interchangeable maps. ' +
      "Univariate AUC uses the map's mean value alone (below 0.5: lower in the positive class); a map with high forest importance but AUC near 0.5 matters only in interaction with other maps.",
  ],
  [
    'Attribution per input channel',
    "Gradient, gradient × input, integrated gradients (IG), SmoothGrad, occlusion and channel occlusion attribute the map's mean activation to input pixels; summing over each channel's pixels gives a channel share with a 95% bootstrap interval over cases. " +
      'IG integrates gradients along a straight path from a baseline (here the mean image of the reference class) to the input; by its completeness axiom the attributions sum to f(x) − f(baseline). ' +
      'The completeness |δ| column is the largest gap from that identity over cases: a δ that is not small against the activation change means too few integration steps, and the IG shares are then unreliable. ' +
      'Grad-CAM is computed in the encoder and is coarse (feature-map resolution); it gives a region, not a channel share. ' +
      "Gradient-based maps describe the model's local sensitivity, which is not the same as “what the map encodes”, and they can be dominated by image structure (see the sanity check).",
  ],
  [
    'Contrastive share',
    'A channel can receive a large share simply because it is bright or carries anatomy common to every case. The contrastive share attributes the <em>difference</em> between the explained (positive-class) cases and the reference cases, channel by channel, keeping the differences that agree in sign with the total. ' +
      'Structure shared by both classes cancels, so the contrastive share names the channel that carries what distinguishes the classes for this map.',
  ],
  [
    'Channel muting test and its two nulls',
    "The naive test mutes one input channel (sets it to zero), re-encodes, and calls the channel a driver when the rank correlation between the map's activation before and after muting drops below a threshold. " +
      'It gives false positives: zeroing any channel pushes the input off the data distribution and changes every latent feature; and a threshold says nothing about chance. ' +
      'The controlled test mutes to the dataset mean image instead of zero and compares the disturbance S = 1 − ρ with two nulls. ' +
      '<strong>Shuffled channels</strong>: S when each case has a randomly chosen channel muted instead — is muting this channel more disturbing for the map than muting any channel? This removes the naive false positives, which come from channels whose muting disturbs everything (Bonferroni over channels). ' +
      '<strong>Random maps</strong>: S of the same muted inputs for random directions in the space of pooled maps — does this map depend on the channel more than an arbitrary latent feature does? ' +
      'A channel significant against shuffled channels drives the map; only if it is also significant against random maps is the dependence specific to this map rather than spread over the whole code. Both readings are printed beside the naive one so the difference is visible.',
  ],
  [
    'Localisation, sanity and faithfulness',
    'Where ground-truth masks exist (phantoms, segmentations), the pointing game is the fraction of cases whose attribution maximum falls in the (slightly dilated) mask, and IoU compares the mask with the same number of top-attributed pixels. ' +
      "The sanity check (Adebayo et al. 2018) re-initialises the encoder's weights and recomputes the attribution: if the heatmaps hardly change (rank correlation or SSIM ≥ 0.5), they reflect the input image more than the learned model — methods that multiply by the input, like IG, are prone to this. " +
      "Deletion and insertion curves remove (or add) pixels in the order of the heatmap and track the map's activation; a faithful heatmap makes the activation fall faster under deletion (lower AUC) and rise faster under insertion (higher AUC) than a random order.",
  ],
  [
    'Decoder ablation and entanglement',
    'Ablating a map (setting it to its mean) and decoding shows which output channels it changes; averaging the signed effect over cases keeps what changes consistently. ' +
      'Any map changes the output somewhat, so the effect is compared with the average effect of ablating each other map (ratio > 1: larger than a typical map), and its consistency is tested against sign-flipped case effects. ' +
      'The entanglement index of a map is the mean, over the other maps, of the histogram intersection of their effect images (mean |change| per output channel and pixel, each normalised to sum 1): 0 means the map changes the output where no other map does, 1 exactly where every other map does. It measures where effects fall, not whether two maps encode the same thing. ' +
      'When it is high, decoder-side statements describe how the decoder mixes maps, not what the map encodes, and the report says so.',
  ],
  [
    'Masked decoding against random sets',
    'The naive approach keeps one map, zeroes all others and decodes, then reads the image: but the decoder turns almost any partial code into a plausible image (mean anatomy, bias terms), so the picture looks meaningful whatever is kept. ' +
      'latentlens decodes control sets of as many other maps (all of them when there are few, which makes the p-value exact: with 8 maps and one kept, p = (1 + j) / 8) and reports the effect specific to the kept map (its difference from the control sets) with a p-value: only an effect larger than other maps give is evidence about the map.',
  ],
  [
    'Traversals, activation maximisation, exemplars',
    "A traversal sets the map to population quantiles and decodes, holding other maps fixed; activation maximisation optimises an input to maximise the map's mean activation; exemplars are the cases with the highest and lowest activation. " +
      "These are descriptive: they show what the map responds to but carry no test, and traversals inherit the decoder's entanglement.",
  ],
  [
    'TCAV',
    'A concept activation vector (CAV) is the normal of a linear classifier separating latent codes of concept cases (e.g. lesion present) from random cases; the TCAV score is the fraction of class cases whose class logit increases along the CAV (Kim et al. 2018). ' +
      "A concept's mean score over runs is compared with random concepts of the same size, each scored the same way (a permutation test, two-sided around 0.5, Bonferroni-corrected over concepts), so runs that all score 0 or 1 are handled exactly. No verdict is given when the label head does not beat the majority-class rate on held-out cases, or when the concept is defined by the target itself (circular). A CAV accuracy near 0.5 means the concept is not linearly represented, and its score means nothing. " +
      "A score far below 0.5 is also significant: the concept lowers the class logit. The label head is a probe trained on the latents (or the user's classifier), so TCAV speaks about that head's use of the latent space.",
  ],
  [
    'Embeddings',
    'PCA is linear and preserves global variance; t-SNE and UMAP preserve neighbourhoods but distort distances and cluster sizes, and their picture depends on seed and perplexity / neighbours. ' +
      'Trustworthiness (0..1) measures how well local neighbourhoods of the embedding are true neighbours in latent space. Read clusters, not distances.',
  ],
  [
    'Disentanglement metrics',
    'β-VAE and FactorVAE scores, MIG, DCI, SAP, modularity and explicitness need ground-truth factors (phantoms) and measure different things: whether single latent dimensions capture single factors (MIG, SAP, FactorVAE), whether each dimension is about one factor (modularity, DCI disentanglement), whether each factor is in one dimension (DCI completeness) and whether factors can be read out at all (informativeness, explicitness). ' +
      'They disagree with each other and depend on binning, pooling and estimator choices (Locatello et al. 2019); compare runs only with identical settings. Total correlation here assumes Gaussian latents.',
  ],
];

export function methodsSection(): Section {
  return {
    id: 'methods',
    title: 'Methods and caveats',
    body:
      '<p>What each analysis shows, and where it misleads. Every statistical claim in this report is made against a control; a result without one (traversals, exemplars, embeddings) is descriptive.</p>' +
      ITEMS.map(([h, text]) => `<h3>${h}</h3><p>${text}</p>`).join(''),
  };
}
