"""How early each incident was signalled: match alerts to incidents, then lead and delay.

Three rules match an alert to an incident (:func:`describe_rule` gives the text the report prints):

- **gold** (the posts carry gold ``incident_id``): an alert *is about* incident A when A is
  the gold id of more than half of its evidence posts that carry any gold id, and at least
  ``min_gold_share`` of its evidence posts carry one (so a noise cluster with one stray
  incident post is about nothing). The evidence is its detected cluster's posts up to the
  alert time (``evidence="alert"``: what the detector knew when it fired) or all of the
  cluster's posts (``evidence="cluster"``). It matches A when its ``alert_time`` lies in A's
  window ``[start - before, start + after]``; outside it the alert is about A but is no
  first signal (``outside_window``), and it is not false.
- **title** (no gold ids): an alert matches A when its time lies in A's window AND the
  cosine similarity of its text (``evidence="alert"``: the alert's keywords and sample
  posts; ``"cluster"``: the cluster's keywords and representative posts; embedded and
  averaged) to A's ``title`` is at least ``threshold``; of several, the most similar.
- **time** (stream-level alerts of the baselines, which have no cluster): an alert matches
  the incident whose window holds it; of several, the one that started last before it.

An alert that matches nothing is a false alert. Per incident, ``first_alert`` is the
earliest matching alert, ``delay_minutes = first_alert - start`` and ``lead_minutes =
declared - first_alert`` (positive: before the official acknowledgement).

>>> win = MatchWindow("30min", "6h")
>>> inc = pd.DataFrame({"incident_id": ["A"], "start": [pd.Timestamp("2026-03-03T10:00Z")],
...                     "declared": [pd.Timestamp("2026-03-03T11:00Z")], "title": [""]})
>>> alerts = pd.DataFrame({"alert_time": [pd.Timestamp("2026-03-03T10:20Z")]})
>>> table, summary = incident_metrics(inc, match_alerts_by_time(alerts, inc, win), days=1.0)
>>> table.loc[0, ["delay_minutes", "lead_minutes"]].tolist()
[20.0, 40.0]
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

NONE = -1
STEP = "10min"
SUMMARY_KEYS = ("detection_rate", "median_lead_minutes", "median_delay_minutes", "false_alerts_per_day")
MATCH_RULES = {
    "gold": ("An alert matches incident A when (1) it is about A: among {evidence_text}, at least {min_gold_share:.0%} "
             "carry a gold `incident_id`, and more than half of those that carry one carry A's; and (2) its alert "
             "time lies in A's window [start − {before}, start + {after}]. An alert about A outside that window is "
             "counted neither as a detection nor as a false alert. An alert about no incident is a false alert."),
    "title": ("No post carries a gold incident id, so an alert matches incident A when its alert time lies in A's "
              "window [start − {before}, start + {after}] AND the cosine similarity between {evidence_text} "
              "(embedded with {embedder} and averaged) and A's title is at least {threshold:.2f}; of several such "
              "incidents, the most similar. Any other alert is a false alert."),
    "time": ("Stream-level alerts have no cluster: an alert matches incident A when it lies in A's window "
             "[start − {before}, start + {after}]; of several, the incident that started last before the alert "
             "(or, if none did, the nearest). Any other alert is a false alert."),
}
EVIDENCE_TEXT = {
    ("gold", "alert"): "the posts its detected cluster held at the alert time (created at or before it)",
    ("gold", "cluster"): "the posts of its detected cluster (at the end of the stream)",
    ("title", "alert"): "the alert's text (its keywords and sample posts)",
    ("title", "cluster"): "its cluster's text (keywords in en/de/zh and representative posts)",
}


def describe_rule(mode: str, window: "MatchWindow", *, evidence: str = "alert", min_gold_share: float = 0.2,
                  threshold: float = 0.35, embedder: str = "use-multilingual") -> str:
    """The matching rule in words, as the report prints it."""
    return MATCH_RULES[mode].format(before=window.before, after=window.after, min_gold_share=min_gold_share,
                                    threshold=threshold, embedder=embedder,
                                    evidence_text=EVIDENCE_TEXT.get((mode, evidence), ""))


@dataclass(frozen=True)
class MatchWindow:
    """The incident window ``[start - before, start + after]`` an alert must fall into."""

    before: str = "30min"
    # 2 h, not more: on the demo stream 6 h windows cover 82% of the time, so almost any
    # stream-level alert would "match" some incident and false alerts would vanish.
    after: str = "2h"

    def bounds(self, start: pd.Series) -> tuple[pd.Series, pd.Series]:
        return start - pd.Timedelta(self.before), start + pd.Timedelta(self.after)


@dataclass
class Detections:
    """What ``socialnlp detect`` wrote: scored posts, clusters (detected incidents), alerts."""

    posts: pd.DataFrame
    clusters: pd.DataFrame
    alerts: pd.DataFrame
    path: Path | None = None


# ---------------------------------------------------------------------------- loading
def _utc(values) -> pd.Series:
    return pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")


def epoch_ns(times, dropna: bool = True) -> np.ndarray:
    """Times as int64 nanoseconds since the epoch (whatever unit pandas stored them in); NaT
    dropped, or kept as the smallest int64 with ``dropna=False``."""
    index = pd.DatetimeIndex(_utc(pd.Series(times)))
    return (index.dropna() if dropna else index).as_unit("ns").asi8


def gold_ids(values) -> pd.Series:
    """Gold incident ids as strings; blank, NaN and ``-1`` become ``None``."""
    s = pd.Series(values, dtype=object)
    text = s.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip())
    return text.where(~text.isin(["", "nan", "None", "<NA>", str(NONE)]), None)


def gold_by_post(posts: pd.DataFrame) -> pd.Series:
    """Gold incident id of each post, indexed by post id (None where it has none)."""
    ids = posts["id"].astype(str).to_numpy()
    if "incident_id" not in posts.columns:
        return pd.Series([None] * len(ids), index=ids, dtype=object)
    gold = pd.Series(gold_ids(posts["incident_id"]).to_numpy(), index=ids, dtype=object)
    return gold[~gold.index.duplicated()]


def has_gold_ids(posts: pd.DataFrame) -> bool:
    return "incident_id" in posts.columns and gold_ids(posts["incident_id"]).notna().any()


def load_detections(outdir: str | Path) -> Detections:
    """Read ``posts.parquet``, ``clusters.csv`` and ``alerts.csv`` of a detect run (times in UTC).

    >>> det = load_detections("out/detect")                       # doctest: +SKIP
    >>> det.alerts[["alert_id", "incident_id", "alert_time", "severity"]]   # doctest: +SKIP
    """
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise FileNotFoundError(f"{outdir}: no detections folder (run `socialnlp detect` first)")
    posts_path = outdir / "posts.parquet"
    if not posts_path.exists():
        raise FileNotFoundError(f"{posts_path}: missing; a detections folder holds posts.parquet, clusters.csv, alerts.csv")
    posts = pd.read_parquet(posts_path)
    posts["id"] = posts["id"].astype(str)
    posts["created_at"] = _utc(posts["created_at"])
    posts["incident_id"] = pd.to_numeric(posts.get("incident_id", NONE), errors="coerce").fillna(NONE).astype(np.int64)
    clusters = _read_csv(outdir / "clusters.csv", ["incident_id", "first_seen", "last_seen", "n_posts"])
    for col in ("first_seen", "last_seen", "first_alert_time"):
        if col in clusters.columns:
            clusters[col] = _utc(clusters[col])
    alerts = _read_csv(outdir / "alerts.csv", ["alert_id", "incident_id", "alert_time", "n_authors", "severity"])
    alerts["alert_time"] = _utc(alerts["alert_time"])
    if "detected_at" in alerts.columns:
        alerts["detected_at"] = _utc(alerts["detected_at"])
    for frame in (clusters, alerts):
        frame["incident_id"] = pd.to_numeric(frame["incident_id"], errors="coerce").fillna(NONE).astype(np.int64)
    return Detections(posts=posts, clusters=clusters, alerts=alerts, path=outdir)


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype={"keywords_en": str, "keywords_de": str, "keywords_zh": str, "keywords": str})
    except (FileNotFoundError, pd.errors.EmptyDataError):  # no alerts (or clusters) at all
        frame = pd.DataFrame()
    for col in columns:
        if col not in frame.columns:
            frame[col] = pd.Series(dtype=object)
    return frame


# ---------------------------------------------------------------------------- the stream
def stream_days(times, step: str = "1h", gap: str = "1D") -> float:
    """Days the stream covers: whole ``step`` slots from its first post's to its last post's,
    summed over the pieces left when the stream is cut at gaps longer than ``gap``.

    A stream of separate collections (TREC-IS: one per event, years apart) is not a stream of
    years, so false alerts per day divide by the covered time only.
    """
    segments = stream_segments(times, step, gap)
    step_ns = pd.Timedelta(step).value
    return float(sum(hi - lo + 1 for lo, hi in segments) * step_ns / pd.Timedelta("1D").value)


def stream_segments(times, step: str = STEP, gap: str = "1D") -> list[tuple[int, int]]:
    """``(first_slot, last_slot)`` of each covered piece of the stream (slot = epoch ns // step)."""
    t = epoch_ns(times)
    if not len(t):
        return []
    step_ns = pd.Timedelta(step).value
    slots = np.unique(t // step_ns)
    breaks = np.flatnonzero(np.diff(slots) * step_ns > pd.Timedelta(gap).value)
    starts = np.r_[slots[0], slots[breaks + 1]]
    ends = np.r_[slots[breaks], slots[-1]]
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


def window_coverage(times, incidents: pd.DataFrame, window: MatchWindow, step: str = "1h", gap: str = "1D") -> float:
    """Share of the covered stream (as in :func:`stream_days`) that lies in some incident's
    window: the chance that an alert at a random time matches an incident by time alone."""
    step_ns = pd.Timedelta(step).value
    segments = [(lo * step_ns, (hi + 1) * step_ns) for lo, hi in stream_segments(times, step, gap)]
    total = sum(b - a for a, b in segments)
    if not total:
        return float("nan")
    lo, hi = window.bounds(incidents["start"])
    merged: list[list[int]] = []
    for a, b in sorted(zip(epoch_ns(lo), epoch_ns(hi))):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    inside = sum(max(0, min(b, sb) - max(a, sa)) for a, b in merged for sa, sb in segments)
    return float(inside / total)


def excluded_incidents(posts: pd.DataFrame, incidents: pd.DataFrame, exclude="auto",
                       coverage: str = "6h") -> dict[str, str]:
    """Incidents left out of lead-time statistics, with the reason.

    ``exclude``: ``"auto"`` applies the rule below and honours a truthy ``exclude`` column of
    the incidents table; a list of incident ids excludes those (plus the column); ``None``
    excludes nothing. The rule: an incident is excluded when its collection holds no post in
    the ``coverage`` before its start (posts with its gold id, or with no gold id at all):
    such a collection began after the onset, so its first alert measures when the collection
    began, not how fast people reacted.
    """
    if exclude is None or exclude is False:
        return {}
    out: dict[str, str] = {}
    if "exclude" in incidents.columns:
        flag = incidents["exclude"].map(lambda v: str(v).strip().lower() in ("1", "true", "yes", "y", "x"))
        out.update({i: "marked in the incidents table" for i in incidents.loc[flag, "incident_id"].astype(str)})
    if exclude != "auto":
        out.update({str(i): "excluded by request" for i in exclude})
        return out
    times = _utc(posts["created_at"])
    gold = gold_ids(posts["incident_id"]) if "incident_id" in posts.columns else pd.Series(None, index=posts.index)
    lookback = pd.Timedelta(coverage)
    for inc in incidents.itertuples(index=False):
        iid = str(inc.incident_id)
        if iid in out:
            continue
        own = (gold == iid) | gold.isna()
        before = own & (times >= inc.start - lookback) & (times < inc.start)
        if not before.any():
            later = times[own & (times >= inc.start)]
            first = f"; its first post is {_minutes(later.min() - inc.start):.0f} min after the start" if len(later) else ""
            out[iid] = f"no post of its collection in the {coverage} before the start{first}"
    return out


def _minutes(delta) -> float:
    return float(pd.Timedelta(delta).total_seconds() / 60.0) if pd.notna(delta) else float("nan")


# ---------------------------------------------------------------------------- clusters
def gold_majority(golds: pd.Series, min_gold_share: float = 0.2) -> dict:
    """What a set of posts is about under the gold rule: ``gold_id`` (or None), ``n_posts``,
    ``n_gold``, ``majority_share`` (of the gold-carrying posts), ``gold_share`` (of all)."""
    counts = golds.dropna().value_counts()
    n, n_gold = len(golds), int(counts.sum())
    top, top_n = (counts.index[0], int(counts.iloc[0])) if n_gold else (None, 0)
    about = top if n_gold and top_n * 2 > n_gold and n_gold >= min_gold_share * n else None
    return {"gold_id": about, "n_posts": n, "n_gold": n_gold,
            "majority_share": top_n / n_gold if n_gold else float("nan"), "gold_share": n_gold / n if n else float("nan")}


def cluster_gold_table(scored: pd.DataFrame, gold_by_id: pd.Series, min_gold_share: float = 0.2) -> pd.DataFrame:
    """:func:`gold_majority` of every detected cluster's posts (``cluster_id`` column; no -1)."""
    frame = pd.DataFrame({"cluster_id": scored["incident_id"].to_numpy(),
                          "gold": gold_by_id.reindex(scored["id"].astype(str)).to_numpy()})
    frame = frame[frame["cluster_id"] != NONE]
    rows = [{"cluster_id": int(cid), **gold_majority(part["gold"], min_gold_share)}
            for cid, part in frame.groupby("cluster_id", sort=True)]
    table = pd.DataFrame(rows, columns=["cluster_id", "gold_id", "n_posts", "n_gold", "majority_share", "gold_share"])
    table["gold_id"] = pd.Series([r["gold_id"] for r in rows], index=table.index, dtype=object)
    return table


def alert_gold_ids(alerts: pd.DataFrame, scored: pd.DataFrame, gold_by_id: pd.Series, min_gold_share: float = 0.2,
                   evidence: str = "alert") -> pd.Series:
    """The gold incident each alert is about (None: none). ``evidence="alert"``: the posts its
    cluster held at the alert time (``created_at <= alert_time``), i.e. what the detector
    knew when it fired; ``"cluster"``: all posts of the cluster at the end of the stream (a
    cluster that alerts on chatter and later absorbs an incident then counts as that incident)."""
    if evidence not in ("alert", "cluster"):
        raise ValueError(f"evidence must be 'alert' or 'cluster', not {evidence!r}")
    if evidence == "cluster":
        table = cluster_gold_table(scored, gold_by_id, min_gold_share)
        about = dict(zip(table["cluster_id"], table["gold_id"]))
        return pd.Series([about.get(int(c)) for c in alerts["cluster_id"]], index=alerts.index, dtype=object)
    frame = pd.DataFrame({"cluster_id": scored["incident_id"].to_numpy(), "time": epoch_ns(scored["created_at"], dropna=False),
                          "gold": gold_by_id.reindex(scored["id"].astype(str)).to_numpy()})
    groups = {int(c): part.sort_values("time") for c, part in frame[frame["cluster_id"] != NONE].groupby("cluster_id")}
    out = []
    for cid, t in zip(alerts["cluster_id"].astype(int), epoch_ns(alerts["alert_time"], dropna=False)):
        part = groups.get(cid)
        seen = part["gold"].iloc[:int(np.searchsorted(part["time"].to_numpy(), t, side="right"))] if part is not None else []
        out.append(gold_majority(pd.Series(seen, dtype=object), min_gold_share)["gold_id"])
    return pd.Series(out, index=alerts.index, dtype=object)


def cluster_texts(clusters: pd.DataFrame, text_by_id: pd.Series | None = None) -> dict[int, list[str]]:
    """What a cluster says at the end of the stream: its keywords (one string per language)
    and its representative posts."""
    out = {}
    for row in clusters.to_dict("records"):
        out[int(row["incident_id"])] = _texts(row, ("keywords_en", "keywords_de", "keywords_zh"),
                                              "representative_posts", text_by_id)
    return out


def alert_texts(alerts: pd.DataFrame, text_by_id: pd.Series | None = None) -> dict[object, list[str]]:
    """What an alert said when it fired: its keywords and its sample posts (keyed by alert row)."""
    return {i: _texts(row, ("keywords",), "sample_post_ids", text_by_id) for i, row in alerts.iterrows()}


def _texts(row, keyword_cols, ids_col, text_by_id) -> list[str]:
    texts = [str(row[c]) for c in keyword_cols if c in row and isinstance(row[c], str) and row[c].strip()]
    ids = row.get(ids_col) if hasattr(row, "get") else None
    if text_by_id is not None and isinstance(ids, str) and ids.strip():
        texts += [str(t) for t in text_by_id.reindex([str(i) for i in json.loads(ids)]).dropna()]
    return texts


def title_similarity(texts: dict[int, list[str]], incidents: pd.DataFrame, embedder) -> pd.DataFrame:
    """Cosine similarity, text set (rows: cluster ids or alert rows) x incident (columns), of
    each set's averaged text embeddings to the incident title."""
    titles = incidents["title"].fillna("").astype(str).tolist()
    ids = [k for k in texts if texts[k]]
    flat = [t for c in ids for t in texts[c]]
    sims = np.zeros((len(ids), len(titles)))
    if ids and titles:
        vectors = _unit(np.asarray(embedder.encode(flat + titles), dtype=np.float64))
        title_v, bounds = vectors[len(flat):], np.cumsum([0] + [len(texts[c]) for c in ids])
        centroids = _unit(np.vstack([vectors[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:])]))
        sims = centroids @ title_v.T
        sims[:, [not t.strip() for t in titles]] = 0.0
    return pd.DataFrame(sims, index=pd.Index(ids), columns=incidents["incident_id"].astype(str))


def _unit(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)


def resolve_alert_clusters(alerts: pd.DataFrame, scored: pd.DataFrame, cluster_ids: Iterable[int]) -> pd.Series:
    """The cluster of each alert: its ``incident_id`` if that cluster still exists, else (it was
    merged into another) the cluster most of its ``sample_post_ids`` now belong to."""
    alive = set(int(c) for c in cluster_ids)
    post_cluster = pd.Series(scored["incident_id"].to_numpy(), index=scored["id"].astype(str))
    post_cluster = post_cluster[~post_cluster.index.duplicated()]
    out = []
    for row in alerts.to_dict("records"):
        cid = int(row["incident_id"])
        samples = row.get("sample_post_ids")
        if cid not in alive and isinstance(samples, str) and samples.strip():
            now = post_cluster.reindex([str(i) for i in json.loads(samples)]).dropna()
            now = now[now != NONE]
            cid = int(now.mode().iloc[0]) if len(now) else cid
        out.append(cid)
    return pd.Series(out, index=alerts.index, dtype=np.int64)


# ---------------------------------------------------------------------------- matching
MATCH_COLUMNS = ["matched_incident", "status"]


def _in_window(times: pd.Series, incidents: pd.DataFrame, window: MatchWindow) -> np.ndarray:
    """Boolean (alerts x incidents): the alert lies in the incident's window."""
    lo, hi = window.bounds(incidents["start"])
    t = times.to_numpy(dtype="datetime64[ns]")[:, None]
    return (t >= lo.to_numpy(dtype="datetime64[ns]")[None, :]) & (t <= hi.to_numpy(dtype="datetime64[ns]")[None, :])


def match_alerts_by_time(alerts: pd.DataFrame, incidents: pd.DataFrame, window: MatchWindow = MatchWindow()) -> pd.DataFrame:
    """The ``time`` rule: ``alerts`` plus ``matched_incident`` (or None) and ``status``."""
    out = alerts.copy()
    times = _utc(out["alert_time"])
    inside = _in_window(times, incidents, window)
    starts = incidents["start"].to_numpy(dtype="datetime64[ns]")
    ids = incidents["incident_id"].astype(str).to_numpy()
    matched = []
    for i, t in enumerate(times.to_numpy(dtype="datetime64[ns]")):
        cand = np.flatnonzero(inside[i])
        if not len(cand):
            matched.append(None)
            continue
        began = cand[starts[cand] <= t]
        pick = began[np.argmax(starts[began])] if len(began) else cand[np.argmin(starts[cand] - t)]
        matched.append(ids[pick])
    out["matched_incident"] = pd.Series(matched, index=out.index, dtype=object)
    out["status"] = ["matched" if m is not None else "false" for m in matched]
    return out


def match_alerts_by_gold(alerts: pd.DataFrame, incidents: pd.DataFrame, about: pd.Series,
                         window: MatchWindow = MatchWindow()) -> pd.DataFrame:
    """The ``gold`` rule; ``about``: the gold incident of each alert (:func:`alert_gold_ids`)."""
    out = alerts.copy()
    inside = _in_window(_utc(out["alert_time"]), incidents, window)
    col = {iid: j for j, iid in enumerate(incidents["incident_id"].astype(str))}
    matched, status = [], []
    for i, gold in enumerate(pd.Series(about, dtype=object).reindex(out.index)):
        if gold is None or gold not in col:
            matched.append(None)
            status.append("false")
        elif inside[i, col[gold]]:
            matched.append(gold)
            status.append("matched")
        else:
            matched.append(None)
            status.append("outside_window")
    out["matched_incident"] = pd.Series(matched, index=out.index, dtype=object)
    out["status"] = status
    return out


def match_alerts_by_title(alerts: pd.DataFrame, incidents: pd.DataFrame, similarity: pd.DataFrame,
                          window: MatchWindow = MatchWindow(), threshold: float = 0.35,
                          by: str | None = "cluster_id") -> pd.DataFrame:
    """The ``title`` rule. ``similarity`` (from :func:`title_similarity`) has one row per
    cluster id (``by="cluster_id"``) or per alert row (``by=None``, from :func:`alert_texts`)."""
    out = alerts.copy()
    inside = _in_window(_utc(out["alert_time"]), incidents, window)
    ids = incidents["incident_id"].astype(str).to_numpy()
    keys = out[by].astype(int).to_numpy() if by else out.index.to_numpy()
    sims = similarity.reindex(index=keys, columns=ids).fillna(0.0).to_numpy()
    matched = []
    for i in range(len(out)):
        ok = inside[i] & (sims[i] >= threshold)
        matched.append(ids[np.argmax(np.where(ok, sims[i], -np.inf))] if ok.any() else None)
    out["matched_incident"] = pd.Series(matched, index=out.index, dtype=object)
    out["status"] = ["matched" if m is not None else "false" for m in matched]
    out["title_similarity"] = sims.max(axis=1) if sims.shape[1] else np.nan
    return out


# ---------------------------------------------------------------------------- metrics
def incident_metrics(incidents: pd.DataFrame, matched: pd.DataFrame, *, days: float,
                     excluded: dict[str, str] | None = None,
                     cluster_sizes: dict[int, int] | None = None) -> tuple[pd.DataFrame, dict]:
    """Per-incident table and the overall metrics of one set of matched alerts.

    Excluded incidents keep their row (``excluded`` True) but count in no statistic; their
    alerts are not false alerts either.
    """
    excluded = excluded or {}
    hits = matched[matched["status"] == "matched"] if len(matched) else matched
    rows = []
    for inc in incidents.itertuples(index=False):
        iid = str(inc.incident_id)
        mine = hits[hits["matched_incident"] == iid] if len(hits) else hits
        first = _utc(mine["alert_time"]).min() if len(mine) else pd.NaT
        clusters = sorted(set(mine["cluster_id"].astype(int))) if len(mine) and "cluster_id" in mine else []
        rows.append({
            "incident_id": iid, "start": inc.start, "declared": inc.declared,
            "excluded": iid in excluded, "exclude_reason": excluded.get(iid, ""),
            "detected": bool(len(mine)), "first_alert": first, "n_alerts": int(len(mine)),
            "delay_minutes": _minutes(first - inc.start) if pd.notna(first) else float("nan"),
            "lead_minutes": _minutes(inc.declared - first) if pd.notna(first) and pd.notna(inc.declared) else float("nan"),
            "clusters": clusters,
            "cluster_sizes": [int((cluster_sizes or {}).get(c, 0)) for c in clusters],
        })
    table = pd.DataFrame(rows, columns=["incident_id", "start", "declared", "excluded", "exclude_reason", "detected",
                                        "first_alert", "n_alerts", "delay_minutes", "lead_minutes", "clusters",
                                        "cluster_sizes"])
    return table, summarize(table, matched, days)


def summarize(table: pd.DataFrame, matched: pd.DataFrame, days: float) -> dict:
    """``detection_rate``, ``median_lead_minutes``, ``median_delay_minutes``, ``false_alerts_per_day``
    (over incidents not excluded) and the counts behind them."""
    kept = table[~table["excluded"]]
    found = kept[kept["detected"]]
    n_false = int((matched["status"] == "false").sum()) if len(matched) else 0
    return {
        "detection_rate": _ratio(len(found), len(kept)),
        "median_lead_minutes": _median(found["lead_minutes"]),
        "median_delay_minutes": _median(found["delay_minutes"]),
        "false_alerts_per_day": _ratio(n_false, days),
        "n_incidents": int(len(table)), "n_evaluated": int(len(kept)), "n_detected": int(len(found)),
        "n_alerts": int(len(matched)), "n_false_alerts": n_false, "stream_days": round(float(days), 4),
    }


def _ratio(a: float, b: float) -> float | None:
    return float(a) / float(b) if b else None


def _median(values: pd.Series) -> float | None:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.median()) if len(v) else None


