"""Incidents from a stream of posts: cluster issue posts in sliding windows, link windows.

The stream is cut into time slots of ``step`` (aligned to the Unix epoch, so every run
cuts the same way). When a slot is complete (a post at or after its end has been seen)
it is *closed*, once:

1. its issue posts, in (created_at, id) order, are grouped into distinct reports
   (copies are amplification, see :mod:`socialnlp.cluster.reports`);
2. the window of ``window`` ending with the slot is clustered: its reports, plus the
   outliers of the previous ``outlier_memory`` that still belong to no incident (so a
   complaint that keeps recurring slowly can still reach ``min_cluster_size``), are
   reduced (UMAP by default) and clustered (HDBSCAN). The layout does not wait for the
   window before to be linked: it takes the outliers as they were before that link, and
   the outliers that link assigned are dropped before HDBSCAN, so two windows can be laid
   out at once (docs/clustering.md measures that this costs no quality);
3. the window's clusters are linked to the incidents seen within ``max_gap`` by
   centroid similarity (:mod:`socialnlp.cluster.linking`): join, merge, split or new;
   a report keeps the first incident it is assigned to;
4. the burst rule (:class:`socialnlp.signals.alerts.BurstRule`) looks at every incident
   the window touched.

Because every step is a function of the closed slots alone, feeding the posts in
batches of any size (``partial_fit``) gives the same incidents as one ``fit``, and the
order of posts within the input does not matter. Posts of a slot that is already
closed (arriving late) are assigned to the nearest incident without reclustering.

Long streams (``horizon``): what can no longer change is written out and forgotten as
the stream goes, in batches (once the oldest post that may go is 1.25 ``horizon`` old), so
memory holds at most about 1.25 ``horizon`` of posts plus the incidents still
open, whatever the length of the period. A post older than ``horizon`` whose incident
has ended (quiet for ``max(max_gap, dedup_horizon)`` before that) or which belongs to
none, its report and embedding, the incident's summary row, its alerts and the window
log older than ``horizon`` go to ``spill_dir`` (Parquet parts) or to compact in-memory
tables. The incidents are the same as without a horizon (tested): every step reads only
the last window, the outliers of ``outlier_memory``, incidents of the last ``max_gap``
and copies of the last ``dedup_horizon``, all younger than the horizon. Three things differ:
an incident's keywords are weighed (c-TF-IDF) against the posts in memory when it ends,
not against the whole period; a post arriving more than ``horizon`` late is placed among
the incidents still in memory; and a repeated post id is recognised within ``horizon`` only.
:meth:`IncidentDetector.save_state` / :meth:`IncidentDetector.load_state` write and read the
whole state (JSON, ``.npy`` and Parquet, no pickles), so a long run can stop and resume.
"""
from __future__ import annotations

import inspect
import itertools
import json
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from socialnlp.cluster.layout_helper import LayoutHelper
from socialnlp.cluster.linking import plan_links
from socialnlp.cluster.reports import GrowingArray, ReportStore
from socialnlp.cluster.stages import cluster_labels, make_clusterer, make_reducer, one_blas_thread
from socialnlp.cluster.summary import (KEYWORD_LANGS, keywords_by_language, language_counts, merged_keywords,
                                       representatives, volume)
from socialnlp.io.contract import validate_posts
from socialnlp.signals.alerts import BurstRule
from socialnlp.text import dedup_key, tokenize
from socialnlp.text.normalize import dedup_key_folded, fold_text
from socialnlp.text.tokenize import tokenize_folded

NONE = -1

CLUSTER_COLUMNS = ["incident_id", "first_seen", "last_seen", "n_posts", "n_reports", "n_authors", "amplification",
                   "languages", "keywords_en", "keywords_de", "keywords_zh", "representative_posts",
                   "representative_texts", "volume",
                   "parent_id", "max_severity", "first_alert_time"]
ALERT_COLUMNS = ["alert_id", "incident_id", "alert_time", "n_posts", "n_authors", "languages", "keywords",
                 "sample_post_ids", "sample_texts", "severity", "tipping_post_id", "expected_authors", "detected_at"]
WINDOW_COLUMNS = ["window_start", "window_end", "n_posts", "n_issue", "n_reports", "n_carried", "n_clusters",
                  "outlier_share"]
LINK_COLUMNS = ["window_start", "window_end", "cluster", "incident_id", "action", "similarity", "n_reports",
                "n_assigned"]
HISTORY_COLUMNS = ["time", "event", "incident_id", "other_id", "similarity"]
SPILL_TABLES = ("posts", "clusters", "alerts", "windows", "links", "history")
ALERT_KEYWORD_DOCS = 500
# with a horizon, posts are forgotten in batches: once the oldest that may go is (1 + EVICT_LAG)
# horizons old, all older than one horizon go (memory holds up to 1.25 horizons of posts).
# Forgetting copies every array that stays; doing it for each slot's few posts made a 30k-post run
# 37 % slower. A rule of stream time alone: batches of any size and a resumed run forget alike.
EVICT_LAG = 0.25
# the helper processes (keyword tokens, window layouts) start once the stream holds this many reports
# (below it, starting them costs more than they save; see ``n_jobs``)
HELPER_MIN_REPORTS = 5000


