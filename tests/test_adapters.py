"""Adapters for the public data sets: label rules, rejects, and the real files in ../shared/data.

Known rows are checked by ID, time and label; their texts are checked by a SHA-1
prefix and length, so that no excerpt of the (partly non-commercial) data sets is
copied into the repository.
"""
import hashlib
from functools import lru_cache

import pandas as pd
import pytest

from socialnlp.io import ContractError
from socialnlp.io.adapters import (
    ADAPTERS,
    DEFAULT_PATHS,
    crisislex_label,
    germeval_label,
    read_crisislex,
    read_dataset,
    read_stc3,
    repair_mojibake,
    stc3_label,
    tweet_id_time,
    twitter_time,
    waimai_label,
)

UTC = "UTC"


def sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- rules (no data needed)


def test_registry_and_unknown_name():
    assert set(ADAPTERS) == set(DEFAULT_PATHS)
    with pytest.raises(ContractError, match="unknown data set 'nope'.*crisislex"):
        read_dataset("nope", "x")


def test_tweet_id_time_decodes_only_plausible_ids():
    t = tweet_id_time(["'263044104500420609'", "6.29E+17", "13", "", None, str(2**63 - 1)])
    assert t.iloc[0] == pd.Timestamp("2012-10-29T22:26:16.293Z")
    assert t.iloc[1:].isna().all()  # spreadsheet float, counter, blanks, a time after 2023


def test_twitter_time_keeps_unparseable_values_for_the_contract():
    assert twitter_time("Wed Apr 02 08:54:17 +0000 2014") == "2014-04-02T08:54:17+00:00"
    assert twitter_time("Wed Aug 08 13:25:02 +0800 2012") == "2012-08-08T13:25:02+08:00"
    assert twitter_time("") is None
    assert twitter_time("yesterday") == "yesterday"  # rejected later, with its row number


def test_crisislex_rule():
    assert crisislex_label("off-topic", "the water is rising on our street") == 0
    assert crisislex_label("on-topic", "the water is rising on our street") == 1
    for text in ("Praying for everyone tonight", "#PrayForTexas", "RIP to the victims", "please donate here",
                 "our thoughts are with you", "my heart goes out to them", "condolences to the families"):
        assert crisislex_label("on-topic", text) == 0, text
    assert crisislex_label("something else", "x") is None


def test_germeval_rule():
    assert germeval_label("false", [("Sonstige_Unregelmässigkeiten#Haupt", "negative")]) == 0
    assert germeval_label("true", [("Sonstige_Unregelmässigkeiten#Haupt", "negative")]) == 1
    assert germeval_label("true", [("Zugfahrt#Pünktlichkeit", "negative")]) == 1
    assert germeval_label("true", [("Sonstige_Unregelmässigkeiten#Haupt", "positive")]) == 0  # "fault fixed"
    assert germeval_label("true", [("Allgemein#Haupt", "negative"), ("Ticketkauf#Haupt", "negative")]) == 0
    assert germeval_label("", []) is None


def test_stc3_rule():
    assert [stc3_label(s) for s in (0.947, 0.5, 0.49, 0.3, 0.29, 0.0)] == [1, 1, None, None, 0, 0]
    assert stc3_label(float("nan")) is None


def test_waimai_rule():
    assert waimai_label("1", "送餐很快，好吃") == 0
    assert waimai_label("0", "送得太慢了，饭都凉了") == 1
    assert waimai_label("0", "少送了一份米饭") == 1
    assert waimai_label("0", "味道不错就是有点贵") is None  # 不错 is not 错
    assert waimai_label("0", "太咸了") is None


def test_repair_mojibake_reverses_the_double_encoding():
    # The byte patterns of the real file: UTF-8 read as Windows-1252, saved as Mac Roman.
    broken = b"it\x89\xdb\xaas gone\x89\xdb_ \x89\xdb\xcfnow\x89\xdb\x9d".decode("latin-1")
    assert repair_mojibake(broken) == "it\u2019s gone\u2026 \u201cnow\u201d"
    assert repair_mojibake("plain ascii") == "plain ascii"


def test_missing_path_and_wrong_columns_name_the_file(tmp_path):
    with pytest.raises(ContractError, match="not found; download CrisisLexT6"):
        read_crisislex(tmp_path / "absent")
    bad = tmp_path / "stc3.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ContractError, match=r"stc3\.csv: no column 'weibo_mid'.*columns found: a, b"):
        read_stc3(bad)


