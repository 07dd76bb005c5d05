// The forest's hot path in C++: growing one two-class Gini tree on binned codes with int32-packed
// weights (src/forest/tree.ts's packed16 path), and the two-class OOB permutation importance. Both are
// ports of that TypeScript, with the same random draws, the same double arithmetic in the same order and
// no FMA contraction, so they give the same trees and importances bit for bit
// (test/forest/native-tree.test.ts compares them). They exist because, compiled ahead of time, the
// growth runs about 2.4 times as fast as in V8 and the OOB importance about 1.4 times (PIMP's trees,
// one thread), and label-permutation nulls (PIMP) grow ten thousand such trees. A separate addon without libtorch, so every forest worker thread loads it in
// milliseconds and holds no libtorch state.
#include <napi.h>

#include <emmintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "forest-args.h"

namespace {

using forest::dataOf;

constexpr int kMaxBins = 256;
// Nodes of at most kSparse samples sort their touched bins (tree.ts: 48, measured here: 16); nodes of
// at most kRowMajor samples read the row-major codes, as tree.ts's ROW_MAJOR_NODE.
constexpr int kSparse = 16;
constexpr int kRowMajor = 512;

// xoshiro128** as src/core/random.ts's Random, state passed in and out.
struct Rng {
  uint32_t a, b, c, d;
  static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
  uint32_t next() {
    const uint32_t r = rotl(b * 5u, 7) * 9u;
    const uint32_t t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r;
  }
  // Random.int(n): floor(u / 2^32 * n) in doubles.
  int32_t below(int32_t n) { return static_cast<int32_t>(std::floor((static_cast<double>(next()) / 4294967296.0) * n)); }
};

struct Input {
  const uint8_t* codes;     // column-major, n x d
  const uint8_t* rowCodes;  // row-major, or null
  const uint16_t* nBins;
  int64_t n, d;
};

// Histograms of one to four features over a node's samples (tree.ts's fillPacked16); nodes of at most
// kSparse samples also list each feature's touched bins. Larger ones find their non-empty bins by a
// vector scan of the histogram in the sweep, which costs less than tree.ts's bitmap of touched bins.
void fill(const uint8_t* src, const int64_t* bases, int k, int64_t stride, const int32_t* idx, const int32_t* pw,
          int start, int end, int32_t* hist, int32_t* touched, int32_t* nts) {
  const bool sparse = end - start <= kSparse;
  if (k == 4) {
    const uint8_t *s0 = src + bases[0], *s1 = src + bases[1], *s2 = src + bases[2], *s3 = src + bases[3];
    if (sparse) {
      int n0 = 0, n1 = 0, n2 = 0, n3 = 0;
      for (int i = start; i < end; i++) {
        const int64_t r = idx[i] * stride;
        const int32_t w = pw[i];
        const int b0 = s0[r], b1 = 256 + s1[r], b2 = 512 + s2[r], b3 = 768 + s3[r];
        if (hist[b0] == 0) touched[n0++] = b0;
        hist[b0] += w;
        if (hist[b1] == 0) touched[256 + n1++] = b1 - 256;
        hist[b1] += w;
        if (hist[b2] == 0) touched[512 + n2++] = b2 - 512;
        hist[b2] += w;
        if (hist[b3] == 0) touched[768 + n3++] = b3 - 768;
        hist[b3] += w;
      }
      nts[0] = n0;
      nts[1] = n1;
      nts[2] = n2;
      nts[3] = n3;
    } else {
      for (int i = start; i < end; i++) {
        const int64_t r = idx[i] * stride;
        const int32_t w = pw[i];
        hist[s0[r]] += w;
        hist[256 + s1[r]] += w;
        hist[512 + s2[r]] += w;
        hist[768 + s3[r]] += w;
      }
    }
    return;
  }
  for (int j = 0; j < k; j++) {
    const uint8_t* s = src + bases[j];
    int32_t* h = hist + 256 * j;
    if (sparse) {
      int nt = 0;
      for (int i = start; i < end; i++) {
        const int b = s[idx[i] * stride];
        if (h[b] == 0) touched[256 * j + nt++] = b;
        h[b] += pw[i];
      }
      nts[j] = nt;
    } else {
      for (int i = start; i < end; i++) h[s[idx[i] * stride]] += pw[i];
    }
  }
}

// The Gini sweep of tree.ts's sweepPacked16 over one histogram's non-empty bins in ascending order,
// each cleared as it is read. The running left counts are integers (exact, as tree.ts's doubles are).
struct Sweep {
  double W, t0, t1;
  double best = -INFINITY;
  int bin = 0;
  int nonEmpty = 0;
  int32_t l0 = 0, l1 = 0;
  int prev = -1;

