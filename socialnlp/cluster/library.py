"""A library of past incidents: has this happened before, and what fixed it?

An incident is kept as its centroid (the normalised mean embedding of its posts) with what a
person needs to recognise it (title, keywords, first seen, size) and a resolution note. A new
incident whose centroid is close to a past one is linked to it (``similar_past``), so the
on-call engineer sees "looks like the login outage of 3 March, fixed by rolling back
auth-gateway" next to the alert.

The library is a folder of safe files, no pickles::

    manifest.json             format, version, embedder, dim, count, and for each data file
                              its name, size and SHA-256 (plus the centroid matrix's shape)
    entries-000007.json       one record per incident
    centroids-000007.npy      float32 (n, dim), row i belongs to entry i

Every write makes a new generation of the data files and then swaps ``manifest.json``
atomically (temporary file, fsync, ``os.replace``), so a crash leaves the old library or the
new one, never a mix; writers on one machine take a lock on ``.lock``. Reading checks sizes,
checksums and shapes and names the file at fault, so a damaged library gives a clear error
instead of wrong links.

>>> lib = IncidentLibrary("incident-library", embedder="use-multilingual")        # doctest: +SKIP
>>> lib.add(det.clusters_, centroids_from_posts(det.posts_, "use-multilingual"))   # doctest: +SKIP
>>> lib.similar(new_centroids)                    # threshold 0.85  # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one writer at a time is then the caller's job
    fcntl = None

FORMAT = "socialnlp-incident-library"
VERSION = 1
MANIFEST = "manifest.json"
KEYWORD_COLUMNS = ("keywords_en", "keywords_de", "keywords_zh")
# Cosine from which a new incident is "like" a past one. With USE-multilingual centroids of the
# detector's incidents on the demo stream, the recurring login outage scored 0.95 against its
# first day, while distinct incidents reached 0.80 (website 500 vs login) and 0.75 (login vs
# broadband); gold-labelled centroids are cleaner (0.99 vs at most 0.69).
DEFAULT_THRESHOLD = 0.85
_GENERATION_FILE = re.compile(r"^(entries|centroids)-(\d+)\.(json|npy)$")


class LibraryError(ValueError):
    """A library folder that cannot be read or written safely, with the file at fault."""


def centroids_from_posts(posts: pd.DataFrame, embeddings, *, id_column: str = "incident_id") -> dict[Any, np.ndarray]:
    """The centroid of each incident: the normalised mean embedding of its posts.

    ``embeddings``: an array with one row per row of ``posts``, or an embedder (name or object,
    used through the disk cache) to embed the texts of the posts that belong to an incident.
    Posts whose ``id_column`` is -1 or blank belong to none. Incidents come in sorted order.

    >>> C = centroids_from_posts(det.posts_, "use-multilingual")      # doctest: +SKIP
    >>> C = centroids_from_posts(gold_posts, X, id_column="incident_id")   # doctest: +SKIP
    """
    member = incident_members(posts, id_column)
    ids = posts[id_column].to_numpy(dtype=object)
    if isinstance(embeddings, np.ndarray) or isinstance(embeddings, list):
        vectors = np.asarray(embeddings, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(posts):
            raise ValueError(f"embeddings must have one row per post: got shape {vectors.shape} for {len(posts)} posts")
        vectors = vectors[member]
    else:
        from socialnlp.embed.cache import CachedEmbedder

        emb = embeddings if isinstance(embeddings, CachedEmbedder) else CachedEmbedder(embeddings)
        vectors = emb.encode(posts.loc[member, "text"].astype(str).tolist())
    ids = ids[member]
    out = {}
    for incident in sorted(set(ids.tolist()), key=lambda v: (str(type(v)), v)):
        mean = vectors[ids == incident].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        if norm > 0:
            out[incident] = (mean / norm).astype(np.float32)
    return out


def incident_members(posts: pd.DataFrame, id_column: str = "incident_id") -> np.ndarray:
    """True for posts that belong to an incident: ``id_column`` not -1 and not blank (works for
    the detector's integer ids and for gold string ids alike)."""
    if id_column not in posts.columns:
        raise ValueError(f"posts have no {id_column!r} column")
    return np.array([not _is_none_id(v) for v in posts[id_column].to_numpy(dtype=object)], dtype=bool)


class IncidentLibrary:
    """Past incidents with centroids and resolution notes, in a folder (see the module doc).

    Parameters
    ----------
    path : the library folder (created on the first ``add``).
    embedder : name of the embedder the centroids come from; recorded on the first ``add`` and
        checked afterwards (cosines between two models' vectors mean nothing).
    """

    def __init__(self, path: str | Path, embedder: str | None = None):
        self.path = Path(path)
        self.embedder = embedder if embedder is None or isinstance(embedder, str) else getattr(embedder, "name", None)

    # ------------------------------------------------------------------ reading
    def load(self) -> tuple[dict, list[dict], np.ndarray]:
        """``(manifest, entries, centroids)``, checked; an empty library if the folder has none."""
        try:
            return self._load()
        except LibraryError:
            return self._load()  # a writer may have swapped generations between our reads

    def _load(self) -> tuple[dict, list[dict], np.ndarray]:
        manifest_path = self.path / MANIFEST
        if not manifest_path.exists():
            leftovers = [p.name for p in self.path.glob("*") if _GENERATION_FILE.match(p.name)] if self.path.is_dir() else []
            if leftovers:
                raise LibraryError(f"{self.path}: {MANIFEST} is missing but data files are present "
                                   f"({', '.join(sorted(leftovers)[:4])}); the library is damaged: restore it from a backup")
            return {}, [], np.zeros((0, 0), dtype=np.float32)
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LibraryError(f"{manifest_path}: not valid JSON ({exc}); the library is damaged") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise LibraryError(f"{manifest_path}: not an incident library manifest (format != {FORMAT!r})")
        if int(manifest.get("version", 0)) > VERSION:
            raise LibraryError(f"{manifest_path}: library version {manifest.get('version')} is newer than this "
                               f"socialnlp reads ({VERSION}); upgrade socialnlp")
        files = manifest.get("files") or {}
        try:
            entries_raw = self._checked_bytes(files["entries"])
            centroid_raw = self._checked_bytes(files["centroids"])
        except KeyError as exc:
            raise LibraryError(f"{manifest_path}: no entry for the {exc.args[0]} file; the library is damaged") from None
        entries = json.loads(entries_raw.decode("utf-8"))
        try:
            centroids = np.load(io.BytesIO(centroid_raw), allow_pickle=False)
        except ValueError as exc:
            raise LibraryError(f"{self.path / files['centroids']['name']}: not a numeric .npy array ({exc})") from None
        n, dim = int(manifest.get("n", -1)), int(manifest.get("dim", -1))
        expected = tuple(files["centroids"].get("shape", (n, dim)))
        if (centroids.dtype != np.float32 or centroids.ndim != 2 or centroids.shape != expected
                or centroids.shape != (n, dim) or not isinstance(entries, list) or len(entries) != n):
            raise LibraryError(f"{self.path}: shapes disagree with {MANIFEST}: centroids {centroids.shape} "
                               f"{centroids.dtype}, {len(entries) if isinstance(entries, list) else '?'} entries, "
                               f"manifest says {n} x {dim} float32; the library is damaged")
        if not np.isfinite(centroids).all():
            raise LibraryError(f"{self.path / files['centroids']['name']}: centroids hold NaN or infinite values")
        return manifest, entries, centroids

    def _checked_bytes(self, meta: Mapping) -> bytes:
        name = str(meta.get("name", ""))
        if not _GENERATION_FILE.match(name):
            raise LibraryError(f"{self.path / MANIFEST}: bad data file name {name!r}")
        path = self.path / name
        if not path.is_file():
            raise LibraryError(f"{path}: missing (listed in {MANIFEST}); the library is damaged: restore it from a backup")
        raw = path.read_bytes()
        if len(raw) != int(meta.get("bytes", -1)) or hashlib.sha256(raw).hexdigest() != meta.get("sha256"):
            raise LibraryError(f"{path}: size or SHA-256 does not match {MANIFEST}; the file was changed or "
                               f"truncated: restore the library from a backup")
        return raw

    def entries(self) -> pd.DataFrame:
        """The past incidents as a table (no centroids)."""
        return pd.DataFrame(self.load()[1], columns=list(_ENTRY_FIELDS))

    def __len__(self) -> int:
        return len(self.load()[1])

    # ------------------------------------------------------------------ writing
    def add(self, clusters: pd.DataFrame, centroids, *, titles=None, resolutions=None,
            run_id: str | None = None) -> list[str]:
        """Add (or update) incidents; returns their ``library_id`` in the order of ``clusters``.

        ``centroids``: a mapping ``incident_id -> vector`` (from :func:`centroids_from_posts`) or
        an array aligned with the rows of ``clusters``. ``titles`` and ``resolutions``: mappings
        by ``incident_id`` or sequences aligned with the rows. An incident added again (same
        first post time and representative posts) is updated in place, keeping its resolution
        note unless a new one is given. Rows without a centroid are skipped.
        """
        if "incident_id" not in clusters.columns:
            raise ValueError("clusters need an 'incident_id' column (the clusters_ table of IncidentDetector)")
        vectors = _aligned(clusters, centroids)
        if all(v is None for v in vectors):
            return [None] * len(vectors)
        titles_ = _aligned_values(clusters, titles)
        notes_ = _aligned_values(clusters, resolutions)
        now = _now()
        with self._lock():
            manifest, entries, matrix = self.load()
            dim = self._check_space(manifest, next((len(v) for v in vectors if v is not None), None))
            index = {e["library_id"]: i for i, e in enumerate(entries)}
            rows = [matrix[i] for i in range(len(entries))]
            ids = []
            for k, (_, row) in enumerate(clusters.iterrows()):
                if vectors[k] is None:
                    ids.append(None)
                    continue
                record = _entry(row, titles_[k], run_id, now)
                vec = _unit(vectors[k], dim, row["incident_id"])
                lid = record["library_id"]
                if lid in index:
                    old = entries[index[lid]]
                    record["added_at"] = old.get("added_at", now)
                    record["resolution"], record["resolved_at"] = old.get("resolution"), old.get("resolved_at")
                    entries[index[lid]], rows[index[lid]] = record, vec
                else:
                    index[lid] = len(entries)
                    entries.append(record)
                    rows.append(vec)
                if notes_[k] is not None and not (isinstance(notes_[k], float) and np.isnan(notes_[k])):
                    entries[index[lid]]["resolution"], entries[index[lid]]["resolved_at"] = str(notes_[k]), now
                ids.append(lid)
            stacked = np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), dtype=np.float32)
            self._write(manifest, entries, stacked, dim)
        return ids

    def set_resolution(self, library_id: str, note: str | None) -> None:
        """Record how a past incident was resolved (``None`` clears the note)."""
        with self._lock():
            manifest, entries, matrix = self.load()
            for e in entries:
                if e["library_id"] == library_id:
                    e["resolution"], e["resolved_at"] = (None, None) if note is None else (str(note), _now())
                    self._write(manifest, entries, matrix, int(manifest["dim"]))
                    return
        known = ", ".join(e["library_id"] for e in entries[:5])
        raise KeyError(f"no incident {library_id!r} in {self.path} ({len(entries)} incidents; e.g. {known})")

    def _check_space(self, manifest: dict, dim: int | None) -> int:
        have_dim = manifest.get("dim")
        have_emb = manifest.get("embedder")
        if self.embedder and have_emb and self.embedder != have_emb:
            raise LibraryError(f"{self.path}: the library holds {have_emb!r} centroids; these come from "
                               f"{self.embedder!r}, and similarities across embedders mean nothing")
        if dim is None:
            if have_dim is None:
                raise ValueError("no centroid given")
            return int(have_dim)
        if have_dim is not None and int(have_dim) != dim and int(manifest.get("n", 0)) > 0:
            raise LibraryError(f"{self.path}: the library's centroids have {have_dim} dimensions, these have {dim}")
        return dim

    def _write(self, manifest: dict, entries: list[dict], matrix: np.ndarray, dim: int) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        generation = int(manifest.get("generation", 0)) + 1
        entries_bytes = json.dumps(entries, ensure_ascii=False, indent=1).encode("utf-8")
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(matrix, dtype=np.float32), allow_pickle=False)
        files = {}
        for kind, data, ext in (("entries", entries_bytes, "json"), ("centroids", buf.getvalue(), "npy")):
            name = f"{kind}-{generation:06d}.{ext}"
            _atomic_write(self.path / name, data)
            files[kind] = {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        files["centroids"]["shape"] = [int(matrix.shape[0]), int(dim)]
        files["centroids"]["dtype"] = "float32"
        new_manifest = {"format": FORMAT, "version": VERSION, "embedder": manifest.get("embedder") or self.embedder,
                        "dim": int(dim), "n": len(entries), "generation": generation, "updated_at": _now(),
                        "files": files}
        _atomic_write(self.path / MANIFEST, json.dumps(new_manifest, indent=1).encode("utf-8"))
        for p in self.path.iterdir():  # older generations, now unreferenced
            m = _GENERATION_FILE.match(p.name)
            if m and int(m.group(2)) != generation:
                p.unlink(missing_ok=True)

    @contextmanager
    def _lock(self):
        self.path.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            yield
            return
        with open(self.path / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # ------------------------------------------------------------------ querying
    def similar(self, centroids, threshold: float = DEFAULT_THRESHOLD, top_k: int = 3, *,
                clusters: pd.DataFrame | None = None) -> list[dict]:
        """Past incidents whose centroid has cosine similarity ``>= threshold`` with each query,
        best first, at most ``top_k`` per query.

        ``centroids``: a mapping ``incident_id -> vector`` or an array (rows numbered 0..n-1, or
        aligned with ``clusters``). With ``clusters`` (``incident_id``, ``first_seen``), only
        incidents that began before each query count, and a query never matches itself (so a run
        can add its incidents first and then link a recurrence to an earlier one of the same run).

        Each match: ``incident_id`` (the query's), ``library_id``, ``similarity``, ``title``,
        ``keywords``, ``first_seen``, ``resolution``, ``past_incident_id``, ``run_id``.
        """
        manifest, entries, matrix = self.load()
        if clusters is not None:
            query_ids = clusters["incident_id"].tolist()
            vectors = _aligned(clusters, centroids)
            starts = [_iso(v) for v in clusters.get("first_seen", pd.Series([None] * len(clusters)))]
            own = [_library_id(row) for _, row in clusters.iterrows()]
        elif isinstance(centroids, Mapping):
            query_ids, vectors = list(centroids), list(centroids.values())
            starts, own = [None] * len(query_ids), [None] * len(query_ids)
        else:
            vectors = list(np.asarray(centroids, dtype=np.float32))
            query_ids, starts, own = list(range(len(vectors))), [None] * len(vectors), [None] * len(vectors)
        if not entries:
            return []
        dim = self._check_space(manifest, next((len(v) for v in vectors if v is not None), None))
        matches = []
        for qid, vec, start, me in zip(query_ids, vectors, starts, own):
            if vec is None:
                continue
            sims = matrix @ _unit(vec, dim, qid)
            order = np.argsort(-sims, kind="stable")
            found = []
            for j in order:
                e = entries[j]
                if sims[j] < threshold or len(found) >= top_k:
                    break
                if e["library_id"] == me or (start is not None and e.get("first_seen") and e["first_seen"] >= start):
                    continue
                found.append({"incident_id": _plain(qid), "library_id": e["library_id"],
                              "similarity": round(float(sims[j]), 4), "title": e.get("title"),
                              "keywords": e.get("keywords", []), "first_seen": e.get("first_seen"),
                              "resolution": e.get("resolution"), "past_incident_id": e.get("incident_id"),
                              "run_id": e.get("run_id")})
            matches.extend(found)
        return matches

    def similar_past(self, clusters: pd.DataFrame, centroids, threshold: float = DEFAULT_THRESHOLD,
                     top_k: int = 3) -> pd.Series:
        """``similar_past`` for a clusters table: per row a JSON list of ``{library_id,
        past_incident_id, similarity, title, first_seen, resolution}`` (``[]`` when nothing is
        close), aligned with ``clusters``. Add the run's incidents first (see :meth:`similar`)."""
        by_query: dict[Any, list] = {}
        for m in self.similar(centroids, threshold, top_k, clusters=clusters):
            by_query.setdefault(m["incident_id"], []).append(
                {k: m[k] for k in ("library_id", "past_incident_id", "similarity", "title", "first_seen", "resolution")})
        values = [json.dumps(by_query.get(_plain(i), []), ensure_ascii=False) for i in clusters["incident_id"]]
        return pd.Series(values, index=clusters.index, name="similar_past", dtype=object)


# ---------------------------------------------------------------------- records
_ENTRY_FIELDS = ("library_id", "incident_id", "run_id", "title", "keywords", "first_seen", "last_seen", "n_posts",
                 "n_authors", "languages", "resolution", "resolved_at", "added_at")


def _entry(row: pd.Series, title, run_id, now: str) -> dict:
    keywords = _keywords(row)
    return {
        "library_id": _library_id(row),
        "incident_id": _plain(row["incident_id"]),
        "run_id": run_id,
        "title": str(title) if title is not None else (", ".join(keywords[:6]) or f"incident {row['incident_id']}"),
        "keywords": keywords,
        "first_seen": _iso(row.get("first_seen")),
        "last_seen": _iso(row.get("last_seen")),
        "n_posts": _plain(row.get("n_posts")),
        "n_authors": _plain(row.get("n_authors")),
        "languages": _json_or_none(row.get("languages")),
        "resolution": None,
        "resolved_at": None,
        "added_at": now,
    }


def _library_id(row: pd.Series) -> str:
    """Stable across re-runs over the same posts: first post time and representative posts."""
    anchor = row.get("representative_posts")
    if anchor is None or (isinstance(anchor, float) and np.isnan(anchor)) or not str(anchor).strip("[] "):
        anchor = f"incident {row['incident_id']}"
    seed = f"{_iso(row.get('first_seen'))}|{anchor}"
    return "inc-" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:12]


def _keywords(row: pd.Series) -> list[str]:
    words = []
    for col in KEYWORD_COLUMNS:
        value = row.get(col)
        if isinstance(value, str):
            words += [w.strip() for w in re.split(r"[,，、]", value) if w.strip()][:5]
    return list(dict.fromkeys(words))


def _aligned(clusters: pd.DataFrame, centroids) -> list[np.ndarray | None]:
    if isinstance(centroids, Mapping):
        lookup = {_plain(k): v for k, v in centroids.items()}
        return [None if lookup.get(_plain(i)) is None else np.asarray(lookup[_plain(i)], dtype=np.float32)
                for i in clusters["incident_id"]]
    matrix = np.asarray(centroids, dtype=np.float32)
    if matrix.ndim != 2 or len(matrix) != len(clusters):
        raise ValueError(f"centroids must be a mapping incident_id -> vector or one row per cluster; "
                         f"got shape {matrix.shape} for {len(clusters)} clusters")
    return list(matrix)


def _aligned_values(clusters: pd.DataFrame, values) -> list:
    if values is None:
        return [None] * len(clusters)
    if isinstance(values, Mapping):
        lookup = {_plain(k): v for k, v in values.items()}
        return [lookup.get(_plain(i)) for i in clusters["incident_id"]]
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, np.ndarray, pd.Series)):
        raise TypeError("titles and resolutions must be a mapping by incident_id or a sequence aligned with clusters")
    values = list(values)
    if len(values) != len(clusters):
        raise ValueError(f"got {len(values)} titles/resolutions for {len(clusters)} clusters")
    return values


def _unit(vector, dim: int, incident) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    if len(v) != dim:
        raise LibraryError(f"incident {incident}: centroid has {len(v)} dimensions, the library {dim}")
    norm = float(np.linalg.norm(v))
    if not np.isfinite(norm) or norm == 0:
        raise ValueError(f"incident {incident}: centroid is zero or not finite")
    return v / norm


def _is_none_id(value) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return True
    if isinstance(value, str):
        return not value.strip() or value.strip() == "-1"
    try:
        return int(value) == -1
    except (TypeError, ValueError):
        return False


def _plain(value):
    """numpy scalars as Python ones (JSON and dict keys)."""
    return value.item() if isinstance(value, np.generic) else value


def _iso(value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_or_none(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else _plain(value)


def _now() -> str:
    return pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dir_fd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
