"""A disk cache in front of any embedder: a re-run embeds nothing twice.

Keys are (model name, model version, hash of the normalised text); one SQLite file per
model and version, so an interrupted run keeps every chunk it finished and the next run
resumes from there. Identical texts within a call are embedded once.
"""
from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from socialnlp.embed.base import Embedder, embedder_version, get_embedder
from socialnlp.text.normalize import normalize_text


def default_cache_dir() -> Path:
    return Path(os.environ.get("SOCIALNLP_CACHE_DIR", Path.home() / ".cache" / "socialnlp" / "embeddings"))


class EmbeddingCache:
    """Vectors by key in one SQLite file (WAL, so parallel readers and a writer coexist)."""

    def __init__(self, path: Path, dim: int):
        self.path = Path(path)
        self.dim = dim
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=60)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")

    def get(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), 900):  # SQLite's limit on bound variables
            chunk = keys[i : i + 900]
            q = "SELECT key, vec FROM vectors WHERE key IN (%s)" % ",".join("?" * len(chunk))
            for key, vec in self._conn.execute(q, chunk):
                v = np.frombuffer(vec, dtype=np.float32)
                if v.size == self.dim:
                    found[bytes(key)] = v
        return found

    def put(self, keys: list[bytes], vectors: np.ndarray) -> None:
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors)],
            )

    def __len__(self) -> int:
        return self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]

    def close(self) -> None:
        self._conn.close()


class CachedEmbedder:
    """Wraps an embedder with text normalisation, in-call deduplication and a disk cache.

    ``cache_dir=False`` keeps the deduplication but stores nothing on disk.
    After each ``encode``, ``last_stats_`` says how many texts came from the cache
    and how many were embedded.

    >>> emb = CachedEmbedder("use-multilingual", cache_dir="/tmp/cache")   # doctest: +SKIP
    >>> X = emb.encode(["宽带断了一上午", "Seit heute morgen kein Internet"])  # doctest: +SKIP
    """

    def __init__(self, embedder: str | Embedder = "use-multilingual", cache_dir: str | Path | None | bool = None,
                 normalize: bool = True, chunk_size: int = 4096, progress: bool | None = None):
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.normalize = normalize
        self.chunk_size = chunk_size
        self.progress = progress
        self._inner = None
        self._cache = None

    @property
    def inner(self) -> Embedder:
        if self._inner is None:
            self._inner = get_embedder(self.embedder)
        return self._inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def dim(self) -> int:
        return int(self.inner.dim)

    @property
    def version(self) -> str:
        return embedder_version(self.inner)

    @property
    def cache(self) -> EmbeddingCache | None:
        if self.cache_dir is False:
            return None
        if self._cache is None:
            root = default_cache_dir() if self.cache_dir in (None, True) else Path(self.cache_dir)
            safe = re.sub(r"[^\w.-]+", "_", f"{self.name}__{self.version}")
            self._cache = EmbeddingCache(root / f"{safe}.sqlite", self.dim)
        return self._cache

    def prepare(self, texts: list[str]) -> list[str]:
        return [normalize_text(t) for t in texts] if self.normalize else list(texts)

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        distinct = list(dict.fromkeys(texts))   # copies of a post are prepared and hashed once
        prepared = self.prepare(distinct)
        distinct_keys = [hashlib.sha1(p.encode("utf-8", "surrogatepass")).digest() for p in prepared]
        key_of = dict(zip(distinct, distinct_keys))
        keys = [key_of[t] for t in texts]
        unique: dict[bytes, str] = dict(zip(distinct_keys, prepared))
        cache = self.cache
        found = cache.get(list(unique)) if cache is not None else {}
        todo = [k for k in unique if k not in found]
        show = self.progress if self.progress is not None else len(todo) > self.chunk_size
        with tqdm(total=len(todo), desc=f"embedding ({self.name})", unit="post", disable=not show) as bar:
            for i in range(0, len(todo), self.chunk_size):
                chunk = todo[i : i + self.chunk_size]
                vectors = np.asarray(self.inner.encode([unique[k] for k in chunk]), dtype=np.float32)
                if cache is not None:
                    cache.put(chunk, vectors)
                found.update(zip(chunk, vectors))
                bar.update(len(chunk))
        self.last_stats_ = {"n_texts": len(keys), "n_unique": len(unique), "n_cached": len(unique) - len(todo), "n_embedded": len(todo)}
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_cache"] = None
        return state
