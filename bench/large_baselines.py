#!/usr/bin/python3
"""Peers of embedscope-bench --large on the same table file, the way a NumPy / scikit-learn
user does it: read the safetensors tensor into a float32 array (BF16 / F16 widened), then

  pca         sklearn.decomposition.PCA(n_components=K, svd_solver="randomized").fit(X)
  neighbours  cosine of one row with every row (norms, X @ q, argpartition), then later
              queries with the norms kept

Prints one JSON object: load_s, the work's seconds, peak resident kB (ru_maxrss), results.
Run by the benchmark (bench/bench_large.cpp); not needed by the tests or the program."""
import json
import resource
import struct
import sys
import time


def load(path, tensor):
    import numpy as np
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
    info = header[tensor]
    begin = 8 + size + info["data_offsets"][0]
    rows, cols = info["shape"]
    dtype = info["dtype"]
    if dtype == "F32":
        return np.fromfile(path, dtype=np.float32, count=rows * cols, offset=begin).reshape(rows, cols)
    raw = np.fromfile(path, dtype=np.uint16, count=rows * cols, offset=begin)
    if dtype == "BF16":
        return (raw.astype(np.uint32) << 16).view(np.float32).reshape(rows, cols)
    if dtype == "F16":
        return raw.view(np.float16).astype(np.float32).reshape(rows, cols)
    raise SystemExit("unsupported dtype " + dtype)


def main():
    what, path, tensor = sys.argv[1], sys.argv[2], sys.argv[3]
    k = int(sys.argv[4])
    import numpy as np
    out = {"numpy": np.__version__}
    t0 = time.perf_counter()
    x = load(path, tensor)
    out["load_s"] = time.perf_counter() - t0
    if what == "pca":
        import sklearn
        from sklearn.decomposition import PCA
        out["sklearn"] = sklearn.__version__
        t1 = time.perf_counter()
        pca = PCA(n_components=k, svd_solver="randomized", random_state=0).fit(x)
        out["work_s"] = time.perf_counter() - t1
        out["ratios"] = [float(r) for r in pca.explained_variance_ratio_]
    elif what == "neighbours":
        query_id = int(sys.argv[5])

        def top(norms, qid):
            q = x[qid]
            s = (x @ q) / (norms * np.linalg.norm(q))
            s[qid] = -np.inf
            part = np.argpartition(-s, k)[:k]
            return [int(i) for i in part[np.argsort(-s[part], kind="stable")]]

        t1 = time.perf_counter()
        norms = np.sqrt(np.einsum("ij,ij->i", x, x))
        out["ids"] = top(norms, query_id)
        out["work_s"] = time.perf_counter() - t1
        later = []
        for i in range(5):
            t2 = time.perf_counter()
            top(norms, (query_id + 7919 * (i + 1)) % x.shape[0])
            later.append(time.perf_counter() - t2)
        out["later_s"] = sorted(later)[len(later) // 2]
    out["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out))


if __name__ == "__main__":
    main()
