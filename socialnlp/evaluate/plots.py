"""Evaluation plots as PNG files (matplotlib's object API with the Agg canvas: no pyplot
state, no display needed). Every function takes what it draws and a path, and returns the path."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

STEP = "10min"
LANG_MARKERS = {"en": "o", "de": "s", "zh": "^"}
METHOD_COLORS = {"detector": "tab:green", "keyword_volume": "tab:orange", "classifier_volume": "tab:purple"}


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def parse_volume(value, first_seen=None, step: str = STEP) -> pd.Series:
    """A cluster's ``volume`` (JSON ``{"start", "step", "counts"}`` or a bare list of counts per
    step from ``first_seen``) as posts per step indexed by slot start (UTC)."""
    data = json.loads(value) if isinstance(value, str) else value
    if isinstance(data, dict):
        counts, start, step = data.get("counts") or [], data.get("start"), data.get("step") or step
    else:
        counts, start = list(data or []), first_seen
    if not counts or start is None or pd.isna(start):
        return pd.Series(dtype=float)
    start = pd.Timestamp(start).tz_convert("UTC") if pd.Timestamp(start).tzinfo else pd.Timestamp(start, tz="UTC")
    index = pd.date_range(start.floor(step), periods=len(counts), freq=step)
    return pd.Series(np.asarray(counts, dtype=float), index=index)


def counts_per_step(times, step: str = STEP) -> pd.Series:
    """Posts per step (empty steps as 0), indexed by slot start."""
    t = pd.to_datetime(pd.Series(times), utc=True).dropna()
    if not len(t):
        return pd.Series(dtype=float)
    counts = t.dt.floor(step).value_counts().sort_index()
    full = pd.date_range(counts.index.min(), counts.index.max(), freq=step)
    return counts.reindex(full, fill_value=0).astype(float)


def incident_timeline(incident: dict, path: str | Path, *, cluster_volumes: dict[int, pd.Series] | None = None,
                      gold_volume: pd.Series | None = None, first_alerts: dict[str, pd.Timestamp] | None = None) -> Path:
    """Posts per 10 minutes of the matched clusters (and of the incident's gold posts) around
    the incident, with its start, its declaration and each method's first alert."""
    start, declared = pd.Timestamp(incident["start"]), incident.get("declared")
    alerts = {k: pd.Timestamp(v) for k, v in (first_alerts or {}).items() if v is not None and pd.notna(v)}
    marks = [start] + ([pd.Timestamp(declared)] if declared is not None and pd.notna(declared) else []) + list(alerts.values())
    lo = min(marks) - pd.Timedelta("1h")
    hi = min(max(max(marks) + pd.Timedelta("1h"), start + pd.Timedelta("3h")), start + pd.Timedelta("2D"))
    fig = Figure(figsize=(9, 3.8))
    ax = fig.subplots()
    g = _between(gold_volume, lo, hi)
    if len(g):
        ax.fill_between(g.index, g.to_numpy(), step="post", color="0.85", label="gold posts of the incident")
    for cid, vol in (cluster_volumes or {}).items():
        v = _between(vol, lo, hi)
        if len(v):
            ax.step(v.index, v.to_numpy(), where="post", lw=1.8, label=f"detected cluster {cid}")
    ax.axvline(start, color="black", lw=1.5, label=f"start {start:%H:%M}")
    if declared is not None and pd.notna(declared):
        ax.axvline(pd.Timestamp(declared), color="tab:red", ls="--", lw=1.5, label=f"declared {pd.Timestamp(declared):%H:%M}")
    for i, (method, t) in enumerate(alerts.items()):
        ax.axvline(t, color=METHOD_COLORS.get(method, f"C{i + 3}"), ls=":" if method != "detector" else "-",
                   lw=1.5, label=f"first alert: {method.replace('_', ' ')} {t:%H:%M}")
    ax.set_xlim(lo, hi)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("posts per 10 min")
    title = incident.get("title") or ""
    ax.set_title(f"{incident['incident_id']}" + (f": {title[:70]}" if title else ""), fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.autofmt_xdate()
    return _save(fig, path)


def _between(series: pd.Series | None, lo, hi) -> pd.Series:
    if series is None or not len(series):
        return pd.Series(dtype=float)
    return series[(series.index >= lo) & (series.index <= hi)]


def lead_time_distribution(leads: dict[str, list[float]], path: str | Path) -> Path:
    """Lead time (declared - first alert, minutes) per incident and method: box plus points."""
    names = list(leads)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    data = [np.asarray([v for v in leads[n] if v is not None and np.isfinite(v)], dtype=float) for n in names]
    ax.boxplot([d if len(d) else [np.nan] for d in data], showfliers=False, widths=0.5)
    ax.set_xticks(range(1, len(names) + 1), [f"{n.replace('_', ' ')}\n(n={len(d)})" for n, d in zip(names, data)])
    rng = np.random.default_rng(0)
    for i, (n, d) in enumerate(zip(names, data), start=1):
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(d)), d, s=22, color=METHOD_COLORS.get(n, "tab:blue"), zorder=3)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_ylabel("lead time before declaration (minutes)")
    ax.set_title("Lead time per incident (positive = before the official declaration)")
    return _save(fig, path)


