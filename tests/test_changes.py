import json

import numpy as np
import pandas as pd
import pytest

from socialnlp.io import ContractError, read_posts
from socialnlp.signals.changes import blast_radius, plot_incident_changes, read_changes, suspect_changes

from conftest import DEMO

CHANGES = pd.DataFrame({
    "change_id": ["c-login", "c-pay", "c-old", "c-late", "c-cdn"],
    "time": ["2026-03-03T16:35:00Z", "2026-03-03T16:55:00Z", "2026-03-03T08:00:00Z", "2026-03-03T18:30:00Z",
             "2026-03-03T11:30:00Z"],
    "service": ["auth-gateway", "payment-gateway", "dns", "auth-gateway", "cdn"],
    "kind": ["deploy", "Config", "rollout", "deploy", "hotfix"],
    "description": ["new login session token validation", "raise checkout timeout for Alipay and card payments",
                    "resolver update", "rollback", "cache purge for the shop website"],
})


@pytest.fixture(scope="module")
def gold():
    """Demo posts of two incidents (gold ids) and a clusters table with their first post times."""
    posts = read_posts(DEMO / "posts.csv", require_time=True)
    posts = posts[posts["incident_id"].isin(["login-outage-day1", "payment-checkout-failure"])].reset_index(drop=True)
    clusters = posts.groupby("incident_id", as_index=False)["created_at"].min().rename(columns={"created_at": "first_seen"})
    return posts, clusters


# ---------------------------------------------------------------------- the contract
def test_changes_are_read_with_times_in_utc_and_kinds_normalised():
    table = read_changes(CHANGES)
    assert list(table.columns[:5]) == ["change_id", "time", "service", "kind", "description"]
    assert str(table["time"].dt.tz) == "UTC"
    assert table.set_index("change_id")["kind"].to_dict() == {
        "c-login": "deploy", "c-pay": "config", "c-old": "deploy", "c-late": "deploy", "c-cdn": "other"}


def test_unknown_kind_is_other_with_a_note_not_a_reject():
    result = read_changes(CHANGES, return_rejects=True)
    assert result.n_rejected == 0
    assert any("'hotfix'" in note for note in result.notes)


def test_bad_rows_are_rejected_with_row_column_and_reason(tmp_path):
    path = tmp_path / "changes.csv"
    path.write_text("change_id,time,kind\n"
                    "c1,2026-03-03T16:35:00Z,deploy\n"
                    ",2026-03-03T16:36:00Z,deploy\n"
                    "c1,2026-03-03T16:37:00Z,config\n"
                    "c3,yesterday,config\n"
                    "c4,,config\n"
                    "c5,1772556000,maintenance\n", encoding="utf-8")
    result = read_changes(path, return_rejects=True)
    assert result.n_read == 6 and result.n_accepted == 2 and result.n_rejected == 4
    reasons = result.rejects.set_index("row")[["column", "reason"]]
    assert reasons.loc[2, "reason"] == "missing change_id"
    assert reasons.loc[3, "reason"].startswith("duplicate change_id (first seen at row 1)")
    assert reasons.loc[4, "column"] == "time" and reasons.loc[4, "reason"].startswith("unparseable time")
    assert reasons.loc[5, "reason"] == "missing time"
    assert result.table["time"].iloc[1] == pd.Timestamp(1772556000, unit="s", tz="UTC")


def test_strict_raises_at_the_first_bad_row():
    with pytest.raises(ContractError, match="row 1, column 'time'"):
        read_changes(pd.DataFrame({"change_id": ["c1"], "time": ["2026-03-03 16:35"]}), strict=True)


def test_a_missing_required_column_names_what_is_needed():
    with pytest.raises(ContractError, match="no column 'time'.*required: change_id, time"):
        read_changes(pd.DataFrame({"change_id": ["c1"], "when": ["2026-03-03T16:35:00Z"]}))


# ---------------------------------------------------------------------- suspects
def test_only_changes_in_the_window_before_the_first_post_are_suspects(gold):
    posts, clusters = gold
    out = suspect_changes(clusters, CHANGES, embedder=None, before="6h", top_k=10)
    login = json.loads(out.loc[clusters["incident_id"] == "login-outage-day1", "suspected_changes"].iloc[0])
    ids = [c["change_id"] for c in login]
    assert "c-late" not in ids  # after the first post
    assert "c-old" not in ids   # more than 6 h before
    assert set(login[0]) == {"change_id", "time", "kind", "service", "score", "minutes_before", "similarity"}
    assert all(c["minutes_before"] > 0 for c in login)


