// The replaced walks of rank's per-case importance (src/explain/importance/cpi-walk.ts's replacedPass),
// compiled ahead of time: every draw of one map in one call, the same double arithmetic in the same
// order and no FMA contraction, so the summed leaf values equal the TypeScript loop's bit for bit
// (test/explain/case-importance.test.ts compares them).
#include <cstdint>
#include <cstring>
#include <string>

#include "forest-args.h"

namespace forest {

// replacedWalks(treeStart, feature, bin, left, right, value, codes, n, rows, include, pathMask, W,
//               firstNode, nGroups, groupOf, local, g, nCols, rep, draws, baseLeaf, acc, work)
// Trees are packed end to end with global node indices (tree t's root is treeStart[t]); value holds K
// = acc.length / rows.length values per node. rep[(r * nCols + q) * m + i] is draw r's code of map g's
// q-th column for case i. work (draws x m x K) gets acc plus, for every (tree, case) path that reads
// map g, its replaced leaf's values minus its base leaf's.
Napi::Value ReplacedWalks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 23) throw Napi::TypeError::New(env, "replacedWalks takes 23 arguments");
  const size_t T1 = lengthOf<int32_t>(info[0], "treeStart");
  if (T1 < 1) throw Napi::RangeError::New(env, "treeStart is empty");
  const int32_t* treeStart = dataOf<int32_t>(info[0], "treeStart", T1);
  const int64_t T = static_cast<int64_t>(T1) - 1;
  const size_t nNodes = lengthOf<int32_t>(info[1], "feature");
  const int32_t* feature = dataOf<int32_t>(info[1], "feature", nNodes);
  const uint8_t* bin = dataOf<uint8_t>(info[2], "bin", nNodes);
  const int32_t* left = dataOf<int32_t>(info[3], "left", nNodes);
  const int32_t* right = dataOf<int32_t>(info[4], "right", nNodes);
  const int64_t n = info[7].As<Napi::Number>().Int64Value();
  const size_t m = lengthOf<int32_t>(info[8], "rows");
  const int32_t* rows = dataOf<int32_t>(info[8], "rows", m);
  const size_t accLen = lengthOf<double>(info[21], "acc");
  if (m == 0 || accLen % m != 0) throw Napi::RangeError::New(env, "acc must hold K values per case");
  const size_t K = accLen / m;
  const double* acc = dataOf<double>(info[21], "acc", accLen);
  const double* value = dataOf<double>(info[5], "value", nNodes * K);
  const size_t d = lengthOf<int32_t>(info[14], "groupOf");
  const int32_t* groupOf = dataOf<int32_t>(info[14], "groupOf", d);
  const int32_t* local = dataOf<int32_t>(info[15], "local", d);
  const uint8_t* codes = dataOf<uint8_t>(info[6], "codes", static_cast<size_t>(n) * d);
  const uint8_t* include = dataOf<uint8_t>(info[9], "include", T * m);
  const int W = info[11].As<Napi::Number>().Int32Value();
  const int G = info[13].As<Napi::Number>().Int32Value();
  const int g = info[16].As<Napi::Number>().Int32Value();
  const int nc = info[17].As<Napi::Number>().Int32Value();
  const int R = info[19].As<Napi::Number>().Int32Value();
  if (W < 1 || G < 1 || g < 0 || g >= G || W != (G + 31) / 32 || nc < 1 || R < 1)
    throw Napi::RangeError::New(env, "W, nGroups, g, nCols or draws out of range");
  const int32_t* pathMask = dataOf<int32_t>(info[10], "pathMask", T * m * W);
  const bool byFirst = W == 1;
  const int32_t* firstNode = dataOf<int32_t>(info[12], "firstNode", byFirst ? T * m * G : 0);
  const uint8_t* rep = dataOf<uint8_t>(info[18], "rep", static_cast<size_t>(R) * nc * m);
  const int32_t* baseLeaf = dataOf<int32_t>(info[20], "baseLeaf", T * m);
  double* work = dataOf<double>(info[22], "work", static_cast<size_t>(R) * m * K);
  // Every index the walk follows is checked here, once, so the walk itself reads in bounds.
  for (int64_t t = 0; t < T; t++)
    if (treeStart[t] < 0 || treeStart[t] >= treeStart[t + 1] || treeStart[t + 1] > static_cast<int32_t>(nNodes))
      throw Napi::RangeError::New(env, "treeStart is not increasing within the nodes at tree " + std::to_string(t));
  for (size_t v = 0; v < nNodes; v++)
    if (left[v] >= 0 && (left[v] >= static_cast<int32_t>(nNodes) || right[v] < 0 || right[v] >= static_cast<int32_t>(nNodes) ||
                         feature[v] < 0 || feature[v] >= static_cast<int32_t>(d)))
      throw Napi::RangeError::New(env, "malformed tree at node " + std::to_string(v));
  for (size_t i = 0; i < m; i++)
    if (rows[i] < 0 || rows[i] >= n) throw Napi::RangeError::New(env, "rows out of range at " + std::to_string(i));
  for (size_t f = 0; f < d; f++)
    if (groupOf[f] < 0 || groupOf[f] >= G || (groupOf[f] == g && (local[f] < 0 || local[f] >= nc)))
      throw Napi::RangeError::New(env, "groupOf or local out of range at column " + std::to_string(f));
  const int word = g >> 5;
  const int32_t bit = static_cast<int32_t>(1u << (g & 31));
  for (int64_t t = 0; t < T; t++)
    for (size_t i = 0; i < m; i++) {
      const size_t p = t * m + i;
      if (include[p] == 0 || (pathMask[p * W + word] & bit) == 0) continue;
      const int32_t s = byFirst ? firstNode[p * G + g] : treeStart[t];
      if (s < treeStart[t] || s >= treeStart[t + 1] || baseLeaf[p] < treeStart[t] || baseLeaf[p] >= treeStart[t + 1])
        throw Napi::RangeError::New(env, "firstNode or baseLeaf outside its tree at path " + std::to_string(p));
    }

  const size_t mK = m * K;
  for (int r = 0; r < R; r++) std::memcpy(work + r * mK, acc, mK * sizeof(double));
  // Each path's draws one after another: they share its nodes and its row's codes, which the first draw
  // brings into cache. Every (draw, case) still adds its trees in index order, as the TypeScript loop.
  const size_t repDraw = static_cast<size_t>(nc) * m;
  for (int64_t t = 0; t < T; t++) {
    const size_t tb = t * m;
    for (size_t i = 0; i < m; i++) {
      if (include[tb + i] == 0 || (pathMask[(tb + i) * W + word] & bit) == 0) continue;
      const uint8_t* col = codes + rows[i];
      const uint8_t* ri = rep + i;
      const int32_t start = byFirst ? firstNode[(tb + i) * G + g] : treeStart[t];
      const int32_t b = baseLeaf[tb + i];
      for (int r = 0; r < R; r++, ri += repDraw) {
        int32_t node = start;
        while (left[node] >= 0) {
          const int32_t f = feature[node];
          const uint8_t code = groupOf[f] == g ? ri[local[f] * m] : col[f * n];
          node = code <= bin[node] ? left[node] : right[node];
        }
        if (node != b) {
          double* wr = work + r * mK + i * K;
          for (size_t k = 0; k < K; k++) wr[k] += value[node * K + k] - value[b * K + k];
        }
      }
    }
  }
  return env.Undefined();
}

}  // namespace forest