  void visit(int32_t* h, int b) {
    const int32_t v = h[b];
    h[b] = 0;
    nonEmpty++;
    if (prev >= 0) {
      const double dl0 = l0, dl1 = l1;
      const double lw = dl0 + dl1;
      const double rw = W - lw;
      const double r0 = t0 - dl0;
      const double r1 = t1 - dl1;
      const double a = dl0 * dl0 + dl1 * dl1;
      const double c = r0 * r0 + r1 * r1;
      const double lr = lw * rw;
      if (a * rw + c * lw > best * lr) {
        best = (a * rw + c * lw) / lr;
        bin = (prev + b) >> 1;
      }
    }
    l0 += v & 0xffff;
    l1 += static_cast<uint32_t>(v) >> 16;
    prev = b;
  }
};

Sweep sweep(int j, int ns, int32_t* hist, const int32_t* touched, const int32_t* nts, int32_t* order, int nb, double t0,
            double t1, double W) {
  int32_t* h = hist + 256 * j;
  Sweep s{W, t0, t1};
  if (ns <= kSparse) {
    int m = 0;
    const int32_t* tj = touched + 256 * j;
    for (int t = 0; t < nts[j]; t++) {
      const int b = tj[t];
      int q = m++;
      while (q > 0 && order[q - 1] > b) {
        order[q] = order[q - 1];
        q--;
      }
      order[q] = b;
    }
    for (int t = 0; t < m; t++) s.visit(h, order[t]);
    return s;
  }
  // Sixteen bins at a time: a mask of the non-empty ones, visited lowest first.
  const __m128i zero = _mm_setzero_si128();
  for (int b0 = 0; b0 < nb; b0 += 16) {
    unsigned empty = 0;
    for (int q = 0; q < 4; q++) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + b0 + 4 * q));
      empty |= static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, zero)))) << (4 * q);
    }
    unsigned x = ~empty & 0xffffu;
    if (b0 + 16 > nb) x &= (1u << (nb - b0)) - 1;
    while (x != 0) {
      s.visit(h, b0 + __builtin_ctz(x));
      x &= x - 1;
    }
  }
  return s;
}

struct Params {
  int mtry;
  double maxDepth;
  int minSplit;
  double minDecrease;
};

struct Output {
  int32_t *feature, *left, *right, *nodeSamples;
  uint8_t* bin;
  double *value, *mdi;
};

