// t-SNE's hot loops compiled ahead of time, each the twin of a TypeScript loop with the same operations
// in the same order and no FMA contraction, so results are equal bit for bit on any x86-64
// (test/embed/tsne-repulsion.test.ts compares them):
// - the grouped Barnes-Hut repulsion (tsne-gradient.ts's groupRepulsion): the same tree walk and cell
//   order, the sums in four lanes of cell pairs and leaves held in vector registers (AVX2 where the CPU
//   has it, else two SSE2 registers); threads claim groups from a shared counter, as
//   tsne-force-chunks.ts's repulsionChunks does, so one call serves a thread's whole share of a pass;
// - the attraction over P (attractiveForces), scalar;
// - the quadtree build (quadtree.ts's QuadTree.build).
#include <emmintrin.h>
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "typed-args.h"

namespace {

using typedargs::dataOf;
using typedargs::lengthOf;

constexpr double kDuplicateEps = 1e-6;

struct Lanes {
  double fx[4] = {0, 0, 0, 0}, fy[4] = {0, 0, 0, 0}, z[4] = {0, 0, 0, 0};
};

// One pair of cells (u, v) with one division, into lane sums (fx, fy, z): tsne-gradient.ts's pair step.
inline void pairStep(double xi, double yi, const double* cx, const double* cy, const double* cc, size_t c, double& fx,
                     double& fy, double& z) {
  const double dx = xi - cx[c], dy = yi - cy[c];
  const double ex = xi - cx[c + 1], ey = yi - cy[c + 1];
  const double u = 1 + dx * dx + dy * dy, v = 1 + ex * ex + ey * ey;
  const double r = 1 / (u * v);
  const double q = v * r, s = u * r;
  const double cq = cc[c] * q, cs = cc[c + 1] * s;
  const double m = cq * q, o = cs * s;
  z += cq + cs;
  fx += m * dx + o * ex;
  fy += m * dy + o * ey;
}

// Runs of eight cells, two SSE2 registers: lanes (0, 1) and (2, 3).
size_t runsSse2(double xi, double yi, const double* cx, const double* cy, const double* cc, size_t nc, Lanes& L) {
  const __m128d one = _mm_set1_pd(1), X = _mm_set1_pd(xi), Y = _mm_set1_pd(yi);
  __m128d fxA = _mm_setzero_pd(), fyA = fxA, zA = fxA, fxB = fxA, fyB = fxA, zB = fxA;
  size_t c = 0;
  for (; c + 8 <= nc; c += 8) {
    for (int h = 0; h < 2; h++) {
      const size_t b = c + 4 * h;
      const __m128d x0 = _mm_loadu_pd(cx + b), x1 = _mm_loadu_pd(cx + b + 2);
      const __m128d y0 = _mm_loadu_pd(cy + b), y1 = _mm_loadu_pd(cy + b + 2);
      const __m128d c0 = _mm_loadu_pd(cc + b), c1 = _mm_loadu_pd(cc + b + 2);
      const __m128d dx = _mm_sub_pd(X, _mm_unpacklo_pd(x0, x1)), dy = _mm_sub_pd(Y, _mm_unpacklo_pd(y0, y1));
      const __m128d ex = _mm_sub_pd(X, _mm_unpackhi_pd(x0, x1)), ey = _mm_sub_pd(Y, _mm_unpackhi_pd(y0, y1));
      const __m128d u = _mm_add_pd(_mm_add_pd(one, _mm_mul_pd(dx, dx)), _mm_mul_pd(dy, dy));
      const __m128d v = _mm_add_pd(_mm_add_pd(one, _mm_mul_pd(ex, ex)), _mm_mul_pd(ey, ey));
      const __m128d r = _mm_div_pd(one, _mm_mul_pd(u, v));
      const __m128d q = _mm_mul_pd(v, r), s = _mm_mul_pd(u, r);
      const __m128d cq = _mm_mul_pd(_mm_unpacklo_pd(c0, c1), q), cs = _mm_mul_pd(_mm_unpackhi_pd(c0, c1), s);
      const __m128d m = _mm_mul_pd(cq, q), o = _mm_mul_pd(cs, s);
      __m128d& fx = h == 0 ? fxA : fxB;
      __m128d& fy = h == 0 ? fyA : fyB;
      __m128d& z = h == 0 ? zA : zB;
      z = _mm_add_pd(z, _mm_add_pd(cq, cs));
      fx = _mm_add_pd(fx, _mm_add_pd(_mm_mul_pd(m, dx), _mm_mul_pd(o, ex)));
      fy = _mm_add_pd(fy, _mm_add_pd(_mm_mul_pd(m, dy), _mm_mul_pd(o, ey)));
    }
  }
  _mm_storeu_pd(L.fx, fxA);
  _mm_storeu_pd(L.fx + 2, fxB);
  _mm_storeu_pd(L.fy, fyA);
  _mm_storeu_pd(L.fy + 2, fyB);
  _mm_storeu_pd(L.z, zA);
  _mm_storeu_pd(L.z + 2, zB);
  return c;
}

// The same runs in one AVX2 register: unpacking [c0..c3] with [c4..c7] puts pairs 0, 2, 1, 3 in lanes
// 0..3, so lanes 1 and 2 are swapped on the way out.
__attribute__((target("avx2"))) size_t runsAvx2(double xi, double yi, const double* cx, const double* cy, const double* cc,
                                                size_t nc, Lanes& L) {
  const __m256d one = _mm256_set1_pd(1), X = _mm256_set1_pd(xi), Y = _mm256_set1_pd(yi);
  __m256d fx = _mm256_setzero_pd(), fy = fx, z = fx;
  size_t c = 0;
  for (; c + 8 <= nc; c += 8) {
    const __m256d x0 = _mm256_loadu_pd(cx + c), x1 = _mm256_loadu_pd(cx + c + 4);
    const __m256d y0 = _mm256_loadu_pd(cy + c), y1 = _mm256_loadu_pd(cy + c + 4);
    const __m256d c0 = _mm256_loadu_pd(cc + c), c1 = _mm256_loadu_pd(cc + c + 4);
    const __m256d dx = _mm256_sub_pd(X, _mm256_unpacklo_pd(x0, x1)), dy = _mm256_sub_pd(Y, _mm256_unpacklo_pd(y0, y1));
    const __m256d ex = _mm256_sub_pd(X, _mm256_unpackhi_pd(x0, x1)), ey = _mm256_sub_pd(Y, _mm256_unpackhi_pd(y0, y1));
    const __m256d u = _mm256_add_pd(_mm256_add_pd(one, _mm256_mul_pd(dx, dx)), _mm256_mul_pd(dy, dy));
    const __m256d v = _mm256_add_pd(_mm256_add_pd(one, _mm256_mul_pd(ex, ex)), _mm256_mul_pd(ey, ey));
    const __m256d r = _mm256_div_pd(one, _mm256_mul_pd(u, v));
    const __m256d q = _mm256_mul_pd(v, r), s = _mm256_mul_pd(u, r);
    const __m256d cq = _mm256_mul_pd(_mm256_unpacklo_pd(c0, c1), q), cs = _mm256_mul_pd(_mm256_unpackhi_pd(c0, c1), s);
    const __m256d m = _mm256_mul_pd(cq, q), o = _mm256_mul_pd(cs, s);
    z = _mm256_add_pd(z, _mm256_add_pd(cq, cs));
    fx = _mm256_add_pd(fx, _mm256_add_pd(_mm256_mul_pd(m, dx), _mm256_mul_pd(o, ex)));
    fy = _mm256_add_pd(fy, _mm256_add_pd(_mm256_mul_pd(m, dy), _mm256_mul_pd(o, ey)));
  }
  double t[4];
  _mm256_storeu_pd(t, fx);
  L.fx[0] = t[0], L.fx[1] = t[2], L.fx[2] = t[1], L.fx[3] = t[3];
  _mm256_storeu_pd(t, fy);
  L.fy[0] = t[0], L.fy[1] = t[2], L.fy[2] = t[1], L.fy[3] = t[3];
  _mm256_storeu_pd(t, z);
  L.z[0] = t[0], L.z[1] = t[2], L.z[2] = t[1], L.z[3] = t[3];
  return c;
}

// Runs of four leaves, leaf j to lane j, a duplicate (d2 <= kDuplicateEps) leaving its lane unchanged.
size_t leafRunsSse2(double xi, double yi, const double* lx, const double* ly, const double* lc, size_t nl, Lanes& L) {
  const __m128d one = _mm_set1_pd(1), X = _mm_set1_pd(xi), Y = _mm_set1_pd(yi), eps = _mm_set1_pd(kDuplicateEps);
  __m128d fx[2] = {_mm_loadu_pd(L.fx), _mm_loadu_pd(L.fx + 2)}, fy[2] = {_mm_loadu_pd(L.fy), _mm_loadu_pd(L.fy + 2)},
          z[2] = {_mm_loadu_pd(L.z), _mm_loadu_pd(L.z + 2)};
  size_t b = 0;
  for (; b + 4 <= nl; b += 4) {
    for (int h = 0; h < 2; h++) {
      const __m128d dx = _mm_sub_pd(X, _mm_loadu_pd(lx + b + 2 * h)), dy = _mm_sub_pd(Y, _mm_loadu_pd(ly + b + 2 * h));
      const __m128d d2 = _mm_add_pd(_mm_mul_pd(dx, dx), _mm_mul_pd(dy, dy));
      const __m128d keep = _mm_cmpgt_pd(d2, eps);
      const __m128d q = _mm_div_pd(one, _mm_add_pd(one, d2));
      const __m128d cq = _mm_mul_pd(_mm_loadu_pd(lc + b + 2 * h), q);
      const __m128d m = _mm_mul_pd(cq, q);
      const __m128d nz = _mm_add_pd(z[h], cq), nfx = _mm_add_pd(fx[h], _mm_mul_pd(m, dx)), nfy = _mm_add_pd(fy[h], _mm_mul_pd(m, dy));
      z[h] = _mm_or_pd(_mm_and_pd(keep, nz), _mm_andnot_pd(keep, z[h]));
      fx[h] = _mm_or_pd(_mm_and_pd(keep, nfx), _mm_andnot_pd(keep, fx[h]));
      fy[h] = _mm_or_pd(_mm_and_pd(keep, nfy), _mm_andnot_pd(keep, fy[h]));
    }
  }
  for (int h = 0; h < 2; h++) {
    _mm_storeu_pd(L.fx + 2 * h, fx[h]);
    _mm_storeu_pd(L.fy + 2 * h, fy[h]);
    _mm_storeu_pd(L.z + 2 * h, z[h]);
  }
  return b;
}

__attribute__((target("avx2"))) size_t leafRunsAvx2(double xi, double yi, const double* lx, const double* ly, const double* lc,
                                                    size_t nl, Lanes& L) {
  const __m256d one = _mm256_set1_pd(1), X = _mm256_set1_pd(xi), Y = _mm256_set1_pd(yi), eps = _mm256_set1_pd(kDuplicateEps);
  __m256d fx = _mm256_loadu_pd(L.fx), fy = _mm256_loadu_pd(L.fy), z = _mm256_loadu_pd(L.z);
  size_t b = 0;
  for (; b + 4 <= nl; b += 4) {
    const __m256d dx = _mm256_sub_pd(X, _mm256_loadu_pd(lx + b)), dy = _mm256_sub_pd(Y, _mm256_loadu_pd(ly + b));
    const __m256d d2 = _mm256_add_pd(_mm256_mul_pd(dx, dx), _mm256_mul_pd(dy, dy));
    const __m256d keep = _mm256_cmp_pd(d2, eps, _CMP_GT_OQ);
    const __m256d q = _mm256_div_pd(one, _mm256_add_pd(one, d2));
    const __m256d cq = _mm256_mul_pd(_mm256_loadu_pd(lc + b), q);
    const __m256d m = _mm256_mul_pd(cq, q);
    z = _mm256_blendv_pd(z, _mm256_add_pd(z, cq), keep);
    fx = _mm256_blendv_pd(fx, _mm256_add_pd(fx, _mm256_mul_pd(m, dx)), keep);
    fy = _mm256_blendv_pd(fy, _mm256_add_pd(fy, _mm256_mul_pd(m, dy)), keep);
  }
  _mm256_storeu_pd(L.fx, fx);
  _mm256_storeu_pd(L.fy, fy);
  _mm256_storeu_pd(L.z, z);
  return b;
}

// __builtin_cpu_init first: this initialiser may run before libgcc's own when the addon is loaded.
bool detectAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
const bool kAvx2 = detectAvx2();

struct Scratch {
  std::vector<int32_t> stack;
  std::vector<double> cx, cy, cc, lx, ly, lc;
};

// repulsionGroups(massX, massY, count, child, width, cell, start, members, y, theta, groupCount,
//                 negForce, sumQ, control, slot, avx2): groups claimed from control[slot] until groupCount;
//                 avx2 false runs the SSE2 lanes even where the CPU has AVX2 (the tests compare both).
Napi::Value RepulsionGroups(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 16) throw Napi::TypeError::New(env, "repulsionGroups takes 16 arguments");
  const bool avx2 = kAvx2 && info[15].As<Napi::Boolean>().Value();
  size_t nNodes = lengthOf<double>(info[0], "massX");
  nNodes = std::min(nNodes, lengthOf<double>(info[1], "massY"));
  nNodes = std::min(nNodes, lengthOf<int32_t>(info[2], "count"));
  nNodes = std::min(nNodes, lengthOf<int32_t>(info[3], "child"));
  nNodes = std::min(nNodes, lengthOf<double>(info[4], "width"));
  const double* massX = dataOf<double>(info[0], "massX", nNodes);
  const double* massY = dataOf<double>(info[1], "massY", nNodes);
  const int32_t* count = dataOf<int32_t>(info[2], "count", nNodes);
  const int32_t* child = dataOf<int32_t>(info[3], "child", nNodes);
  const double* width = dataOf<double>(info[4], "width", nNodes);
  const size_t nGroupsCap = lengthOf<int32_t>(info[5], "cell");
  const int32_t* cell = dataOf<int32_t>(info[5], "cell", nGroupsCap);
  const size_t nStart = lengthOf<int32_t>(info[6], "start");
  const int32_t* start = dataOf<int32_t>(info[6], "start", nStart);
  const size_t nMembers = lengthOf<int32_t>(info[7], "members");
  const int32_t* members = dataOf<int32_t>(info[7], "members", nMembers);
  const size_t n = lengthOf<double>(info[8], "y") / 2;
  const double* y = dataOf<double>(info[8], "y", 2 * n);
  const double theta = info[9].As<Napi::Number>().DoubleValue();
  const int64_t groupCount = info[10].As<Napi::Number>().Int64Value();
  double* negForce = dataOf<double>(info[11], "negForce", 2 * n);
  double* sumQ = dataOf<double>(info[12], "sumQ", n);
  const size_t nControl = lengthOf<int32_t>(info[13], "control");
  int32_t* control = dataOf<int32_t>(info[13], "control", nControl);
  const int64_t slot = info[14].As<Napi::Number>().Int64Value();
  if (slot < 0 || static_cast<size_t>(slot) >= nControl) throw Napi::RangeError::New(env, "slot outside control");
  if (groupCount < 0 || static_cast<size_t>(groupCount) > nGroupsCap || static_cast<size_t>(groupCount) + 1 > nStart)
    throw Napi::RangeError::New(env, "groupCount exceeds the groups' arrays");

