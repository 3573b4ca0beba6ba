"""Any sentence-transformers model from a local folder (or the local Hugging Face cache)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from socialnlp.embed.base import as_float32_unit


class SentenceTransformerEmbedder:
    """A sentence-transformers model; ``prompt`` is prepended to every text (e.g. ``"passage: "``
    for e5 models; by default the model's own default prompt, if it names one)."""

    def __init__(self, model_name_or_path: str, device: str | None = None, batch_size: int = 64, prompt: str | None = None):
        self.model_name_or_path = str(model_name_or_path)
        self.device = device
        self.batch_size = batch_size
        self.prompt = prompt
        self._model = None

    @property
    def name(self) -> str:
        return "st:" + Path(self.model_name_or_path).name

    @property
    def model(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ImportError("sentence-transformers models need the extra: pip install 'socialnlp[transformers]'") from exc
            self._model = SentenceTransformer(self.model_name_or_path, device=self.device or "cpu")
        return self._model

    @property
    def dim(self) -> int:
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(get_dim())

    @property
    def version(self) -> str:
        """A fingerprint of the folder's configs and weights: a retrained folder gets a new cache key.

        Weights are hashed in full once per embedder (two fine-tunings of one base have the same
        file sizes, so sizes alone would collide)."""
        if getattr(self, "_version", None) is None:
            path = Path(self.model_name_or_path)
            if not path.is_dir():
                return "hub"
            h = hashlib.sha1()
            for f in sorted(path.rglob("*")):
                if f.is_file():
                    h.update(str(f.relative_to(path)).encode())
                    with open(f, "rb") as fh:
                        for block in iter(lambda: fh.read(1 << 22), b""):
                            h.update(block)
            self._version = h.hexdigest()[:16]
        return self._version

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=self.batch_size, prompt=self.prompt,
                                    convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return as_float32_unit(vectors)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_model"] = None
        return state