// tree.ts's buildTree loop for the packed16 Gini case. idx, yl, wl and pw are the distinct in-bag
// samples, partitioned in place. Returns the node count.
int grow(const Input& in, const Params& p, Rng& rng, int32_t* idx, int32_t* yl, double* wl, int32_t* pw, int nu,
         const Output& out) {
  const int64_t n = in.n, d = in.d;
  std::vector<int32_t> hist(4 * kMaxBins, 0), touched(4 * kMaxBins), order(kMaxBins), feats(d);
  for (int64_t f = 0; f < d; f++) feats[f] = static_cast<int32_t>(f);
  const int cap = 2 * nu + 1;
  std::vector<int32_t> stack(4 * (static_cast<size_t>(cap) + 1));
  int sp = 0, nNodes = 1;
  stack[sp++] = 0;
  stack[sp++] = 0;
  stack[sp++] = nu;
  stack[sp++] = 0;
  const int mtry = p.mtry;
  int32_t batch[4], nts[4];
  int64_t bases[4];
  while (sp > 0) {
    const int depth = stack[--sp];
    const int end = stack[--sp];
    const int start = stack[--sp];
    const int node = stack[--sp];
    const int ns = end - start;
    out.nodeSamples[node] = ns;
    out.left[node] = -1;
    out.right[node] = -1;
    out.feature[node] = -1;
    double tot[2] = {0, 0};
    for (int i = start; i < end; i++) tot[yl[i]] += wl[i];
    const double W = tot[0] + tot[1];
    out.value[2 * node] = W > 0 ? tot[0] / W : 0;
    out.value[2 * node + 1] = W > 0 ? tot[1] / W : 0;
    const double parentProxy = (tot[0] * tot[0] + tot[1] * tot[1]) / W;
    const double impurityW = W - parentProxy;
    if (ns < p.minSplit || depth >= p.maxDepth || !(impurityW > 1e-9 * W)) continue;

    double best = -INFINITY;
    int bestF = -1, bestBin = 0, visited = 0;
    int64_t drawn = 0;
    const bool byRow = in.rowCodes != nullptr && ns <= kRowMajor;
    const uint8_t* src = byRow ? in.rowCodes : in.codes;
    const int64_t stride = byRow ? d : 1;
    while (drawn < d && visited < mtry && !(best >= W)) {
      const int k = static_cast<int>(std::min<int64_t>(std::min(4, mtry - visited), d - drawn));
      for (int q = 0; q < k; q++) {
        const int64_t j = drawn + rng.below(static_cast<int32_t>(d - drawn));
        const int32_t f = feats[j];
        feats[j] = feats[drawn];
        feats[drawn] = f;
        drawn++;
        batch[q] = f;
        bases[q] = byRow ? f : f * n;
      }
      fill(src, bases, k, stride, idx, pw, start, end, hist.data(), touched.data(), nts);
      for (int q = 0; q < k; q++) {
        const int32_t f = batch[q];
        const Sweep s = sweep(q, ns, hist.data(), touched.data(), nts, order.data(), in.nBins[f], tot[0], tot[1], W);
        if (s.nonEmpty <= 1) continue;
        visited++;
        if (s.best > best) {
          best = s.best;
          bestF = f;
          bestBin = s.bin;
        }
      }
    }
    if (bestF < 0) continue;
    const double decrease = best - parentProxy;
    if (decrease + 1e-7 * W < p.minDecrease) continue;

    const uint8_t* col = in.codes + static_cast<int64_t>(bestF) * n;
    int i = start, j = end - 1;
    while (i <= j) {
      if (col[idx[i]] <= bestBin) {
        i++;
      } else {
        std::swap(idx[i], idx[j]);
        std::swap(wl[i], wl[j]);
        std::swap(pw[i], pw[j]);
        std::swap(yl[i], yl[j]);
        j--;
      }
    }
    const int mid = i;
    if (mid == start || mid == end) continue;
    out.mdi[bestF] += decrease;
    out.feature[node] = bestF;
    out.bin[node] = static_cast<uint8_t>(bestBin);
    const int l = nNodes++, r = nNodes++;
    out.left[node] = l;
    out.right[node] = r;
    stack[sp++] = r;
    stack[sp++] = mid;
    stack[sp++] = end;
    stack[sp++] = depth + 1;
    stack[sp++] = l;
    stack[sp++] = start;
    stack[sp++] = mid;
    stack[sp++] = depth + 1;
  }
  return nNodes;
}