  // One call serves a thread's whole share of a pass, so its scratch lives for the call.
  Scratch sc;
  const double reachPerWidth = 1 / theta;
  for (;;) {
    const int64_t g = __atomic_fetch_add(control + slot, 1, __ATOMIC_SEQ_CST);
    if (g >= groupCount) break;
    const int32_t from = start[g], to = start[g + 1];
    if (from < 0 || from > to || static_cast<size_t>(to) > nMembers || cell[g] < 0 || static_cast<size_t>(cell[g]) >= nNodes)
      throw Napi::RangeError::New(env, "malformed group " + std::to_string(g));
    const double gx = massX[cell[g]], gy = massY[cell[g]];
    double r2 = 0;
    for (int32_t k = from; k < to; k++) {
      const int32_t i = members[k];
      if (i < 0 || static_cast<size_t>(i) >= n) throw Napi::RangeError::New(env, "member outside the layout in group " + std::to_string(g));
      const double dx = y[2 * i] - gx, dy = y[2 * i + 1] - gy;
      const double d2 = dx * dx + dy * dy;
      if (d2 > r2) r2 = d2;
    }
    const double radius = std::sqrt(r2);
    sc.cx.clear(), sc.cy.clear(), sc.cc.clear(), sc.lx.clear(), sc.ly.clear(), sc.lc.clear(), sc.stack.clear();
    sc.stack.push_back(0);
    while (!sc.stack.empty()) {
      const int32_t node = sc.stack.back();
      sc.stack.pop_back();
      const int32_t cnt = count[node];
      if (cnt == 0) continue;
      const int32_t first = child[node];
      if (first < 0) {
        sc.lx.push_back(massX[node]), sc.ly.push_back(massY[node]), sc.lc.push_back(cnt);
        continue;
      }
      const double dx = gx - massX[node], dy = gy - massY[node];
      const double reach = width[node] * reachPerWidth + radius;
      if (dx * dx + dy * dy > reach * reach) {
        sc.cx.push_back(massX[node]), sc.cy.push_back(massY[node]), sc.cc.push_back(cnt);
        continue;
      }
      if (static_cast<size_t>(first) + 3 >= nNodes) throw Napi::RangeError::New(env, "child outside the tree at node " + std::to_string(node));
      for (int q = 0; q < 4; q++) sc.stack.push_back(first + q);
    }
    const double *cx = sc.cx.data(), *cy = sc.cy.data(), *cc = sc.cc.data();
    const double *lx = sc.lx.data(), *ly = sc.ly.data(), *lc = sc.lc.data();
    const size_t nc = sc.cx.size(), nl = sc.lx.size();
    for (int32_t k = from; k < to; k++) {
      const int32_t i = members[k];
      const double xi = y[2 * i], yi = y[2 * i + 1];
      Lanes L;
      size_t c = avx2 ? runsAvx2(xi, yi, cx, cy, cc, nc, L) : runsSse2(xi, yi, cx, cy, cc, nc, L);
      for (; c + 2 <= nc; c += 2) pairStep(xi, yi, cx, cy, cc, c, L.fx[0], L.fy[0], L.z[0]);
      for (; c < nc; c++) {
        const double dx = xi - cx[c], dy = yi - cy[c];
        const double q = 1 / (1 + dx * dx + dy * dy);
        const double cq = cc[c] * q;
        const double m = cq * q;
        L.z[0] += cq;
        L.fx[0] += m * dx;
        L.fy[0] += m * dy;
      }
      size_t a = avx2 ? leafRunsAvx2(xi, yi, lx, ly, lc, nl, L) : leafRunsSse2(xi, yi, lx, ly, lc, nl, L);
      for (; a < nl; a++) {
        const double dx = xi - lx[a], dy = yi - ly[a];
        const double d2 = dx * dx + dy * dy;
        if (d2 <= kDuplicateEps) continue;
        const double q = 1 / (1 + d2);
        const double cq = lc[a] * q;
        const double m = cq * q;
        L.z[0] += cq;
        L.fx[0] += m * dx;
        L.fy[0] += m * dy;
      }
      negForce[2 * i] = (L.fx[0] + L.fx[1]) + (L.fx[2] + L.fx[3]);
      negForce[2 * i + 1] = (L.fy[0] + L.fy[1]) + (L.fy[2] + L.fy[3]);
      sumQ[i] = (L.z[0] + L.z[1]) + (L.z[2] + L.z[3]);
    }
  }
  return env.Undefined();
}

