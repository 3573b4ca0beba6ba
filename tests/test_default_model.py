"""The shipped default model on held-out public data: it reproduces its model card."""
import json

import numpy as np
import pytest

from socialnlp.classify import load_model
from socialnlp.classify.persist import DEFAULT_MODEL_DIR

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def held_out():
    from socialnlp.classify.public_data import load_training_posts
    from socialnlp.classify.training import held_out_split

    posts = load_training_posts()
    _, val = held_out_split(posts, 0.2, 0)
    return posts.iloc[val].reset_index(drop=True)


@pytest.fixture(scope="module")
def card_metrics():
    manifest = json.loads((DEFAULT_MODEL_DIR / "manifest.json").read_text())
    return {row["lang"]: row for row in manifest["metrics"]["classifier"]}


def test_default_model_reproduces_its_card_on_held_out_data(held_out, card_metrics):
    from socialnlp.evaluate.classification import metrics_by_language

    scored = load_model("default").score_posts(held_out)
    table = metrics_by_language(held_out["label"].astype(int), scored["p_issue"], scored["is_issue"], scored["lang"])
    for lang in ("en", "de", "zh"):
        assert table.loc[lang, "macro_f1"] == pytest.approx(card_metrics[lang]["macro_f1"], abs=0.005), lang
    # The targets the card reports as met; German is documented as short of 0.85.
    assert table.loc["en", "macro_f1"] >= 0.85
    assert table.loc["zh", "macro_f1"] >= 0.85
    assert table.loc["de", "macro_f1"] >= 0.75


def test_default_model_does_not_key_on_helpdesk_mentions(held_out):
    """STC-3 trap: every Chinese problem report @-mentions a company; noise gets the same mention."""
    model = load_model("default")
    noise = held_out[(held_out["lang"] == "zh") & (held_out["label"] == 0)].head(200)
    plain = model.predict_proba(noise)[:, 1]
    mentioned = model.predict_proba(noise.assign(text=noise["text"] + " @中国联通客服 @中国电信"))[:, 1]
    assert np.abs(plain - mentioned).max() < 1e-6