// growPacked16(codes, rowCodes | null, nBins, n, d, idx, yl, wl, pw, rngState, params, feature, bin,
//              left, right, value, nodeSamples, mdi) -> node count. params: [mtry, maxDepth, minSplit,
//              minDecrease]; rngState (Uint32Array of 4) is read and written back.
Napi::Value GrowPacked16(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 18) throw Napi::TypeError::New(env, "growPacked16 takes 18 arguments");
  Input in{};
  in.n = info[3].As<Napi::Number>().Int64Value();
  in.d = info[4].As<Napi::Number>().Int64Value();
  in.codes = dataOf<uint8_t>(info[0], "codes", static_cast<size_t>(in.n * in.d));
  in.rowCodes = info[1].IsNull() ? nullptr : dataOf<uint8_t>(info[1], "rowCodes", static_cast<size_t>(in.n * in.d));
  in.nBins = dataOf<uint16_t>(info[2], "nBins", static_cast<size_t>(in.d));
  const size_t nu = info[5].As<Napi::TypedArrayOf<int32_t>>().ElementLength();
  int32_t* idx = dataOf<int32_t>(info[5], "idx", nu);
  int32_t* yl = dataOf<int32_t>(info[6], "yl", nu);
  double* wl = dataOf<double>(info[7], "wl", nu);
  int32_t* pw = dataOf<int32_t>(info[8], "pw", nu);
  uint32_t* st = dataOf<uint32_t>(info[9], "rngState", 4);
  const double* pp = dataOf<double>(info[10], "params", 4);
  const size_t cap = 2 * nu + 1;
  Output out{dataOf<int32_t>(info[11], "feature", cap), dataOf<int32_t>(info[13], "left", cap),
             dataOf<int32_t>(info[14], "right", cap),   dataOf<int32_t>(info[16], "nodeSamples", cap),
             dataOf<uint8_t>(info[12], "bin", cap),     dataOf<double>(info[15], "value", 2 * cap),
             dataOf<double>(info[17], "mdi", static_cast<size_t>(in.d))};
  for (size_t i = 0; i < nu; i++)
    if (idx[i] < 0 || idx[i] >= in.n || (yl[i] != 0 && yl[i] != 1))
      throw Napi::RangeError::New(env, "idx or yl out of range at " + std::to_string(i));
  for (int64_t f = 0; f < in.d; f++)
    if (in.nBins[f] > kMaxBins) throw Napi::RangeError::New(env, "nBins above 256 at column " + std::to_string(f));
  Params p{static_cast<int>(pp[0]), pp[1], static_cast<int>(pp[2]), pp[3]};
  if (p.mtry < 1 || p.mtry > in.d) throw Napi::RangeError::New(env, "mtry outside 1..d");
  Rng rng{st[0], st[1], st[2], st[3]};
  const int nodes = grow(in, p, rng, idx, yl, wl, pw, static_cast<int>(nu), out);
  st[0] = rng.a;
  st[1] = rng.b;
  st[2] = rng.c;
  st[3] = rng.d;
  return Napi::Number::New(env, nodes);
}

// tree.ts's oobPermutation for two classes: Breiman's per-tree OOB permutation importance, all columns of
// a group permuted together, rows re-traversed from the first node of their path that reads the group.
int oobPermutation2(const uint8_t* codes, int64_t n, const int32_t* feature, const uint8_t* bin, const int32_t* left,
                    const int32_t* right, const double* value, int nNodes, const int32_t* counts, const int32_t* rows,
                    int nRows, const int32_t* groupOf, int G, const int32_t* yClass, Rng& rng, double* drop) {
  std::vector<uint8_t> mark(n, 0);
  int nOob = 0;
  for (int i = 0; i < nRows; i++) {
    const int32_t r = rows[i];
    if (counts[r] == 0 && mark[r] == 0) {
      mark[r] = 1;
      nOob++;
    }
  }
  if (nOob == 0) return 0;
  std::vector<int32_t> oob(nOob);
  for (int64_t r = 0, k = 0; r < n; r++)
    if (mark[r] == 1) oob[k++] = static_cast<int32_t>(r);
  std::vector<uint8_t> used(G, 0);
  for (int i = 0; i < nNodes; i++)
    if (left[i] >= 0) used[groupOf[feature[i]]] = 1;
  const bool useMask = G <= 32;
  std::vector<uint32_t> masks(useMask ? nOob : 0);
  std::vector<int32_t> firstNode(useMask ? static_cast<size_t>(nOob) * G : 0);
  std::vector<double> baseScore(nOob);
  auto score = [&](int32_t row, int node) -> double {
    const int cls = value[2 * node + 1] > value[2 * node] ? 1 : 0;
    return cls == yClass[row] ? 1 : 0;
  };
  double base = 0;
  for (int i = 0; i < nOob; i++) {
    const int32_t r = oob[i];
    int node = 0;
    uint32_t mask = 0;
    while (left[node] >= 0) {
      const int32_t f = feature[node];
      if (useMask) {
        const uint32_t bit = 1u << groupOf[f];
        if ((mask & bit) == 0) firstNode[static_cast<size_t>(i) * G + groupOf[f]] = node;
        mask |= bit;
      }
      node = codes[f * n + r] <= bin[node] ? left[node] : right[node];
    }
    if (useMask) masks[i] = mask;
    baseScore[i] = score(r, node);
    base += baseScore[i];
  }
  std::vector<int32_t> perm(nOob);
  for (int g = 0; g < G; g++) {
    drop[g] = 0;
    if (used[g] == 0) continue;
    perm = oob;
    for (int i = nOob - 1; i > 0; i--) std::swap(perm[i], perm[rng.below(i + 1)]);
    double s = 0;
    const uint32_t bit = 1u << g;
    for (int i = 0; i < nOob; i++) {
      if (useMask && (masks[i] & bit) == 0) {
        s += baseScore[i];
        continue;
      }
      const int32_t r = oob[i];
      const int32_t pr = perm[i];
      int node = useMask ? firstNode[static_cast<size_t>(i) * G + g] : 0;
      while (left[node] >= 0) {
        const int32_t f = feature[node];
        const uint8_t c = codes[f * n + (groupOf[f] == g ? pr : r)];
        node = c <= bin[node] ? left[node] : right[node];
      }
      s += score(r, node);
    }
    drop[g] = (base - s) / nOob;
  }
  return nOob;
}

