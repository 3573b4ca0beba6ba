import numpy as np
import pytest

from socialnlp.embed import CachedEmbedder, get_embedder


def test_use_multilingual_shape_and_norm(use_embedder):
    X = use_embedder.encode(["Gibt Ihre Site 500 Fehler aus?", "宽带断了一上午"])
    assert X.shape == (2, 512) and X.dtype == np.float32
    assert np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-5)


def test_cache_second_run_embeds_nothing(tmp_path, use_embedder):
    texts = ["Seit heute morgen kein Internet", "宽带断了一上午", "Seit heute morgen kein Internet", "app crashes at login"]
    first = CachedEmbedder(use_embedder, cache_dir=tmp_path)
    X1 = first.encode(texts)
    assert first.last_stats_ == {"n_texts": 4, "n_unique": 3, "n_cached": 0, "n_embedded": 3}
    second = CachedEmbedder(use_embedder, cache_dir=tmp_path)  # a new process would see the same file
    X2 = second.encode(texts)
    assert second.last_stats_["n_embedded"] == 0 and second.last_stats_["n_cached"] == 3
    assert np.array_equal(X1, X2)
    assert np.array_equal(X1[0], X1[2])


def test_cache_keys_on_normalised_text(tmp_path, use_embedder):
    emb = CachedEmbedder(use_embedder, cache_dir=tmp_path)
    emb.encode(["Netz weg!!!! https://t.co/abc"])
    emb.encode(["Netz weg! https://t.co/other"])
    assert emb.last_stats_["n_embedded"] == 0


def test_parallel_processes_match_single_process(tmp_path):
    texts = [f"Störung Nummer {i}: kein Netz in Berlin" for i in range(40)]
    single = get_embedder("use-multilingual", processes=1).encode(texts)
    multi = get_embedder("use-multilingual", processes=2, batch_size=8, min_parallel=1)
    try:
        assert np.allclose(single, multi.encode(texts), atol=1e-5)
    finally:
        multi.close()


@pytest.mark.parametrize("name", ["use-multilingual", "e5-small"])
def test_cross_lingual_sanity(name):
    """A German and a Chinese report of the same fault are nearer each other than to noise."""
    emb = get_embedder(name) if name == "e5-small" else get_embedder(name, processes=1)
    de, zh, en_noise, de_noise = emb.encode([
        "Die Webseite ist down, überall Fehler 500",
        "网站打不开，一直显示500错误",
        "What a lovely sunny afternoon in the park",
        "Ich freue mich so auf das Wochenende mit Freunden",
    ])
    assert de @ zh > max(de @ en_noise, de @ de_noise, zh @ en_noise, zh @ de_noise)


def test_unknown_embedder_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown embedder 'bert-large'"):
        get_embedder("bert-large")
