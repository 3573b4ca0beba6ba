import json
import pickle
import re

import pandas as pd
import pytest

from socialnlp.io import read_posts
from socialnlp.privacy import Pseudonymizer, truncate_quote, truncate_quotes
from socialnlp.signals import deliver

from conftest import DEMO

KEY = "test-key-0123456789abcdef"
# Mentions as a reader sees them: after "@", up to a space or punctuation (Weibo nicknames
# included, even right after a Chinese character: "给@维络客服点个赞").
MENTIONS = re.compile(r"[@＠]([^\s@＠:：,，。.!！?？;；#()（）\"'/]+)")


@pytest.fixture(scope="module")
def demo_posts():
    return read_posts(DEMO / "posts.csv", require_time=True)


def _fake_outputs(posts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A clusters and an alerts table quoting the demo's posts with mentions in them."""
    quoted = posts[posts["text"].str.contains("@")]
    rows, alerts = [], []
    for i, (inc, part) in enumerate(quoted.groupby(quoted["incident_id"].fillna("none"))):
        rows.append({"incident_id": i, "first_seen": part["created_at"].min(), "n_authors": part["author"].nunique(),
                     "representative_posts": json.dumps(part["id"].head(40).tolist()),
                     "representative_texts": json.dumps(part["text"].head(40).tolist(), ensure_ascii=False)})
        alerts.append({"alert_id": f"a{i}", "incident_id": i, "alert_time": part["created_at"].max(), "severity": 2,
                       "n_posts": len(part), "n_authors": part["author"].nunique(), "keywords": "login, error",
                       "sample_post_ids": json.dumps(part["id"].head(40).tolist()),
                       "sample_texts": json.dumps(part["text"].head(40).tolist(), ensure_ascii=False)})
    return pd.DataFrame(rows), pd.DataFrame(alerts)


def test_no_author_handle_or_mention_survives_in_any_file_a_run_writes(demo_posts, tmp_path):
    clusters, alerts = _fake_outputs(demo_posts)
    p = Pseudonymizer(key_env=None)  # a random key, as a run without a configured key gets
    out = tmp_path / "run"
    out.mkdir()
    posts = p.pseudonymize_frame(demo_posts)
    posts.to_parquet(out / "posts.parquet", index=False, compression="none")  # uncompressed, so bytes can be grepped
    posts.to_json(out / "posts.jsonl", orient="records", lines=True, force_ascii=False, date_format="iso")
    p.pseudonymize_frame(clusters).to_csv(out / "clusters.csv", index=False)
    safe_alerts = p.pseudonymize_frame(alerts)
    safe_alerts.to_csv(out / "alerts.csv", index=False)
    deliver(safe_alerts, out / "alerts.jsonl", max_quote_chars=1000)

    bare = {h.lstrip("@") for h in demo_posts["author"].dropna()}
    bare |= {m for t in demo_posts["text"] for m in MENTIONS.findall(t)}
    assert {"ffm_lena", "奶茶续命中", "维络客服", "VelonetHilfe", "VELONETHELP"} <= bare
    # Three handles are also plain words that people write outside any mention ("Velonet" of
    # @Velonet, "奶茶续命中，下午还有三个会", "维络客服小姐姐态度超好"): those words stay; the
    # handles themselves (as author, @..., //@...:) must not.
    outside_mentions = "\n".join(MENTIONS.sub(" ", t) for t in demo_posts["text"])
    words = {h for h in bare if h in outside_mentions}
    assert words == {"Velonet", "奶茶续命中", "维络客服"}
    forms = {"@" + h for h in bare} | {"//@" + h for h in bare} | (bare - words)
    written = {f.name: f.read_bytes() for f in out.iterdir()}
    assert set(written) >= {"posts.parquet", "posts.jsonl", "clusters.csv", "alerts.csv", "alerts.jsonl"}
    leaks = {(name, h) for name, data in written.items() for h in forms if h.encode("utf-8") in data}
    assert not leaks, sorted(leaks)[:10]
    back = pd.read_parquet(out / "posts.parquet")
    cells = "\n".join(map(str, back.to_numpy().ravel()))
    assert not [h for h in forms if h in cells]
    assert not set(back["author"]) & set(demo_posts["author"])
    assert back["author"].nunique() == demo_posts["author"].nunique()


def test_distinct_authors_stay_distinct_and_blanks_stay_blank():
    p = Pseudonymizer(key=KEY)
    df = pd.DataFrame({"author": ["@oscar_m", "oscar_m", "Oscar_M", None, "@oscar_m"], "text": ["x"] * 5})
    out = p.pseudonymize_frame(df)
    assert out["author"].nunique() == 3 and out["author"].isna().tolist() == [False, False, False, True, False]
    assert out["author"][0] == "@" + out["author"][1]  # one handle, the "@" kept as written


def test_one_handle_one_pseudonym_as_author_mention_and_repost_chain():
    p = Pseudonymizer(key=KEY)
    df = pd.DataFrame({
        "author": ["@ffm_lena", "奶茶续命中", "老王"],
        "text": ["RT @ffm_lena: Internet weg @VelonetHilfe",
                 "我也是！//@奶茶续命中:付款一直失败 @维络客服 请尽快处理",
                 "给@维络客服点个赞，@奶茶续命中 说得对"],
    })
    out = p.pseudonymize_frame(df)
    lena, tea, service = out["author"][0], "@" + out["author"][1], p.pseudonym("@维络客服")
    assert out["text"][0] == f"RT {lena}: Internet weg {p.pseudonym('@VelonetHilfe')}"
    assert out["text"][1] == f"我也是！//{tea}:付款一直失败 {service} 请尽快处理"
    assert out["text"][2] == f"给{service}点个赞，{tea} 说得对"


def test_json_lists_of_quotes_are_pseudonymised_inside():
    p = Pseudonymizer(key=KEY)
    df = pd.DataFrame({"sample_texts": [json.dumps(["@a_b kaputt", "宽带断了 @维络客服"], ensure_ascii=False)]})
    texts = json.loads(p.pseudonymize_frame(df)["sample_texts"][0])
    assert texts == [f"{p.pseudonym('@a_b')} kaputt", f"宽带断了 {p.pseudonym('@维络客服')}"]


def test_the_same_key_gives_the_same_pseudonyms_in_every_run(tmp_path, monkeypatch):
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(KEY + "\n")
    monkeypatch.setenv("SOCIALNLP_PSEUDONYM_KEY", KEY)
    by_env, by_file, by_arg = Pseudonymizer(), Pseudonymizer(key_file=key_file), Pseudonymizer(key=KEY)
    assert by_env.pseudonym("@ffm_lena") == by_file.pseudonym("@ffm_lena") == by_arg.pseudonym("@ffm_lena")
    assert (by_env.key_source_, by_file.key_source_, by_arg.key_source_) == ("env", "file", "argument")
    assert Pseudonymizer(key="another-key-0123456789").pseudonym("@ffm_lena") != by_arg.pseudonym("@ffm_lena")
    assert re.fullmatch(r"@user_[0-9a-f]{12}", by_arg.pseudonym("@ffm_lena"))


def test_without_a_key_a_random_one_is_stable_within_a_run_and_never_shown(monkeypatch):
    monkeypatch.delenv("SOCIALNLP_PSEUDONYM_KEY", raising=False)
    a, b = Pseudonymizer(), Pseudonymizer()
    first = a.pseudonymize_frame(pd.DataFrame({"author": ["@x_y"]}))["author"][0]
    assert a.pseudonym("@x_y") == first != b.pseudonym("@x_y")
    assert a.key_source_ == "random" and a._key.hex() not in repr(a)
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(a)


def test_mail_addresses_are_not_mentions_and_own_accounts_can_be_kept():
    p = Pseudonymizer(key=KEY, keep=("VelonetHilfe",))
    text = "Schreibt an support@velonet.example oder @VelonetHilfe, sagt @ffm_lena"
    assert p.pseudonymize_text(text) == (
        f"Schreibt an support@velonet.example oder @VelonetHilfe, sagt {p.pseudonym('@ffm_lena')}")


def test_pseudonymising_twice_changes_nothing():
    p = Pseudonymizer(key=KEY)
    df = pd.DataFrame({"author": ["@ffm_lena"], "text": ["RT @ffm_lena: weg, @维络客服点个赞"]})
    once = p.pseudonymize_frame(df)
    assert p.pseudonymize_frame(once).equals(once)


def test_quotes_are_cut_to_the_maximum_length():
    assert truncate_quote("Seit heute Morgen kein Internet in Frankfurt", 20) == "Seit heute Morgen…"
    assert truncate_quote("宽带断了一上午，客服电话也打不通", 8) == "宽带断了一上午…"
    assert truncate_quote("kurz", 20) == "kurz" and truncate_quote(None, 5) is None
    assert truncate_quote("x" * 500, None) == "x" * 500
    df = pd.DataFrame({"sample_texts": [json.dumps(["a" * 50, "b"])], "text": ["c" * 50]})
    out = truncate_quotes(df, 10)
    assert json.loads(out["sample_texts"][0]) == ["a" * 9 + "…", "b"] and out["text"][0] == "c" * 50
