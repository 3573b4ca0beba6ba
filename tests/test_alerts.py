"""The burst rule: distinct authors against an expected level, severities that only rise."""
import numpy as np
import pandas as pd
import pytest

from socialnlp.cluster import IncidentDetector
from socialnlp.signals.alerts import BurstRule

T0 = pd.Timestamp("2026-03-03T08:00Z")
MIN = 60 * 10**9


def events(minutes, authors):
    return pd.DataFrame({"time": [T0.value + int(m * MIN) for m in minutes], "author": list(authors),
                         "post_id": [f"p{i}" for i in range(len(minutes))]})


def test_alert_time_is_the_post_that_tipped_the_count():
    rule = BurstRule(min_authors=5, levels=(50, 100), background=0.1).reset()
    ev = events(range(0, 20, 2), [f"a{i}" for i in range(10)])
    [alert] = rule.evaluate(1, ev, now=T0.value + 30 * MIN)
    assert alert["post_id"] == "p4"                      # the fifth distinct author
    assert alert["alert_time"] == ev["time"].iloc[4]
    assert alert["n_authors"] == 5 and alert["severity"] == 1


def test_one_author_posting_many_times_is_one_author():
    rule = BurstRule(min_authors=5, background=0.1).reset()
    ev = events(range(40), ["same"] * 40)
    assert rule.evaluate(1, ev, now=T0.value + 45 * MIN) == []


def test_second_alert_only_when_severity_rises():
    rule = BurstRule(min_authors=3, levels=(10, 30), background=0.1).reset()
    first = rule.evaluate(1, events(range(5), "abcde"), now=T0.value + 10 * MIN)
    assert [a["severity"] for a in first] == [1]
    same_level = events(list(range(5)) + [11, 12], "abcdefg")
    assert rule.evaluate(1, same_level, now=T0.value + 20 * MIN) == []
    grown = events(list(range(5)) + [11, 12] + [21 + i * 0.5 for i in range(10)], [f"x{i}" for i in range(17)])
    second = rule.evaluate(1, grown, now=T0.value + 30 * MIN)
    assert [a["severity"] for a in second] == [2]
    assert second[0]["alert_time"] > first[0]["alert_time"]


def test_severity_levels_grow_with_distinct_authors():
    rule = BurstRule(min_authors=8, levels=(20, 80), background=0.2)
    assert rule.level(7, 1.2) == 0
    assert rule.level(8, 1.2) == 1
    assert rule.level(20, 1.2) == 2
    assert rule.level(80, 1.2) == 3


def test_steady_chatter_at_its_usual_level_does_not_alert():
    rule = BurstRule(min_authors=5, background=0.1).reset()
    rule.state_[1] = {"baseline": 2.0, "baseline_at": None, "severity": 0, "last_alert_ns": None}
    # 12 authors an hour is what this incident always has (2 per 10 min): no burst
    ev = events(range(0, 60, 5), [f"a{i}" for i in range(12)])
    assert rule.evaluate(1, ev, now=T0.value + 60 * MIN) == []


def _recounted(rule, incident, ev, now):
    """What ``evaluate`` must return, by recounting each post's window from scratch (no sliding
    counts, no shortcut for incidents too small to fire)."""
    state = rule._state(incident)
    window = rule._ns(rule.window)
    expected = max(rule.background, state["baseline"]) * window / rule._ns(rule.step)
    times, authors = ev["time"].to_numpy(), ev["author"].to_numpy()
    out, severity, last = [], state["severity"], state["last_alert_ns"]
    for i in np.lexsort((ev["post_id"].to_numpy(), times)):
        t = times[i]
        n = len(set(authors[(times > t - window) & (times <= t)]))
        sev = rule.level(n, expected)
        if now - window < t < now and (last is None or t > last) and sev > severity:
            out.append((int(t), ev["post_id"].iloc[i], n, sev))
            severity, last = sev, t
    return out


