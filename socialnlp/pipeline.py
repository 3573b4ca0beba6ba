"""The main job end to end: read -> score -> detect -> route -> deliver -> (evaluate).

``socialnlp detect``, ``socialnlp evaluate`` and ``make demo`` all run through here, so the
files a run leaves behind are the same whichever door it came in by.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from socialnlp.io import read_posts

log = logging.getLogger(__name__)


@dataclass
class DetectRun:
    """What a detect run produced: the detector, its output files and the read counts."""

    detector: object
    outdir: Path
    files: dict[str, Path]
    read_summary: str
    n_rejected: int
    routed: pd.DataFrame | None = None
    clusters: pd.DataFrame | None = None  # the detector's clusters plus team, suspected changes, similar_past
    deliveries: pd.DataFrame | None = None


def run_detect(posts, outdir: str | Path, *, model="default", routes: str | Path | None = None,
               webhook: str | None = None, embedder="use-multilingual", changes=None, changes_before: str = "6h",
               library: str | Path | None = None, library_threshold: float = 0.85, run_id: str | None = None,
               pseudonymize: bool = False, pseudonym_key_file: str | Path | None = None,
               max_quote_chars: int = 280, checkpoint: str | Path | None = None, horizon: str | None = None,
               chunksize: int | None = None, **params) -> DetectRun:
    """Score and cluster a stream, route its incidents, write the outputs and the alert outbox.

    Writes into ``outdir``: ``posts.parquet`` (scored posts, ``incident_id`` = detected incident or
    -1; the input's own ``incident_id``, if any, kept as ``gold_incident_id``), ``clusters.csv``,
    ``alerts.csv``, ``windows.csv``, ``alerts.jsonl`` (helpdesk payloads with delivery status) and
    ``rejects.csv`` when input rows were rejected. ``changes`` (a changes table) adds suspected changes
    per incident and ``blast_radius.csv``; ``library`` (a folder) links incidents to similar past ones
    (``similar_past``) and adds this run's; ``pseudonymize`` replaces author handles and @mentions with
    keyed hashes before anything is embedded or written. Quotes are cut at ``max_quote_chars``. ``params`` go to
    :class:`~socialnlp.cluster.IncidentDetector` (``window``, ``step``, ``min_cluster_size``, ...).

    Long streams: with ``checkpoint`` (a folder) or ``horizon`` the input (a file, a folder of parts
    or a list) is read ``chunksize`` rows at a time and detected in bounded memory
    (:func:`socialnlp.scale.stream.detect_stream`); with ``checkpoint`` a stopped run resumes.
    ``changes`` and ``library`` then read the posts back from ``posts.parquet``.
    """
    from socialnlp.classify import load_model
    from socialnlp.cluster import detect, write_outputs

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    pseudonymizer = None
    if pseudonymize:  # before anything is embedded or written: every output then carries pseudonyms only
        from socialnlp.privacy import Pseudonymizer

        pseudonymizer = Pseudonymizer(key_file=pseudonym_key_file)
    classifier = load_model(model) if isinstance(model, (str, Path)) else model

    def prepare(table: pd.DataFrame) -> pd.DataFrame:
        if pseudonymizer is not None:
            table = pseudonymizer.pseudonymize_frame(table)
        return table.rename(columns={"incident_id": "gold_incident_id"})   # the detector writes incident_id

    if checkpoint is not None or horizon is not None:
        from socialnlp.scale.stream import DEFAULT_CHUNK, detect_stream

        streamed = detect_stream(posts, outdir, model=classifier, checkpoint=checkpoint, horizon=horizon or "auto",
                                 chunksize=chunksize or DEFAULT_CHUNK, transform=prepare, embedder=embedder, **params)
        detector, files = streamed.detector, streamed.files
        run = DetectRun(detector=detector, outdir=outdir, files=files, read_summary=streamed.summary(),
                        n_rejected=streamed.n_rejected)
    else:
        result = read_posts(posts, require_time=True, return_rejects=True)
        if result.n_accepted == 0:
            raise ValueError(f"{result.summary()}: no post could be read, nothing to detect")
        if result.n_rejected:
            result.rejects.to_csv(outdir / "rejects.csv", index=False)
        detector = detect(prepare(result.table), model=classifier, embedder=embedder, **params)
        files = write_outputs(detector, outdir)
        run = DetectRun(detector=detector, outdir=outdir, files=files, read_summary=result.summary(),
                        n_rejected=result.n_rejected)
    alerts = detector.alerts_.copy()
    clusters = detector.clusters_.copy()
    if routes is not None:
        run.routed = _route(detector.clusters_, routes, embedder)
        clusters = clusters.join(run.routed)
    if changes is not None:
        clusters = clusters.join(_suspects(detector, changes, changes_before, embedder, outdir, files))
    if library is not None:
        clusters["similar_past"] = _link_library(detector, clusters, library, library_threshold, run_id, embedder)
    for column in ("team", "confidence", "top_change_id", "similar_past"):
        if column in clusters.columns:
            alerts[column] = alerts["incident_id"].map(dict(zip(clusters["incident_id"], clusters[column])))
    from socialnlp.cluster.outputs import _iso_times
    from socialnlp.privacy import truncate_quotes

    _iso_times(truncate_quotes(clusters, max_quote_chars)).to_csv(files["clusters"], index=False)
    _iso_times(truncate_quotes(alerts, max_quote_chars)).to_csv(files["alerts"], index=False)
    run.clusters = clusters
    from socialnlp.signals import deliver

    files["outbox"] = outdir / "alerts.jsonl"
    if files["outbox"].exists():
        files["outbox"].unlink()  # a fresh run's outbox; retry_pending() works on an old one
    run.deliveries = deliver(alerts, files["outbox"], webhook=webhook, max_quote_chars=max_quote_chars)
    return run


def _suspects(detector, changes, before: str, embedder, outdir: Path, files: dict) -> pd.DataFrame:
    """Suspected changes per incident; writes blast_radius.csv (and changes_rejects.csv if any)."""
    from socialnlp.cluster.outputs import _iso_times
    from socialnlp.signals.changes import blast_radius, read_changes, suspect_changes

    read = read_changes(changes, return_rejects=True)
    if read.n_rejected:
        files["changes_rejects"] = outdir / "changes_rejects.csv"
        read.rejects.to_csv(files["changes_rejects"], index=False)
    files["blast_radius"] = outdir / "blast_radius.csv"
    _iso_times(blast_radius(detector.posts_)).to_csv(files["blast_radius"], index=False)
    return suspect_changes(detector.clusters_, read.table, detector.posts_, before=before, embedder=embedder)


def _link_library(detector, clusters: pd.DataFrame, library, threshold: float, run_id, embedder) -> pd.Series:
    """Add this run's incidents to the library, then link each to similar earlier ones."""
    from socialnlp.cluster.library import IncidentLibrary, centroids_from_posts

    centroids = centroids_from_posts(detector.posts_, embedder)  # cached: the detector embedded these posts
    lib = IncidentLibrary(library, embedder=embedder)
    lib.add(clusters, centroids, run_id=run_id)
    return lib.similar_past(clusters, centroids, threshold=threshold)


def _route(clusters: pd.DataFrame, routes, embedder) -> pd.DataFrame:
    from socialnlp.signals import Router

    if not len(clusters):
        return pd.DataFrame(columns=["team", "confidence", "runner_up", "runner_up_confidence"])
    return Router(routes, embedder=embedder).fit().route(clusters)