// attractiveForces(indptr, indices, values, y, exaggeration, start, end, posForce): tsne-gradient.ts's
// attraction of points start..end-1, the same arithmetic (two edges per division) in the same order.
Napi::Value AttractiveForces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 8) throw Napi::TypeError::New(env, "attractiveForces takes 8 arguments");
  const size_t nPtr = lengthOf<int32_t>(info[0], "indptr");
  const int32_t* indptr = dataOf<int32_t>(info[0], "indptr", nPtr);
  const size_t nnz = lengthOf<int32_t>(info[1], "indices");
  const int32_t* indices = dataOf<int32_t>(info[1], "indices", nnz);
  const double* values = dataOf<double>(info[2], "values", nnz);
  const size_t n = lengthOf<double>(info[3], "y") / 2;
  const double* y = dataOf<double>(info[3], "y", 2 * n);
  const double exaggeration = info[4].As<Napi::Number>().DoubleValue();
  const int64_t start = info[5].As<Napi::Number>().Int64Value(), end = info[6].As<Napi::Number>().Int64Value();
  double* posForce = dataOf<double>(info[7], "posForce", 2 * n);
  if (start < 0 || start > end || static_cast<size_t>(end) > n || static_cast<size_t>(end) + 1 > nPtr)
    throw Napi::RangeError::New(env, "points outside the layout or P");
  for (int64_t i = start; i < end; i++) {
    const int32_t e0 = indptr[i], e1 = indptr[i + 1];
    if (e0 < 0 || e0 > e1 || static_cast<size_t>(e1) > nnz) throw Napi::RangeError::New(env, "malformed P at row " + std::to_string(i));
    for (int32_t e = e0; e < e1; e++)
      if (indices[e] < 0 || static_cast<size_t>(indices[e]) >= n)
        throw Napi::RangeError::New(env, "P's column outside the layout at row " + std::to_string(i));
    const double xi = y[2 * i], yi = y[2 * i + 1];
    double fx = 0, fy = 0;
    int32_t e = e0;
    for (; e + 1 < e1; e += 2) {
      const int32_t j = indices[e], k = indices[e + 1];
      const double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
      const double ex = xi - y[2 * k], ey = yi - y[2 * k + 1];
      const double u = 1 + dx * dx + dy * dy, v = 1 + ex * ex + ey * ey;
      const double r = 1 / (u * v);
      const double f = values[e] * exaggeration * (v * r), g = values[e + 1] * exaggeration * (u * r);
      fx += f * dx + g * ex;
      fy += f * dy + g * ey;
    }
    if (e < e1) {
      const int32_t j = indices[e];
      const double dx = xi - y[2 * j], dy = yi - y[2 * j + 1];
      const double f = (values[e] * exaggeration) / (1 + dx * dx + dy * dy);
      fx += f * dx;
      fy += f * dy;
    }
    posForce[2 * i] = fx;
    posForce[2 * i + 1] = fy;
  }
  return env.Undefined();
}

