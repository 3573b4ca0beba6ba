"""SetFit-style fine-tuning: a tiny random BERT body, so the whole file runs in seconds."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sentence_transformers")
torch = pytest.importorskip("torch")

from safetensors.numpy import load_file  # noqa: E402

from socialnlp.classify.finetune import MARKER, finetune_body, sample_pairs, train_finetuned, training_texts  # noqa: E402
from socialnlp.classify.persist import load_model  # noqa: E402
from socialnlp.embed.st import SentenceTransformerEmbedder  # noqa: E402

ISSUE_DE = ["störung", "kein internet", "ausfall", "zug fällt aus", "netz weg", "fehler", "server down"]
NOISE_DE = ["schönes wetter", "guten morgen", "lecker essen", "tolles spiel", "schöner tag", "danke", "super"]
ISSUE_ZH = ["网络断了", "停电", "故障", "打不开", "掉线", "崩了", "没信号"]
NOISE_ZH = ["天气很好", "早上好", "好吃", "谢谢", "开心", "周末愉快", "不错"]
FILLER_DE = ["heute", "in berlin", "seit morgen", "wieder", "bei uns", "am bahnhof"]
FILLER_ZH = ["今天", "北京", "又", "我们这里", "上午", "晚上"]


def _posts(n_per_class: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for lang, issue, noise, filler, sep in (("de", ISSUE_DE, NOISE_DE, FILLER_DE, " "), ("zh", ISSUE_ZH, NOISE_ZH, FILLER_ZH, "")):
        for label, words in ((1, issue), (0, noise)):
            for i in range(n_per_class):
                text = sep.join([str(rng.choice(filler)), str(rng.choice(words)), str(rng.choice(filler)), str(i)])
                rows.append({"id": f"{lang}{label}{i}", "text": text, "lang": lang, "label": label})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def tiny_body(tmp_path_factory) -> Path:
    """A random 2-layer, 32-wide BERT with a WordPiece vocabulary of the test's own characters."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    root = tmp_path_factory.mktemp("tiny")
    hf = root / "hf"
    hf.mkdir()
    chars = sorted({c for w in ISSUE_DE + NOISE_DE + ISSUE_ZH + NOISE_ZH + FILLER_DE + FILLER_ZH + list("0123456789:")
                    for c in w if not c.isspace()})
    words = sorted({w for phrase in ISSUE_DE + NOISE_DE + FILLER_DE for w in phrase.split()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, *chars, *[f"##{c}" for c in chars if c.isascii() or c in "äöü"]]
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(vocab)}, do_lower_case=True)
    assert "[UNK]" not in tokenizer.tokenize("störung am bahnhof 网络断了 12")
    tokenizer.save_pretrained(hf)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config).save_pretrained(hf, safe_serialization=True)
    transformer = Transformer(str(hf), max_seq_length=32)
    st = SentenceTransformer(modules=[transformer, Pooling(32, "mean"), Normalize()], device="cpu",
                             prompts={"passage": "passage: "}, default_prompt_name="passage")
    st.save(str(root / "body"), create_model_card=False)
    return root / "body"


@pytest.fixture(scope="module")
def threads():
    # One thread: the tiny model gains nothing from more, and on a busy machine torch's
    # worker threads wait on each other (100x slower with 2 threads under load).
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


FT = {"epochs": 1, "batch_size": 8, "max_pairs": 64, "max_seq_length": 24, "lr": 1e-3}


def _tensors(folder: Path) -> dict[str, np.ndarray]:
    return load_file(str(folder / "model.safetensors"))


def test_pairs_are_balanced_and_seeded():
    y = np.array([1] * 10 + [0] * 90)
    a, b, t = sample_pairs(y, 400, seed=3)
    assert len(a) == len(b) == len(t) == 400
    assert (t == (y[a] == y[b])).all()                 # targets follow the labels
    assert t.mean() == 0.5                             # half positive, half negative
    assert (y[a][t == 1] == 1).mean() == 0.5           # positives: half issue-issue, half noise-noise
    assert not (a == b).any()
    assert set(a[(t == 1) & (y[a] == 1)]) == set(range(10))  # every minority post is an anchor
    a2, b2, t2 = sample_pairs(y, 400, seed=3)
    assert (a == a2).all() and (b == b2).all() and (t == t2).all()
    assert not (a == sample_pairs(y, 400, seed=4)[0]).all()
    with pytest.raises(ValueError, match="two posts of each class"):
        sample_pairs([1, 0, 0], 10)


def test_training_texts_normalise_and_drop_conflicts():
    posts = pd.DataFrame({"text": ["RT @x: Zug fällt aus!!!", "Zug fällt aus!", "ok", "ok", "@only_a_handle"],
                          "lang": "de", "label": [1, 1, 0, 1, 0]})
    texts, y = training_texts(posts)
    assert texts == ["Zug fällt aus!"] and list(y) == [1]