# ---------------------------------------------------------------------------- scores
def clustering_scores(scored: pd.DataFrame, gold_by_id: pd.Series) -> dict[str, float | None]:
    """ARI and BCubed of the detected clusters against gold incidents, over the posts the
    clusterer saw (``is_issue == 1``, or all when there is no such column). A post with no
    gold id is a class of its own, so pulling noise into an incident costs precision."""
    from socialnlp.cluster.quality import cluster_quality  # lazy: the cluster package is heavy

    seen = scored[scored["is_issue"].astype(int) == 1] if "is_issue" in scored.columns else scored
    if not len(seen):
        return {k: None for k in ("ari", "bcubed_precision", "bcubed_recall", "bcubed_f1")}
    gold = gold_by_id.reindex(seen["id"].astype(str)).to_numpy(dtype=object)
    true = [g if g is not None and g == g else f"\x00none:{i}" for i, g in enumerate(gold)]
    q = cluster_quality(true, seen["incident_id"].to_numpy())
    return {k: float(q[k]) for k in ("ari", "bcubed_precision", "bcubed_recall", "bcubed_f1")}


def classifier_scores(posts: pd.DataFrame, scored: pd.DataFrame) -> dict | None:
    """Classifier metrics per language (and ``all``) where the stream has gold labels."""
    from socialnlp.evaluate.classification import metrics_by_language

    if "label" not in posts.columns or not {"p_issue", "is_issue"} <= set(scored.columns):
        return None
    labels = pd.to_numeric(posts.set_index(posts["id"].astype(str))["label"], errors="coerce")
    labels = labels[~labels.index.duplicated()]
    frame = scored.assign(y=labels.reindex(scored["id"].astype(str)).to_numpy()).dropna(subset=["y"])
    if not len(frame):
        return None
    table = metrics_by_language(frame["y"].astype(int), frame["p_issue"], frame["is_issue"].astype(int), frame["lang"])
    return {lang: {k: _json_number(v) for k, v in row.items()} for lang, row in table.to_dict("index").items()}


def _json_number(v):
    if isinstance(v, (np.integer, int)):
        return int(v)
    v = float(v)
    return None if math.isnan(v) else v
