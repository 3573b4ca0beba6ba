"""UMAP's layout step (``simplicial_set_embedding``) for one window, with a cheaper SGD loop.

umap-learn's epochs are a third of the detector's CPU (benchmarks/RESULTS.md), and half of
their time is ``pow``: two calls per edge sample (``d**b`` and ``d**(b-1)``) and one per
negative sample. Here the edge sample calls ``pow`` once and divides (``d**(b-1) = d**b / d``),
a negative sample's vertex comes from an exact modulo without an integer division, and all
epochs run in one compiled call. Everything else is umap-learn's, step for step: its
graph pruning, spectral start with the same noise, epochs per sample, random numbers and
update order, in float64 maths on a float32 layout.

The division differs from a second ``pow`` in the last bit of a float64 at most, and each
step is rounded to float32 when it is added to the layout, so the layout is umap-learn's to
the bit (tests/test_stages.py compares it with ``umap.UMAP`` for three starts, seeds and
sizes; ``benchmarks/layout.py`` on real windows); a flip in that rounding is possible in
principle and would give an equally good, different layout.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8)
def ab_params(spread: float, min_dist: float) -> tuple[float, float]:
    """umap-learn's ``find_ab_params`` (a curve fit, ~1 ms), once per setting instead of per window."""
    from umap.umap_ import find_ab_params

    a, b = find_ab_params(spread, min_dist)
    return float(a), float(b)


def embed_graph(X: np.ndarray, graph, n_components: int, min_dist: float, n_epochs: int,
                negative_sample_rate: int, init: str, random_state: np.random.RandomState) -> np.ndarray:
    """umap-learn's ``simplicial_set_embedding`` for euclidean output without densMAP, spread 1,
    learning rate 1, repulsion 1: the same random draws in the same order."""
    from umap.distances import named_distances
    from umap.spectral import spectral_layout
    from umap.umap_ import INT32_MAX, INT32_MIN, make_epochs_per_sample, noisy_scale_coords

    if n_epochs <= 10:
        raise ValueError("embed_graph needs n_epochs > 10 (umap-learn prunes fewer epochs by another rule)")
    graph = graph.tocoo()
    graph.sum_duplicates()
    graph.data[graph.data < graph.data.max() / float(n_epochs)] = 0.0
    graph.eliminate_zeros()
    if init == "random":
        start = random_state.uniform(low=-10.0, high=10.0, size=(graph.shape[0], n_components)).astype(np.float32)
    elif init == "spectral":
        # the metric as a function, as umap-learn passes it (a graph in pieces lays them out by it)
        start = noisy_scale_coords(spectral_layout(X, graph, n_components, random_state,
                                                   metric=named_distances["euclidean"], metric_kwds={}),
                                   random_state, max_coord=10, noise=0.0001)
    else:
        raise ValueError(f"init must be 'spectral' or 'random' here, not {init!r}")
    epochs_per_sample = make_epochs_per_sample(graph.data, n_epochs)
    rng_state = random_state.randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
    low, high = np.min(start, 0), np.max(start, 0)
    layout = (10.0 * (start - low) / (high - low)).astype(np.float32, order="C")
    per_vertex = (np.full((len(layout), 3), rng_state, dtype=np.int64)
                  + layout[:, 0].astype(np.float64).view(np.int64).reshape(-1, 1))   # as umap-learn seeds them
    a, b = ab_params(1.0, min_dist)
    _kernel()(layout, graph.row, graph.col, epochs_per_sample, a, b, per_vertex, float(negative_sample_rate),
              int(n_epochs))
    return layout


@lru_cache(maxsize=1)
def _modulo():
    import numba

    @numba.njit(inline="always")
    def modulo(x, n, inverse):
        """``x % n`` (Python's: ``0 <= result < n``) for an int64 ``x`` below 2**62 in size and a
        positive ``n`` with ``inverse = 1 / n``: the quotient from the float reciprocal is off by at
        most a few units (``x`` has up to 62 bits, a float64 53), and exact integer steps correct
        it. A 64-bit integer division per negative sample cost 3 % of the epochs."""
        r = x - np.int64(np.floor(x * inverse)) * n
        while r < 0:
            r += n
        while r >= n:
            r -= n
        return r

    return modulo


@lru_cache(maxsize=1)
def _kernel():
    import numba
    from umap.utils import tau_rand_int

    modulo = _modulo()

    @numba.njit(fastmath=True, nogil=True, cache=True)
    def epochs(layout, head, tail, epochs_per_sample, a, b, rng, negative_sample_rate, n_epochs):
        """umap-learn's ``optimize_layout_euclidean`` with ``move_other``, gamma 1, alpha 1 at the start."""
        n_vertices, dim = layout.shape
        inverse = 1.0 / n_vertices
        epochs_per_negative_sample = epochs_per_sample / negative_sample_rate
        next_negative = epochs_per_negative_sample.copy()
        next_sample = epochs_per_sample.copy()
        alpha = 1.0
        for n in range(n_epochs):
            for i in range(epochs_per_sample.shape[0]):
                if next_sample[i] > n:
                    continue
                j = head[i]
                k = tail[i]
                d2 = np.float32(0.0)
                for d in range(dim):
                    diff = layout[j, d] - layout[k, d]
                    d2 += diff * diff
                if d2 > 0.0:
                    d2_b = pow(d2, b)
                    g = -2.0 * a * b * (d2_b / d2)
                    g /= a * d2_b + 1.0
                else:
                    g = 0.0
                for d in range(dim):
                    step = min(max(g * (layout[j, d] - layout[k, d]), -4.0), 4.0)
                    layout[j, d] += step * alpha
                    layout[k, d] += -step * alpha
                next_sample[i] += epochs_per_sample[i]
                n_negative = int((n - next_negative[i]) / epochs_per_negative_sample[i])
                s = rng[j]
                for _ in range(n_negative):
                    k = modulo(tau_rand_int(s), n_vertices, inverse)   # umap-learn's own random numbers
                    d2 = np.float32(0.0)
                    for d in range(dim):
                        diff = layout[j, d] - layout[k, d]
                        d2 += diff * diff
                    if d2 > 0.0:
                        g = 2.0 * b
                        g /= (0.001 + d2) * (a * pow(d2, b) + 1)
                    elif j == k:
                        continue
                    else:
                        g = 0.0
                    if g > 0.0:
                        for d in range(dim):
                            layout[j, d] += min(max(g * (layout[j, d] - layout[k, d]), -4.0), 4.0) * alpha
                next_negative[i] += n_negative * epochs_per_negative_sample[i]
            alpha = 1.0 - float(n) / float(n_epochs)

    return epochs