def pr_curves(y_true, p_issue, lang, path: str | Path) -> Path:
    """Precision-recall curve of the issue class per language."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    frame = pd.DataFrame({"y": np.asarray(y_true, dtype=int), "p": np.asarray(p_issue, dtype=float),
                          "lang": np.asarray(lang, dtype=object)})
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    for name, part in [*sorted(frame.groupby("lang")), ("all", frame)]:
        if part["y"].nunique() < 2:
            continue
        prec, rec, _ = precision_recall_curve(part["y"], part["p"])
        ap = average_precision_score(part["y"], part["p"])
        ax.plot(rec, prec, lw=2.2 if name == "all" else 1.4, ls="--" if name == "all" else "-",
                label=f"{name} (AP {ap:.2f}, n={len(part)})")
    ax.set_xlabel("recall (issue class)")
    ax.set_ylabel("precision (issue class)")
    ax.set_xlim(0, 1.0)
    ax.set_ylim(0, 1.02)
    ax.set_title("Issue classifier: precision-recall per language")
    ax.legend(fontsize=8, loc="lower left")
    return _save(fig, path)


def cluster_map(points: np.ndarray | None, cluster_ids, langs, path: str | Path, texts=None, max_points: int = 4000,
                top: int = 10) -> Path:
    """2-D map of posts (PCA of the given embeddings, or of TF-IDF of ``texts``): colour =
    detected incident (the ``top`` largest; others grey, outliers light grey), marker = language."""
    ids = np.asarray(cluster_ids)
    langs = np.asarray(langs, dtype=object)
    keep = np.arange(len(ids))
    if len(keep) > max_points:
        keep = np.sort(np.random.default_rng(0).choice(keep, max_points, replace=False))
    xy = _two_d(points[keep] if points is not None else None, None if texts is None else np.asarray(texts, dtype=object)[keep])
    ids, langs = ids[keep], langs[keep]
    sizes = pd.Series(ids[ids != -1]).value_counts()
    biggest = list(sizes.index[:top])
    fig = Figure(figsize=(8, 6))
    ax = fig.subplots()
    for lang in sorted(set(langs.tolist()), key=str):
        m = langs == lang
        marker = LANG_MARKERS.get(lang, "x")
        colors = [f"C{biggest.index(c)}" if c in biggest else ("0.88" if c == -1 else "0.55") for c in ids[m]]
        ax.scatter(xy[m, 0], xy[m, 1], c=colors, marker=marker, s=14, linewidths=0.3, alpha=0.8)
    handles = [ax.scatter([], [], color=f"C{i}", marker="o", s=20, label=f"incident {c} ({sizes[c]} posts)")
               for i, c in enumerate(biggest)]
    handles.append(ax.scatter([], [], color="0.88", marker="o", s=20, label="no incident (outlier)"))
    handles += [ax.scatter([], [], color="0.3", marker=LANG_MARKERS.get(lg, "x"), s=20, label=f"lang: {lg}")
                for lg in sorted(set(langs.tolist()), key=str)]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    source = "embeddings" if points is not None else "TF-IDF"
    ax.set_title(f"Issue posts by detected incident (PCA of {source}, {len(ids)} posts)")
    ax.set_xlabel("component 1 (unitless)")
    ax.set_ylabel("component 2 (unitless)")
    return _save(fig, path)


def _two_d(points: np.ndarray | None, texts) -> np.ndarray:
    n = len(points) if points is not None else len(texts)
    if n < 3:
        return np.zeros((n, 2))
    if points is not None:
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=0).fit_transform(np.asarray(points, dtype=np.float64))
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Character n-grams: works for Chinese without a segmenter.
    X = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True).fit_transform(
        [str(t) for t in texts])
    if X.shape[1] < 3:
        return np.zeros((n, 2))
    return TruncatedSVD(n_components=2, random_state=0).fit_transform(X)


def sensitivity_curve(sweep: pd.DataFrame, path: str | Path) -> Path:
    """Median lead time against false alerts per day, one line per method (and detector severity)."""
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    shades = iter(["tab:green", "tab:olive", "tab:cyan", "tab:blue", "tab:brown"])
    for name, part in sweep.groupby("curve", sort=False):
        # In sweep order (the bar rises along the line); points without a lead are left out.
        part = part.dropna(subset=["median_lead_minutes", "false_alerts_per_day"])
        if not len(part):
            continue
        method = part["method"].iloc[0]
        color = METHOD_COLORS.get(method) if method != "detector" else next(shades, "tab:gray")
        ax.plot(part["false_alerts_per_day"], part["median_lead_minutes"], color=color, label=name, alpha=0.9)
        ax.scatter(part["false_alerts_per_day"], part["median_lead_minutes"], color=color, zorder=3,
                   s=8 + 60 * part["detection_rate"].fillna(0).to_numpy(dtype=float))
        labelled = set()
        for row in part.itertuples():
            spot = (round(row.false_alerts_per_day, 3), round(row.median_lead_minutes, 1))
            if spot not in labelled:  # one label per point; equal points share the first setting's
                labelled.add(spot)
                ax.annotate(str(row.setting), spot, fontsize=6, xytext=(3, 3), textcoords="offset points", color=color)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("false alerts per day")
    ax.set_ylabel("median lead time before declaration (minutes)")
    ax.set_title("Sensitivity: median lead vs false alerts as the alert bar moves")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="marker size = detection rate",
              title_fontsize=7)
    return _save(fig, path)
