"""One window's UMAP layout: umap-learn's layout step against socialnlp's, on real windows.

    python benchmarks/layout.py [--windows 49] [--rows 780] [--repeats 2]

Windows of ``--rows`` consecutive posts of the growth stream (``stream.py``: real posts, 600
an hour, so 780 rows is a 60-minute window with its carried outliers), every 600 posts.
Each window is laid out by ``UMAPReducer`` twice, alternating: with umap-learn's own layout
step (``simplicial_set_embedding``, the baseline) and with socialnlp's
(:mod:`socialnlp.cluster.sgd`), from the same exact neighbours and graph. Prints the
milliseconds per layout (the whole reducer: neighbours, graph, start and epochs), the ratio,
and in how many windows the two layouts are the same to the bit. Then the exact neighbours
of the same windows (``exact_knn``): the similarities as one product per block of rows (the
baseline), or as one product ``X @ X.T`` on one thread (the layout helpers) and on two (the
detector's own process): wall and CPU milliseconds per window, and whether the neighbours and
distances are the same to the bit.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # as in the layout helpers: numba's idle threads sleep at once

import numpy as np

from socialnlp.cluster import stages
from socialnlp.cluster.stages import UMAPReducer
from stream import embed, timed_stream

warnings.filterwarnings("ignore")


class UmapLearnLayout(UMAPReducer):
    """The default reducer with umap-learn's own layout step (the baseline)."""

    def _embed(self, X, graph, random_state):
        return self._umap_layout(X, graph, random_state)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, default=49)
    ap.add_argument("--rows", type=int, default=780)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    posts = timed_stream(600 * args.windows + args.rows, 600)
    V = embed(posts["text"].tolist())
    windows = [V[s:s + args.rows] for s in range(0, 600 * args.windows, 600)]
    methods = {"umap-learn's layout step (baseline)": UmapLearnLayout, "socialnlp.cluster.sgd": UMAPReducer}
    for make in methods.values():
        make().fit_transform(windows[0])   # compiled code loaded, not timed
    seconds = {name: 0.0 for name in methods}
    same = 0
    for _ in range(args.repeats):
        for X in windows:
            out = []
            for name, make in methods.items():
                t = time.perf_counter()
                out.append(make().fit_transform(X))
                seconds[name] += time.perf_counter() - t
            same += np.array_equal(*out)
    n = len(windows) * args.repeats
    base = seconds["umap-learn's layout step (baseline)"]
    print(f"{len(windows)} windows of {args.rows} real posts, each laid out {args.repeats} times by both")
    for name, s in seconds.items():
        print(f"  {name:38s} {s / n * 1000:6.1f} ms per layout   {base / s:.2f}x")
    print(f"  the same layout to the bit: {same} of {n}")
    print("exact neighbours (k=15) of the same windows, per window:")
    X = [stages._unit_rows(w) for w in windows]
    runs = {"one product per block of rows (2 blocks)": (0, 1), "one product X @ X.T (syrk), 1 thread": (4096, 1),
            "one product X @ X.T (syrk), 2 threads": (4096, 2)}
    results = []
    for name, (whole, threads) in runs.items():
        stages.WHOLE_PRODUCT_ROWS, stages.KNN_THREADS = whole, threads
        stages.exact_knn(X[0], 15)
        wall, cpu = time.perf_counter(), time.process_time()
        with stages.one_blas_thread():
            results.append([stages.exact_knn(x, 15) for _ in range(args.repeats) for x in X])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"  {name:42s} wall {wall / n * 1000:5.2f} ms   CPU {cpu / n * 1000:5.2f} ms")
    stages.WHOLE_PRODUCT_ROWS, stages.KNN_THREADS = 4096, 2
    same = [all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(results[0], r))
            for r in results[1:]]
    print("  the same neighbours and distances as the blocks' products:", same)

if __name__ == "__main__":
    main()
