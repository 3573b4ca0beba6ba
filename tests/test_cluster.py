"""Incidents from a stream: batch = incremental, order-free, copies count once, outliers return."""
import json

import numpy as np
import pandas as pd
import pytest

from socialnlp.cluster import IncidentDetector, adjusted_rand, bcubed, detect, write_outputs
from socialnlp.cluster.linking import plan_links

T0 = pd.Timestamp("2026-03-03T06:00Z")
DIM = 256   # unrelated posts at cosine 0 +- 0.06, as spread as unrelated USE posts


# --------------------------------------------------------------------------- synthetic streams
class Stream:
    """Posts with controlled embeddings: topic posts near a topic centre, background posts anywhere."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)
        self.rows, self.vecs, self.centres = [], [], {}

    def centre(self, topic):
        if topic not in self.centres:
            v = self.rng.normal(size=DIM)
            self.centres[topic] = v / np.linalg.norm(v)
        return self.centres[topic]

    def add(self, topic, minute, author=None, text=None, lang="en", vector=None):
        i = len(self.rows)
        if vector is None:
            if topic is None:
                vector = self.rng.normal(size=DIM)
            else:
                vector = self.centre(topic) + 0.6 * self.rng.normal(size=DIM) / np.sqrt(DIM)
        self.rows.append({"id": f"p{i:04d}", "text": text or f"{topic} post {i}", "lang": lang,
                          "created_at": T0 + pd.Timedelta(minutes=minute), "author": author or f"u{i}",
                          "is_issue": 1, "topic": topic})
        self.vecs.append(np.asarray(vector) / (np.linalg.norm(vector) or 1.0))
        return self

    def background(self, start, end, every=4):
        for m in np.arange(start, end, every):
            self.add(None, float(m))
        return self

    def frame(self):
        return pd.DataFrame(self.rows), np.array(self.vecs, dtype=np.float32)


def fit(stream, **params):
    posts, V = stream.frame()
    params = {"reducer": "none", "min_cluster_size": 5, "rule": False, **params}
    return IncidentDetector(**params).fit(posts, V), posts


def incident_of(det, ids):
    return det.posts_.set_index("id").loc[list(ids), "incident_id"]


# --------------------------------------------------------------------------- the estimator contract
def test_init_stores_params_and_fit_returns_self():
    det = IncidentDetector(min_cluster_size=7, window="30min")
    assert det.get_params()["min_cluster_size"] == 7 and not hasattr(det, "reports_")
    s = Stream().background(0, 60)
    for m in range(0, 30, 3):
        s.add("outage", m)
    posts, V = s.frame()
    assert IncidentDetector(reducer="none", min_cluster_size=5, rule=False).fit(posts, V).posts_ is not None


def test_posts_without_is_issue_and_without_classifier_are_refused():
    posts, V = Stream().background(0, 30).frame()
    with pytest.raises(ValueError, match="is_issue"):
        IncidentDetector(reducer="none").fit(posts.drop(columns="is_issue"), V)


def test_a_nan_in_an_issue_posts_vector_is_refused_with_its_post():
    posts, V = Stream().background(0, 30).frame()
    V[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"row 3 \(post id 'p0003'\)"):
        IncidentDetector(reducer="none").fit(posts, V)
    posts.loc[3, "is_issue"] = 0      # a vector that is never clustered may be anything
    IncidentDetector(reducer="none", rule=False).fit(posts, V)


def test_an_injected_classifier_decides_what_is_an_issue():
    class KeywordClassifier:
        def score_posts(self, df):
            out = df.copy()
            out["is_issue"] = out["text"].str.contains("outage").astype(int)
            return out

    s = Stream().background(0, 60)
    for m in range(0, 40, 3):
        s.add("outage", m)
    posts, V = s.frame()
    det = IncidentDetector(classifier=KeywordClassifier(), reducer="none", min_cluster_size=5, rule=False)
    det.fit(posts.drop(columns="is_issue"), V)
    assert det.posts_.loc[det.posts_["text"].str.startswith("None"), "is_issue"].eq(0).all()
    assert len(det.clusters_) == 1


# --------------------------------------------------------------------------- linking over time
def test_an_incident_spanning_many_windows_keeps_one_id():
    s = Stream().background(0, 240)
    for m in np.arange(0, 200, 3.5):
        s.add("outage", float(m))
    det, posts = fit(s)
    ids = incident_of(det, posts.loc[posts["topic"] == "outage", "id"])
    assigned = ids[ids >= 0]
    assert assigned.nunique() == 1 and len(assigned) >= 0.5 * len(ids)
    links = det.links_[det.links_["incident_id"] == assigned.iloc[0]]
    assert links["window_end"].nunique() > 10 and set(links["action"]) <= {"new", "join"}


def test_two_topics_at_once_are_two_incidents():
    s = Stream().background(0, 120)
    for m in np.arange(0, 60, 2.5):
        s.add("broadband", float(m)).add("payments", float(m) + 1)
    det, posts = fit(s)
    a = incident_of(det, posts.loc[posts["topic"] == "broadband", "id"]).mode()[0]
    b = incident_of(det, posts.loc[posts["topic"] == "payments", "id"]).mode()[0]
    assert a >= 0 and b >= 0 and a != b


def test_the_same_fault_after_a_long_quiet_gap_is_a_new_incident():
    s = Stream().background(0, 600)
    for m in list(np.arange(0, 50, 2.5)) + list(np.arange(500, 550, 2.5)):
        s.add("login", float(m))
    det, posts = fit(s, max_gap="3h")
    login = posts[posts["topic"] == "login"]
    first = incident_of(det, login.loc[login["created_at"] < T0 + pd.Timedelta("2h"), "id"]).mode()[0]
    again = incident_of(det, login.loc[login["created_at"] > T0 + pd.Timedelta("8h"), "id"]).mode()[0]
    assert first >= 0 and again >= 0 and first != again


def test_plan_links_merges_only_on_shared_posts_into_the_oldest():
    e = np.eye(4, dtype=np.float32)
    shared = np.array([[0.4, 0.5]])                      # the cluster holds posts of incidents 5 and 9
    plan = plan_links(np.stack([e[0]]), [(0, "a")], [5, 9], np.stack([e[0], e[1]]), [100, 50], threshold=0.7,
                      overlap=shared)
    assert plan.merges == [(5, 9, 0.4)] and plan.target == [9]      # 9 is older (age 50): it survives
    similar_only = plan_links(np.stack([e[0]]), [(0, "a")], [5, 9], np.stack([e[0], e[0]]), [100, 50],
                              threshold=0.7, overlap=np.zeros((1, 2)))
    assert similar_only.merges == [] and similar_only.target == [9]  # joins one, merges nothing


def test_plan_links_splits_a_diverging_incident_with_a_parent():
    e = np.eye(4, dtype=np.float32)
    plan = plan_links(np.stack([e[0], e[2]]), [(0, "a"), (1, "b")], [4], np.stack([e[0]]), [0], threshold=0.7,
                      overlap=np.array([[0.9], [0.6]]))
    assert plan.action == ["join", "split"] and plan.target == [4, -1] and plan.new_parents == [4]
    close = plan_links(np.stack([e[0], (e[0] + e[2]) / np.sqrt(2)]), [(0, "a"), (1, "b")], [4], np.stack([e[0]]),
                       [0], threshold=0.7, overlap=np.array([[0.9], [0.6]]))
    assert close.action == ["join", "join"]              # 0.71 apart: above split_threshold, no flapping


def test_plan_links_fresh_cluster_joins_a_similar_incident_nobody_continues():
    e = np.eye(4, dtype=np.float32)
    plan = plan_links(np.stack([e[0], e[0] * 0.9 + e[1] * 0.436]), [(0, "a"), (1, "b")], [4], np.stack([e[0]]),
                      [0], threshold=0.7, overlap=np.array([[0.8], [0.0]]))
    assert plan.target == [4, -1] and plan.action == ["join", "new"]   # 4 is continued by cluster a


# --------------------------------------------------------------------------- copies and outliers
def test_retweets_and_near_copies_are_amplification_of_one_report():
    s = Stream().background(0, 90)
    for m in np.arange(0, 40, 3):
        s.add("outage", float(m), text=f"internet down since {int(m)} minutes")
    original = s.vecs[-2]                    # the post of minute 36
    for k in range(60):
        s.add("outage", 40 + k * 0.1, author=f"fan{k}", text="RT @u1: internet down since 36 minutes")
    s.add("outage", 47, author="edit", text="internet is down since 36 min!", vector=original + 0.01)
    det, posts = fit(s)
    [row] = det.clusters_.itertuples()
    assert row.amplification == 61 and row.n_reports == 14 and row.n_authors == 14
    copies = det.posts_[det.posts_["is_copy"]]
    assert len(copies) == 61 and copies["report_id"].nunique() == 1
    assert (copies["incident_id"] == row.incident_id).all()


def test_a_recurring_outlier_forms_an_incident_later():
    def stream():
        s = Stream(seed=3).background(0, 300, every=6)
        for m in range(0, 300, 22):      # two or three per hour: never 5 within one window
            s.add("lift", float(m), text=f"the lift in block C is broken again {m}")
        return s

    remembered, posts = fit(stream(), outlier_memory="2h")
    forgotten, _ = fit(stream(), outlier_memory="0min")
    lift = posts.loc[posts["topic"] == "lift", "id"]
    assert (incident_of(forgotten, lift) == -1).all()
    ids = incident_of(remembered, lift)
    assert ids.mode()[0] >= 0 and (ids == ids.mode()[0]).mean() >= 0.6
    assert (remembered.windows_["n_carried"] > 0).any()


def test_windows_table_reports_outlier_share():
    s = Stream().background(0, 120)
    for m in np.arange(0, 60, 3):
        s.add("outage", float(m))
    det, _ = fit(s)
    w = det.windows_
    assert list(w.columns[:8]) == ["window_start", "window_end", "n_posts", "n_issue", "n_reports", "n_carried",
                                   "n_clusters", "outlier_share"]
    assert w["outlier_share"].between(0, 1).all() and (w["window_end"] - w["window_start"]).eq("60min").all()


# --------------------------------------------------------------------------- streaming
def _split(frame, V, sizes):
    out, start = [], 0
    for size in sizes:
        out.append((frame.iloc[start:start + size], V[start:start + size]))
        start += size
    if start < len(frame):
        out.append((frame.iloc[start:], V[start:]))
    return out


def _same_outputs(a, b):
    pd.testing.assert_frame_equal(a.posts_, b.posts_)
    for name in ("clusters_", "alerts_", "windows_", "links_", "history_"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def test_late_posts_join_the_nearest_incident_and_are_flagged():
    s = Stream().background(0, 120)
    for m in np.arange(0, 60, 2.5):
        s.add("outage", float(m))
    posts, V = s.frame()
    det = IncidentDetector(reducer="none", min_cluster_size=5, rule=False).partial_fit(posts, V)
    late = Stream(seed=9)
    late.centres = s.centres
    late.add("outage", 20, text="late outage report").add("outage", 21, text="another late one")
    lp, LV = late.frame()
    lp["id"] = ["late1", "late2"]
    with pytest.warns(UserWarning, match="after their time slot"):
        det.partial_fit(lp, LV)
    got = det.posts_.set_index("id").loc[["late1", "late2"]]
    outage = incident_of(det, posts.loc[posts["topic"] == "outage", "id"]).mode()[0]
    assert got["late"].all() and (got["incident_id"] == outage).all()


def test_predict_assigns_new_posts_without_changing_the_detector():
    s = Stream().background(0, 120)
    for m in np.arange(0, 60, 2.5):
        s.add("outage", float(m))
    det, posts = fit(s)
    before = det.posts_.copy()
    new = Stream(seed=5)
    new.centres = s.centres
    new.add("outage", 70).add(None, 71)
    np_, NV = new.frame()
    np_["id"] = ["n1", "n2"]
    got = det.predict(np_, NV)
    assert got["n1"] == incident_of(det, posts.loc[posts["topic"] == "outage", "id"]).mode()[0]
    assert got["n2"] == -1
    pd.testing.assert_frame_equal(det.posts_, before)


# --------------------------------------------------------------------------- the demo stream (default pipeline)
@pytest.fixture(scope="session")
def demo_detector(demo):
    posts, V = demo
    return IncidentDetector(classifier=None).fit(posts, V)


@pytest.fixture(scope="session")
def morning(demo):
    """Four hours of the demo stream around the broadband outage."""
    posts, V = demo
    keep = ((posts["created_at"] >= "2026-03-03T05:00Z") & (posts["created_at"] < "2026-03-03T09:00Z")).to_numpy()
    return posts[keep].reset_index(drop=True), V[keep]


def test_demo_every_big_incident_is_found_once(demo, demo_detector):
    posts, _ = demo
    got = demo_detector.posts_.merge(posts[["id", "incident_id"]].rename(columns={"incident_id": "gold"}), on="id")
    sizes = got["gold"].value_counts()
    found = {}
    for gold in sizes[sizes >= 50].index:
        ids = got.loc[got["gold"] == gold, "incident_id"]
        top = ids[ids >= 0].mode()[0]
        assert (ids == top).mean() >= 0.6, gold
        assert got.loc[got["incident_id"] == top, "gold"].value_counts().index[0] == gold, gold
        found[gold] = top
    assert len(set(found.values())) == len(found) == 6    # login day 1 and day 2 are two incidents


def test_demo_small_incident_does_not_alert(demo, demo_detector):
    posts, _ = demo
    sms_ids = posts.loc[posts["incident_id"] == "sms-code-delay", "id"]
    sms_incidents = set(incident_of(demo_detector, sms_ids)) - {-1}
    assert not sms_incidents & set(demo_detector.alerts_["incident_id"])
    big = demo_detector.clusters_.sort_values("n_authors").tail(6)
    assert (big["max_severity"] >= 2).all()


def test_demo_alert_time_is_the_created_at_of_a_post(demo_detector):
    alerts = demo_detector.alerts_
    assert len(alerts)
    by_id = demo_detector.posts_.set_index("id")
    assert (alerts["alert_time"].to_numpy() == by_id.loc[alerts["tipping_post_id"], "created_at"].to_numpy()).all()
    for (incident, group) in alerts.groupby("incident_id"):
        assert group["severity"].is_monotonic_increasing and group["severity"].is_unique


def test_demo_chinese_keywords_are_words_not_sentences(demo, demo_detector):
    clusters = demo_detector.clusters_
    zh = clusters.loc[clusters["languages"].map(lambda s: json.loads(s).get("zh", 0)).idxmax()]
    words = zh["keywords_zh"].split(", ")
    assert len(words) >= 3
    texts = demo_detector.posts_.loc[demo_detector.posts_["incident_id"] == zh["incident_id"], "text"]
    for w in words:
        assert 1 <= len(w) <= 6 and not any(c in w for c in " ，。！？,.!?"), w
        assert texts.str.contains(w, regex=False).sum() >= 2, w


def test_demo_clusters_table_describes_each_incident(demo_detector):
    c = demo_detector.clusters_
    assert (c["first_seen"] <= c["last_seen"]).all()
    assert (c["n_posts"] == c["n_reports"] + c["amplification"]).all()
    for row in c.itertuples():
        langs = json.loads(row.languages)
        reps = json.loads(row.representative_posts)
        rep_langs = set(demo_detector.posts_.set_index("id").loc[reps, "lang"])
        assert set(langs) == rep_langs                      # one example per language present, at least
        vol = json.loads(row.volume)
        assert sum(vol["counts"]) == row.n_posts and vol["step"] == "10min"


def test_incremental_batches_give_the_same_incidents_as_one_fit(morning):
    posts, V = morning
    batch = IncidentDetector(classifier=None).fit(posts, V)
    assert len(batch.clusters_) >= 1
    for sizes in ([1, 2, 37, 150, 11], [len(posts) // 2]):
        det = IncidentDetector(classifier=None)
        for part, W in _split(posts, V, sizes):
            det.partial_fit(part, W)
        _same_outputs(det.flush(), batch)


def test_shuffled_input_gives_the_same_result(morning):
    posts, V = morning
    order = np.random.default_rng(1).permutation(len(posts))
    a = IncidentDetector(classifier=None).fit(posts, V)
    b = IncidentDetector(classifier=None).fit(posts.iloc[order], V[order])
    _same_outputs(a, b)


def test_detect_and_write_outputs(tmp_path, morning):
    posts, V = morning
    det = detect(posts, model=None, reducer="none", min_cluster_size=5)
    paths = write_outputs(det, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["alerts.csv", "clusters.csv", "posts.parquet",
                                                                    "windows.csv"]
    back = pd.read_parquet(paths["posts"])
    assert back["incident_id"].dtype == np.int64 and len(back) == len(posts)
    assert pd.read_csv(paths["windows"])["window_end"].str.endswith("Z").all()


# --------------------------------------------------------------------------- quality measures
def test_bcubed_scores_outliers_as_singletons():
    assert bcubed([0, 0, 1, 1], [5, 5, 7, -1]) == pytest.approx({"precision": 1.0, "recall": 0.75, "f1": 6 / 7})
    assert bcubed([0, 0, 0, 0], [1, 1, 1, 1])["f1"] == 1.0
    everything_together = bcubed([0, 0, 1, 1], [1, 1, 1, 1])
    assert everything_together["precision"] == 0.5 and everything_together["recall"] == 1.0


def test_adjusted_rand_does_not_reward_one_big_noise_cluster():
    assert adjusted_rand([0, 0, 1, 1], [-1, -1, -1, -1]) == pytest.approx(0.0)
    assert adjusted_rand([0, 0, 1, 1], [3, 3, 4, 4]) == 1.0


def test_report_store_finds_a_time_range_by_search_and_by_scan_alike():
    """Reports come in time order except late ones: ``between`` searches while the times are in
    order and scans once one is not; both give the positions a scan gives, also after a drop."""
    from socialnlp.cluster.reports import ReportStore

    rng = np.random.default_rng(0)
    store = ReportStore(dim=64)   # random 64-d rows: no two are near copies

    def add(times):
        n = len(times)
        ids = [f"p{len(store) + i}" for i in range(n)]
        vectors = rng.normal(size=(n, 64)).astype(np.float32)
        store.add(np.arange(n), np.asarray(times, dtype=np.int64), ids, ids,
                  vectors / np.linalg.norm(vectors, axis=1, keepdims=True), ids, ["en"] * n)

    def check():
        t = store.time.values
        for a, b in [(0, 10**9), (150, 400), (-5, 0), (399, 401), (0, 0), (250, 100)]:
            np.testing.assert_array_equal(store.between(a, b), np.flatnonzero((t >= a) & (t < b)))

    add(np.sort(rng.integers(0, 300, 200)))
    check()
    assert store._in_order == (200, True)
    add(np.sort(rng.integers(300, 500, 50)))
    check()
    assert store._in_order == (250, True)
    add([120])                                   # a late post's report
    check()
    assert store._in_order == (251, False)
    store.keep(np.arange(251) < 250, np.arange(251))   # dropped: in order again
    check()
    assert store._in_order == (250, True)
