"""The issue classifier: training, saved folders, baselines, batch scoring."""
import json

import numpy as np
import pandas as pd
import pytest

from socialnlp.classify import IssueClassifier, LexiconRule, ModelError, TfidfBaseline, load_model, save_model
from socialnlp.classify.training import held_out_split, train_model

ISSUES = ["kein Internet seit heute morgen in {c}", "宽带在{c}断了一上午", "the app crashes at login again in {c}",
          "website down with error 500 here in {c}", "{c}支付失败，一直显示系统繁忙", "Zug nach {c} fällt aus, Signalstörung",
          "no power on our street in {c} since 6am", "Störung: Festnetz in {c} tot"]
NOISE = ["I love my cat, {c} is lovely", "{c}今天天气真好", "Schönes Wochenende aus {c}", "great new features, well done {c}",
         "{c}买一送一，优惠多多", "Guten Morgen {c}!", "this exam in {c} was a total disaster lol", "在{c}吃火锅好开心"]
CITIES = ["Berlin", "Hamburg", "München", "Köln", "Beijing", "Shanghai", "London", "Leeds", "Wien", "Zürich", "Paris", "Rome"]


@pytest.fixture(scope="module")
def labelled():
    rows = [(t.format(c=c), 1) for c in CITIES for t in ISSUES] + [(t.format(c=c), 0) for c in CITIES for t in NOISE]
    df = pd.DataFrame(rows, columns=["text", "label"])
    df["id"] = [f"p{i}" for i in range(len(df))]
    return df.sample(frac=1, random_state=1).reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted(labelled, use_embedder):
    return IssueClassifier(embedder=use_embedder, cache_dir=False, cv=3, min_per_class=10).fit(labelled)


def test_fit_follows_estimator_conventions(fitted, labelled):
    assert fitted.get_params()["cv"] == 3
    assert set(fitted.heads_) == {"*", "de", "en", "zh"} and list(fitted.classes_) == [0, 1]
    assert set(fitted.thresholds_) == set(fitted.calibration_) == set(fitted.heads_)
    proba = fitted.predict_proba(labelled)
    assert proba.shape == (len(labelled), 2) and np.allclose(proba.sum(1), 1)
    assert fitted.score(labelled, labelled["label"]) > 0.9


def test_score_without_labels_returns_scored_posts(fitted):
    out = fitted.score(pd.DataFrame({"id": ["a", "b"], "text": ["Mein Internet geht seit gestern nicht", "今天很开心，去公园玩"]}))
    assert list(out.columns) == ["id", "text", "lang", "p_issue", "is_issue"]
    assert list(out["is_issue"]) == [1, 0]


def test_accepts_text_lists_and_hf_datasets(fitted, labelled):
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_pandas(labelled[["text", "label"]])
    assert np.allclose(fitted.predict_proba(ds), fitted.predict_proba(labelled["text"].tolist()))


def test_save_load_gives_identical_probabilities(fitted, labelled, tmp_path):
    save_model(fitted, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert np.array_equal(fitted.predict_proba(labelled), loaded.predict_proba(labelled))
    assert loaded.thresholds_ == fitted.thresholds_ and loaded.threshold_ == fitted.threshold_


def test_mlp_head_saves_and_loads_without_pickle(labelled, use_embedder, tmp_path):
    from sklearn.neural_network import MLPClassifier

    clf = IssueClassifier(embedder=use_embedder, head=MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0),
                          per_language=False, cache_dir=False, cv=3).fit(labelled)
    loaded = load_model(save_model(clf, tmp_path / "mlp"))
    assert np.allclose(clf.predict_proba(labelled), loaded.predict_proba(labelled), atol=1e-9)


def test_language_without_its_own_head_uses_the_shared_one(fitted):
    assert list(fitted.head_keys(["de", "other", "fr"])) == ["de", "*", "*"]


def test_saved_folder_has_no_pickles_and_a_card(fitted, tmp_path):
    path = save_model(fitted, tmp_path / "m")
    names = {p.name for p in path.rglob("*")}
    assert {"manifest.json", "MODEL_CARD.md", "coef.npy", "intercept.npy", "all", "de", "en", "zh"} <= names
    assert not any(n.endswith((".pkl", ".pickle", ".joblib")) for n in names)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["embedder"]["name"] == "use-multilingual" and "fingerprint" in manifest["training_data"]


def test_tampered_truncated_and_wrong_folders_are_refused(fitted, tmp_path):
    path = save_model(fitted, tmp_path / "m")
    coef = path / "heads" / "all" / "coef.npy"
    data = bytearray(coef.read_bytes())
    data[-1] ^= 0xFF
    coef.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="coef.npy does not match its checksum"):
        load_model(path)
    coef.unlink()
    with pytest.raises(ModelError, match="coef.npy is missing"):
        load_model(path)
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(ModelError, match="manifest is damaged"):
        load_model(path)
    with pytest.raises(ModelError, match="no such model folder"):
        load_model(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no manifest.json"):
        load_model(tmp_path / "empty")


def test_pickled_head_in_manifest_is_never_loaded(fitted, tmp_path):
    path = save_model(fitted, tmp_path / "m")
    np.save(path / "heads" / "all" / "coef.npy", np.array([object()], dtype=object), allow_pickle=True)
    with pytest.raises(ModelError):
        load_model(path)


def test_baselines_share_the_interface(labelled):
    for model in (TfidfBaseline(min_df=1), LexiconRule()):
        model.fit(labelled)
        assert model.predict_proba(labelled).shape == (len(labelled), 2)
        assert set(model.predict(labelled)) <= {0, 1}
        assert 0 <= model.score(labelled, labelled["label"]) <= 1
    assert LexiconRule().fit().predict(["Störung im Netz", "宽带故障", "lovely day"]).tolist() == [1, 1, 0]


def test_held_out_split_keeps_copies_together():
    texts = [f"RT @x: outage number {i % 10}" if i % 2 else f"outage number {i % 10}" for i in range(200)]
    posts = pd.DataFrame({"text": texts, "lang": "en", "label": [i % 10 < 5 for i in range(200)]})
    train, val = held_out_split(posts, 0.2)
    from socialnlp.text import dedup_key

    assert not {dedup_key(t) for t in posts["text"].iloc[train]} & {dedup_key(t) for t in posts["text"].iloc[val]}


def test_train_model_writes_folder_with_card(labelled, use_embedder, tmp_path):
    posts = labelled.assign(lang=None)
    from socialnlp.io import read_posts

    report = train_model(read_posts(posts), tmp_path / "model", embedder=use_embedder, val_split=0.25, cache_dir=False)
    card = (tmp_path / "model" / "MODEL_CARD.md").read_text()
    assert "## Held-out metrics" in card and "tfidf_char_lr" in card and "| de |" in card
    assert report.metrics["classifier"].loc["all", "macro_f1"] > 0.8
    assert report.balance.loc["all", "total"] == len(labelled)