def test_bad_rows_are_rejected_with_row_numbers(tmp_path):
    folder = tmp_path / "2099_Test_Event"
    folder.mkdir()
    (folder / "2099_Test_Event-ontopic_offtopic.csv").write_text(
        "tweet id, tweet, label\n"
        "'263044104500420609',\"roof blown off next door\",on-topic\n"
        "'263044104500420609',\"same id again\",off-topic\n"
        "'263044104500420610',,off-topic\n"
        "'263044104500420611',\"too\",\"many\",fields\n"
        "'263044104500420612',\"praying for all of you\",on-topic\n",
        encoding="utf-8",
    )
    res = read_crisislex(tmp_path, return_rejects=True)
    assert res.n_read == 5 and res.n_accepted == 2 and res.n_read == res.n_accepted + res.n_rejected
    assert list(res.rejects["row"]) == [2, 3, 4]
    assert res.rejects["reason"].str.contains("duplicate id|empty text|fields").all()
    assert list(res.table["label"]) == [1, 0]
    assert list(res.table["event"]) == ["2099_Test_Event"] * 2


# --------------------------------------------------------------------------- the real files

# name: (rows read, accepted, label 1 / 0 / missing or None where heuristic)
EXPECTED = {
    "crisislex": (60082, 60078, None),
    "complaints": (3449, 3449, (1232, 2217, 0)),
    "disaster_tweets": (10876, 10876, (4673, 6187, 16)),
    "trecis": (34200, 32865, (0, 0, 32865)),
    "germeval": (4935, 4924, None),
    "stc3": (3700, 3700, (3480, 120, 100)),
    "weibo_complaints": (3103, 3103, (0, 3103, 0)),
    "waimai": (11987, 11987, None),
    "ced": (2540, 2540, (0, 2540, 0)),
}
LANG = {"crisislex": "en", "complaints": "en", "disaster_tweets": "en", "trecis": "en", "germeval": "de",
        "stc3": "zh", "weibo_complaints": "zh", "waimai": "zh", "ced": "zh"}


@lru_cache(maxsize=None)
def _read(name: str, root: str):
    from pathlib import Path

    return read_dataset(name, Path(root) / DEFAULT_PATHS[name], return_rejects=True)


@pytest.fixture
def read(shared_data):
    return lambda name: _read(name, str(shared_data))


def _row(result, id_):
    rows = result.table.loc[result.table["id"] == id_]
    assert len(rows) == 1, f"id {id_} not found once"
    return rows.iloc[0]


@pytest.mark.shared_data
@pytest.mark.parametrize("name", list(EXPECTED))
def test_counts_and_contract(read, name):
    res = read(name)
    n_read, accepted, labels = EXPECTED[name]
    assert res.n_read == n_read
    assert res.n_accepted == accepted
    assert res.n_read == res.n_accepted + res.n_rejected
    t = res.table
    assert t["id"].is_unique and t["text"].str.strip().ne("").all()
    assert str(t["created_at"].dt.tz) == UTC
    assert set(t["label"].dropna().unique()) <= {0, 1}
    assert "source_label" in t.columns
    if labels is not None:
        assert ((t["label"] == 1).sum(), (t["label"] == 0).sum(), int(t["label"].isna().sum())) == labels


@pytest.mark.shared_data
def test_crisislex(read):
    res = read("crisislex")
    t = res.table
    assert set(res.rejects["reason"].str.split(" ").str[:2].str.join(" ")) == {"duplicate id"}
    assert t["created_at"].notna().all()
    years = t.groupby("event")["created_at"].agg(lambda s: set(s.dt.year))
    assert all(y == {int(e[:4])} for e, y in years.items())
    on = t[t["source_label"] == "on-topic"]
    assert 0.05 < (on["label"] == 0).mean() < 0.30  # prayers/sympathy/donations moved to noise
    assert (t.loc[t["source_label"] == "off-topic", "label"] == 0).all()
    r = _row(res, "263044104500420609")
    assert (sha(r.text), r.label, r.event) == ("78b75253c7d6", 1, "2012_Sandy_Hurricane")
    assert r.created_at == pd.Timestamp("2012-10-29T22:26:16.293Z")
    r = _row(res, "262596552399396864")
    assert (sha(r.text), r.label, r.source_label) == ("cbb890273357", 0, "off-topic")
    assert _row(res, "324828269214060544").label == 0  # on-topic, but a call to prayer


@pytest.mark.shared_data
def test_complaints(read):
    res = read("complaints")
    years = res.table["created_at"].dt.year
    assert years.between(2011, 2018).all()
    r = _row(res, "22631081115127808")
    assert (sha(r.text), r.label, r.domain) == ("aa39e4eee2ac", 0, "apparel")
    assert r.created_at == pd.Timestamp("2011-01-05T12:30:44.860Z")
    assert _row(res, "29494955818876928").label == 1


@pytest.mark.shared_data
def test_disaster_tweets(read):
    res = read("disaster_tweets")
    t = res.table
    assert t["created_at"].isna().all()  # every tweetid is a counter or a 6.29E+17 spreadsheet float
    assert t["confidence"].between(0, 1).all()
    assert t.loc[t["source_label"] == "Can't Decide", "label"].isna().all()
    r = _row(res, "778243823")
    assert (sha(r.text), r.label) == ("2e5541676aef", 1)
    assert "\u2019" in _row(res, "778244867").text  # the mojibake right quote is repaired
    assert not t["text"].str.contains("\x89\xdb", regex=False).any()


