"""scikit-learn peer for bench/forest.ts: times RandomForestClassifier fit (with OOB score) on the same data.

Usage: python3 sklearn_forest.py <features.f32> <labels.i32> <n> <d> <trees> <n_jobs> <repeats>
Prints one JSON object: {"fit_s": [...], "oob": ..}.
"""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier


def main():
    xf, yf, n, d, trees, jobs, repeats = sys.argv[1:8]
    n, d, trees, jobs, repeats = int(n), int(d), int(trees), int(jobs), int(repeats)
    X = np.fromfile(xf, dtype=np.float32).reshape(n, d)
    y = np.fromfile(yf, dtype=np.int32)
    times = []
    oob = None
    for r in range(repeats):
        clf = RandomForestClassifier(n_estimators=trees, n_jobs=jobs, oob_score=True, random_state=r)
        t0 = time.perf_counter()
        clf.fit(X, y)
        times.append(time.perf_counter() - t0)
        oob = clf.oob_score_ if oob is None else oob
    print(json.dumps({"fit_s": times, "oob": oob}))


if __name__ == "__main__":
    main()
