import json

import numpy as np
import pandas as pd
import pytest

from socialnlp.cluster.library import IncidentLibrary, LibraryError, centroids_from_posts
from socialnlp.io import read_posts

from conftest import DEMO

DAY1, DAY2 = "login-outage-day1", "login-outage-day2"
OTHERS = ("payment-checkout-failure", "website-500-errors")


@pytest.fixture(scope="module")
def demo(use_embedder):
    """Gold incidents of the demo stream as a clusters table, with their centroids (no detector run)."""
    from socialnlp.embed import CachedEmbedder

    posts = read_posts(DEMO / "posts.csv", require_time=True)
    posts = posts[posts["incident_id"].isin([DAY1, DAY2, *OTHERS])].reset_index(drop=True)
    centroids = centroids_from_posts(posts, CachedEmbedder(use_embedder))
    clusters = (posts.sort_values("created_at").groupby("incident_id", as_index=False)
                .agg(first_seen=("created_at", "min"), last_seen=("created_at", "max"), n_posts=("id", "size"),
                     representative_posts=("id", lambda s: json.dumps(s.head(3).tolist()))))
    clusters["keywords_en"] = clusters["incident_id"].str.replace("-", ", ")
    return clusters, centroids


def _rows(clusters, *ids):
    return clusters[clusters["incident_id"].isin(ids)].reset_index(drop=True)


def _toy(n=3, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    clusters = pd.DataFrame({"incident_id": list(range(n)),
                             "first_seen": pd.date_range("2026-03-03T10:00Z", periods=n, freq="1D"),
                             "keywords_en": ["login, error", "payment, checkout", "router, dsl"][:n]})
    return clusters, rng.normal(size=(n, dim)).astype(np.float32)


def test_a_recurrence_on_day_two_is_linked_to_day_one(demo, tmp_path):
    clusters, centroids = demo
    lib = IncidentLibrary(tmp_path / "lib", embedder="use-multilingual")
    [day1_id] = lib.add(_rows(clusters, DAY1), centroids, resolutions={DAY1: "rolled back auth-gateway 4.2"})
    matches = lib.similar({DAY2: centroids[DAY2]}, threshold=0.75)
    assert matches[0]["library_id"] == day1_id and matches[0]["similarity"] > 0.75
    assert matches[0]["resolution"] == "rolled back auth-gateway 4.2"
    assert matches[0]["first_seen"].startswith("2026-03-03T17")


def test_other_incidents_are_not_linked_to_the_login_outage(demo, tmp_path):
    clusters, centroids = demo
    lib = IncidentLibrary(tmp_path / "lib")
    lib.add(_rows(clusters, DAY1), centroids)
    assert lib.similar({k: centroids[k] for k in OTHERS}, threshold=0.75) == []


def test_a_run_links_its_own_later_recurrence_but_never_an_incident_to_itself(demo, tmp_path):
    clusters, centroids = demo
    lib = IncidentLibrary(tmp_path / "lib")
    lib.add(clusters, centroids, run_id="run-1")
    past = lib.similar_past(clusters, centroids).set_axis(clusters["incident_id"])
    assert [m["past_incident_id"] for m in json.loads(past[DAY2])] == [DAY1]
    assert json.loads(past[DAY1]) == []  # day 2 is later: not a past incident of day 1
    assert all(json.loads(past[k]) == [] for k in OTHERS)


def test_the_library_survives_a_reopen_and_adding_again_changes_nothing(demo, tmp_path):
    clusters, centroids = demo
    IncidentLibrary(tmp_path / "lib").add(clusters, centroids, resolutions={DAY1: "rollback"})
    again = IncidentLibrary(tmp_path / "lib")
    again.add(clusters, centroids)
    entries = again.entries()
    assert len(entries) == len(clusters)
    assert entries.set_index("incident_id").loc[DAY1, "resolution"] == "rollback"
    assert sorted(p.name for p in (tmp_path / "lib").iterdir() if not p.name.startswith(".")) == [
        "centroids-000002.npy", "entries-000002.json", "manifest.json"]


def test_set_resolution_is_shown_with_later_matches(tmp_path):
    clusters, X = _toy()
    lib = IncidentLibrary(tmp_path / "lib")
    ids = lib.add(clusters, X, titles=["Login outage", "Checkout down", "DSL down"])
    lib.set_resolution(ids[0], "restarted the token service")
    [match] = lib.similar(X[:1] + 0.01, top_k=1)
    assert match["title"] == "Login outage" and match["resolution"] == "restarted the token service"
    with pytest.raises(KeyError, match="no incident 'inc-nope'"):
        lib.set_resolution("inc-nope", "x")


def test_files_are_json_and_npy_with_checksums_in_the_manifest(tmp_path):
    clusters, X = _toy()
    IncidentLibrary(tmp_path / "lib").add(clusters, X)
    manifest = json.loads((tmp_path / "lib" / "manifest.json").read_text())
    assert manifest["n"] == 3 and manifest["dim"] == 8
    assert manifest["files"]["centroids"]["shape"] == [3, 8] and len(manifest["files"]["entries"]["sha256"]) == 64
    loaded = np.load(tmp_path / "lib" / manifest["files"]["centroids"]["name"], allow_pickle=False)
    assert np.allclose(np.linalg.norm(loaded, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("damage", ["truncate_centroids", "edit_entries", "drop_manifest", "bad_manifest"])
def test_a_damaged_library_is_a_clear_error(tmp_path, damage):
    clusters, X = _toy()
    lib = IncidentLibrary(tmp_path / "lib")
    lib.add(clusters, X)
    manifest = json.loads((tmp_path / "lib" / "manifest.json").read_text())
    target = {"truncate_centroids": manifest["files"]["centroids"]["name"], "edit_entries": manifest["files"]["entries"]["name"],
              "drop_manifest": "manifest.json", "bad_manifest": "manifest.json"}[damage]
    path = tmp_path / "lib" / target
    if damage == "truncate_centroids":
        path.write_bytes(path.read_bytes()[:-16])
    elif damage == "edit_entries":
        path.write_text(path.read_text().replace("login", "logon"))
    elif damage == "drop_manifest":
        path.unlink()
    else:
        path.write_text("{not json")
    with pytest.raises(LibraryError, match="damaged|SHA-256|not valid JSON") as err:
        lib.similar(X)
    assert target in str(err.value) or "manifest" in str(err.value)


def test_centroids_of_another_embedder_or_size_are_refused(tmp_path):
    clusters, X = _toy()
    IncidentLibrary(tmp_path / "lib", embedder="use-multilingual").add(clusters, X)
    with pytest.raises(LibraryError, match="'use-multilingual' centroids"):
        IncidentLibrary(tmp_path / "lib", embedder="e5-small").similar(X)
    with pytest.raises(LibraryError, match="8 dimensions"):
        IncidentLibrary(tmp_path / "lib").similar(np.ones((1, 4), dtype=np.float32))


def test_centroids_from_posts_with_an_array_are_unit_means_per_incident():
    posts = pd.DataFrame({"incident_id": [0, 0, -1, 1], "text": list("abcd")})
    X = np.array([[1, 0], [0, 1], [5, 5], [0, 2]], dtype=np.float32)
    out = centroids_from_posts(posts, X)
    assert sorted(out) == [0, 1]
    assert np.allclose(out[0], [2 ** -0.5, 2 ** -0.5]) and np.allclose(out[1], [0, 1])


def test_an_empty_library_finds_nothing(tmp_path):
    assert IncidentLibrary(tmp_path / "none").similar(np.ones((1, 4))) == []