def test_by_time_alone_the_nearest_change_ranks_first(gold):
    _, clusters = gold
    out = suspect_changes(clusters, CHANGES, embedder=None)
    assert out.set_index(clusters["incident_id"])["top_change_id"]["login-outage-day1"] == "c-pay"


def test_a_related_description_outranks_a_closer_unrelated_change(gold, use_embedder):
    posts, clusters = gold
    out = suspect_changes(clusters, CHANGES, posts, embedder=use_embedder)
    login = json.loads(out.loc[clusters["incident_id"] == "login-outage-day1", "suspected_changes"].iloc[0])
    by_id = {c["change_id"]: c for c in login}
    assert login[0]["change_id"] == "c-login"
    assert by_id["c-login"]["similarity"] > by_id["c-pay"]["similarity"]
    assert by_id["c-login"]["minutes_before"] > by_id["c-pay"]["minutes_before"]


def test_an_incident_with_no_change_before_it_has_an_empty_list():
    clusters = pd.DataFrame({"incident_id": [0], "first_seen": ["2026-03-01T00:00:00Z"]})
    out = suspect_changes(clusters, CHANGES, embedder=None)
    assert out.loc[0, "suspected_changes"] == "[]" and out.loc[0, "top_change_id"] is None
    assert np.isnan(out.loc[0, "top_change_score"])


# ---------------------------------------------------------------------- blast radius and plot
def _posts_():
    t0 = pd.Timestamp("2026-03-03T17:00:00Z")
    minutes = [1, 2, 5, 12, 31, 33, 3]
    return pd.DataFrame({
        "id": [f"p{i}" for i in range(7)],
        "created_at": [t0 + pd.Timedelta(minutes=m) for m in minutes],
        "author": ["a", "b", "a", "c", "d", "a", "z"],
        "lang": ["de", "de", "en", "zh", "zh", "de", "en"],
        "platform": ["twitter", "weibo", "twitter", "weibo", "weibo", "forum", "twitter"],
        "region": ["Frankfurt", "Mainz", None, "Frankfurt", "Mainz", "Mainz", "Berlin"],
        "incident_id": [0, 0, 0, 0, 0, 0, -1],
    })


def test_blast_radius_counts_posts_authors_and_spread_per_step():
    out = blast_radius(_posts_())
    assert out["time"].dt.minute.tolist() == [0, 10, 20, 30]  # the empty 17:20 step is a zero
    assert out["posts"].tolist() == [3, 1, 0, 2]
    assert out["authors"].tolist() == [2, 1, 0, 2]
    assert out["new_authors"].tolist() == [2, 1, 0, 1]
    assert out["total_authors"].tolist() == [2, 3, 3, 4]
    assert json.loads(out["regions"].iloc[0]) == {"Frankfurt": 1, "Mainz": 1}
    assert json.loads(out["languages"].iloc[0]) == {"de": 2, "en": 1}
    assert json.loads(out["platforms"].iloc[3]) == {"forum": 1, "weibo": 1}


def test_blast_radius_of_one_incident_and_without_regions():
    posts = _posts_().drop(columns="region")
    posts.loc[5, "incident_id"] = 1
    out = blast_radius(posts, incident_id=1)
    assert out["incident_id"].unique().tolist() == [1] and "regions" not in out.columns


def test_plot_marks_changes_on_the_volume(tmp_path):
    posts = _posts_()
    changes = CHANGES.assign(time=["2026-03-03T16:40:00Z", "2026-03-03T16:55:00Z", "2026-03-02T08:00:00Z",
                                   "2026-03-03T17:20:00Z", "2026-03-03T11:30:00Z"])
    png = plot_incident_changes(posts, changes, tmp_path / "changes.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    volume = json.dumps({"start": "2026-03-03T17:00:00Z", "step": "10min", "counts": [3, 1, 0, 2]})
    assert plot_incident_changes(volume, changes, tmp_path / "volume.png").stat().st_size > 5000