@pytest.mark.shared_data
def test_trecis(read):
    res = read("trecis")
    t = res.table
    assert set(res.rejects["reason"].str.split(" ").str[:2].str.join(" ")) == {"duplicate id"}
    assert t["incident_id"].nunique() == 17 and t["created_at"].notna().all()
    year = t["incident_id"].str[-4:].astype(int).where(t["incident_id"] != "shootingDallas2017", 2016)
    assert (t["created_at"].dt.year == year).all()  # the "2017" Dallas file holds July 2016 tweets
    gap = (t["created_at"] - tweet_id_time(t["id"])).dt.total_seconds().abs()
    assert gap.max() < 1  # created_at agrees with the snowflake time
    r = _row(res, "451308164932440064")
    assert (sha(r.text), r.author, r.incident_id, r.verified) == ("45f2fced444b", "WLTX", "chileEarthquake2014", True)
    assert r.created_at == pd.Timestamp("2014-04-02T10:40:26Z")
    r = _row(res, "1039850412961095680")  # Florence: local-time createdAt ignored, time from the ID
    assert (sha(r.text), r.author) == ("f516edb5ce56", "mshilary")
    assert r.created_at == pd.Timestamp("2018-09-12T12:17:12.593Z")
    assert t["is_retweet"].sum() > 2000  # retweets are kept with their own text
    assert (t["lang"] == "en").mean() > 0.99


@pytest.mark.shared_data
def test_germeval(read):
    res = read("germeval")
    t = res.table
    assert set(res.rejects["reason"]) == {"empty text"}  # 11 documents whose text is "null"
    tweets = t["platform"] == "twitter"
    assert t.loc[tweets, "created_at"].dt.year.between(2015, 2016).all()
    assert t.loc[~tweets, "created_at"].isna().all()
    assert (t.loc[t["relevance"] == False, "label"] == 0).all()  # noqa: E712
    assert 0.10 < t["label"].mean() < 0.20
    r = _row(res, "http://twitter.com/London\\_Cable/statuses/686961646900740097")
    assert (sha(r.text), r.label, r.author) == ("048f9052c9a6", 0, "London_Cable")
    assert r.created_at == pd.Timestamp("2016-01-12T17:23:14.408Z")
    r = _row(res, "http://twitter.com/LaVieVagabonde/statuses/670623192583708672")
    assert r.label == 1 and r.aspects == "Sonstige_Unregelmässigkeiten#Haupt:negative"


@pytest.mark.shared_data
def test_stc3(read):
    res = read("stc3")
    t = res.table
    assert t["created_at"].dt.year.dropna().between(2011, 2016).all()
    assert t["created_at"].isna().sum() == 3  # short mids with no time_from_mid
    assert t["text"].str.contains("@").mean() > 0.95  # the @mention trap: mask before training
    r = _row(res, "3830401296796826")
    assert (sha(r.text), r.label, r.source_label) == ("8338a4d0db70", 1, "0.737")
    assert r.created_at == pd.Timestamp("2015-04-11T03:18:17Z")
    r = _row(res, "14503511086")
    assert (r.label, r.source_label) == (0, "0.263") and pd.isna(r.created_at)


@pytest.mark.shared_data
def test_weibo_complaints_waimai_ced(read):
    r = _row(read("weibo_complaints"), "weibo_complaint_intensity:1")
    assert (sha(r.text), r.label, r.source_label) == ("1f94b4f8e53d", 0, "1")
    w = read("waimai").table
    assert (w.loc[w["source_label"] == "1", "label"] == 0).all()
    neg = w.loc[w["source_label"] == "0", "label"]
    n_fault = int((neg == 1).sum())
    assert n_fault + int(neg.isna().sum()) == len(neg) == 7987 and 0.25 < n_fault / len(neg) < 0.55
    ced = read("ced")
    assert ced.table["created_at"].dt.year.between(2010, 2014).all()
    r = _row(ced, "yFDQ0ffqy")
    assert (sha(r.text), r.author) == ("1d98fba4f815", "2082357197")
    assert r.created_at == pd.Timestamp(1349768694, unit="s", tz=UTC)
    r = _row(ced, "ywcqrt4TG")  # one of the files whose time is a "+0800" string
    assert r.created_at == pd.Timestamp("2012-08-08T05:25:02Z")


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXPECTED))
def test_dataset_language_matches_detection(read, name):
    from socialnlp.text.lang import detect_languages

    t = read(name).table
    sample = t.sample(60, random_state=0)
    assert (sample["lang"] == LANG[name]).mean() >= 0.9
    detected = detect_languages(sample["text"].tolist())
    assert (sample["lang"].to_numpy() == detected).mean() >= 0.9
