"""Evaluation: how alerts match incidents, lead and delay, false alerts, baselines, the report."""
import json
import re
import zlib

import numpy as np
import pandas as pd
import pytest

from socialnlp.evaluate import (METRIC_KEYS, MatchWindow, VolumeSpikeDetector, alert_gold_ids, baseline_alerts,
                                excluded_incidents, incident_metrics, load_detections, match_alerts_by_gold,
                                match_alerts_by_time, match_alerts_by_title, run_evaluation, stream_days)
from socialnlp.evaluate.lead_time import cluster_gold_table, gold_by_post, title_similarity

T0 = pd.Timestamp("2026-03-03T00:00Z")
WINDOW = MatchWindow("30min", "6h")
NOISE = ["Lovely sunny morning in the park", "Schönes Wochenende euch allen", "今天的火锅真好吃"]


def at(hhmm: str, day: int = 0) -> pd.Timestamp:
    h, m = map(int, hhmm.split(":"))
    return T0 + pd.Timedelta(days=day, hours=h, minutes=m)


def incidents_table(*rows) -> pd.DataFrame:
    """rows: (incident_id, start, declared, title)."""
    return pd.DataFrame(rows, columns=["incident_id", "start", "declared", "title"])


def alerts_at(*times, **cols) -> pd.DataFrame:
    frame = pd.DataFrame({"alert_id": range(len(times)), "alert_time": list(times)})
    for k, v in cols.items():
        frame[k] = v
    return frame


def two_day_stream() -> pd.DataFrame:
    """Noise every 20 min for two days, plus incident A (day 1, 10:00) and B (day 2, 14:00) bursts."""
    rows = [(f"n{i}", NOISE[i % 3], T0 + pd.Timedelta(minutes=20 * i + 3), "en de zh".split()[i % 3], f"u{i % 50}", 0, "")
            for i in range(144)]
    for i in range(12):
        rows.append((f"a{i}", f"kein Internet, Störung in Frankfurt #{i}", at("10:05") + pd.Timedelta(minutes=i),
                     "de", f"a{i}", 1, "A"))
        rows.append((f"b{i}", f"app login error, app crashed again #{i}", at("14:05", 1) + pd.Timedelta(minutes=i),
                     "en", f"b{i}", 1, "B"))
    return (pd.DataFrame(rows, columns=["id", "text", "created_at", "lang", "author", "label", "incident_id"])
            .sort_values("created_at", ignore_index=True))


