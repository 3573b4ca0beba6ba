"""Stream-level baselines the detector has to beat: volume spikes without clustering.

- **keyword volume** (the way outage trackers work): posts that hit the fault lexicon
  (:func:`socialnlp.classify.lexicon.lexicon_hits`) per 10 minutes;
- **classifier volume**: posts the classifier calls issues (``is_issue``) per 10 minutes.

Both feed :class:`VolumeSpikeDetector`: a slot of ``step`` is a spike when its count
exceeds what the trailing ``history`` (spike slots left out, so a long incident does not
raise its own bar) leads us to expect, by ``threshold`` standard deviations (``test=
"sigma"``; the spread is at least the Poisson one, ``sqrt(mean)``) or with a Poisson tail
probability below that of ``threshold`` Gaussian sigmas (``test="poisson"``), and holds at
least ``min_count`` posts. The alert time is the time of the post that tipped the count
over the bar, so it compares with the detector's ``alert_time``. A run of spike slots
alerts once; the next alert needs ``rearm`` of quiet first. No alert before ``warmup``
slots of history.

>>> t0 = pd.Timestamp("2026-03-03T00:00Z")
>>> flat = [t0 + pd.Timedelta(minutes=5 + 10 * i) for i in range(36)]           # 1 post per 10 min
>>> spike = [t0 + pd.Timedelta(hours=4, seconds=20 * i) for i in range(20)]     # 20 posts in 7 min
>>> VolumeSpikeDetector(threshold=3, min_count=5).fit(flat + spike).alerts_["alert_time"].tolist()
[Timestamp('2026-03-03 04:01:20+0000', tz='UTC')]
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from socialnlp.evaluate.lead_time import STEP, epoch_ns, stream_segments

ALERT_COLUMNS = ["alert_id", "alert_time", "slot_start", "count", "expected", "needed"]


class VolumeSpikeDetector:
    """Alerts on spikes of posts per ``step`` against a rolling baseline (estimator style).

    Parameters
    ----------
    threshold : how far above the baseline a slot must be, in standard deviations.
    min_count : fewest posts in a slot that can alert.
    test : ``"sigma"`` (mean + threshold x sd) or ``"poisson"`` (tail probability of
        ``threshold`` one-sided Gaussian sigmas).
    step, history : slot length and trailing baseline (pandas offsets).
    warmup : slots of history needed before anything alerts.
    rearm : quiet time after a spike before the next one alerts.
    gap : the stream is cut into pieces at gaps longer than this; each starts a new baseline.
    """

    def __init__(self, threshold: float = 3.0, min_count: int = 5, test: str = "sigma", step: str = STEP,
                 history: str = "24h", warmup: int = 6, rearm: str = "60min", gap: str = "1D"):
        self.threshold = threshold
        self.min_count = min_count
        self.test = test
        self.step = step
        self.history = history
        self.warmup = warmup
        self.rearm = rearm
        self.gap = gap

    def fit(self, times, span=None) -> "VolumeSpikeDetector":
        """Count ``times`` per slot over the pieces ``span`` covers (default: ``times``) and alert.

        Sets ``counts_`` (slot_start, count, expected, needed, spike) and ``alerts_``.
        """
        if self.test not in ("sigma", "poisson"):
            raise ValueError(f"test must be 'sigma' or 'poisson', not {self.test!r}")
        step_ns = pd.Timedelta(self.step).value
        t = np.sort(epoch_ns(times))
        span_times = times if span is None else span
        slots_of_t = t // step_ns
        tables, alerts = [], []
        for lo, hi in stream_segments(span_times, self.step, self.gap):
            table, fired = self._segment(t, slots_of_t, lo, hi, step_ns)
            tables.append(table)
            alerts.extend(fired)
        self.counts_ = (pd.concat(tables, ignore_index=True) if tables else
                        pd.DataFrame(columns=["slot_start", "count", "expected", "needed", "spike"]))
        self.alerts_ = pd.DataFrame(alerts, columns=ALERT_COLUMNS[1:])
        for col in ("alert_time", "slot_start"):
            self.alerts_[col] = pd.to_datetime(self.alerts_[col], utc=True)
        self.alerts_.insert(0, "alert_id", np.arange(len(self.alerts_)))
        return self

    def _segment(self, t: np.ndarray, slots_of_t: np.ndarray, lo: int, hi: int, step_ns: int):
        slots = np.arange(lo, hi + 1)
        first = np.searchsorted(slots_of_t, slots, side="left")
        counts = np.searchsorted(slots_of_t, slots, side="right") - first
        window = max(1, int(pd.Timedelta(self.history).value // step_ns))
        rearm = int(pd.Timedelta(self.rearm).value // step_ns)
        n = len(slots)
        expected, needed = np.full(n, np.nan), np.full(n, np.nan)
        spike = np.zeros(n, dtype=bool)
        # Running sums over the slots that were no spike, so each slot's baseline costs O(1).
        kept, total, squares = [0] * (n + 1), [0.0] * (n + 1), [0.0] * (n + 1)
        fired, last_spike = [], None
        for i, c in enumerate(counts.tolist()):
            j = max(0, i - window)
            m = kept[i] - kept[j]
            if m >= self.warmup:
                mean = (total[i] - total[j]) / m
                sd = math.sqrt(max(0.0, (squares[i] - squares[j]) / m - mean * mean))
                expected[i], needed[i] = mean, self._needed(mean, sd)
                spike[i] = c >= needed[i]
            if spike[i]:
                if last_spike is None or i - last_spike > rearm:
                    k = int(needed[i])
                    fired.append({"alert_time": pd.Timestamp(int(t[first[i] + k - 1]), tz="UTC"),
                                  "slot_start": pd.Timestamp(int(slots[i] * step_ns), tz="UTC"),
                                  "count": int(c), "expected": round(float(expected[i]), 3), "needed": k})
                last_spike = i
            keep = not spike[i]
            kept[i + 1] = kept[i] + keep
            total[i + 1] = total[i] + c * keep
            squares[i + 1] = squares[i] + c * c * keep
        table = pd.DataFrame({"slot_start": pd.to_datetime(slots * step_ns, utc=True, unit="ns"), "count": counts,
                              "expected": expected, "needed": needed, "spike": spike})
        return table, fired

    def _needed(self, mean: float, sd: float) -> int:
        """The smallest count of a slot that is a spike."""
        if self.test == "sigma":
            bar = mean + self.threshold * max(sd, math.sqrt(max(mean, 1.0)))
            return max(int(self.min_count), int(math.floor(bar)) + 1)
        from scipy.stats import norm, poisson  # lazy: scipy.stats takes a second or two to import

        alpha = norm.sf(self.threshold)
        lam = max(mean, 0.1)
        k = int(poisson.isf(alpha, lam)) + 1  # smallest k with P(X >= k) <= alpha
        return max(int(self.min_count), k)


def keyword_posts(posts: pd.DataFrame) -> pd.Series:
    """Posts that hit the fault lexicon in their language (boolean mask)."""
    from socialnlp.classify.lexicon import lexicon_hits

    langs = posts["lang"] if "lang" in posts.columns else pd.Series(None, index=posts.index)
    return pd.Series([lexicon_hits(str(text), lang) > 0 for text, lang in zip(posts["text"], langs)],
                     index=posts.index, dtype=bool)


def issue_posts(scored: pd.DataFrame) -> pd.Series:
    """Posts the classifier calls issues (boolean mask)."""
    return pd.to_numeric(scored["is_issue"], errors="coerce").fillna(0).astype(int) == 1


BASELINES = {
    "keyword_volume": "keyword-volume spikes (fault-lexicon posts per 10 min vs a rolling baseline)",
    "classifier_volume": "classifier-volume spikes (is_issue posts per 10 min vs a rolling baseline, no clustering)",
}


def baseline_times(name: str, posts: pd.DataFrame, scored: pd.DataFrame | None = None) -> pd.Series:
    """The post times a baseline counts: ``keyword_volume``, fault-lexicon posts of ``posts``;
    ``classifier_volume``, ``is_issue`` posts of ``scored``."""
    if name == "keyword_volume":
        return posts.loc[keyword_posts(posts), "created_at"]
    if name == "classifier_volume":
        if scored is None or "is_issue" not in scored.columns:
            raise ValueError("classifier_volume needs scored posts with an 'is_issue' column")
        return scored.loc[issue_posts(scored), "created_at"]
    raise ValueError(f"unknown baseline {name!r}; use one of {sorted(BASELINES)}")


def baseline_alerts(name: str, posts: pd.DataFrame, scored: pd.DataFrame | None = None, times: pd.Series | None = None,
                    **params) -> pd.DataFrame:
    """Alerts of one baseline over the stream (``times``: :func:`baseline_times`, computed if not given)."""
    times = baseline_times(name, posts, scored) if times is None else times
    return VolumeSpikeDetector(**params).fit(times, span=posts["created_at"]).alerts_
