// Limited-memory BFGS with a backtracking (Armijo) line search: the solver behind the logistic
// regressions of the metrics and of TCAV. Their losses are smooth and, with an L2 term, strongly convex,
// so this converges in tens of iterations where plain gradient descent needs thousands.

/** Returns the loss at `w` and writes its gradient into `g`. */
export type Objective = (w: Float64Array, g: Float64Array) => number;

export interface LbfgsOptions {
  /** Most iterations. Default 200. */
  maxIter?: number;
  /** Stop when the gradient's infinity norm falls below this. Default 1e-6. */
  gradTol?: number;
  /** History pairs kept. Default 10. */
  memory?: number;
}

export interface LbfgsResult {
  w: Float64Array;
  loss: number;
  iterations: number;
  converged: boolean;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const maxAbs = (a: Float64Array): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** Minimises `f` from `w0` (not modified). */
export function lbfgs(f: Objective, w0: Float64Array, o: LbfgsOptions = {}): LbfgsResult {
  const maxIter = o.maxIter ?? 200;
  const gradTol = o.gradTol ?? 1e-6;
  const m = o.memory ?? 10;
  const n = w0.length;
  let w = Float64Array.from(w0);
  let g = new Float64Array(n);
  let loss = f(w, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const d = new Float64Array(n);
  const alpha = new Float64Array(m);
  let wNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  for (let it = 0; it < maxIter; it++) {
    if (maxAbs(g) < gradTol) return { w, loss, iterations: it, converged: true };
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(S[k]!, d);
      const y = Y[k]!;
      for (let i = 0; i < n; i++) d[i] -= alpha[k]! * y[i]!;
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < n; i++) d[i] *= scale;
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k]! * dot(Y[k]!, d);
      const s = S[k]!;
      for (let i = 0; i < n; i++) d[i] += s[i]! * (alpha[k]! - beta);
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Lost descent (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }
    let step = 1;
    let newLoss = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) wNew[i] = w[i]! + step * d[i]!;
      newLoss = f(wNew, gNew);
      if (newLoss <= loss + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(newLoss <= loss)) return { w, loss, iterations: it, converged: false };
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = wNew[i]! - w[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const improvement = loss - newLoss;
    [w, wNew] = [wNew, w];
    [g, gNew] = [gNew, g];
    loss = newLoss;
    if (improvement <= 1e-12 * Math.max(1, Math.abs(loss))) return { w, loss, iterations: it + 1, converged: true };
  }
  return { w, loss, iterations: maxIter, converged: maxAbs(g) < gradTol };
}