def write_detections(folder, posts, cluster_of, alerts, p_issue=None):
    """A detections folder as `socialnlp detect` writes it; ``cluster_of``: post id -> detected id."""
    folder.mkdir(parents=True, exist_ok=True)
    scored = posts[["id", "created_at", "lang"]].copy()
    scored["incident_id"] = scored["id"].map(cluster_of).fillna(-1).astype(int)
    scored["is_issue"] = posts["label"].astype(int) if p_issue is None else (p_issue >= 0.5).astype(int)
    scored["p_issue"] = scored["is_issue"] * 0.8 + 0.1 if p_issue is None else p_issue
    scored.to_parquet(folder / "posts.parquet", index=False)
    rows = []
    for cid, part in scored[scored["incident_id"] >= 0].groupby("incident_id"):
        slots = part["created_at"].dt.floor("10min")
        counts = slots.value_counts().reindex(pd.date_range(slots.min(), slots.max(), freq="10min"), fill_value=0)
        texts = posts.set_index("id").loc[part["id"], "text"]
        rows.append({"incident_id": cid, "first_seen": part["created_at"].min().isoformat(),
                     "last_seen": part["created_at"].max().isoformat(), "n_posts": len(part), "n_authors": len(part),
                     "languages": json.dumps(part["lang"].value_counts().to_dict()),
                     "keywords_en": " ".join(texts.iloc[0].split()[:4]), "keywords_de": "", "keywords_zh": "",
                     "representative_posts": json.dumps(part["id"].tolist()[:3]),
                     "volume": json.dumps({"start": slots.min().isoformat(), "step": "10min",
                                           "counts": counts.tolist()})})
    pd.DataFrame(rows).to_csv(folder / "clusters.csv", index=False)
    alerts.assign(alert_time=pd.to_datetime(alerts["alert_time"]).dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(
        folder / "alerts.csv", index=False)
    return folder


class WordEmbedder:
    """Hashed bag of words: texts sharing words are similar. Fast and deterministic."""

    name, dim = "words", 256

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w+", t.lower()):
                out[i, zlib.crc32(w.encode()) % self.dim] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


# ------------------------------------------------------------------ lead, delay, false alerts
def test_known_alert_and_incident_times_give_known_delay_and_lead():
    incidents = incidents_table(("A", at("10:00"), at("11:00"), ""))
    matched = match_alerts_by_time(alerts_at(at("10:20"), at("10:50")), incidents, WINDOW)
    table, summary = incident_metrics(incidents, matched, days=2.0)
    row = table.iloc[0]
    assert row["first_alert"] == at("10:20")
    assert (row["delay_minutes"], row["lead_minutes"]) == (20.0, 40.0)
    assert (summary["median_delay_minutes"], summary["median_lead_minutes"], summary["detection_rate"]) == (20.0, 40.0, 1.0)


def test_alert_after_the_declaration_has_negative_lead_and_no_declaration_no_lead():
    incidents = incidents_table(("A", at("10:00"), at("11:00"), ""), ("B", at("10:00", 1), pd.NaT, ""))
    matched = match_alerts_by_time(alerts_at(at("11:30"), at("10:10", 1)), incidents, WINDOW)
    table, summary = incident_metrics(incidents, matched, days=2.0)
    assert table["lead_minutes"].iloc[0] == -30.0
    assert np.isnan(table["lead_minutes"].iloc[1]) and table["delay_minutes"].iloc[1] == 10.0
    assert summary["median_lead_minutes"] == -30.0


def test_false_alerts_per_day_counts_alerts_matching_no_incident_over_the_stream_days():
    posts = two_day_stream()
    assert stream_days(posts["created_at"]) == 2.0
    incidents = incidents_table(("A", at("10:00"), at("11:00"), ""))
    # 10:15 matches A; 03:00 (before the window), 16:31 (6 h 31 min after) and day 2 match nothing.
    alerts = alerts_at(at("10:15"), at("03:00"), at("16:31"), at("12:00", 1))
    table, summary = incident_metrics(incidents, match_alerts_by_time(alerts, incidents, WINDOW),
                                      days=stream_days(posts["created_at"]))
    assert summary["n_false_alerts"] == 3 and summary["false_alerts_per_day"] == 1.5
    assert table["n_alerts"].iloc[0] == 1


def test_stream_days_leave_out_gaps_between_separate_collections():
    times = [at("00:00"), at("23:55"), at("00:00", 400), at("11:55", 400)]
    assert stream_days(times) == 1.5


def test_a_time_matched_alert_goes_to_the_incident_that_started_last_before_it():
    incidents = incidents_table(("A", at("10:00"), pd.NaT, ""), ("B", at("12:00"), pd.NaT, ""))
    matched = match_alerts_by_time(alerts_at(at("11:00"), at("12:10"), at("09:45")), incidents, WINDOW)
    assert matched["matched_incident"].tolist() == ["A", "B", "A"]


# ------------------------------------------------------------------ the gold rule
def gold_posts(spec: dict, start=at("09:00")) -> tuple[pd.DataFrame, pd.Series]:
    """spec: cluster id -> gold ids of its posts in time order, one a minute ('' = none);
    returns scored posts and the gold id by post."""
    ids, clusters, gold, times = [], [], [], []
    for cid, golds in spec.items():
        for j, g in enumerate(golds):
            ids.append(f"c{cid}-{j}")
            clusters.append(cid)
            gold.append(g)
            times.append(start + pd.Timedelta(minutes=j))
    scored = pd.DataFrame({"id": ids, "incident_id": clusters, "created_at": times})
    return scored, gold_by_post(pd.DataFrame({"id": ids, "incident_id": gold}))


def test_a_cluster_whose_gold_posts_are_mostly_incident_a_is_about_a():
    scored, gold = gold_posts({1: ["A"] * 6 + ["B"] * 2 + [""] * 5,   # 6 of 8 gold posts are A
                               2: ["A"] + [""] * 20,                     # 1 of 21 posts has a gold id
                               3: ["A", "A", "B", "B"],                  # a tie is no majority
                               -1: ["B"] * 9})                           # outliers are no cluster
    table = cluster_gold_table(scored, gold, min_gold_share=0.2).set_index("cluster_id")
    assert table.loc[1, "gold_id"] == "A" and table.loc[1, "majority_share"] == 0.75
    assert table.loc[2, "gold_id"] is None and table.loc[3, "gold_id"] is None
    assert -1 not in table.index


def test_gold_rule_matches_in_the_window_and_ignores_alerts_outside_it():
    scored, gold = gold_posts({1: ["A"] * 5, 2: [""] * 5})
    incidents = incidents_table(("A", at("10:00"), at("11:00"), ""))
    alerts = alerts_at(at("10:20"), at("20:00"), at("10:30"), cluster_id=[1, 1, 2])
    matched = match_alerts_by_gold(alerts, incidents, alert_gold_ids(alerts, scored, gold), WINDOW)
    assert matched["status"].tolist() == ["matched", "outside_window", "false"]
    _, summary = incident_metrics(incidents, matched, days=2.0)
    assert summary["n_false_alerts"] == 1 and summary["false_alerts_per_day"] == 0.5


def test_alert_evidence_is_what_the_cluster_held_when_it_alerted():
    # Cluster 1 alerts at 09:09 on ten chatter posts, then absorbs twenty posts of incident A.
    scored, gold = gold_posts({1: [""] * 10 + ["A"] * 20})
    incidents = incidents_table(("A", at("09:15"), at("10:00"), ""))
    alerts = alerts_at(at("09:09"), at("09:25"), cluster_id=[1, 1])
    assert alert_gold_ids(alerts, scored, gold, evidence="alert").tolist() == [None, "A"]
    assert alert_gold_ids(alerts, scored, gold, evidence="cluster").tolist() == ["A", "A"]


# ------------------------------------------------------------------ the title rule
def test_without_gold_ids_alerts_match_by_time_and_title_similarity():
    incidents = incidents_table(("login", at("10:00"), at("11:00"), "Login fails in the app with an error"),
                                ("dsl", at("10:00"), at("11:00"), "Broadband outage in Frankfurt, kein Internet"))
    texts = {7: ["login error app", "app login fails again, error"], 8: ["sunny park morning picnic"]}
    sims = title_similarity(texts, incidents, WordEmbedder())
    assert sims.loc[7, "login"] > 0.35 > sims.loc[7, "dsl"]
    alerts = alerts_at(at("10:15"), at("20:00"), at("10:15"), cluster_id=[7, 7, 8])
    matched = match_alerts_by_title(alerts, incidents, sims, WINDOW, threshold=0.35)
    assert matched["matched_incident"].tolist() == ["login", None, None]
    assert matched["status"].tolist() == ["matched", "false", "false"]


# ------------------------------------------------------------------ exclusions
def test_an_incident_whose_collection_begins_after_its_start_is_excluded_from_the_statistics():
    posts = pd.DataFrame({"id": ["x1", "x2", "y1", "y2"],
                          "created_at": [at("08:00"), at("10:30"), at("15:00"), at("15:10")],
                          "incident_id": ["X", "X", "Y", "Y"]})
    incidents = incidents_table(("X", at("10:00"), at("11:00"), ""), ("Y", at("12:00"), at("16:00"), ""))
    excluded = excluded_incidents(posts, incidents, "auto", coverage="6h")
    assert list(excluded) == ["Y"] and "180 min after the start" in excluded["Y"]
    assert excluded_incidents(posts, incidents, None) == {}
    assert list(excluded_incidents(posts, incidents, ["X"])) == ["X"]
    matched = match_alerts_by_time(alerts_at(at("10:20"), at("15:05")), incidents, WINDOW)
    table, summary = incident_metrics(incidents, matched, days=1.0, excluded=excluded)
    assert summary["n_evaluated"] == 1 and summary["median_lead_minutes"] == 40.0
    assert summary["n_false_alerts"] == 0 and table.set_index("incident_id").loc["Y", "excluded"]


# ------------------------------------------------------------------ baselines
def flat_times(per_slot: int = 2, hours: int = 24):
    return [T0 + pd.Timedelta(minutes=10 * s + 1 + j) for s in range(6 * hours) for j in range(per_slot)]


def test_volume_spike_detector_is_quiet_on_flat_volume():
    assert VolumeSpikeDetector(threshold=3, min_count=5).fit(flat_times()).alerts_.empty


def test_volume_spike_detector_fires_once_on_a_spike_at_the_tipping_post():
    spike = [at("12:00") + pd.Timedelta(seconds=15 * i) for i in range(30)]
    alerts = VolumeSpikeDetector(threshold=3, min_count=5).fit(flat_times() + spike).alerts_
    assert len(alerts) == 1
    row = alerts.iloc[0]
    # Baseline 2 per slot (sd floor sqrt(2)): the bar is 2 + 3 * 1.41 -> 7 posts. The slot's 7th post
    # is the spike post at 12:01:15 (after 5 spike posts and the flat post of 12:01:00).
    assert row["needed"] == 7 and row["alert_time"] == spike[5]
    poisson = VolumeSpikeDetector(threshold=3, min_count=5, test="poisson").fit(flat_times() + spike).alerts_
    assert len(poisson) == 1


def test_keyword_and_classifier_baselines_fire_on_the_incident_burst_only():
    posts = two_day_stream()
    scored = posts[["id", "created_at", "lang"]].assign(is_issue=posts["label"])
    for name in ("keyword_volume", "classifier_volume"):
        alerts = baseline_alerts(name, posts, scored, threshold=3, min_count=5)
        assert alerts["alert_time"].dt.floor("h").tolist() == [at("10:00"), at("14:00", 1)], name


# ------------------------------------------------------------------ the whole run
@pytest.fixture
def run(tmp_path):
    posts = two_day_stream()
    incidents = incidents_table(("A", at("10:00"), at("11:00"), "Internet outage in Frankfurt"),
                                ("B", at("14:00", 1), at("15:00", 1), "App login error"),
                                ("C", at("03:00", 1), at("04:00", 1), "Undetected power cut"))
    cluster_of = {**{f"a{i}": 0 for i in range(12)}, **{f"b{i}": 1 for i in range(12)}, "n5": 2, "n6": 2, "n7": 2}
    alerts = alerts_at(at("10:20"), at("14:20", 1), at("02:10"), at("18:00", 1), incident_id=[0, 1, 2, 2],
                       n_posts=[5, 5, 3, 3], n_authors=[5, 5, 3, 12], severity=[1, 2, 1, 1],
                       sample_post_ids=['["a0"]', '["b0"]', '["n5"]', '["n6"]'])
    folder = write_detections(tmp_path / "detect", posts, cluster_of, alerts)
    return posts, incidents, folder, tmp_path / "report"


def test_load_detections_parses_times_as_utc(run):
    det = load_detections(run[2])
    assert str(det.alerts["alert_time"].dt.tz) == "UTC" and det.alerts["alert_time"].iloc[0] == at("10:20")
    assert str(det.posts["created_at"].dt.tz) == "UTC" and str(det.clusters["first_seen"].dt.tz) == "UTC"


def test_run_evaluation_writes_metrics_with_exactly_the_required_keys(run):
    posts, incidents, folder, out = run
    result = run_evaluation(posts, incidents, folder, out, exclude=None, sigmas=(3.0,), min_authors=(0, 10))
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == set(METRIC_KEYS) == {
        "detection_rate", "median_lead_minutes", "median_delay_minutes", "false_alerts_per_day",
        "ari", "bcubed_precision", "bcubed_recall", "bcubed_f1", "classifier"}
    assert metrics["detection_rate"] == pytest.approx(2 / 3)
    assert metrics["median_lead_minutes"] == 40.0 and metrics["median_delay_minutes"] == 20.0
    assert metrics["false_alerts_per_day"] == 1.0  # the two alerts of noise cluster 2 over 2 days
    assert metrics["bcubed_precision"] == 1.0 and set(metrics["classifier"]) == {"de", "en", "zh", "all"}
    assert result["match"] == "gold"


def test_run_evaluation_writes_the_report_and_the_plots(run):
    posts, incidents, folder, out = run
    result = run_evaluation(posts, incidents, folder, out, exclude=None, sigmas=(2.0, 3.0), min_authors=(0, 10))
    report = (out / "report.md").read_text()
    assert "the posts its detected cluster held at the alert time" in report
    assert "more than half of those that carry one carry A's" in report
    assert "**vs keyword-volume spikes**" in report and "**vs classifier-volume spikes**" in report
    pngs = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert pngs == ["cluster_map.png", "lead_times.png", "pr_curves.png", "sensitivity.png",
                    "timeline_A.png", "timeline_B.png", "timeline_C.png"]
    assert all((out / "plots" / p).stat().st_size > 5000 for p in pngs)
    assert "(plots/timeline_A.png)" in report
    sweep = result["sensitivity"]
    detector = sweep[sweep["method"] == "detector"].set_index("setting")
    assert detector.loc["≥0 authors", "n_false_alerts"].max() == 2 and detector.loc["≥10 authors", "n_false_alerts"].min() == 0


def test_run_evaluation_calls_the_detector_when_no_folder_is_given(run):
    posts, incidents, folder, out = run
    calls = []
    result = run_evaluation(posts, incidents, None, out, detector_fn=lambda p: calls.append(len(p)) or folder,
                            plots=False, sigmas=(3.0,), min_authors=(0,))
    assert calls == [len(posts)] and result["metrics"]["detection_rate"] == pytest.approx(2 / 3)


def test_run_evaluation_without_gold_ids_matches_by_time_and_title(run):
    posts, incidents, folder, out = run
    result = run_evaluation(posts.drop(columns=["incident_id"]), incidents, folder, out, embedder=WordEmbedder(),
                            plots=False, sigmas=(3.0,), min_authors=(0,))
    assert result["match"] == "title"
    assert result["detector"]["alerts"]["matched_incident"].tolist() == ["A", "B", None, None]
    metrics = result["metrics"]
    assert metrics["detection_rate"] == pytest.approx(2 / 3) and metrics["false_alerts_per_day"] == 1.0
    assert metrics["ari"] is None and "title is at least 0.35" in (out / "report.md").read_text()


def test_run_evaluation_with_no_alerts_detects_nothing_and_still_plots(run, tmp_path):
    posts, incidents, folder, out = run
    empty = write_detections(tmp_path / "quiet", posts, {}, alerts_at())
    result = run_evaluation(posts, incidents, empty, out, sigmas=(3.0,), min_authors=(0,))
    metrics = result["metrics"]
    assert metrics["detection_rate"] == 0.0 and metrics["false_alerts_per_day"] == 0.0
    assert metrics["median_lead_minutes"] is None
    assert (out / "plots" / "lead_times.png").exists() and (out / "plots" / "timeline_A.png").exists()
