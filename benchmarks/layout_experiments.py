"""Two faster window layouts that were tried and not kept, measured against the default.

    python benchmarks/layout_experiments.py [--seeds 0 1 2] [--sizes 780 1300 2600] [--configs NAME ...]

The UMAP layout (its SGD epochs above all) is most of a window's time, so these are the two
ways to make it cheaper that this session tried (benchmarks/RESULTS.md, "tried and not kept"):

- **float32 epochs**: umap-learn's SGD (``optimize_layout_euclidean``) rewritten with the same
  steps, edges, negative samples and random numbers, but its gradient in float32 instead of
  float64 (umap-learn computes ``pow`` in double precision). A scratch check, not repeated
  here, found that the same kernel with float64 maths gives umap-learn's layout to the bit,
  so only the precision differs.
- **warm start**: each window's layout starts from the previous window's (a report keeps its
  place; a new one starts at the mean place of its laid-out neighbours) and runs fewer epochs.

For each: seconds of the epochs alone (median of 8 layouts of the first n distinct real
posts), and the quality of the detector over the TREC-IS stream (``detect.py stream``: ARI,
BCubed F1 and events found, means over the seeds).
"""
from __future__ import annotations

import argparse
import contextlib
import time
import warnings

import numpy as np
import pandas as pd

from detect import _over_seeds, aligned_stream, embed, events_found, trecis_posts
from socialnlp.cluster import IncidentDetector, warm_up
from socialnlp.cluster.quality import cluster_quality
from layout import UmapLearnLayout
from socialnlp.cluster.stages import UMAPReducer, _unit_rows, exact_knn, one_blas_thread

warnings.filterwarnings("ignore")


def _compile_float32_epochs():
    import numba
    from umap.utils import tau_rand_int

    @numba.njit(fastmath=True, nogil=True, cache=True)
    def epochs(emb, head, tail, eps, a, b, rng, gamma, neg_rate, n_epochs, alpha0):
        n_vertices, dim = emb.shape
        a, b, bm1, gamma = np.float32(a), np.float32(b), np.float32(b - 1.0), np.float32(gamma)
        per_negative = eps / neg_rate
        next_negative, next_sample = per_negative.copy(), eps.copy()
        alpha, four = np.float32(alpha0), np.float32(4.0)
        for n in range(n_epochs):
            for i in range(eps.shape[0]):
                if next_sample[i] > n:
                    continue
                j, k = head[i], tail[i]
                d2 = np.float32(0.0)
                for d in range(dim):
                    d2 += (emb[j, d] - emb[k, d]) ** 2
                if d2 > 0.0:
                    p = d2 ** bm1
                    g = np.float32(-2.0) * a * b * p / (a * p * d2 + np.float32(1.0))
                    for d in range(dim):
                        step = min(max(g * (emb[j, d] - emb[k, d]), -four), four) * alpha
                        emb[j, d] += step
                        emb[k, d] -= step
                next_sample[i] += eps[i]
                n_neg = int((n - next_negative[i]) / per_negative[i])
                for _ in range(n_neg):
                    k = tau_rand_int(rng[j]) % n_vertices
                    d2 = np.float32(0.0)
                    for d in range(dim):
                        d2 += (emb[j, d] - emb[k, d]) ** 2
                    if d2 > 0.0:
                        g = np.float32(2.0) * gamma * b / ((np.float32(0.001) + d2) * (a * d2 ** b + np.float32(1.0)))
                        for d in range(dim):
                            emb[j, d] += min(max(g * (emb[j, d] - emb[k, d]), -four), four) * alpha
                next_negative[i] += n_neg * per_negative[i]
            alpha = np.float32(alpha0 * (1.0 - n / n_epochs))
        return emb

    return epochs


_EPOCHS32 = None


def float32_epochs(head_embedding, tail_embedding, head, tail, n_epochs, n_vertices, epochs_per_sample, a, b,
                   rng_state, gamma=1.0, initial_alpha=1.0, negative_sample_rate=5.0, **_):
    """Drop-in for ``umap.umap_.optimize_layout_euclidean`` (euclidean output, both ends move)."""
    global _EPOCHS32
    if _EPOCHS32 is None:
        _EPOCHS32 = _compile_float32_epochs()
    per_vertex = (np.full((len(head_embedding), 3), rng_state, dtype=np.int64)
                  + head_embedding[:, 0].astype(np.float64).view(np.int64).reshape(-1, 1))   # as umap-learn seeds them
    return _EPOCHS32(head_embedding, head, tail, epochs_per_sample, a, b, per_vertex, gamma,
                     float(negative_sample_rate), n_epochs, initial_alpha)


@contextlib.contextmanager
def epochs_kernel(kernel):
    """umap-learn's graph, start and pruning as always; ``kernel`` runs the epochs."""
    import umap.umap_ as umap_

    original = umap_.optimize_layout_euclidean
    umap_.optimize_layout_euclidean = kernel or original
    try:
        yield
    finally:
        umap_.optimize_layout_euclidean = original


class Float32Layout(UmapLearnLayout):
    """The default layout with float32 epochs (in place of umap-learn's, so through its layout step)."""

    def _umap_steps(self, X, k, knn):
        with epochs_kernel(float32_epochs):
            return super()._umap_steps(X, k, knn)