def test_finetuning_changes_weights_and_is_deterministic(tiny_body, tmp_path, threads):
    train = _posts()
    one = finetune_body(train, tiny_body, tmp_path / "one", seed=0, **FT)
    two = finetune_body(train, tiny_body, tmp_path / "two", seed=0, **FT)
    other = finetune_body(train, tiny_body, tmp_path / "other", seed=1, **FT)
    base, w1, w2, w3 = (_tensors(p) for p in (tiny_body, one, two, other))
    changed = [k for k in base if not np.array_equal(base[k], w1[k])]
    assert changed and all("word_embeddings" not in k for k in changed)  # token embeddings frozen by default
    assert any("word_embeddings" in k for k in base)
    assert all(np.array_equal(w1[k], w2[k]) for k in w1)                  # same seed, same weights
    assert any(not np.array_equal(w1[k], w3[k]) for k in w1)             # another seed, other weights
    assert not list(one.rglob("*.bin")) and not list(one.rglob("*.pt"))  # safetensors only
    info = json.loads((one / MARKER).read_text())
    assert info["n_pairs"] == 64 and info["n_steps"] == 8 and info["prompt"] == "passage: "
    # Same architecture and file sizes, other weights: the cache key must still differ.
    assert SentenceTransformerEmbedder(str(one)).version == SentenceTransformerEmbedder(str(two)).version
    assert SentenceTransformerEmbedder(str(one)).version != SentenceTransformerEmbedder(str(other)).version
    # The saved folder keeps the training's sequence limit and the base's default prompt.
    from sentence_transformers import SentenceTransformer

    reloaded = SentenceTransformer(str(one), device="cpu")
    assert reloaded.max_seq_length == 24 and reloaded.default_prompt_name == "passage"


def test_train_layers_freezes_the_bottom(tiny_body, tmp_path, threads):
    tuned = finetune_body(_posts(), tiny_body, tmp_path / "top", seed=0, train_layers=1, **FT)
    base, w = _tensors(tiny_body), _tensors(tuned)
    changed = {k for k in base if not np.array_equal(base[k], w[k])}
    assert changed and all("layer.1." in k for k in changed)  # only the top layer of two moved
    assert json.loads((tuned / MARKER).read_text())["train_layers"] == 1
    with pytest.raises(ValueError, match="between 1 and 2"):
        finetune_body(_posts(), tiny_body, tmp_path / "bad", train_layers=3, **FT)


def test_finetuning_separates_the_classes(tiny_body, tmp_path, threads):
    # A random body has everything at cosine ~1; a few hundred pairs pull the classes apart.
    train = _posts()
    tuned = finetune_body(train, tiny_body, tmp_path / "sep", seed=0,
                          **{**FT, "max_pairs": 512, "lr": 5e-3, "freeze_embeddings": False})
    texts, y = training_texts(train)

    def gap(folder):  # mean cosine within a class minus mean cosine across the classes
        E = SentenceTransformerEmbedder(str(folder)).encode(texts)
        S = E @ E.T
        return S[y[:, None] == y[None, :]].mean() - S[y[:, None] != y[None, :]].mean()

    assert gap(tuned) > gap(tiny_body) + 0.02
    info = json.loads((tuned / MARKER).read_text())
    assert info["loss_last"] < info["loss_first"]


def test_out_dir_is_not_clobbered(tiny_body, tmp_path):
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        finetune_body(_posts(), tiny_body, tmp_path / "keep", **FT)
    with pytest.raises(ValueError, match="differ"):
        finetune_body(_posts(), tiny_body, tiny_body, **FT)


def test_train_finetuned_end_to_end(tiny_body, tmp_path, threads):
    posts = _posts(n_per_class=50)
    report = train_finetuned(posts, tiny_body, tmp_path / "model", seed=0, baselines=False, **FT)
    folder = report.path
    assert (folder / "body" / "model.safetensors").is_file() and (folder / "manifest.json").is_file()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["embedder"]["path"] == "body"
    assert "body/model.safetensors" in manifest["files"]
    assert manifest["finetune"]["n_posts"] == report.n_train            # only the training split was used
    assert report.n_train + report.n_val == len(posts)
    assert "## Fine-tuned body" in (folder / "MODEL_CARD.md").read_text()
    assert set(report.metrics) == {"classifier"}
    # Reloaded, with no cache, the folder gives the same probabilities as the fitted model.
    loaded = load_model(folder, cache_dir=False)
    p_fit = report.model.predict_proba(posts)[:, 1]
    p_loaded = loaded.predict_proba(posts)[:, 1]
    np.testing.assert_allclose(p_loaded, p_fit, rtol=0, atol=1e-6)
    assert (loaded.predict(posts) == report.model.predict(posts)).all()
