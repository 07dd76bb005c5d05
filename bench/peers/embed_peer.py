# scikit-learn peer of the embed benchmark: TSNE on the same float32 matrix latentlens embeds.
# Usage: python3 embed_peer.py <matrix.f32> <n> <d> <perplexity> <iterations> <threads> <seed> <out.f32>
# Prints one JSON line {"seconds": ...}: the fit alone (reading the file and importing excluded).
import json, sys, time
import numpy as np
from sklearn.manifold import TSNE

path, n, d, perplexity, iterations, threads, seed, out = sys.argv[1:9]
x = np.fromfile(path, dtype=np.float32).reshape(int(n), int(d))
model = TSNE(n_components=2, perplexity=float(perplexity), n_iter=int(iterations), init='pca',
             learning_rate='auto', method='barnes_hut', angle=0.5, n_jobs=int(threads),
             random_state=int(seed))
start = time.perf_counter()
y = model.fit_transform(x)
seconds = time.perf_counter() - start
y.astype(np.float32).tofile(out)
print(json.dumps({"seconds": seconds, "n_iter": int(model.n_iter_), "kl": float(model.kl_divergence_)}))
