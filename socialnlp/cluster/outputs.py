"""One call from posts to incidents, and the files a run leaves behind."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from socialnlp.cluster.detector import IncidentDetector


def detect(posts, model="default", **params) -> IncidentDetector:
    """Find incidents in ``posts`` (a DataFrame in the data contract, or a path to one).

    ``model``: ``"default"`` or a folder (loaded with :func:`socialnlp.classify.load_model`),
    a classifier object with ``score_posts``, or None when the posts carry ``is_issue``.
    Other keyword arguments go to :class:`IncidentDetector`.

    >>> det = detect("data/demo/posts.csv", model=None)      # doctest: +SKIP  (needs is_issue)
    >>> det.alerts_[["incident_id", "alert_time", "severity", "keywords"]]  # doctest: +SKIP
    """
    if isinstance(posts, (str, Path)):
        from socialnlp.io import read_posts

        posts = read_posts(posts, require_time=True)
    if isinstance(model, (str, Path)):
        from socialnlp.classify import load_model

        model = load_model(model)
    return IncidentDetector(classifier=model, **params).fit(posts)


def write_outputs(detector: IncidentDetector, outdir) -> dict[str, Path]:
    """Write ``posts.parquet``, ``clusters.csv``, ``alerts.csv`` and ``windows.csv`` into ``outdir``.

    Times are written as ISO-8601 UTC; JSON columns (languages, volume, ids) stay JSON strings.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"posts": out / "posts.parquet", "clusters": out / "clusters.csv", "alerts": out / "alerts.csv",
             "windows": out / "windows.csv"}
    detector.posts_.to_parquet(paths["posts"], index=False)
    for name in ("clusters", "alerts", "windows"):
        _iso_times(getattr(detector, f"{name}_")).to_csv(paths[name], index=False)
    return paths


def _iso_times(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(frame[col].notna(), "")
    return frame
