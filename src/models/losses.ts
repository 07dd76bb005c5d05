// Loss terms of the autoencoder family, per sample summed over pixels or latent dimensions and averaged
// over the batch (the convention of the VAE papers, so beta keeps its published meaning).
import { eye } from '../engine/create.js';
import * as F from '../engine/functional.js';
import type { Tensor } from '../engine/tensor.js';

export type ReconLoss = 'bce' | 'mse';

/** Reconstruction term from decoder logits: Bernoulli (BCE) or Gaussian (MSE) log-likelihood, summed per image. */
export function reconstructionLoss(logits: Tensor, x: Tensor, kind: ReconLoss): Tensor {
  const n = x.shape[0]!;
  const total = kind === 'bce' ? F.binaryCrossEntropyWithLogits(logits, x, 'sum') : F.mseLoss(logits.sigmoid(), x, 'sum');
  return total.div(n);
}

/** KL(N(mu, exp(logvar)) || N(0, I)) per sample, summed over dimensions, averaged over the batch. */
export function gaussianKl(mu: Tensor, logvar: Tensor): Tensor {
  const n = mu.shape[0]!;
  return mu
    .square()
    .add(logvar.exp())
    .sub(1)
    .sub(logvar)
    .sum()
    .mul(0.5 / n);
}

/** log N(x; mu, exp(logvar)) elementwise. */
export function gaussianLogDensity(x: Tensor, mu: Tensor, logvar: Tensor): Tensor {
  const c = Math.log(2 * Math.PI);
  return x.sub(mu).square().mul(logvar.neg().exp()).add(logvar).add(c).mul(-0.5);
}

export interface TcDecomposition {
  /** Index-code mutual information I(x; z). */
  mi: Tensor;
  /** Total correlation KL(q(z) || prod_j q(z_j)). */
  tc: Tensor;
  /** Dimension-wise KL sum_j KL(q(z_j) || p(z_j)). */
  dwKl: Tensor;
  /** E[log q(z|x) - log p(z)], the Monte Carlo KL that mi + tc + dwKl add up to exactly. */
  kl: Tensor;
}

/**
 * beta-TCVAE's decomposition (Chen et al. 2018) with minibatch-weighted sampling: for B samples
 * z_i ~ q(z | x_i) from a dataset of N, q(z_i) ~= q(z_i | x_i) / N + (N - 1) / (N (B - 1)) sum_{j != i} q(z_i | x_j).
 * These are the importance weights of the derivation, not the log(B N) shortcut of the reference code,
 * which shifts TC by (D - 1) log N: the gradients agree, but the reported values would be meaningless.
 * z, mu, logvar: B x D (flatten spatial latents first).
 */
export function tcDecomposition(z: Tensor, mu: Tensor, logvar: Tensor, datasetSize: number): TcDecomposition {
  const b = z.shape[0]!;
  const n = Math.max(datasetSize, b);
  const offDiagonal = Math.log((n - 1) / (n * (b - 1)));
  const logW = eye(b, { dtype: z.dtype })
    .mul(-Math.log(n) - offDiagonal)
    .add(offDiagonal);
  // B x B x D: density of sample i under the posterior of case j, per dimension.
  const mat = gaussianLogDensity(z.unsqueeze(1), mu.unsqueeze(0), logvar.unsqueeze(0));
  const logqz = mat.sum(2).add(logW).logsumexp(1);
  const logqzProd = mat.add(logW.unsqueeze(2)).logsumexp(1).sum(1);
  const logqzx = gaussianLogDensity(z, mu, logvar).sum(1);
  const zeros = z.mul(0);
  const logpz = gaussianLogDensity(z, zeros, zeros).sum(1);
  return {
    mi: logqzx.sub(logqz).mean(),
    tc: logqz.sub(logqzProd).mean(),
    dwKl: logqzProd.sub(logpz).mean(),
    kl: logqzx.sub(logpz).mean(),
  };
}
