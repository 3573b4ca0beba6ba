"""The data contract: every accepted shape, every rejection reason, strict mode."""
import json

import pandas as pd
import pytest

from socialnlp import ContractError, read_incidents, read_posts
from socialnlp.io import write_table


def _csv(tmp_path, text, name="posts.csv", mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


GOOD = """id,text,created_at,lang,author,label,incident_id
1,Seit heute morgen kein Internet,2026-03-03T08:14:00Z,de,@anna,1,inc-1
2,宽带断了一上午,2026-03-03T16:20:00+08:00,,weibo_user,issue,inc-1
3,what a lovely day,1772525640,en,@bob,noise,
4,app keeps crashing since the update,1772525640000,,@carol,0,
"""


def test_reads_good_csv_with_all_time_forms(tmp_path):
    posts = read_posts(_csv(tmp_path, GOOD))
    assert list(posts["id"]) == ["1", "2", "3", "4"]
    assert str(posts["created_at"].dt.tz) == "UTC"
    assert posts.loc[1, "created_at"] == pd.Timestamp("2026-03-03T08:20:00Z")
    assert posts.loc[2, "created_at"] == posts.loc[3, "created_at"] == pd.Timestamp(1772525640, unit="s", tz="UTC")
    assert list(posts["label"]) == [1, 1, 0, 0]
    assert list(posts["lang"]) == ["de", "zh", "en", "en"]


@pytest.mark.parametrize("ext", ["csv", "jsonl", "parquet", "tsv"])
def test_round_trip_each_format(tmp_path, ext):
    posts = read_posts(_csv(tmp_path, GOOD))
    path = write_table(posts, tmp_path / f"again.{ext}")
    again = read_posts(path)
    pd.testing.assert_frame_equal(posts[["id", "text", "lang"]], again[["id", "text", "lang"]])
    assert (posts["created_at"] == again["created_at"]).all()
    assert list(again["label"]) == [1, 1, 0, 0]


def test_dataframe_input(tmp_path):
    df = pd.DataFrame({"id": [1, 2], "text": ["Netz weg", "ok"]})
    posts = read_posts(df)
    assert list(posts["id"]) == ["1", "2"]


REASONS = [
    ("id,text\n,no id here\n", "id", "missing id"),
    ("id,text\na,first\na,second\n", "id", "duplicate id (first seen at row 1)"),
    ("id,text\na,   \n", "text", "empty text"),
    ("id,text,created_at\na,hi,yesterday\n", "created_at", "unparseable time"),
    ("id,text,created_at\na,hi,2026-03-03T08:14:00\n", "created_at", "unparseable time"),
    ("id,text,created_at\na,hi,2300-01-01T00:00:00Z\n", "created_at", "unparseable time"),   # not 1715
    ("id,text,label\na,hi,maybe\n", "label", "label 'maybe' is not one of 1/0/issue/noise"),
    ("id,text\na,too,many,fields\n", "", "row has 4 fields but the header has 2"),
]


@pytest.mark.parametrize("content,column,reason", REASONS)
def test_each_rejection_reason(tmp_path, content, column, reason):
    res = read_posts(_csv(tmp_path, content), return_rejects=True)
    assert res.n_read == res.n_accepted + res.n_rejected
    bad = res.rejects.iloc[-1]
    assert bad["column"] == column
    assert bad["reason"].startswith(reason)
    assert bad["source"].endswith("posts.csv")


def test_non_utf8_bytes_reject_only_that_row_csv(tmp_path):
    content = b"id,text\n1,gut\n2,caf\xe9 kaputt\n3,\xe5\xae\xbd\xe5\xb8\xa6\xe6\x96\xad\xe4\xba\x86\n"
    res = read_posts(_csv(tmp_path, content, mode="wb"), return_rejects=True)
    assert list(res.table["id"]) == ["1", "3"]
    assert res.table.loc[1, "text"] == "宽带断了"
    assert res.rejects.iloc[0][["row", "column"]].tolist() == [2, "text"]
    assert "UTF-8" in res.rejects.iloc[0]["reason"]


def test_non_utf8_and_bad_json_lines_jsonl(tmp_path):
    lines = [json.dumps({"id": "a", "text": "ok"}).encode(), b'{"id": "b", "text": "caf\xe9"}', b"{not json", json.dumps({"id": "c", "text": "fine"}).encode()]
    res = read_posts(_csv(tmp_path, b"\n".join(lines), name="p.jsonl", mode="wb"), return_rejects=True)
    assert list(res.table["id"]) == ["a", "c"]
    assert res.rejects["row"].tolist() == [2, 3]
    assert res.n_read == 4


def test_duplicate_ids_across_chunks(tmp_path):
    from socialnlp.io import iter_posts

    rows = "\n".join(f"{i % 5},post {i}" for i in range(12))
    results = list(iter_posts(_csv(tmp_path, "id,text\n" + rows + "\n"), chunksize=5, detect_lang=False))
    assert sum(r.n_accepted for r in results) == 5
    assert sum(r.n_rejected for r in results) == 7
    assert sum(r.n_read for r in results) == 12


def test_strict_raises_with_file_row_column(tmp_path):
    p = _csv(tmp_path, "id,text\na,ok\nb,\n")
    with pytest.raises(ContractError, match=r"posts.csv: row 2, column 'text': empty text"):
        read_posts(p, strict=True)


def test_missing_required_column_names_found_columns(tmp_path):
    with pytest.raises(ContractError, match=r"no column 'text'.*Columns found: id, body"):
        read_posts(_csv(tmp_path, "id,body\n1,x\n"))


def test_require_time(tmp_path):
    with pytest.raises(ContractError, match="created_at"):
        read_posts(_csv(tmp_path, "id,text\n1,x\n"), require_time=True)
    res = read_posts(_csv(tmp_path, "id,text,created_at\n1,x,\n2,y,1772525640\n"), require_time=True, return_rejects=True)
    assert res.rejects["reason"].str.startswith("missing time").tolist() == [True]


def test_lang_tags_are_normalised(tmp_path):
    posts = read_posts(_csv(tmp_path, "id,text,lang\n1,x,EN\n2,y,zh-CN\n3,z,fr\n"))
    assert list(posts["lang"]) == ["en", "zh", "other"]


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(ContractError, match="unknown file type"):
        read_posts(_csv(tmp_path, "x", name="posts.xlsx"))
    with pytest.raises(ContractError, match="file not found"):
        read_posts(tmp_path / "nope.csv")


def test_incidents_table(tmp_path):
    p = _csv(tmp_path, "incident_id,start,declared,title\ni1,2026-03-03T08:00:00Z,2026-03-03T09:00:00Z,Outage\n"
                       "i2,not a time,,x\n,2026-03-03T08:00:00Z,,y\n", name="inc.csv")
    res = read_incidents(p, return_rejects=True)
    assert list(res.table["incident_id"]) == ["i1"]
    assert res.rejects["column"].tolist() == ["start", "incident_id"]
    with pytest.raises(ContractError, match="start"):
        read_incidents(_csv(tmp_path, "incident_id,title\ni1,x\n", name="i2.csv"))


def test_fast_paths_agree_with_value_by_value_checks():
    """Aware datetime columns, Arrow strings and repeated language tags take shortcuts; the
    accepted rows and every value must be what the value-by-value checks give."""
    from socialnlp.io.contract import _undecodable, parse_times, validate_posts

    times = pd.Series(pd.to_datetime(["2026-03-01T10:00:00+01:00", None, "2026-03-01T09:30:00Z"], utc=True))
    fast, bad = parse_times(times.dt.tz_convert("Europe/Berlin"))
    slow, bad_slow = parse_times(times.astype(object))
    assert fast.equals(slow) and not bad.any() and not bad_slow.any()
    assert str(fast.dtype) == "datetime64[ns, UTC]"

    texts = pd.Series(["gut", "caf\udce9 kaputt", None, 3])
    assert _undecodable(texts).tolist() == [False, True, False, False]
    assert not _undecodable(pd.Series(["gut", "宽带"], dtype="string[pyarrow]")).any()

    frame = pd.DataFrame({"id": ["1", "2", "3", "4"], "text": ["a", "b", "c", "d"],
                          "created_at": times.tolist() + [times[0]],
                          "lang": ["DE", "zh-CN", None, "fr"]})
    out = validate_posts(frame, detect_lang=False).table
    assert out["lang"].tolist() == ["de", "zh", "other", "other"]
    assert out["created_at"].isna().tolist() == [False, True, False, False]