class WarmStartDetector(IncidentDetector):
    """Each window's layout starts where the previous window left its reports, for ``warm_epochs``
    epochs at learning rate ``warm_rate`` (a cold spectral start when under half the reports are known)."""

    def __init__(self, warm_epochs: int = 15, warm_rate: float = 0.5, **params):
        super().__init__(**params)
        self.warm_epochs = warm_epochs
        self.warm_rate = warm_rate

    def _layout(self, item):
        V, ids, placed = item["V"], item["ids"], getattr(self, "_placed", {})
        if len(V) < 40 or (self.max_fit and len(V) > self.max_fit):
            self._placed = {}
            return super()._layout(item)
        known = np.array([int(r) in placed for r in ids])
        if known.mean() < 0.5:
            Z = UMAPReducer(random_state=self.random_state).fit_transform(V)
        else:
            X = _unit_rows(V)
            with one_blas_thread():
                neighbours = exact_knn(X, 15)[0]
            start = np.zeros((len(V), 5), dtype=np.float32)
            start[known] = np.stack([placed[int(r)] for r in ids[known]])
            centre = start[known].mean(axis=0)
            for i in np.flatnonzero(~known):
                near = [j for j in neighbours[i, 1:] if known[j]]
                start[i] = start[near].mean(axis=0) if near else centre
            Z = _WarmUMAP(start, self.warm_epochs, self.warm_rate, self.random_state).fit_transform(V)
        self._placed = dict(zip(ids.tolist(), Z))   # by report id
        return np.arange(len(V)), Z


class _WarmUMAP(UMAPReducer):
    def __init__(self, start=None, n_epochs=15, learning_rate=0.5, random_state=0):
        super().__init__(n_epochs=n_epochs, random_state=random_state)
        self.start = start
        self.learning_rate = learning_rate

    def _layout(self, X):
        from umap import UMAP

        knn = exact_knn(X, min(self.n_neighbors, len(X) - 1))
        return np.asarray(UMAP(n_components=5, n_neighbors=knn[0].shape[1], min_dist=0.0, n_epochs=self.n_epochs,
                               init=self.start, learning_rate=self.learning_rate, random_state=self.random_state,
                               negative_sample_rate=self.negative_sample_rate, precomputed_knn=knn + (None,),
                               force_approximation_algorithm=True).fit_transform(X), dtype=np.float32)


def time_epochs(X: np.ndarray, sizes: list[int]) -> None:
    print("seconds of the layout epochs (median of 8; same graph and start):")
    for n in sizes:
        times = {"umap-learn (float64)": [], "float32 epochs": []}
        for _ in range(8):
            for name, kernel in (("umap-learn (float64)", None), ("float32 epochs", float32_epochs)):
                with epochs_kernel(_timed(kernel, times[name])):
                    UmapLearnLayout().fit_transform(X[:n])
        base = np.median(times["umap-learn (float64)"])
        print(f"  {n:>5} rows: " + ", ".join(f"{name} {np.median(t) * 1000:.1f} ms ({base / np.median(t):.2f}x)"
                                            for name, t in times.items()))


def _timed(kernel, into: list):
    import umap.umap_ as umap_

    run = kernel or umap_.optimize_layout_euclidean

    def timed(*args, **kwargs):
        t = time.perf_counter()
        out = run(*args, **kwargs)
        into.append(time.perf_counter() - t)
        return out
    return timed


# n_jobs=1: the variants patch this process (the epochs kernel, _layout); the layout helpers would not see it
CONFIGS = {
    "default layout": lambda seed: IncidentDetector(classifier=None, rule=False, random_state=seed, n_jobs=1),
    "float32 epochs": lambda seed: IncidentDetector(classifier=None, rule=False, random_state=seed, n_jobs=1,
                                                    reducer=Float32Layout()),
    "warm start, 15 epochs, rate 0.5": lambda seed: WarmStartDetector(15, 0.5, classifier=None, rule=False,
                                                                      random_state=seed, n_jobs=1),
    "warm start, 30 epochs, rate 0.3": lambda seed: WarmStartDetector(30, 0.3, classifier=None, rule=False,
                                                                      random_state=seed, n_jobs=1),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--sizes", type=int, nargs="+", default=[780, 1300, 2600])
    ap.add_argument("--configs", nargs="+", choices=list(CONFIGS), default=list(CONFIGS),
                    help="which layouts to run over the stream (default: all)")
    args = ap.parse_args()
    stream = aligned_stream(trecis_posts())
    V = embed(stream["text"])
    warm_up("umap", "hdbscan")
    Float32Layout().fit_transform(V[:300])   # compile the kernel before timing
    time_epochs(_unit_rows(embed(stream["text"].drop_duplicates().head(max(args.sizes)))), args.sizes)
    rows = []
    for name in args.configs:
        make, runs = CONFIGS[name], []
        for seed in args.seeds:
            t = time.perf_counter()
            posts = make(seed).fit(stream, embeddings=V).posts_
            runs.append({**cluster_quality(posts["event"], posts["incident_id"]), "seconds": time.perf_counter() - t,
                         "events_found": events_found(posts["event"], posts["incident_id"])})
        rows.append(_over_seeds(name, runs))
        print(rows[-1], flush=True)
    frame = pd.DataFrame(rows).round(3)
    print(f"\nTREC-IS stream, means over seeds {args.seeds}:")
    print(frame[["method", "ari", "ari_sd", "bcubed_f1", "events_found", "seconds"]].to_string(index=False))


if __name__ == "__main__":
    main()
