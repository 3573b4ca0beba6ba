"""Embed: sentence embeddings for posts, cached on disk."""
from socialnlp.embed.base import DEFAULT_EMBEDDER, Embedder, get_embedder
from socialnlp.embed.cache import CachedEmbedder, EmbeddingCache, default_cache_dir

__all__ = ["Embedder", "get_embedder", "CachedEmbedder", "EmbeddingCache", "default_cache_dir", "DEFAULT_EMBEDDER"]
