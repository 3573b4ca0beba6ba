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
    A detector with a ``spill_dir`` has its posts copied part by part (never all in memory), in
    the order they were written out.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"posts": out / "posts.parquet", "clusters": out / "clusters.csv", "alerts": out / "alerts.csv",
             "windows": out / "windows.csv"}
    if detector.spill_dir is not None:
        _write_parts(_posts_parts(detector), paths["posts"])
    else:
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


def _write_parts(parts: list["_Part"], path: Path) -> None:
    """Concatenate parts into one Parquet file, one at a time: their schemas are unified
    (a column that is all null in one part takes its type from the others)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = [part.schema() for part in parts]
    if not schemas:
        pd.DataFrame().to_parquet(path, index=False)
        return
    schema = pa.unify_schemas([s.remove_metadata() for s in schemas], promote_options="permissive")
    with pq.ParquetWriter(path, schema) as writer:
        for part in parts:
            table = pa.Table.from_pandas(part.frame(), preserve_index=False)
            columns = [table.column(f.name) if f.name in table.column_names else pa.nulls(len(table), f.type)
                       for f in schema]
            writer.write_table(pa.Table.from_arrays(columns, names=schema.names).cast(schema))


class _Part:
    """A part of a table: a Parquet file (read when asked) or a DataFrame."""

    def __init__(self, path: Path | None = None, frame: pd.DataFrame | None = None):
        self.path, self._frame = path, frame

    def schema(self):
        import pyarrow as pa
        import pyarrow.parquet as pq

        return pq.read_schema(self.path) if self.path else pa.Schema.from_pandas(self._frame, preserve_index=False)

    def frame(self) -> pd.DataFrame:
        return pd.read_parquet(self.path) if self.path else self._frame


def _posts_parts(detector: IncidentDetector) -> list[_Part]:
    """The posts written out (oldest first), then those still in memory."""
    import numpy as np

    parts = [_Part(path=p) for p in sorted((Path(detector.spill_dir) / "posts").glob("part-*.parquet"))]
    live = detector._posts_frame(np.arange(len(detector._row_time)))
    if len(live):
        parts.append(_Part(frame=live))
    return parts
