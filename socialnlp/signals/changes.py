"""Change events (deploys, config changes, maintenance) next to incidents: which change did it?

A ``changes`` table follows the same contract rules as posts (rows that break it go to a
rejects table with row, column and reason; times as ISO-8601 with an offset or unix time):

===============  ========  ==========================================================
column           required  meaning
===============  ========  ==========================================================
``change_id``    yes       unique id of the change
``time``         yes       when it took effect
``service``      no        what it touched (``login-api``, ``payments``)
``kind``         no        deploy, config, outage, maintenance or other (anything else
                           is read as ``other``, with a note; never rejected)
``description``  no        free text (a commit title, a change ticket summary)
===============  ========  ==========================================================

:func:`suspect_changes` ranks, for each incident, the changes in a window before its first
post by time proximity (halving every ``half_life``) and by meaning (cosine similarity of the
change's service and description to the incident's keywords and example posts, in any of
en/de/zh). :func:`blast_radius` says how far an incident spread, step by step.

>>> changes = read_changes("changes.csv")                                    # doctest: +SKIP
>>> clusters.join(suspect_changes(clusters, changes, before="6h"))           # doctest: +SKIP
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from socialnlp.cluster.library import incident_members
from socialnlp.io.contract import ContractError, ReadResult, _as_text, _is_blank, _raise_first, check_ids, parse_times

log = logging.getLogger(__name__)

CHANGE_COLUMNS = ("change_id", "time", "service", "kind", "description")
CHANGE_REQUIRED = ("change_id", "time")
CHANGE_KINDS = ("deploy", "config", "outage", "maintenance", "other")
_KIND_ALIASES = {
    "deployment": "deploy", "release": "deploy", "rollout": "deploy", "roll-out": "deploy", "rollback": "deploy",
    "configuration": "config", "config change": "config", "feature flag": "config", "flag": "config",
    "incident": "outage", "failure": "outage", "downtime": "outage",
    "planned maintenance": "maintenance", "maintenance window": "maintenance",
}
SUSPECT_COLUMNS = ("suspected_changes", "top_change_id", "top_change_score")
KIND_COLORS = {"deploy": "tab:red", "config": "tab:orange", "outage": "tab:purple", "maintenance": "tab:blue",
               "other": "tab:gray"}


# ---------------------------------------------------------------------- the contract
def normalize_kind(value) -> str:
    """A change kind as one of :data:`CHANGE_KINDS` (blank and unknown kinds are ``other``)."""
    if _is_blank(value):
        return "other"
    kind = " ".join(str(value).strip().lower().replace("_", " ").split())
    kind = _KIND_ALIASES.get(kind, kind)
    return kind if kind in CHANGE_KINDS else "other"


def validate_changes(frame: pd.DataFrame, *, source: str = "<DataFrame>", rows: pd.Series | None = None,
                     strict: bool = False) -> ReadResult:
    """Check a changes table against the contract; split it into accepted and rejected rows."""
    frame = frame.reset_index(drop=True)
    missing = [c for c in CHANGE_REQUIRED if c not in frame.columns]
    if missing:
        raise ContractError(
            f"{source}: the changes table has no column {', '.join(repr(c) for c in missing)} "
            f"(required: {', '.join(CHANGE_REQUIRED)}; optional: service, kind, description). "
            f"Columns found: {', '.join(map(str, frame.columns)) or 'none'}.")
    n = len(frame)
    out, rows, rej = check_ids(frame, "change_id", source, rows)
    times, bad = parse_times(frame["time"])
    rej.add(bad, "time",
            "unparseable time; use ISO-8601 with an offset or Z (2026-03-03T08:14:00Z) or unix seconds/milliseconds")
    rej.add(times.isna().to_numpy() & ~bad, "time", "missing time")
    out["time"] = times
    for col in ("service", "description"):
        out[col] = _as_text(frame[col]) if col in out.columns else None
    raw_kind = _as_text(frame["kind"]) if "kind" in out.columns else pd.Series([None] * n, dtype=object)
    out["kind"] = raw_kind.map(normalize_kind)
    accepted_mask = ~rej.mask(n)
    unknown = raw_kind[accepted_mask & raw_kind.notna().to_numpy() & (out["kind"] == "other").to_numpy()]
    unknown = unknown[unknown.str.strip().str.lower() != "other"]
    accepted = out.loc[accepted_mask].reset_index(drop=True)
    accepted["change_id"] = accepted["change_id"].astype(str)
    columns = list(CHANGE_COLUMNS) + [c for c in accepted.columns if c not in CHANGE_COLUMNS]
    result = ReadResult(table=accepted[columns], rejects=rej.frame(), source=source, n_read=n)
    if len(unknown):
        examples = ", ".join(repr(v) for v in unknown.unique()[:5])
        result.notes.append(f"{len(unknown)} changes of unknown kind read as 'other' ({examples}); "
                            f"kinds: {', '.join(CHANGE_KINDS)}")
    if strict and result.n_rejected:
        _raise_first(result)
    return result


def read_changes(source: str | Path | pd.DataFrame, *, strict: bool = False,
                 return_rejects: bool = False) -> pd.DataFrame | ReadResult:
    """Read and validate a changes table from a CSV/JSONL/Parquet path or a DataFrame.

    Like :func:`socialnlp.io.read_posts`: the accepted rows (``time`` in UTC, ``kind``
    normalised), rejected rows logged; ``return_rejects=True`` gives a :class:`ReadResult`,
    ``strict=True`` raises a :class:`ContractError` at the first bad row.

    >>> changes = read_changes(pd.DataFrame({"change_id": ["c1"], "time": ["2026-03-03T16:50:00Z"],
    ...                                      "kind": ["Deployment"], "service": ["login-api"]}))
    >>> changes.loc[0, "kind"], str(changes.loc[0, "time"])
    ('deploy', '2026-03-03 16:50:00+00:00')
    """
    from socialnlp.io.readers import _report, iter_raw_chunks

    if isinstance(source, pd.DataFrame):
        result = validate_changes(source, strict=strict)
    else:
        # A changes log is small: validate it whole, so a duplicate id is found across chunks too.
        chunks = list(iter_raw_chunks(source))
        values = pd.concat([c[0] for c in chunks], ignore_index=True)
        rows = pd.concat([c[1] for c in chunks], ignore_index=True)
        unsplit = [c[2] for c in chunks if len(c[2])]
        if strict and unsplit:
            r = unsplit[0].iloc[0]
            raise ContractError(f"{source}: row {r['row']}: {r['reason']}")
        result = validate_changes(values, source=str(source), rows=rows, strict=strict)
        if unsplit:
            result.rejects = pd.concat([*unsplit, result.rejects], ignore_index=True).sort_values(
                "row", kind="stable").reset_index(drop=True)
            result.n_read += sum(len(u) for u in unsplit)
    _report(result)
    for note in result.notes:
        log.warning("%s: %s", result.source, note)
    return result if return_rejects else result.table


# ---------------------------------------------------------------------- suspects
def suspect_changes(clusters: pd.DataFrame, changes, posts: pd.DataFrame | None = None, *, before: str = "6h",
                    after: str = "0min", half_life: str = "1h", text_weight: float = 0.5,
                    similarity_range: tuple[float, float] = (0.1, 0.5), embedder="use-multilingual",
                    cache_dir=None, top_k: int = 3, n_posts: int = 5) -> pd.DataFrame:
    """For each incident, the changes from ``before`` ahead of its first post (to ``after`` past
    it, for clocks that disagree), best suspect first.

    ``score = (1 - text_weight) * proximity + text_weight * relevance``, where ``proximity``
    halves every ``half_life`` between the change and the first post, ``similarity`` is the
    cosine (clipped to [0, 1]) between the change (kind, service, description) and the incident
    (the mean embedding of its keywords, representative texts and, with ``posts``, its
    ``n_posts`` earliest posts), and ``relevance`` maps ``similarity_range`` onto [0, 1]. The
    default range fits USE-multilingual: on the demo stream a change description scored
    0.3-0.5 against the incident it caused and 0.0-0.25 against others, so raw cosines would
    move a score by a tenth while time moves it by the whole range. ``embedder=None`` (or
    ``text_weight=0``) ranks by time alone.

    Returns a table aligned with ``clusters`` (join it): ``suspected_changes``, a JSON list of
    ``{change_id, time, kind, service, score, minutes_before, similarity}``; ``top_change_id``
    and ``top_change_score`` of the best suspect (None/NaN when no change is in the window).

    >>> clusters.join(suspect_changes(clusters, "changes.csv", det.posts_))   # doctest: +SKIP
    """
    if not 0.0 <= text_weight <= 1.0:
        raise ValueError(f"text_weight must be between 0 and 1; got {text_weight}")
    floor, ceiling = (float(v) for v in similarity_range)
    if not ceiling > floor:
        raise ValueError(f"similarity_range must be (low, high) with low < high; got {similarity_range}")
    changes = read_changes(changes)
    if "incident_id" not in clusters.columns:
        raise ValueError("clusters need an 'incident_id' column (the clusters_ table of IncidentDetector)")
    first_seen = _first_seen(clusters, posts)
    lo_delta, hi_delta, half = pd.Timedelta(before), pd.Timedelta(after), pd.Timedelta(half_life)
    if lo_delta < pd.Timedelta(0) or hi_delta < pd.Timedelta(0) or half <= pd.Timedelta(0):
        raise ValueError("before and after must not be negative, half_life must be positive")
    windows = [np.array([], dtype=int) if pd.isna(t) else
               np.flatnonzero(((changes["time"] >= t - lo_delta) & (changes["time"] <= t + hi_delta)).to_numpy())
               for t in first_seen]
    use_text = embedder is not None and text_weight > 0
    similarity = _similarities(clusters, changes, posts, windows, embedder, cache_dir, n_posts) if use_text else {}
    weight = text_weight if use_text else 0.0
    rows = []
    for i, (t, idx) in enumerate(zip(first_seen, windows)):
        found = []
        for j in idx:
            minutes = (t - changes["time"].iloc[j]).total_seconds() / 60.0
            proximity = 0.5 ** (max(minutes, 0.0) / (half.total_seconds() / 60.0))
            sim = float(similarity.get((i, j), 0.0))
            relevance = min(max((sim - floor) / (ceiling - floor), 0.0), 1.0)
            found.append({
                "change_id": changes["change_id"].iloc[j],
                "time": changes["time"].iloc[j].strftime("%Y-%m-%dT%H:%M:%SZ"),
                "kind": changes["kind"].iloc[j],
                "service": changes["service"].iloc[j],
                "score": round((1 - weight) * proximity + weight * relevance, 4),
                "minutes_before": round(minutes, 1),
                "similarity": round(sim, 4),
            })
        found.sort(key=lambda c: (-c["score"], abs(c["minutes_before"]), c["change_id"]))
        found = found[:top_k]
        rows.append((json.dumps(found, ensure_ascii=False), found[0]["change_id"] if found else None,
                     found[0]["score"] if found else np.nan))
    return pd.DataFrame(rows, columns=list(SUSPECT_COLUMNS), index=clusters.index).astype({"top_change_score": float})


def _first_seen(clusters: pd.DataFrame, posts: pd.DataFrame | None) -> list:
    if "first_seen" in clusters.columns:
        raw = clusters["first_seen"]
        seen = pd.to_datetime(raw.where(raw.astype(str).str.strip() != ""), utc=True, errors="coerce")
    else:
        seen = pd.Series(pd.NaT, index=clusters.index, dtype="datetime64[ns, UTC]")
    if posts is not None and seen.isna().any():
        firsts = posts[incident_members(posts)].groupby("incident_id")["created_at"].min()
        seen = seen.fillna(pd.Series(clusters["incident_id"].map(firsts).to_numpy(), index=clusters.index))
    return list(seen)


def _change_text(row) -> str:
    parts = [row["kind"] if row["kind"] != "other" else None, row["service"], row["description"]]
    return " ".join(str(p) for p in parts if not _is_blank(p))


def _similarities(clusters, changes, posts, windows, embedder, cache_dir, n_posts) -> dict[tuple[int, int], float]:
    """Cosine of (incident i, change j) for the pairs inside a window."""
    if embedder is None or not any(len(w) for w in windows):
        return {}
    from socialnlp.embed.base import group_means
    from socialnlp.embed.cache import CachedEmbedder
    from socialnlp.signals.routing import KEYWORD_COLUMNS, TEXT_COLUMN, incident_texts

    has_text = any(c in clusters.columns for c in (*KEYWORD_COLUMNS, TEXT_COLUMN))
    groups = incident_texts(clusters) if has_text else [[] for _ in range(len(clusters))]
    if posts is not None and n_posts > 0 and "text" in posts.columns:
        earliest = posts[incident_members(posts)].sort_values("created_at", kind="stable").groupby("incident_id")["text"]
        texts = earliest.apply(lambda s: s.head(n_posts).astype(str).tolist()).to_dict()
        groups = [g + texts.get(inc, []) for g, inc in zip(groups, clusters["incident_id"])]
    emb = embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder, cache_dir=cache_dir)
    wanted = sorted({int(j) for w in windows for j in w})
    change_texts = [_change_text(changes.iloc[j]) for j in wanted]
    flat = [t for g in groups for t in g]
    vectors = emb.encode(flat + change_texts)
    incident_vectors = group_means(vectors[: len(flat)], [len(g) for g in groups])
    position = {j: k for k, j in enumerate(wanted)}
    out = {}
    for i, w in enumerate(windows):
        for j in map(int, w):
            k = position[j]
            sim = float(incident_vectors[i] @ vectors[len(flat) + k]) if change_texts[k] else 0.0
            out[(i, j)] = float(np.clip(sim, 0.0, 1.0))
    return out


# ---------------------------------------------------------------------- blast radius
def blast_radius(posts: pd.DataFrame, incident_id: int | Iterable[int] | None = None, *,
                 step: str = "10min") -> pd.DataFrame:
    """How far each incident spread, step by step (empty steps included, as zeros).

    Columns: ``incident_id``, ``time`` (step start, UTC), ``posts``, ``authors`` (distinct in the
    step), ``new_authors`` (first seen in this step), ``total_authors`` (distinct so far),
    ``languages``, ``platforms`` and, where posts carry a ``region``, ``regions``: JSON counts
    per value, largest first. ``posts`` is the detector's ``posts_`` (``incident_id`` -1 = none).

    >>> blast_radius(det.posts_, incident_id=3)                 # doctest: +SKIP
    """
    from socialnlp.cluster.summary import language_counts

    for col in ("incident_id", "created_at"):
        if col not in posts.columns:
            raise ValueError(f"blast_radius needs posts with {col!r} (the detector's posts_ table)")
    table = posts[incident_members(posts)]
    if incident_id is not None:
        wanted = [incident_id] if np.isscalar(incident_id) else list(incident_id)
        table = table[table["incident_id"].isin(wanted)]
    names = {"lang": "languages", "platform": "platforms", "region": "regions"}
    counted = [c for c in names if c in table.columns]
    columns = ["incident_id", "time", "posts", "authors", "new_authors", "total_authors"] + [names[c] for c in counted]
    if not len(table):
        return pd.DataFrame(columns=columns)
    authors = table["author"].fillna(table["id"]).astype(str) if "author" in table.columns else table["id"]
    table = table.assign(time=pd.to_datetime(table["created_at"], utc=True).dt.floor(step), author=authors)
    out = []
    for inc, part in table.groupby("incident_id", sort=True):
        slots = pd.date_range(part["time"].min(), part["time"].max(), freq=step)
        seen: set[str] = set()
        by_slot = dict(tuple(part.groupby("time", sort=True)))
        for slot in slots:
            rows = by_slot.get(slot)
            authors = set() if rows is None else set(rows["author"])
            new = authors - seen
            seen |= authors
            record = {"incident_id": inc, "time": slot, "posts": 0 if rows is None else len(rows),
                      "authors": len(authors), "new_authors": len(new), "total_authors": len(seen)}
            for c in counted:
                values = [] if rows is None else rows[c].dropna().astype(str).tolist()
                record[names[c]] = language_counts(values)
            out.append(record)
    return pd.DataFrame(out, columns=columns)


# ---------------------------------------------------------------------- plot
def plot_incident_changes(volume, changes, path: str | Path, *, title: str | None = None, step: str = "10min",
                          before: str = "6h", max_labels: int = 8) -> Path:
    """Posts per step of an incident with its candidate changes marked, as a PNG.

    ``volume``: a clusters row's ``volume`` (JSON or dict), a Series of counts indexed by time,
    or a posts table (``created_at``; one line per incident when ``incident_id`` is set, the five
    largest). Changes from ``before`` ahead of the first post to the last post are drawn as
    vertical lines coloured by kind.

    >>> row = det.clusters_.iloc[0]                                               # doctest: +SKIP
    >>> plot_incident_changes(row["volume"], changes, "incident_0_changes.png")  # doctest: +SKIP
    """
    from matplotlib.figure import Figure

    from socialnlp.evaluate.plots import _save, counts_per_step, parse_volume

    lines = _volume_lines(volume, step, parse_volume, counts_per_step)
    changes = read_changes(changes) if changes is not None else pd.DataFrame(columns=list(CHANGE_COLUMNS))
    fig = Figure(figsize=(9, 4))
    ax = fig.subplots()
    starts = [s.index.min() for s in lines.values() if len(s)]
    ends = [s.index.max() for s in lines.values() if len(s)]
    if not starts:
        raise ValueError("nothing to plot: the volume is empty")
    lo, hi = min(starts) - pd.Timedelta(before), max(ends) + pd.Timedelta(step)
    for name, series in lines.items():
        ax.step(series.index, series.to_numpy(), where="post", lw=1.8, label=name)
    first = min(starts)
    ax.axvline(first, color="black", lw=1.2, label=f"incident starts {first:%m-%d %H:%M}")
    if len(changes):
        changes = changes[(changes["time"] >= lo) & (changes["time"] <= hi)].sort_values("time", kind="stable")
    shown = changes
    for k, row in enumerate(shown.itertuples(index=False)):
        color = KIND_COLORS.get(row.kind, "tab:gray")
        label = (f"{row.kind} {row.change_id}" + (f" ({row.service})" if not _is_blank(row.service) else "")
                 + f" {row.time:%m-%d %H:%M}")
        ax.axvline(row.time, color=color, ls="--", lw=1.3, label=label if k < max_labels else None)
    ax.set_xlim(lo, hi)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("time (UTC)")
    minutes = pd.Timedelta(step).total_seconds() / 60
    ax.set_ylabel(f"posts per {minutes:g} min" if minutes < 60 else f"posts per {minutes / 60:g} h")
    ax.set_title(title or f"Incident volume and {len(shown)} changes, from {before} before it starts (times UTC)",
                 fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.autofmt_xdate()
    return _save(fig, path)


def _volume_lines(volume, step, parse_volume, counts_per_step) -> dict[str, pd.Series]:
    if isinstance(volume, pd.DataFrame):
        if "incident_id" in volume.columns and incident_members(volume).any():
            assigned = volume[incident_members(volume)]
            biggest = assigned["incident_id"].value_counts().index[:5]
            return {f"incident {i}": counts_per_step(assigned.loc[assigned["incident_id"] == i, "created_at"], step)
                    for i in sorted(biggest)}
        return {"posts": counts_per_step(volume["created_at"], step)}
    if isinstance(volume, pd.Series):
        return {"posts": volume.astype(float)}
    return {"incident posts": parse_volume(volume, step=step)}