// oobPermutation2(codes, n, feature, bin, left, right, value, counts, rows, groupOf, nGroups, yClass,
//                 rngState, drop) -> OOB row count (0: no OOB rows, drop untouched). The tree arrays
//                 are a grown tree's (value: two class probabilities per node).
Napi::Value OobPermutation2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 14) throw Napi::TypeError::New(env, "oobPermutation2 takes 14 arguments");
  const int64_t n = info[1].As<Napi::Number>().Int64Value();
  const size_t nNodes = info[2].As<Napi::TypedArrayOf<int32_t>>().ElementLength();
  const int32_t* feature = dataOf<int32_t>(info[2], "feature", nNodes);
  const uint8_t* bin = dataOf<uint8_t>(info[3], "bin", nNodes);
  const int32_t* left = dataOf<int32_t>(info[4], "left", nNodes);
  const int32_t* right = dataOf<int32_t>(info[5], "right", nNodes);
  const double* value = dataOf<double>(info[6], "value", 2 * nNodes);
  const int32_t* counts = dataOf<int32_t>(info[7], "counts", static_cast<size_t>(n));
  const size_t nRows = info[8].As<Napi::TypedArrayOf<int32_t>>().ElementLength();
  const int32_t* rows = dataOf<int32_t>(info[8], "rows", nRows);
  const size_t d = info[9].As<Napi::TypedArrayOf<int32_t>>().ElementLength();
  const int32_t* groupOf = dataOf<int32_t>(info[9], "groupOf", d);
  const int G = info[10].As<Napi::Number>().Int32Value();
  const int32_t* yClass = dataOf<int32_t>(info[11], "yClass", static_cast<size_t>(n));
  uint32_t* st = dataOf<uint32_t>(info[12], "rngState", 4);
  double* drop = dataOf<double>(info[13], "drop", static_cast<size_t>(G));
  const uint8_t* codes = dataOf<uint8_t>(info[0], "codes", static_cast<size_t>(n) * d);
  for (size_t i = 0; i < nRows; i++)
    if (rows[i] < 0 || rows[i] >= n) throw Napi::RangeError::New(env, "rows out of range at " + std::to_string(i));
  for (size_t f = 0; f < d; f++)
    if (groupOf[f] < 0 || groupOf[f] >= G) throw Napi::RangeError::New(env, "groupOf out of range at " + std::to_string(f));
  for (size_t i = 0; i < nNodes; i++)
    if (left[i] >= 0 && (left[i] >= static_cast<int32_t>(nNodes) || right[i] < 0 || right[i] >= static_cast<int32_t>(nNodes) ||
                         feature[i] < 0 || feature[i] >= static_cast<int32_t>(d)))
      throw Napi::RangeError::New(env, "malformed tree at node " + std::to_string(i));
  Rng rng{st[0], st[1], st[2], st[3]};
  const int nOob = oobPermutation2(codes, n, feature, bin, left, right, value, static_cast<int>(nNodes), counts, rows,
                                   static_cast<int>(nRows), groupOf, G, yClass, rng, drop);
  st[0] = rng.a;
  st[1] = rng.b;
  st[2] = rng.c;
  st[3] = rng.d;
  return Napi::Number::New(env, nOob);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("growPacked16", Napi::Function::New(env, GrowPacked16));
  exports.Set("oobPermutation2", Napi::Function::New(env, OobPermutation2));
  exports.Set("replacedWalks", Napi::Function::New(env, forest::ReplacedWalks));
  return exports;
}

}  // namespace

NODE_API_MODULE(latentlens_forest, Init)