// quadtreeBuild(y, n, centreX, centreY, halfX, halfY, width, massX, massY, count, child, point) -> cell
// count, or -1 when the arrays (all of one capacity) are too small: quadtree.ts's QuadTree.build (the
// same bounds, inserts in point order and the same arithmetic), so the tree is the same bit for bit.
Napi::Value QuadtreeBuild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 12) throw Napi::TypeError::New(env, "quadtreeBuild takes 12 arguments");
  const int64_t n = info[1].As<Napi::Number>().Int64Value();
  const double* y = dataOf<double>(info[0], "y", 2 * static_cast<size_t>(std::max<int64_t>(n, 0)));
  if (n < 0) throw Napi::RangeError::New(env, "n is negative");
  const char* names[10] = {"centreX", "centreY", "halfX", "halfY", "width", "massX", "massY", "count", "child", "point"};
  size_t cap = SIZE_MAX;
  for (int a = 0; a < 7; a++) cap = std::min(cap, lengthOf<double>(info[2 + a], names[a]));
  for (int a = 7; a < 10; a++) cap = std::min(cap, lengthOf<int32_t>(info[2 + a], names[a]));
  double *cX = dataOf<double>(info[2], names[0], cap), *cY = dataOf<double>(info[3], names[1], cap);
  double *hX = dataOf<double>(info[4], names[2], cap), *hY = dataOf<double>(info[5], names[3], cap);
  double* wd = dataOf<double>(info[6], names[4], cap);
  double *mX = dataOf<double>(info[7], names[5], cap), *mY = dataOf<double>(info[8], names[6], cap);
  int32_t *cnt = dataOf<int32_t>(info[9], names[7], cap), *child = dataOf<int32_t>(info[10], names[8], cap);
  int32_t* point = dataOf<int32_t>(info[11], names[9], cap);
  size_t size = 0;
  auto newCell = [&](double cx, double cy, double hx, double hy) -> bool {
    if (size == cap) return false;
    const size_t c = size++;
    cX[c] = cx, cY[c] = cy, hX[c] = hx, hY[c] = hy;
    wd[c] = 2 * (hx > hy ? hx : hy);
    mX[c] = 0, mY[c] = 0, cnt[c] = 0, child[c] = -1, point[c] = -1;
    return true;
  };
  double minX = INFINITY, minY = INFINITY, maxX = -INFINITY, maxY = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    const double x = y[2 * i], v = y[2 * i + 1];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (v < minY) minY = v;
    if (v > maxY) maxY = v;
  }
  auto sign = [](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; };
  // Math.max of two numbers: NaN if either is.
  auto jsMax = [](double a, double b) { return std::isnan(a) || std::isnan(b) ? NAN : a > b ? a : b; };
  maxX = jsMax(maxX * (1 + 1e-3 * sign(maxX)), maxX + 1e-3);
  maxY = jsMax(maxY * (1 + 1e-3 * sign(maxY)), maxY + 1e-3);
  if (!newCell((minX + maxX) / 2, (minY + maxY) / 2, (maxX - minX) / 2, (maxY - minY) / 2)) return Napi::Number::New(env, -1);
  const double minHalf = 1e-12 * jsMax(maxX - minX, maxY - minY);
  for (int64_t p = 0; p < n; p++) {
    const double x = y[2 * p], v = y[2 * p + 1];
    size_t node = 0;
    for (;;) {
      if (child[node] >= 0) {
        cnt[node]++;
        mX[node] += x;
        mY[node] += v;
        node = static_cast<size_t>(child[node]) + (x >= cX[node] ? 1 : 0) + (v >= cY[node] ? 2 : 0);
        continue;
      }
      const int32_t held = cnt[node];
      if (held == 0) {
        point[node] = static_cast<int32_t>(p);
        cnt[node] = 1;
        mX[node] = x;
        mY[node] = v;
        break;
      }
      const int32_t q = point[node];
      const double qx = mX[node] / held, qy = mY[node] / held;
      if ((qx == x && qy == v) || hX[node] < minHalf) {
        cnt[node]++;
        mX[node] += x;
        mY[node] += v;
        break;
      }
      const size_t first = size;
      const double hx = hX[node] / 2, hy = hY[node] / 2, cx = cX[node], cy = cY[node];
      if (!newCell(cx - hx, cy - hy, hx, hy) || !newCell(cx + hx, cy - hy, hx, hy) || !newCell(cx - hx, cy + hy, hx, hy) ||
          !newCell(cx + hx, cy + hy, hx, hy))
        return Napi::Number::New(env, -1);
      const size_t qc = first + (qx >= cx ? 1 : 0) + (qy >= cy ? 2 : 0);
      cnt[qc] = held;
      mX[qc] = mX[node];
      mY[qc] = mY[node];
      point[qc] = q;
      child[node] = static_cast<int32_t>(first);
      point[node] = -1;
    }
  }
  for (size_t c = 0; c < size; c++) {
    const int32_t m = cnt[c];
    if (m > 0) {
      mX[c] /= m;
      mY[c] /= m;
    }
  }
  return Napi::Number::New(env, static_cast<double>(size));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("repulsionGroups", Napi::Function::New(env, RepulsionGroups));
  exports.Set("attractiveForces", Napi::Function::New(env, AttractiveForces));
  exports.Set("quadtreeBuild", Napi::Function::New(env, QuadtreeBuild));
  exports.Set("avx2", Napi::Boolean::New(env, kAvx2));
  return exports;
}

}  // namespace

NODE_API_MODULE(latentlens_embed, Init)