class IncidentDetector(BaseEstimator):
    """Find incidents in a stream of posts (scikit-learn style: parameters in ``__init__``,
    work in ``fit``/``partial_fit``, results in attributes ending in ``_``).

    Parameters
    ----------
    embedder : name (``"use-multilingual"``) or object with ``encode``; embeddings are cached on disk.
    classifier : object with ``score_posts(df)`` adding ``is_issue`` (e.g. ``IssueClassifier``), or
        None when the posts already carry an ``is_issue`` column.
    reducer : ``"umap"`` (default), ``"pca"``, ``"none"`` or an object with ``fit_transform``.
    clusterer : ``"hdbscan"`` (default), ``"fast_hdbscan"`` or an object with ``fit`` and ``labels_``.
    window, step : window length and slide (pandas offsets; ``window`` a multiple of ``step``).
    min_cluster_size, min_samples : HDBSCAN's; applied to any clusterer that has them.
    link_threshold : centroid cosine similarity from which a cluster of fresh posts continues an
        incident (clusters that share posts with an incident continue it, see
        :mod:`socialnlp.cluster.linking`).
    split_threshold : a second cluster continuing an incident splits off as a new incident when
        its centroid is less similar than this to the first one's.
    merge_share, merge_within : a cluster with at least ``merge_share`` of its posts from each of two
        incidents born within ``merge_within`` of each other merges them (None: at any age; a share
        above 0.5 never merges). Onset fragments (one outage, a German and a Chinese cluster) merge;
        established incidents that one window's clustering mixed do not.
    max_gap : an incident not seen for this long is closed; a similar cluster later is a new incident.
    outlier_memory : how long an outlier report stays in the pool of later windows.
    dup_threshold : cosine similarity from which a post is a copy of a recent report.
    dedup_horizon : how long an exact copy (same ``dedup_key``) still counts as amplification.
    max_fit : windows with more reports are clustered on an evenly spread sample of this many and
        the rest are assigned to the nearest cluster (keeps a 20k-post window to a few seconds).
    min_coherence, min_member_similarity : a cluster is one topic: a post whose mean cosine to the
        other members is below ``min_member_similarity`` stays an outlier, and a cluster whose mean
        pairwise cosine is below ``min_coherence`` is dissolved. HDBSCAN, asked again for a single
        cluster when it found none, glues a quiet window of unrelated chatter into one blob
        (pairwise 0.12 with USE; the demo's scattered complaints 0.19); the clusters UMAP + HDBSCAN
        find in TREC-IS windows sit at 0.21-0.54 (docs/clustering.md). Calibrated for USE-multilingual.
    rule : the alert rule, any object with ``evaluate(incident_id, events, now)`` (and optionally
        ``reset()`` and ``merge(absorbed, survivor)``); default ``BurstRule(window=window, step=step)``;
        ``False`` turns alerts off. The detector works on its own copy.
    cache_dir : embedding cache folder (``False``: no disk cache).
    random_state : seed of the reducer (UMAP; it replaces the seed of a reducer object too); with it,
        results are reproducible.
    horizon : None (default) keeps every post in memory; ``"auto"`` or a duration (at least
        :meth:`min_horizon`, about a day with the defaults) bounds memory for long streams: older
        posts and ended incidents are written out (see the module docstring).
    spill_dir : folder for what ``horizon`` writes out (Parquet parts, one folder per output
        table); None keeps it in memory as compact tables (no embeddings, no reports).
    n_jobs : processes the detector may use. With two or more (-1, the default: as many as this
        process may use), helper processes work beside this one: two lay out and cluster
        windows, two at once (each on one thread, to be reproducible), while this process links
        and alerts and groups the next slot's posts into reports (one such pair per thread,
        shared by its detectors: :mod:`socialnlp.cluster.layout_helper`). The results are the
        same as with 1 (everything in this process). The helpers start with a batch of 5,000
        posts or once the stream holds 5,000 reports (below that they cost more than they save).

    >>> det = IncidentDetector(classifier=None).fit(posts)          # doctest: +SKIP
    >>> det.clusters_[["incident_id", "first_seen", "n_authors", "keywords_de"]]   # doctest: +SKIP
    """

    def __init__(self, embedder="use-multilingual", classifier=None, reducer="umap", clusterer="hdbscan",
                 window: str = "60min", step: str = "10min", min_cluster_size: int = 10,
                 min_samples: int | None = 5, link_threshold: float = 0.7, split_threshold: float = 0.5,
                 merge_share: float = 0.25, merge_within: str | None = "60min",
                 max_gap: str = "3h",
                 outlier_memory: str = "2h", dup_threshold: float = 0.95, dedup_horizon: str = "24h",
                 max_fit: int = 5000, min_coherence: float = 0.2, min_member_similarity: float = 0.1,
                 rule=None, cache_dir=None,
                 random_state: int | None = 0, horizon: str | None = None, spill_dir=None, n_jobs: int = -1):
        self.embedder = embedder
        self.classifier = classifier
        self.reducer = reducer
        self.clusterer = clusterer
        self.window = window
        self.step = step
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.link_threshold = link_threshold
        self.split_threshold = split_threshold
        self.merge_share = merge_share
        self.merge_within = merge_within
        self.max_gap = max_gap
        self.outlier_memory = outlier_memory
        self.dup_threshold = dup_threshold
        self.dedup_horizon = dedup_horizon
        self.max_fit = max_fit
        self.min_coherence = min_coherence
        self.min_member_similarity = min_member_similarity
        self.rule = rule
        self.cache_dir = cache_dir
        self.random_state = random_state
        self.horizon = horizon
        self.spill_dir = spill_dir
        self.n_jobs = n_jobs

    # ------------------------------------------------------------------ public verbs
    def fit(self, posts, embeddings: np.ndarray | None = None) -> "IncidentDetector":
        """Detect incidents in a complete stream (all windows are closed at the end)."""
        self._reset()
        self.partial_fit(posts, embeddings)
        return self.flush()

    def partial_fit(self, posts, embeddings: np.ndarray | None = None) -> "IncidentDetector":
        """Add a batch of posts; every time slot that is now complete is closed.

        Posts in slots still open wait for their slot (at most ``step`` of stream time).
        ``embeddings`` (optional) are the posts' rows, precomputed.
        """
        if not hasattr(self, "reports_"):
            self._reset()
        big = isinstance(posts, pd.DataFrame) and len(posts) >= HELPER_MIN_REPORTS
        if self._layouts is None and big:
            self._start_helper()   # the helpers start while a big batch is embedded
        batch, vectors = self._ingest(posts, embeddings)
        if len(batch):
            self._close_complete_slots()
        return self

    update = partial_fit

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_layouts", None)   # processes: pickles carry the tokens done, not the helpers
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "_tokens" in state:
            self._layouts = None

    def finish(self) -> "IncidentDetector":
        """End of a long stream (needs ``horizon``): close every slot, then write out everything
        still in memory, so the outputs are all in ``spill_dir`` (or the compact tables)."""
        if not hasattr(self, "reports_") or self.horizon_ns_ is None:
            raise ValueError("finish() writes out a detector with a horizon; this one has none (use flush())")
        self.flush()
        self._evict(np.iinfo(np.int64).max)
        self._version += 1
        return self

    def flush(self) -> "IncidentDetector":
        """Close every slot that holds posts (end of stream); later posts count as late."""
        if not hasattr(self, "reports_"):
            self._reset()
        self._close_slots(final=True)
        return self

    def predict(self, posts, embeddings: np.ndarray | None = None) -> pd.Series:
        """The incident each post would join now (-1: none), without changing the detector.

        Copies of known reports get their report's incident; other issue posts the most
        similar incident seen within ``max_gap`` of the post, if at least ``link_threshold``.
        """
        self._check_fitted()
        table, vectors = self._prepare(posts, embeddings)
        out = np.full(len(table), NONE, dtype=np.int64)
        if self.reports_ is None:
            return pd.Series(out, index=pd.Index(table["id"], name="id"), name="incident_id")
        times = table["created_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        for i in np.flatnonzero(table["is_issue"].to_numpy() == 1):
            key = dedup_key(str(table["text"].iat[i]))
            if key and key in self.reports_.key_index:
                out[i] = int(self.reports_.incident.values[self.reports_.key_index[key]])
                continue
            out[i] = self._nearest_incident(vectors[i], int(times[i]))
        return pd.Series(out, index=pd.Index(table["id"], name="id"), name="incident_id")

    # ------------------------------------------------------------------ outputs
    @property
    def posts_(self) -> pd.DataFrame:
        """Every post seen, sorted by (created_at, id), with ``is_issue``, ``report_id``,
        ``is_copy``, ``late`` and ``incident_id`` (-1: none)."""
        return self._output("posts", self._build_posts)

    @property
    def clusters_(self) -> pd.DataFrame:
        """One row per incident (see ``CLUSTER_COLUMNS``)."""
        return self._output("clusters", self._build_clusters)

    @property
    def alerts_(self) -> pd.DataFrame:
        return self._output("alerts", lambda: self._with_spilled("alerts", _frame(self._alerts, ALERT_COLUMNS),
                                                                 "alert_id"))

    @property
    def windows_(self) -> pd.DataFrame:
        """One row per clustered window: posts, issue posts, reports, carried outliers,
        clusters and the share of the window's reports left as outliers."""
        return self._output("windows", lambda: self._with_spilled("windows", _frame(self._windows, WINDOW_COLUMNS)))

    @property
    def links_(self) -> pd.DataFrame:
        """Which cluster of which window joined which incident, and why: ``action`` (new, join,
        split) and ``similarity`` (the share of the cluster's posts already in the incident when
        it continues one, else the centroid cosine to the most similar incident)."""
        return self._output("links", lambda: self._with_spilled("links", _frame(self._links, LINK_COLUMNS)))

    @property
    def history_(self) -> pd.DataFrame:
        """Incident events: ``new``, ``split`` (other_id = parent), ``merge`` (other_id = survivor;
        ``similarity`` = the smaller of the two incidents' shares of the cluster that merged them)."""
        return self._output("history", lambda: self._with_spilled("history", _frame(self._history, HISTORY_COLUMNS)))

    def min_horizon(self) -> pd.Timedelta:
        """The shortest ``horizon`` that leaves the incidents unchanged: every step looks back at
        most this far (window + outlier_memory, two windows for the alert rule, max_gap + window,
        dedup_horizon + window), plus one step."""
        td = pd.Timedelta
        window = td(self.window)
        return max(window + td(self.outlier_memory), 2 * window, td(self.max_gap) + window,
                   td(self.dedup_horizon) + window) + td(self.step)

    def save_state(self, path, extra: dict | None = None) -> Path:
        """Write the whole state to the folder ``path`` (JSON, ``.npy``, Parquet; no pickles);
        ``extra`` (JSON-able, e.g. how far the input was read) is stored with it."""
        from socialnlp.cluster.checkpoint import save_detector

        return save_detector(self, path, extra)

    @classmethod
    def load_state(cls, path, **objects) -> "IncidentDetector":
        """A detector as :meth:`save_state` left it. Parameters that are objects (an embedder,
        the classifier, a custom rule) are not saved: pass them again as keyword arguments."""
        from socialnlp.cluster.checkpoint import load_detector

        return load_detector(cls, path, **objects)

    # ------------------------------------------------------------------ set-up
    def _reset(self, fresh: bool = True) -> None:
        """Empty state; ``fresh=False`` (loading a saved state) keeps the spill folder's parts."""
        self._check_params()
        self.window_ns_ = int(pd.Timedelta(self.window).value)
        self.step_ns_ = int(pd.Timedelta(self.step).value)
        self.reports_: ReportStore | None = None   # created with the first vectors (their width)
        self.incidents_: dict[int, dict] = {}
        self.next_incident_id_ = 0
        self.watermark_: int | None = None
        self.closed_until_: int | None = None
        self.rule_ = self._make_rule()
        self._frames: list[pd.DataFrame] = []
        self._row_time = GrowingArray(np.int64)
        self._row_report = GrowingArray(np.int64)
        self._row_copy = GrowingArray(bool)
        self._row_late = GrowingArray(bool)
        self._row_issue = GrowingArray(np.int8)
        self._row_id: list[str] = []
        self.horizon_ns_ = self._horizon_ns()
        self.n_alerts_ = 0
        self.n_spilled_posts_ = 0
        self._spilled: dict[str, list[pd.DataFrame]] = {name: [] for name in SPILL_TABLES}
        self._spill_parts = 0
        if self.spill_dir is not None and fresh:
            from socialnlp.cluster.checkpoint import clear_spill

            clear_spill(self.spill_dir)
        self._seen_ids: set[str] = set()
        self._pending_rows: dict[int, np.ndarray] = {}   # issue rows of open slots -> vector
        self._slot_queue = None   # (the waiting rows sorted by time, their times, how many were taken)
        self._tokens: list[list[str] | None] = []
        self._layouts: LayoutHelper | None = None
        self._last_assigned = np.zeros(0, dtype=np.int64)   # report ids the last link assigned
        self._alerts: list[dict] = []
        self._windows: list[dict] = []
        self._links: list[dict] = []
        self._history: list[dict] = []
        self._cache: dict[str, tuple[int, pd.DataFrame]] = {}
        self._version = 0
        self._text_by_id: pd.Series | None = None

    def _horizon_ns(self) -> int | None:
        if self.horizon is None:
            return None
        least = self.min_horizon()
        if self.horizon == "auto":
            return int(least.value)
        try:
            horizon = pd.Timedelta(self.horizon)
        except (ValueError, TypeError):
            raise ValueError(f"horizon {self.horizon!r} is not a duration: use 'auto', None or a pandas offset "
                             f"such as '30h' (at least {least})") from None
        if horizon < least:
            raise ValueError(f"horizon {self.horizon} is shorter than the detector looks back ({least}: "
                             "window + max(outlier_memory, window, max_gap, dedup_horizon) + step); use "
                             f"horizon='auto' or at least {least}, or shorten dedup_horizon/max_gap")
        return int(horizon.value)

    def _check_params(self) -> None:
        window, step = pd.Timedelta(self.window), pd.Timedelta(self.step)
        if step <= pd.Timedelta(0) or window < step or window.value % step.value:
            raise ValueError(f"window ({self.window}) must be a positive multiple of step ({self.step})")
        if not 0 < self.link_threshold <= 1:
            raise ValueError(f"link_threshold must be a cosine similarity in (0, 1]; got {self.link_threshold}")
        if self.min_cluster_size is not None and self.min_cluster_size < 2:
            raise ValueError(f"min_cluster_size must be at least 2; got {self.min_cluster_size}")
        if self.n_jobs is not None and (isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, (int, np.integer))
                                        or self.n_jobs == 0):
            raise ValueError(f"n_jobs must be a whole number of processes (-1: all CPUs, 1: no helper process); "
                             f"got {self.n_jobs!r}")

    def _make_rule(self):
        if self.rule is False:
            return None
        if self.rule is None:
            rule = BurstRule(window=self.window, step=self.step)
        else:
            import copy

            if not hasattr(self.rule, "evaluate"):
                raise TypeError("an alert rule needs evaluate(incident_id, events, now); "
                                f"got {type(self.rule).__name__}")
            rule = copy.deepcopy(self.rule)   # the detector owns its rule's state
        if hasattr(rule, "reset"):
            rule.reset()
        return rule

    def _check_fitted(self) -> None:
        if not hasattr(self, "reports_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this IncidentDetector has seen no posts yet; call fit or partial_fit first")

    def _get_embedder(self):
        """The embedder, wrapped in the disk cache; kept across fits (loading a model takes seconds)."""
        held = getattr(self, "_embedder_held", None)
        if held is None or held[0] is not self.embedder or held[1] != self.cache_dir:
            from socialnlp.embed import CachedEmbedder

            emb = self.embedder
            wrappable = not isinstance(emb, CachedEmbedder) and hasattr(emb, "name") and hasattr(emb, "dim")
            if isinstance(emb, str) or wrappable:
                emb = CachedEmbedder(emb, cache_dir=self.cache_dir)
            self._embedder_held = (self.embedder, self.cache_dir, emb)
        return self._embedder_held[2]

    # ------------------------------------------------------------------ ingestion
    def _prepare(self, posts, embeddings) -> tuple[pd.DataFrame, np.ndarray]:
        """Validated, scored posts and the embeddings of their issue posts (zeros elsewhere)."""
        frame = posts if isinstance(posts, pd.DataFrame) else pd.DataFrame(posts)
        if embeddings is not None and len(embeddings) != len(frame):
            raise ValueError(f"embeddings has {len(embeddings)} rows for {len(frame)} posts")
        table = validate_posts(frame, source="posts", require_time=True, strict=True).table
        if "author" not in table.columns:
            warnings.warn("posts have no 'author' column: every post counts as its own author", stacklevel=3)
            table["author"] = table["id"]
        table["author"] = table["author"].fillna(table["id"]).astype(str)
        if embeddings is None and self.classifier is not None:
            vectors = self._get_embedder().encode(table["text"].astype(str).tolist())
            table = self._score(table, vectors)
        else:
            if self.classifier is not None:
                table = self._score(table, np.asarray(embeddings, dtype=np.float32))
            table = _with_is_issue(table)
            issue = np.flatnonzero(table["is_issue"].to_numpy() == 1)
            if embeddings is not None:
                vectors = np.asarray(embeddings, dtype=np.float32)
            else:
                vectors = None
                if len(issue):
                    got = self._get_embedder().encode(table["text"].iloc[issue].astype(str).tolist())
                    vectors = np.zeros((len(table), got.shape[1]), dtype=np.float32)
                    vectors[issue] = got
        if vectors is None:
            vectors = np.zeros((len(table), 0), dtype=np.float32)
        _check_finite(vectors, table, "embeddings" if embeddings is not None else "the embedder's vectors")
        return table, _unit(vectors)

    def _score(self, table: pd.DataFrame, vectors: np.ndarray) -> pd.DataFrame:
        score = self.classifier.score_posts
        same_space = getattr(self.classifier, "embedder_name_", None) == getattr(self._get_embedder(), "name", None)
        if same_space and "embeddings" in inspect.signature(score).parameters:
            scored = score(table, embeddings=vectors)
        else:
            scored = score(table)
        return _with_is_issue(scored.reset_index(drop=True))

    def _ingest(self, posts, embeddings) -> tuple[pd.DataFrame, np.ndarray]:
        table, vectors = self._prepare(posts, embeddings)
        fresh = ~table["id"].isin(self._seen_ids).to_numpy() & ~table["id"].duplicated().to_numpy()
        if not fresh.all():
            warnings.warn(f"{int((~fresh).sum())} posts ignored: their id was seen before", stacklevel=3)
            table, vectors = table.loc[fresh].reset_index(drop=True), vectors[fresh]
        if not len(table):
            return table, vectors
        if self.reports_ is None and vectors.shape[1]:
            # near copies are looked for among the reports of the last two steps (a window of
            # 20k reports would cost a 20k x 20k product per slot); exact copies for dedup_horizon
            self.reports_ = ReportStore(vectors.shape[1], self.dup_threshold, 2 * self.step_ns_,
                                        int(pd.Timedelta(self.dedup_horizon).value))
        first_row = len(self._row_time)
        times = table["created_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        issue = table["is_issue"].to_numpy() == 1
        self._frames.append(table)
        self._row_time.append(times)
        self._row_report.append(np.full(len(table), NONE))
        self._row_copy.append(np.zeros(len(table), dtype=bool))
        self._row_issue.append(issue.astype(np.int8))
        self._row_id.extend(table["id"].tolist())
        self._seen_ids.update(table["id"].tolist())
        late = np.zeros(len(table), dtype=bool)
        if self.closed_until_ is not None:
            late = issue & (times < self.closed_until_)
        self._row_late.append(late)
        for i in np.flatnonzero(issue & ~late):
            self._pending_rows[first_row + int(i)] = vectors[i]
        if late.any():
            self._add_late(first_row + np.flatnonzero(late), vectors[late])
        self.watermark_ = int(max(times.max(), self.watermark_ if self.watermark_ is not None else times.max()))
        self._version += 1
        return table, vectors

    def _add_late(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        """Posts of already closed slots: grouped into reports, then joined to the nearest incident."""
        warnings.warn(f"{len(rows)} issue posts arrived after their time slot was closed; they are assigned "
                      "to the nearest incident without reclustering (feed the stream in time order to avoid this)",
                      stacklevel=4)
        order = self._sorted_rows(rows)
        reports, _ = self._add_reports(rows[order], vectors[order])
        for r in np.unique(reports):
            if self.reports_.incident.values[r] == NONE:
                self.reports_.incident.values[r] = self._nearest_incident(self.reports_.vectors.values[r],
                                                                          int(self.reports_.time.values[r]))

    def _sorted_rows(self, rows: np.ndarray) -> np.ndarray:
        """Positions of ``rows`` in (created_at, id) order."""
        times = self._row_time.values[rows]
        ids = np.array([self._row_id[r] for r in rows], dtype=object)
        return np.lexsort((ids, times))

    def _add_reports(self, rows: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        table = self._table()
        part = table.iloc[rows]   # rows first: converting a whole Arrow string column costs ~0.1 s per slot
        texts, langs = [str(t) for t in part["text"].tolist()], part["lang"].tolist()
        reports, copies = self.reports_.add(
            rows, self._row_time.values[rows], [self._row_id[r] for r in rows],
            [dedup_key_folded(_folded(t)) for t in texts], vectors, part["author"].tolist(), langs)
        self._row_report.values[rows] = reports
        self._row_copy.values[rows] = copies
        self._tokens.extend([None] * (len(self.reports_) - len(self._tokens)))
        for i in np.flatnonzero(~copies):   # a new report's keyword tokens, from the text folded for its key
            self._tokens[reports[i]] = tokenize_folded(_folded(texts[i]), langs[i])
        if self._layouts is None and len(self.reports_) >= HELPER_MIN_REPORTS:
            self._start_helper()
        return reports, copies

    def _start_helper(self) -> None:
        if _cpus(self.n_jobs) >= 2:
            self._layouts = LayoutHelper().start()

    def _texts_and_langs(self, reports: list[int]) -> tuple[list[str], list[str]]:
        """The text (of its first post) and language of each report, as keyword tokens need them."""
        texts = self._table()["text"].iloc[self.reports_.post_row.values[reports]].tolist()
        return [str(t) for t in texts], [self.reports_.lang[r] for r in reports]

    def _table(self) -> pd.DataFrame:
        if len(self._frames) > 1:
            self._frames = [pd.concat(self._frames, ignore_index=True)]
        return self._frames[0] if self._frames else pd.DataFrame()

    # ------------------------------------------------------------------ slots and windows
    def _next_slot(self) -> tuple[int, np.ndarray]:
        """The earliest slot still holding waiting posts, and those of its rows.

        The waiting rows are kept sorted by time (sorted again only when new ones came, or
        rows were renumbered), and a slot takes the next ones in that order: a pass over all
        waiting rows per slot cost ``fit`` on 100k posts at once about 2 s."""
        queue = getattr(self, "_slot_queue", None)
        if queue is None or len(queue[0]) - queue[2] != len(self._pending_rows):
            rows = np.fromiter(self._pending_rows, dtype=np.int64, count=len(self._pending_rows))
            times = self._row_time.values[rows]
            order = np.argsort(times, kind="stable")
            queue = self._slot_queue = (rows[order], times[order], 0)
        rows, times, at = queue
        first = int(times[at])
        slot = first - first % self.step_ns_
        if self.closed_until_ is not None:
            slot = max(slot, self.closed_until_)
        end = at + int(np.searchsorted(times[at:], slot + self.step_ns_, side="left"))
        return slot, rows[at:end]

    def _close_complete_slots(self) -> None:
        self._close_slots(final=False)

    def _close_slots(self, final: bool) -> None:
        """Close, in order, every complete slot (``final``: every slot that holds posts).

        A slot's window is laid out (most of its time), clustered, linked, then alerted on. Its
        layout takes the pool as it stood before the window ahead was linked (plus, when that
        window is linked already, what its link assigned): so a window's layout does not wait for
        the link of the window before, and with the layout helpers (see ``n_jobs``) two windows
        are laid out at once while this process links and alerts. The clustering then takes only
        the rows of the window's own pool (the reports the window ahead assigned are dropped
        from the layout), once the window ahead is linked. Without helpers the same steps run
        here, so the results are the same whatever ``n_jobs`` and however the stream is cut
        into batches (tested, with and without a horizon).
        """
        # one BLAS thread: a window's products are small, and a second BLAS thread would spin on
        # the core the helpers run on (and the layout needs one thread anyway)
        with one_blas_thread():
            before = None   # the slot closed before this one: its window is not linked yet
            while self._pending_rows:
                slot, rows = self._next_slot()
                if not final and self.watermark_ < slot + self.step_ns_:
                    break
                item = self._open_slot(slot, rows)
                ahead = before is not None and before["window"]   # a window whose link is still to come
                if item["window"]:
                    item.update(self._open_window(item["end"] - self.window_ns_, item["end"], linked=not ahead))
                if ahead:
                    self._link_window(before)
                if item["window"]:
                    self._cluster_window(item)
                if before is not None:
                    self._close_window(before)
                before = item
            if before is not None:
                self._link_window(before)
                self._close_window(before)

    def _open_slot(self, slot: int, rows: np.ndarray) -> dict:
        """Mark a slot closed and group its posts into reports."""
        end = slot + self.step_ns_
        self.closed_until_ = end
        if len(rows):
            vectors = np.stack([self._pending_rows.pop(int(r)) for r in rows])
            queue = getattr(self, "_slot_queue", None)   # (a detector pickled before it had one)
            if queue is not None and queue[0][queue[2]] == rows[0]:   # the rows _next_slot gave
                self._slot_queue = (queue[0], queue[1], queue[2] + len(rows))
            order = self._sorted_rows(rows)
            self._add_reports(rows[order], vectors[order])
        return {"end": end, "window": bool(len(rows))}

    def _pool(self, start: int, end: int, also: np.ndarray | None = None) -> tuple[np.ndarray, int]:
        """Reports of the window plus still unassigned outliers of the last ``outlier_memory``
        (and the reports of ``also``, by report id), in (time, post id) order; also how many of
        them are carried."""
        store = self.reports_
        in_window = store.between(start, end)
        memory = int(pd.Timedelta(self.outlier_memory).value)
        carried = store.between(start - memory, start)
        free = store.incident.values[carried] == NONE
        if also is not None and len(also):
            free |= np.isin(store.report_id.values[carried], also)
        carried = carried[free]
        pool = np.concatenate([carried, in_window])
        ids = np.array([store.post_id[i] for i in pool], dtype=object)
        return pool[np.lexsort((ids, store.time.values[pool]))], len(carried)

    def _open_window(self, start: int, end: int, linked: bool) -> dict:
        """The window's layout pool, laid out (or handed to a layout helper) at once: the pool as
        it stood before the window ahead is linked. ``linked``: that window is linked already
        (the last call ended with it), so what its link assigned goes back into the pool."""
        store = self.reports_
        pool, _ = self._pool(start, end, also=self._last_assigned if linked else None)
        times = self._row_time.values
        in_time = (times >= start) & (times < end)
        V = store.vectors.values[pool]
        params = self._label_params()
        helped = self._layouts is not None and not self._layouts.broken
        # reports by their stable id: writing out old ones (horizon) renumbers positions before the link
        return {"start": start, "ids": store.report_id.values[pool], "V": V,
                "layout": self._hand_out_layout(V, params) if helped else None,
                "n_posts": int(in_time.sum()), "n_issue": int((in_time & (self._row_issue.values == 1)).sum())}

    def _hand_out_layout(self, V: np.ndarray, params: dict) -> tuple[object, int]:
        key = next(_LAYOUT_KEYS)
        return self._layouts.submit(stash_layout, key, V, params), key

    def _cluster_window(self, item: dict) -> None:
        """Once the window ahead is linked: the window's own pool (the layout's rows less what
        that link assigned), clustered (or handed to the helper that holds the layout)."""
        store = self.reports_
        # the layout's pool less the carried outliers that the link ahead assigned: a report once
        # assigned never returns to none, and nothing joins the window in between
        rows = np.searchsorted(store.report_id.values, item["ids"])
        carried = store.time.values[rows] < item["start"]
        keep = ~carried | (store.incident.values[rows] == NONE)
        item.update(keep=keep, n_carried=int((carried & keep).sum()))
        handed = item.pop("layout")
        if handed is None:
            item["labels"] = self._labels_here(item)
        else:   # to the helper that holds the layout
            ticket, key = handed
            item["labels"] = self._layouts.submit(cluster_stashed, key, keep, self._label_params(), after=ticket)

    def _layout(self, item: dict) -> tuple[np.ndarray, np.ndarray | None]:
        """A window's layout in this process (:func:`window_layout` of its pool's vectors)."""
        return window_layout(item["V"], self._label_params())

    def _labels_here(self, item: dict) -> np.ndarray:
        """The labels of the window's own pool, laid out and clustered in this process."""
        return window_clusters(item["V"], *self._layout(item), item["keep"], self._label_params())

    def _link_window(self, item: dict) -> None:
        """Cluster labels (from a helper: wait for them) and the link to incidents."""
        if not item["window"]:
            return
        labels, keep = item["labels"], item["keep"]
        if not isinstance(labels, np.ndarray):
            labels = self._layouts.result(labels, lambda: self._labels_here(item))
        store = self.reports_
        ids, V = item["ids"][keep], item["V"][keep]
        pool = np.searchsorted(store.report_id.values, ids)
        labels = _coherent(labels, V, self.min_coherence, self.min_member_similarity, self.min_cluster_size or 10)
        clusters = [c for c in np.unique(labels) if c >= 0]
        members = [pool[labels == c] for c in clusters]
        item.update(pool=pool, labels=labels, n_clusters=len(clusters),
                    touched=self._link(clusters, members, item["start"], item["end"]))

    def _close_window(self, item: dict) -> None:
        """The window's log row and alerts, then what the horizon lets go."""
        end = item["end"]
        if item["window"]:
            store = self.reports_
            start, pool, labels = item["start"], item["pool"], item["labels"]
            in_window = store.time.values[pool] >= start
            self._windows.append({
                "window_start": _ts(start), "window_end": _ts(end), "n_posts": item["n_posts"],
                "n_issue": item["n_issue"], "n_reports": int(in_window.sum()), "n_carried": item["n_carried"],
                "n_clusters": item["n_clusters"],
                "outlier_share": float((labels[in_window] < 0).mean()) if in_window.any() else float("nan")})
            if self.rule_ is not None:
                for incident in sorted(item["touched"]):
                    self._evaluate_alerts(incident, end, pool)
        if self.horizon_ns_ is not None:
            self._evict(end - self.horizon_ns_, until=end)
        self._version += 1

    def _label_params(self) -> dict:
        return {"reducer": self.reducer, "clusterer": self.clusterer, "min_cluster_size": self.min_cluster_size,
                "min_samples": self.min_samples, "max_fit": self.max_fit, "random_state": self.random_state}

    def _link(self, clusters: list, members: list[np.ndarray], start: int, end: int) -> set[int]:
        store = self.reports_
        self._last_assigned = np.zeros(0, dtype=np.int64)
        if not clusters:
            return set()
        V = store.vectors.values
        centroids = np.stack([_unit(V[m].mean(axis=0, keepdims=True))[0] for m in members])
        order = [(int(store.time.values[m].min()), min(store.post_id[i] for i in m)) for m in members]
        max_gap = int(pd.Timedelta(self.max_gap).value)
        active = sorted(i for i, inc in self.incidents_.items()
                        if inc["merged_into"] == NONE and inc["last_window"] >= end - max_gap)
        inc_centroids = (np.stack([self.incidents_[i]["centroid"] for i in active]) if active
                         else np.zeros((0, V.shape[1]), dtype=np.float32))
        plan = plan_links(centroids, order, active, inc_centroids,
                          [self.incidents_[i]["first_window"] for i in active], self.link_threshold,
                          overlap=_overlap(members, store.incident.values, active),
                          split_threshold=self.split_threshold, min_overlap=self.merge_share,
                          merge_within=(float("inf") if self.merge_within is None
                                        else int(pd.Timedelta(self.merge_within).value)))
        for absorbed, survivor, sim in plan.merges:
            self._merge(absorbed, survivor, sim, end)
        new_ids = []
        for parent in plan.new_parents:
            new_ids.append(self._new_incident(parent, end))
        touched: dict[int, list[int]] = {}
        assigned = []
        for c, (label, m) in enumerate(zip(clusters, members)):
            target = plan.target[c] if plan.target[c] >= 0 else new_ids[-plan.target[c] - 1]
            if plan.action[c] == "split":   # the split-off part takes its posts of this window along
                parent = plan.new_parents[-plan.target[c] - 1]
                moved = m[store.incident.values[m] == parent]
                store.incident.values[moved] = target
            free = m[store.incident.values[m] == NONE]
            store.incident.values[free] = target
            assigned.append(store.report_id.values[free])
            touched.setdefault(target, []).append(c)
            self._links.append({"window_start": _ts(start), "window_end": _ts(end), "cluster": int(label),
                                "incident_id": int(target), "action": plan.action[c],
                                "similarity": round(float(plan.similarity[c]), 4), "n_reports": int(len(m)),
                                "n_assigned": int(len(free))})
        self._last_assigned = np.sort(np.concatenate(assigned))
        window_reports = np.concatenate(members)
        for incident, cs in touched.items():
            # the centroid follows the incident's posts in this window (topics drift)
            mine = window_reports[store.incident.values[window_reports] == incident]
            rows = V[mine] if len(mine) else centroids[cs]
            self.incidents_[incident]["centroid"] = _unit(rows.mean(axis=0, keepdims=True))[0]
            self.incidents_[incident]["last_window"] = end
        return set(touched)

    def _new_incident(self, parent: int, end: int) -> int:
        incident = self.next_incident_id_
        self.next_incident_id_ += 1
        self.incidents_[incident] = {"centroid": None, "first_window": end, "last_window": end,
                                     "parent": int(parent), "merged_into": NONE}
        self._history.append({"time": _ts(end), "event": "split" if parent >= 0 else "new", "incident_id": incident,
                              "other_id": int(parent), "similarity": float("nan")})
        return incident

    def _merge(self, absorbed: int, survivor: int, sim: float, end: int) -> None:
        store = self.reports_
        store.incident.values[store.incident.values == absorbed] = survivor
        self.incidents_[absorbed]["merged_into"] = survivor
        for inc in self.incidents_.values():
            if inc["merged_into"] == absorbed:
                inc["merged_into"] = survivor
        if self.rule_ is not None and hasattr(self.rule_, "merge"):
            self.rule_.merge(absorbed, survivor)
        self._history.append({"time": _ts(end), "event": "merge", "incident_id": int(absorbed),
                              "other_id": int(survivor), "similarity": round(float(sim), 4)})

    def _nearest_incident(self, vector: np.ndarray, time_ns: int) -> int:
        max_gap = int(pd.Timedelta(self.max_gap).value)
        best, best_sim = NONE, self.link_threshold
        for i in sorted(self.incidents_):
            inc = self.incidents_[i]
            if inc["merged_into"] != NONE or inc["centroid"] is None:
                continue
            if not (inc["first_window"] - self.window_ns_ - max_gap <= time_ns <= inc["last_window"] + max_gap):
                continue
            sim = float(vector @ inc["centroid"])
            if sim >= best_sim:
                best, best_sim = i, sim
        return best

    # ------------------------------------------------------------------ alerts
    def _evaluate_alerts(self, incident: int, end: int, pool: np.ndarray) -> None:
        store = self.reports_
        lookback = end - 2 * self.window_ns_
        mine = self._reports_of(incident, lookback + 1, end)
        events = {"time": store.time.values[mine], "author": [store.author[i] for i in mine],
                  "post_id": [store.post_id[i] for i in mine]}
        if not isinstance(self.rule_, BurstRule):   # BurstRule takes the arrays: a frame per call costs more than it
            events = pd.DataFrame(events)
        for fired in self.rule_.evaluate(incident, events, end):
            self._alerts.append(self._describe_alert(fired, end, pool))

    def _reports_of(self, incident: int, start: int, end: int) -> np.ndarray:
        """Positions of the incident's reports whose first post lies in [start, end), in order."""
        recent = self.reports_.between(start, end)
        return recent[self.reports_.incident.values[recent] == incident]

    def _describe_alert(self, fired: dict, end: int, pool: np.ndarray) -> dict:
        store = self.reports_
        incident, t = fired["incident_id"], fired["alert_time"]
        mine = self._reports_of(incident, t - self.window_ns_ + 1, t + 1)
        of_mine = np.zeros(len(store) + 1, dtype=bool)   # by report position; the last one stands for none (-1)
        of_mine[mine] = True
        rows = np.flatnonzero(of_mine[self._row_report.values] & (self._row_time.values <= t))
        langs = [store.lang[i] for i in mine]
        # c-TF-IDF against the rest of the window: an evenly spread sample is enough for the idf
        # and keeps an alert in a 20k-post window cheap
        words_of = mine if len(mine) <= ALERT_KEYWORD_DOCS else mine[-ALERT_KEYWORD_DOCS:]
        others = pool[(store.incident.values[pool] != incident) & ~np.isin(pool, mine)]
        if len(others) > ALERT_KEYWORD_DOCS:
            others = others[np.linspace(0, len(others) - 1, ALERT_KEYWORD_DOCS).round().astype(np.int64)]
        labels = np.concatenate([np.zeros(len(words_of), dtype=np.int64), np.full(len(others), NONE)])
        both = np.concatenate([words_of, others])
        words = keywords_by_language(labels, np.array([store.lang[i] for i in both], dtype=object),
                                     self._report_tokens(both), top_n=5)
        lang_order = list(json.loads(language_counts(langs)))
        samples = representatives(store.vectors.values[mine], [store.post_id[i] for i in mine], langs, n=3)
        self.n_alerts_ += 1
        return {"alert_id": self.n_alerts_ - 1, "incident_id": int(incident), "alert_time": _ts(t),
                "n_posts": int(len(rows)), "n_authors": int(fired["n_authors"]), "languages": language_counts(langs),
                "keywords": merged_keywords({lang: w.get(0, []) for lang, w in words.items()}, lang_order),
                "sample_post_ids": json.dumps(samples[:5], ensure_ascii=False),
                "sample_texts": json.dumps(self._texts_of(samples[:5]), ensure_ascii=False),
                "severity": int(fired["severity"]),
                "tipping_post_id": fired["post_id"], "expected_authors": round(float(fired["expected"]), 3),
                "detected_at": _ts(end)}

    def _texts_of(self, post_ids: list[str]) -> list[str]:
        table = self._table()
        if self._text_by_id is None or len(self._text_by_id) != len(table):
            self._text_by_id = pd.Series(table["text"].to_numpy(), index=table["id"].to_numpy())
        return [str(self._text_by_id[i]) for i in post_ids]

    def _report_tokens(self, reports: np.ndarray) -> list[list[str]]:
        todo = [int(r) for r in reports if self._tokens[r] is None]
        if todo:
            for r, text, lang in zip(todo, *self._texts_and_langs(todo)):
                self._tokens[r] = tokenize(text, lang)
        return [self._tokens[r] for r in reports]

    # ------------------------------------------------------------------ output tables
    def _output(self, name: str, build) -> pd.DataFrame:
        self._check_fitted()
        cached = self._cache.get(name)
        if cached is None or cached[0] != self._version:
            self._cache[name] = (self._version, build())
        return self._cache[name][1]

    def _row_incident(self) -> np.ndarray:
        reports = self._row_report.values
        out = np.full(len(reports), NONE, dtype=np.int64)
        has = reports >= 0
        if has.any():
            out[has] = self.reports_.incident.values[reports[has]]
        return out

    def _build_posts(self) -> pd.DataFrame:
        return self._with_spilled("posts", self._posts_frame(np.arange(len(self._row_time))), ["created_at", "id"])

    def _posts_frame(self, rows: np.ndarray) -> pd.DataFrame:
        table = self._table()
        if not len(table):
            return table.copy()
        table = table.iloc[rows].copy()
        table["is_issue"] = self._row_issue.values[rows].astype(int)
        table["report_id"] = self._report_ids(self._row_report.values[rows])
        table["is_copy"] = self._row_copy.values[rows]
        table["late"] = self._row_late.values[rows]
        table["incident_id"] = self._row_incident()[rows]
        return table.sort_values(["created_at", "id"], kind="stable").reset_index(drop=True)

    def _report_ids(self, positions: np.ndarray) -> np.ndarray:
        out = np.array(positions, dtype=np.int64)
        has = out >= 0
        if has.any():
            out[has] = self.reports_.report_id.values[out[has]]
        return out

    def _build_clusters(self) -> pd.DataFrame:
        store = self.reports_
        alive = [] if store is None else sorted(set(store.incident.values[store.incident.values >= 0].tolist()))
        return self._with_spilled("clusters", self._cluster_rows(alive), ["incident_id"])

    def _cluster_rows(self, incidents: list[int], until: int | None = None) -> pd.DataFrame:
        """Summary rows of ``incidents``; keywords are weighed against every report in memory (``until``:
        older than that: the next slot's reports are in memory already while the helper lays out a window)."""
        if not incidents:
            return pd.DataFrame(columns=CLUSTER_COLUMNS)
        store = self.reports_
        incident_of_report = store.incident.values
        row_incident = self._row_incident()
        langs = np.array(store.lang, dtype=object)
        known = np.arange(len(store)) if until is None else np.flatnonzero(store.time.values < until)
        words = keywords_by_language(incident_of_report[known], langs[known], self._report_tokens(known))
        alerts = _frame(self._alerts, ALERT_COLUMNS)
        row_lang = self._table()["lang"].to_numpy()
        reports_of = _groups(incident_of_report)
        rows_of = _groups(row_incident)
        rows_out = []
        for incident in incidents:
            reports, rows = reports_of[incident], rows_of[incident]
            times = self._row_time.values[rows]
            mine = alerts[alerts["incident_id"].isin(self._absorbed_into(incident))] if len(alerts) else alerts
            examples = representatives(store.vectors.values[reports], [store.post_id[i] for i in reports],
                                       langs[reports].tolist())
            rows_out.append({
                "incident_id": int(incident), "first_seen": _ts(times.min()), "last_seen": _ts(times.max()),
                "n_posts": int(len(rows)), "n_reports": int(len(reports)),
                "n_authors": int(len({store.author[i] for i in reports})),
                "amplification": int(len(rows) - len(reports)),
                "languages": language_counts(row_lang[rows]),
                **{f"keywords_{lang}": ", ".join(words[lang].get(incident, [])) for lang in KEYWORD_LANGS},
                "representative_posts": json.dumps(examples, ensure_ascii=False),
                "representative_texts": json.dumps(self._texts_of(examples), ensure_ascii=False),
                "volume": volume(times, self.step_ns_, str(self.step)),
                "parent_id": int(self.incidents_.get(incident, {}).get("parent", NONE)),
                "max_severity": int(mine["severity"].max()) if len(mine) else 0,
                "first_alert_time": mine["alert_time"].min() if len(mine) else pd.NaT,
            })
        return pd.DataFrame(rows_out, columns=CLUSTER_COLUMNS)

    # ------------------------------------------------------------------ long streams
    def _evict(self, cutoff: int, until: int | None = None) -> None:
        """Write out and forget what no later step reads (see ``horizon``): posts older than ``cutoff``
        that belong to no incident or to one that ended, their reports, and the ended incidents
        (``until``: the end of the slot being closed)."""
        times = self._row_time.values
        if not len(times) or times.min() >= cutoff:
            return   # an ended incident's posts are all older than cutoff, so none ended either
        store = self.reports_
        quiet = max(int(pd.Timedelta(self.max_gap).value), int(pd.Timedelta(self.dedup_horizon).value))
        ended = sorted(i for i, inc in self.incidents_.items()
                       if inc["merged_into"] == NONE and inc["last_window"] + quiet < cutoff)
        gone = set(ended) | {i for i, inc in self.incidents_.items() if inc["merged_into"] in ended}
        n_reports = 0 if store is None else len(store)
        drop_report = np.zeros(n_reports, dtype=bool)
        if n_reports:
            incident = store.incident.values
            drop_report = (store.time.values < cutoff) & ((incident == NONE) | np.isin(incident, ended))
        report = self._row_report.values
        drop_row = times < cutoff
        has = report >= 0
        drop_row[has] = drop_report[report[has]]   # a copy leaves with its report, never before it
        if not drop_row.any() or times[drop_row].min() >= cutoff - int(self.horizon_ns_ * EVICT_LAG):
            return   # later, with more to drop: forgetting copies all that stays
        if ended:
            self._write_out_incidents(ended, gone, until)
        self._write_out_logs(cutoff)
        if drop_row.any():
            self._forget(drop_row, drop_report)

    def _write_out_incidents(self, ended: list[int], gone: set[int], until: int | None) -> None:
        """Summary rows and alerts of ended incidents (``gone``: with those merged into them)."""
        self._spill("clusters", self._cluster_rows(ended, until))
        self._spill("alerts", _frame([a for a in self._alerts if a["incident_id"] in gone], ALERT_COLUMNS))
        self._alerts = [a for a in self._alerts if a["incident_id"] not in gone]
        for i in gone:
            del self.incidents_[i]
        if self.rule_ is not None and hasattr(self.rule_, "forget"):
            self.rule_.forget(sorted(gone))

    def _write_out_logs(self, cutoff: int) -> None:
        for name, key, columns in (("windows", "window_end", WINDOW_COLUMNS), ("links", "window_end", LINK_COLUMNS),
                                   ("history", "time", HISTORY_COLUMNS)):
            rows = getattr(self, f"_{name}")
            n_old = sum(1 for r in rows if r[key].value < cutoff)   # in time order
            self._spill(name, _frame(rows[:n_old], columns))
            setattr(self, f"_{name}", rows[n_old:])

    def _forget(self, drop_row: np.ndarray, drop_report: np.ndarray) -> None:
        """Write out the posts ``drop_row``, then drop them and the reports ``drop_report``; the
        rest is renumbered (posts and reports are positions in arrays)."""
        dropped = np.flatnonzero(drop_row)
        self._spill("posts", self._posts_frame(dropped))
        self.n_spilled_posts_ += len(dropped)
        keep_row = ~drop_row
        new_row = np.where(keep_row, np.cumsum(keep_row) - 1, NONE)
        for array in (self._row_time, self._row_report, self._row_copy, self._row_late, self._row_issue):
            array.keep(keep_row)
        if len(drop_report):
            new_pos = self.reports_.keep(~drop_report, new_row)
            report = self._row_report.values
            report[report >= 0] = new_pos[report[report >= 0]]
            self._tokens = [t for t, d in zip(self._tokens, drop_report) if not d]
        self._seen_ids.difference_update(self._row_id[i] for i in dropped)
        self._row_id = [r for r, d in zip(self._row_id, drop_row) if not d]
        self._pending_rows = {int(new_row[r]): v for r, v in self._pending_rows.items()}
        self._slot_queue = None
        self._frames = [self._table().loc[keep_row].reset_index(drop=True)]
        self._text_by_id = None

    def _spill(self, name: str, frame: pd.DataFrame) -> None:
        if not len(frame):
            return
        if self.spill_dir is None:
            self._spilled[name].append(frame.reset_index(drop=True))
            return
        folder = Path(self.spill_dir) / name
        folder.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(folder / f"part-{self._spill_parts:06d}.parquet", index=False)
        self._spill_parts += 1

    def _spilled_frames(self, name: str) -> list[pd.DataFrame]:
        if self.spill_dir is None:
            return list(self._spilled[name])
        return [pd.read_parquet(p) for p in sorted((Path(self.spill_dir) / name).glob("part-*.parquet"))]

    def _with_spilled(self, name: str, live: pd.DataFrame, order: list[str] | None = None) -> pd.DataFrame:
        """An output table: what was written out (oldest first) and what is still in memory."""
        self._check_fitted()
        parts = [f for f in self._spilled_frames(name) + [live] if len(f)]
        if not parts or (len(parts) == 1 and parts[0] is live):
            return live
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(order, kind="stable").reset_index(drop=True) if order else out

    def _absorbed_into(self, incident: int) -> list[int]:
        return [i for i, inc in self.incidents_.items() if i == incident or inc["merged_into"] == incident]


# ---------------------------------------------------------------------- helpers
# copies of a post come again and again (retweets, reposts): their key is worked out once
_folded = lru_cache(maxsize=1 << 16)(fold_text)   # a post's text as dedup keys and keyword tokens start from it


def _check_finite(vectors: np.ndarray, table: pd.DataFrame, source: str) -> None:
    """A NaN or inf in an issue post's vector would silently scramble every window it falls into
    (other posts' vectors are never clustered)."""
    if not vectors.size:
        return
    bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1) & (table["is_issue"].to_numpy() == 1))
    if len(bad):
        raise ValueError(f"{source}: {len(bad)} row(s) hold NaN or inf, the first at row {bad[0]} (post id "
                         f"{table['id'].iloc[bad[0]]!r}); check the embedding model, or the array passed as "
                         "embeddings, for those posts")


def _cpus(n_jobs: int | None) -> int:
    """Processes ``n_jobs`` allows: negative counts back from the CPUs this process may use (-1: all)."""
    import os

    if n_jobs is None:
        return 1
    if n_jobs < 0:
        available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        return max(1, available + 1 + n_jobs)
    return n_jobs


def _with_is_issue(table: pd.DataFrame) -> pd.DataFrame:
    if "is_issue" not in table.columns:
        raise ValueError("posts need an 'is_issue' column (1 = reports a problem) when no classifier is given; "
                         "pass classifier=load_model('default') or an IssueClassifier, or add the column "
                         "(e.g. posts['is_issue'] = posts['label'] for labelled data)")
    values = pd.to_numeric(table["is_issue"], errors="coerce")
    if values.isna().any():
        raise ValueError(f"'is_issue' must be 0/1; {int(values.isna().sum())} posts have no value")
    table = table.copy()
    table["is_issue"] = values.astype(int)
    return table


def _unit(V: np.ndarray) -> np.ndarray:
    V = np.asarray(V, dtype=np.float32)
    if V.ndim != 2 or not V.shape[1]:
        return V
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    return V / np.where(norms > 0, norms, 1.0)


def _overlap(members: list[np.ndarray], report_incident: np.ndarray, incidents: list[int]) -> np.ndarray:
    """Share of each cluster's reports already assigned to each incident."""
    out = np.zeros((len(members), len(incidents)))
    column = {inc: j for j, inc in enumerate(incidents)}
    for c, m in enumerate(members):
        assigned, counts = np.unique(report_incident[m], return_counts=True)
        for inc, n in zip(assigned, counts):
            if int(inc) in column:
                out[c, column[int(inc)]] = n / len(m)
    return out


def _groups(labels: np.ndarray) -> dict[int, np.ndarray]:
    """Positions of each label, in one sort."""
    order = np.argsort(labels, kind="stable")
    values, starts = np.unique(labels[order], return_index=True)
    return {int(v): part for v, part in zip(values, np.split(order, starts[1:]))}


def _coherent(labels: np.ndarray, V: np.ndarray, min_coherence: float, min_member: float,
              min_size: int) -> np.ndarray:
    """Clusters as topics. A member whose mean cosine to the other members is below ``min_member``
    becomes an outlier; a cluster left smaller than ``min_size``, or whose mean pairwise cosine is
    below ``min_coherence``, is dissolved. (Pairwise means do not depend on the cluster's size,
    unlike the similarity to a centroid, which is high for any handful of posts.)"""
    out = labels.copy()
    for c in np.unique(labels[labels >= 0]):
        idx = np.flatnonzero(labels == c)
        M = V[idx]
        total = M.sum(axis=0)
        to_others = (M @ total - 1.0) / max(1, len(idx) - 1)
        keep = to_others >= min_member
        out[idx] = NONE
        if keep.sum() >= max(2, min_size):
            total = M[keep].sum(axis=0)
            n = int(keep.sum())
            if (float(total @ total) - n) / (n * (n - 1)) >= min_coherence:
                out[idx[keep]] = c
    return out


def _assign_rest(V: np.ndarray, fit: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """Labels for rows not in the fitted sample: the nearest cluster centroid, if the row is at
    least as close to it as the cluster's own 10% least typical members."""
    labels = np.full(len(V), NONE, dtype=np.int64)
    labels[fit] = fitted
    clusters = [c for c in np.unique(fitted) if c >= 0]
    if not clusters:
        return labels
    centroids = np.stack([_unit(V[fit[fitted == c]].mean(axis=0, keepdims=True))[0] for c in clusters])
    floor = np.array([np.quantile(V[fit[fitted == c]] @ centroids[k], 0.1) for k, c in enumerate(clusters)])
    rest = np.setdiff1d(np.arange(len(V)), fit)
    sims = V[rest] @ centroids.T
    best = np.argmax(sims, axis=1)
    ok = sims[np.arange(len(rest)), best] >= floor[best]
    labels[rest[ok]] = np.asarray(clusters)[best[ok]]
    return labels


def window_layout(V: np.ndarray, params: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """The rows of a window's report vectors that are laid out (all, or an evenly spread sample
    of ``max_fit``) and their layout (None: too few rows to cluster)."""
    n = len(V)
    max_fit = params["max_fit"]
    if max_fit and n > max_fit:
        fit = np.unique(np.linspace(0, n - 1, max_fit).round().astype(np.int64))
    else:
        fit = np.arange(n)
    if n < (params["min_cluster_size"] or 10):
        return fit, None
    with one_blas_thread():
        return fit, make_reducer(params["reducer"], params["random_state"]).fit_transform(V[fit])


def window_clusters(V: np.ndarray, fit: np.ndarray, Z: np.ndarray | None, keep: np.ndarray,
                    params: dict) -> np.ndarray:
    """Cluster labels (-1: outlier) of the rows ``keep`` of a window laid out by :func:`window_layout`:
    the kept rows of the layout are clustered; kept rows outside the sample (``max_fit``) are
    assigned to the nearest cluster. A function of its arguments alone, so a layout helper
    process gives the same labels."""
    n = int(keep.sum())
    size = params["min_cluster_size"] or 10
    if Z is None or n < size:
        return np.full(n, NONE, dtype=np.int64)
    laid = keep[fit]
    fit = (np.cumsum(keep) - 1)[fit[laid]]   # positions among the kept rows
    if len(fit) < n:
        size = max(min(5, size), int(round(size * len(fit) / n)))
    with one_blas_thread():
        fitted = cluster_labels(make_clusterer(params["clusterer"], size, params["min_samples"]), Z[laid],
                                single_fallback=True)
    if len(fit) == n:
        return fitted
    return _assign_rest(V[keep], fit, fitted)


def window_labels(V: np.ndarray, params: dict) -> np.ndarray:
    """Cluster labels of one window's report vectors (-1: outlier): reduce, then cluster; windows
    above ``max_fit`` reports are fitted on an evenly spread sample and the rest assigned."""
    return window_clusters(V, *window_layout(V, params), np.ones(len(V), dtype=bool), params)


# In a layout helper process: layouts waiting for their window's pool, by key (a key from this
# process's counter is unique in the helpers it talks to). A detector that stops collecting
# (its helper failed, or it was dropped) leaves a few behind: only the last ones are kept.
_STASH: dict = {}
_STASH_MAX = 8
_LAYOUT_KEYS = itertools.count()


def stash_layout(key: int, V: np.ndarray, params: dict) -> None:
    """In a layout helper: lay out a window and keep it for :func:`cluster_stashed`."""
    _STASH[key] = (V, *window_layout(V, params))
    while len(_STASH) > _STASH_MAX:
        _STASH.pop(next(iter(_STASH)))


def cluster_stashed(key: int, keep: np.ndarray, params: dict) -> np.ndarray:
    """In a layout helper: the labels of the kept rows of the layout stashed under ``key``."""
    V, fit, Z = _STASH.pop(key)
    return window_clusters(V, fit, Z, keep, params)


def _ts(ns: int) -> pd.Timestamp:
    return pd.Timestamp(int(ns), tz="UTC")


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)