def test_alerts_are_those_of_recounting_every_window():
    # random incidents over many windows, small and large, each checked against a recount
    rng = np.random.default_rng(0)
    rule = BurstRule(min_authors=3, levels=(8, 15), background=0.2).reset()
    n_fired = 0
    for incident in range(40):
        size = int(rng.choice([2, 5, 20, 60]))
        minutes = np.sort(rng.uniform(0, 300, size))
        ev = events(minutes, [f"a{x}" for x in rng.integers(0, max(2, size // 2), size)])
        for end in range(60, 301, 10):
            now = T0.value + end * MIN
            part = ev[(ev["time"] > now - 120 * MIN) & (ev["time"] < now)].reset_index(drop=True)
            want = _recounted(rule, incident, part, now)
            got = [(a["alert_time"], a["post_id"], a["n_authors"], a["severity"])
                   for a in rule.evaluate(incident, part, now)]
            assert got == want, (incident, end)
            n_fired += len(got)
    assert n_fired > 20


def test_merge_keeps_the_higher_severity():
    rule = BurstRule(min_authors=3, levels=(10, 30), background=0.1).reset()
    rule.evaluate(2, events(range(12), [f"a{i}" for i in range(12)]), now=T0.value + 15 * MIN)
    assert rule.severity(2) == 2
    rule.merge(2, 1)
    assert rule.severity(1) == 2 and 2 not in rule.state_


# --------------------------------------------------------------------------- through the detector
def _incident_posts(n_reports=12, n_retweets=0, dim=256, seed=0):
    rng = np.random.default_rng(seed)
    center = rng.normal(size=dim)
    center /= np.linalg.norm(center)
    rows, vecs = [], []
    for i in range(n_reports):
        rows.append({"id": f"r{i}", "text": f"Störung Nummer {i} bei mir", "lang": "de",
                     "created_at": T0 + pd.Timedelta(minutes=2 * i), "author": f"user{i}", "is_issue": 1})
        v = center + 0.6 * rng.normal(size=dim) / np.sqrt(dim)
        vecs.append(v / np.linalg.norm(v))
    for j in range(n_retweets):
        rows.append({"id": f"rt{j}", "text": "RT @user0: Störung Nummer 0 bei mir", "lang": "de",
                     "created_at": T0 + pd.Timedelta(minutes=1, seconds=j), "author": f"fan{j}", "is_issue": 1})
        vecs.append(vecs[0])
    for k in range(30):  # background: unrelated issue posts
        rows.append({"id": f"b{k}", "text": f"something else {k}", "created_at": T0 + pd.Timedelta(minutes=k * 3),
                     "lang": "en", "author": f"bg{k}", "is_issue": 1})
        v = rng.normal(size=dim)
        vecs.append(v / np.linalg.norm(v))
    rows.append({"id": "end", "text": "later", "created_at": T0 + pd.Timedelta("3h"), "lang": "en", "author": "z",
                 "is_issue": 0})
    vecs.append(np.zeros(dim))
    return pd.DataFrame(rows), np.array(vecs, dtype=np.float32)


def test_detector_alert_time_is_a_post_time_of_the_incident():
    posts, V = _incident_posts()
    det = IncidentDetector(reducer="none", min_cluster_size=5, rule=BurstRule(min_authors=5)).fit(posts, V)
    assert len(det.alerts_) >= 1
    by_id = det.posts_.set_index("id")
    for alert in det.alerts_.itertuples():
        assert alert.alert_time == by_id.loc[alert.tipping_post_id, "created_at"]
        assert by_id.loc[alert.tipping_post_id, "incident_id"] == alert.incident_id
        assert alert.alert_time <= alert.detected_at


def test_viral_retweet_does_not_inflate_authors_or_alerts():
    plain, V = _incident_posts(n_retweets=0)
    viral, W = _incident_posts(n_retweets=150)
    rule = BurstRule(min_authors=5, levels=(20, 80))
    a = IncidentDetector(reducer="none", min_cluster_size=5, rule=rule).fit(plain, V)
    b = IncidentDetector(reducer="none", min_cluster_size=5, rule=rule).fit(viral, W)
    assert b.alerts_["severity"].max() == a.alerts_["severity"].max() == 1   # 162 posts, still 12 people
    assert b.alerts_["n_authors"].max() == a.alerts_["n_authors"].max()
    [row] = b.clusters_.itertuples()
    [plain_row] = a.clusters_.itertuples()
    assert row.n_authors == plain_row.n_authors == row.n_reports <= 12     # people, not posts
    assert row.amplification == 150 and row.n_posts == row.n_reports + 150


def test_rule_is_injected_and_can_be_turned_off():
    posts, V = _incident_posts()
    strict = IncidentDetector(reducer="none", min_cluster_size=5, rule=BurstRule(min_authors=50)).fit(posts, V)
    off = IncidentDetector(reducer="none", min_cluster_size=5, rule=False).fit(posts, V)
    assert len(strict.alerts_) == 0 and len(off.alerts_) == 0
    assert len(off.clusters_) == 1


@pytest.mark.parametrize("bad", [dict(window="15min", step="10min"), dict(link_threshold=1.5)])
def test_bad_parameters_are_refused_at_fit(bad):
    posts, V = _incident_posts()
    with pytest.raises(ValueError):
        IncidentDetector(reducer="none", **bad).fit(posts, V)


def test_a_custom_rule_gets_a_frame_and_its_alerts_are_used():
    """The rule protocol: any object with evaluate(incident_id, events, now), events a DataFrame."""
    class FirstReport:
        seen: list = []

        def evaluate(self, incident_id, events, now):
            assert isinstance(events, pd.DataFrame) and {"time", "author", "post_id"} <= set(events.columns)
            FirstReport.seen.append(len(events))
            if len(FirstReport.seen) > 1:
                return []
            first = events.sort_values("time").iloc[0]
            return [{"incident_id": incident_id, "alert_time": int(first["time"]), "post_id": first["post_id"],
                     "n_authors": events["author"].nunique(), "severity": 1, "expected": 0.0}]

    posts, V = _incident_posts()
    det = IncidentDetector(reducer="none", min_cluster_size=5, rule=FirstReport()).fit(posts, V)
    assert FirstReport.seen and len(det.alerts_) == 1
    assert det.alerts_["tipping_post_id"].iloc[0] in set(posts["id"])


@pytest.mark.parametrize("alpha", [0.01, 0.001, 0.2])
def test_burst_size_is_the_smallest_count_in_the_poisson_tail(alpha):
    from scipy.stats import poisson

    rule = BurstRule(alpha=alpha)
    for expected in [0.0, 1e-6, 0.6, 1.2, 3.7, 6.0, 25.5, 140.0]:
        n = rule.burst_size(expected)
        assert poisson.sf(n - 1, expected) <= alpha                 # P(X >= n) <= alpha
        assert n == 1 or poisson.sf(n - 2, expected) > alpha        # and n - 1 is not in the tail


def test_events_without_a_column_or_of_uneven_length_are_refused_with_the_reason():
    rule = BurstRule().reset()
    with pytest.raises(ValueError, match="missing \\['post_id'\\]"):
        rule.evaluate(1, events(range(3), "abc").drop(columns="post_id"), now=T0.value)
    with pytest.raises(ValueError, match="differ in length"):
        rule.evaluate(1, {"time": [T0.value] * 3, "author": ["a", "b"], "post_id": ["x", "y", "z"]}, now=T0.value)
