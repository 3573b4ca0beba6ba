"""The window stages: a UMAP layout that depends only on the seed, neighbours, compiled-code cache."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from socialnlp.cluster import stages
from socialnlp.cluster.stages import (UMAPReducer, _unit_rows, cache_umap_compilation, exact_knn,
                                      one_blas_thread)


def _topics(n=1500, dim=512, k=20, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim))
    X = centres[rng.integers(0, k, n)] + 0.8 * rng.normal(size=(n, dim))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


def test_umap_layout_does_not_depend_on_the_number_of_blas_threads():
    # UMAP's PCA start differs in the 6th digit between 1 and 2 BLAS threads, and the seeded
    # optimisation amplifies that into another layout (a Ray worker runs with 1 thread)
    X = _topics()
    with threadpool_limits(1):
        one = UMAPReducer().fit_transform(X)
    with threadpool_limits(2):
        two = UMAPReducer().fit_transform(X)
    np.testing.assert_array_equal(one, two)


def test_exact_knn_matches_a_full_sort():
    X = _topics(n=300)
    idx, dist = exact_knn(X, 10, block=64)
    D = np.sqrt(np.clip(2 - 2 * (X @ X.T), 0, None))
    np.fill_diagonal(D, -1)
    expected = np.argsort(D, axis=1, kind="stable")[:, :10]
    assert (idx[:, 0] == np.arange(len(X))).all() and (dist[:, 0] == 0).all()
    np.testing.assert_array_equal(np.sort(idx[:, 1:], axis=1), np.sort(expected[:, 1:], axis=1))
    np.testing.assert_allclose(dist[:, 1:], np.take_along_axis(D, idx[:, 1:], axis=1), atol=1e-3)


@pytest.mark.parametrize("n, block, whole, threads", [(300, 1024, 4096, 2), (700, 1024, 4096, 2), (700, 64, 4096, 2),
                                                     (700, 1024, 0, 2), (700, 64, 0, 1), (700, 1024, 4096, 1)])
def test_exact_knn_breaks_ties_by_row_whatever_the_blocks_and_threads(n, block, whole, threads, monkeypatch):
    # whole: the similarities as one product X @ X.T up to that many rows, else one per block
    # four entries of 0.5 per row: every similarity is a multiple of 0.25, exact in any summation
    # order, so most neighbours tie; the lower row wins, as a full stable sort has it
    rng = np.random.default_rng(1)
    X = np.zeros((n, 32), dtype=np.float32)
    for row in X:
        row[rng.choice(32, 4, replace=False)] = 0.5
    monkeypatch.setattr(stages, "WHOLE_PRODUCT_ROWS", whole)
    monkeypatch.setattr(stages, "KNN_THREADS", threads)
    idx, dist = exact_knn(X, 15, block=block)
    sims = X @ X.T
    np.fill_diagonal(sims, np.inf)
    expected = np.argsort(-sims, axis=1, kind="stable")[:, :15]
    np.testing.assert_array_equal(idx, expected)
    np.testing.assert_array_equal(dist[:, 1:], np.sqrt(2 - 2 * np.take_along_axis(sims, expected, axis=1))[:, 1:])


def test_exact_knn_gives_the_same_neighbours_from_one_product_as_from_blocks(monkeypatch):
    # numpy computes X @ X.T as a symmetric update (syrk), the blocks as general products (gemm);
    # the layouts of the detector's default are measured with the blocks' neighbours
    X = _topics(n=900, seed=4)
    with one_blas_thread():
        one = exact_knn(X, 15)
        monkeypatch.setattr(stages, "WHOLE_PRODUCT_ROWS", 0)
        blocks = exact_knn(X, 15)
    np.testing.assert_array_equal(one[0], blocks[0])
    np.testing.assert_array_equal(one[1], blocks[1])


def test_umap_compiled_code_is_cached_on_disk():
    from numba.core.caching import NullCache
    import umap.layouts
    import umap.umap_

    assert cache_umap_compilation()
    assert not isinstance(umap.umap_.smooth_knn_dist._cache, NullCache)
    assert not isinstance(umap.layouts._nb_optimize_layout_euclidean_single_epoch._cache, NullCache)


def test_a_reducer_object_gets_the_detectors_seed():
    from socialnlp.cluster.stages import make_reducer

    template = UMAPReducer(n_epochs=50, random_state=5)
    made = make_reducer(template, 3)
    assert made is not template and made.random_state == 3 and made.n_epochs == 50 and template.random_state == 5


@pytest.mark.parametrize("init, seed, n", [("spectral", 3, 400), ("spectral", 0, 150), ("spectral", 7, 900),
                                            ("pca", 3, 400), ("random", 3, 400), ("random", 1, 900)])
def test_umap_steps_give_umap_learns_own_layout(init, seed, n):
    # UMAPReducer calls umap-learn's graph function itself and runs the layout's epochs in its own
    # loop (socialnlp.cluster.sgd); a umap-learn release that changes what UMAP.fit passes them,
    # or a loop that strays from umap-learn's, must fail here, not shift every window quietly
    from umap import UMAP

    X = _topics(n=n, seed=seed)
    ours = UMAPReducer(init=init, random_state=seed).fit_transform(X)
    X = _unit_rows(X)         # the reducer's input, to the bit
    knn = exact_knn(X, 15)
    with one_blas_thread():   # as the reducer runs it
        theirs = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, n_epochs=45, init=init, random_state=seed,
                      negative_sample_rate=2, metric="euclidean", precomputed_knn=knn + (None,),
                      force_approximation_algorithm=True).fit_transform(X)
    np.testing.assert_array_equal(ours, theirs)


def test_layout_modulo_is_pythons_for_every_size_of_random_number():
    # the epochs pick negative samples by x % n without an integer division: the seeded states
    # (float bits plus an int32) give numbers up to 2**62, and negative ones
    import numba

    from socialnlp.cluster.sgd import _modulo

    modulo = _modulo()
    both = numba.njit(lambda xs, n: np.array([modulo(x, n, 1.0 / n) for x in xs]))
    rng = np.random.default_rng(0)
    xs = np.concatenate([rng.integers(-2**62, 2**62, 20_000), rng.integers(-2**31, 2**31, 20_000),
                         np.array([0, 1, -1, 2**62 - 1, -2**62, 4_622_945_017_495_814_144])])
    for n in (1, 2, 3, 40, 779, 780, 8192, 100_003):
        np.testing.assert_array_equal(both(xs, n), [int(x) % n for x in xs])


def test_umap_reducer_refuses_nan_rows():
    X = _topics(n=100)
    X[7, 0] = np.nan
    with pytest.raises(ValueError, match="row 7"):
        UMAPReducer().fit_transform(X)


def test_fast_hdbscan_runs_on_one_numba_thread():
    """fast_hdbscan's labels changed from run to run with two layout processes on two cores,
    even with reproducible=True; on one numba thread they do not (stages._one_numba_thread)."""
    import numba

    from socialnlp.cluster.stages import cluster_labels

    class Recorder:
        min_cluster_size = 2
        labels_ = None

        def fit(self, Z):
            self.threads = numba.get_num_threads()
            self.labels_ = np.zeros(len(Z), dtype=np.int64)
            return self

    Recorder.__module__ = "fast_hdbscan.hdbscan"   # what the real class reports
    before = numba.get_num_threads()
    fake = Recorder()
    cluster_labels(fake, np.zeros((5, 2), dtype=np.float32))
    assert fake.threads == 1 and numba.get_num_threads() == before
    other = type("Other", (Recorder,), {"__module__": "mypackage"})()
    cluster_labels(other, np.zeros((5, 2), dtype=np.float32))
    assert other.threads == before
