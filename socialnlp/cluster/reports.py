"""Distinct reports: copies of one post are amplification, not more people.

A *report* is the first post of a group of copies. A later post is a copy when its
:func:`~socialnlp.text.dedup_key` equals that of an earlier report (retweets, reposts,
case, links, handles and punctuation do not count) or when its embedding is nearly the
same as a recent report's (cosine above ``dup_threshold``, 0.95 by default: USE puts
"Internet down in Frankfurt" and "internet down in frankfurt!!" at 0.85, so 0.95 only
catches copies with small edits); near copies are looked for among recent reports only
(``near_dup_horizon``), exact copies for much longer (``key_horizon``). Clustering sees one row per report; every copy
counts in the report's ``n_posts`` (its amplification) and inherits its incident.

Posts are added in (created_at, id) order, one time slot at a time, so the grouping
does not depend on how a stream was cut into batches.
"""
from __future__ import annotations

import numpy as np


class GrowingArray:
    """An append-only numpy array with amortised O(1) appends (capacity doubling)."""

    def __init__(self, dtype, width: int | None = None):
        self.width = width
        shape = (16,) if width is None else (16, width)
        self._data = np.zeros(shape, dtype=dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, values) -> None:
        values = np.asarray(values, dtype=self._data.dtype)
        need = self._n + len(values)
        if need > len(self._data):
            cap = max(need, 2 * len(self._data))
            grown = np.zeros((cap,) + self._data.shape[1:], dtype=self._data.dtype)
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n : need] = values
        self._n = need

    @property
    def values(self) -> np.ndarray:
        """A view of the filled part (writes go through)."""
        return self._data[: self._n]

    def keep(self, mask: np.ndarray) -> None:
        """Drop the rows where ``mask`` is False (the capacity shrinks with them)."""
        kept = self.values[np.asarray(mask, dtype=bool)]
        self._data = np.zeros((max(16, 2 * len(kept)),) + self._data.shape[1:], dtype=self._data.dtype)
        self._data[: len(kept)] = kept
        self._n = len(kept)

    @classmethod
    def of(cls, values: np.ndarray) -> "GrowingArray":
        values = np.asarray(values)
        out = cls(values.dtype, values.shape[1] if values.ndim == 2 else None)
        out.append(values)
        return out


class ReportStore:
    """Reports with their time, post, author, language, incident and embedding.

    Plain state (numpy arrays, lists, a dict) so a checkpoint can write it as npy/JSON.
    ``incident`` is -1 while a report belongs to no incident.
    """

    def __init__(self, dim: int, dup_threshold: float = 0.95, near_dup_horizon_ns: int = 3_600 * 10**9,
                 key_horizon_ns: int = 86_400 * 10**9):
        self.dim = dim
        self.dup_threshold = dup_threshold
        self.near_dup_horizon_ns = near_dup_horizon_ns
        self.key_horizon_ns = key_horizon_ns
        self.n_total = 0                          # reports ever added (report ids are 0, 1, ...)
        self.report_id = GrowingArray(np.int64)  # stable id; positions shift when old reports are dropped
        self.time = GrowingArray(np.int64)       # created_at of the first post, ns since the epoch
        self.post_row = GrowingArray(np.int64)   # row of the first post in the detector's post table
        self.incident = GrowingArray(np.int64)
        self.n_posts = GrowingArray(np.int64)    # the report and its copies
        self.vectors = GrowingArray(np.float32, dim)
        self.post_id: list[str] = []
        self.author: list[str] = []
        self.lang: list[str] = []
        self.key_index: dict[str, int] = {}
        self._in_order = (0, True)   # (first reports checked, whether their times never decrease)

    def __len__(self) -> int:
        return len(self.time)

    def add(self, rows: np.ndarray, times: np.ndarray, post_ids: list[str], keys: list[str],
            vectors: np.ndarray, authors: list[str], langs: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Add posts (already in (created_at, id) order); returns each post's report id and
        whether it is a copy of an earlier report."""
        n = len(rows)
        report = np.full(n, -1, dtype=np.int64)
        copy = np.zeros(n, dtype=bool)
        if n == 0:
            return report, copy
        vectors = np.asarray(vectors, dtype=np.float32)
        sim_old, best_old = self._nearest_recent(vectors, int(times[0]))
        within = vectors @ vectors.T
        close = within > self.dup_threshold          # few True: near copies only
        has_close = np.tril(close, -1).any(axis=1)   # an earlier post of this batch is that close
        leader = np.zeros(n, dtype=bool)
        for i in range(n):
            target = self._key_match(keys[i], int(times[i]))
            if target < 0 and sim_old[i] > self.dup_threshold:
                target = int(best_old[i])
            if target < 0 and has_close[i]:
                earlier = np.flatnonzero(close[i, :i] & leader[:i])
                if len(earlier):
                    target = int(report[earlier[np.argmax(within[i, earlier])]])
            if target >= 0:
                report[i], copy[i] = target, True
                self.n_posts.values[target] += 1
            else:
                report[i] = self._new_report(rows[i], times[i], post_ids[i], vectors[i], authors[i], langs[i])
                leader[i] = True
            if keys[i] and (keys[i] not in self.key_index or self._key_match(keys[i], int(times[i])) < 0):
                self.key_index[keys[i]] = int(report[i])   # an expired key points at its newest report
        return report, copy

    def _key_match(self, key: str, time_ns: int) -> int:
        if not key or key not in self.key_index:
            return -1
        target = self.key_index[key]
        return target if time_ns - int(self.time.values[target]) <= self.key_horizon_ns else -1

    def _nearest_recent(self, vectors: np.ndarray, t0: int) -> tuple[np.ndarray, np.ndarray]:
        """Similarity to and id of the most similar report of the last ``near_dup_horizon``."""
        if not len(self):
            return np.full(len(vectors), -np.inf), np.full(len(vectors), -1)
        recent = self.between(t0 - self.near_dup_horizon_ns, np.iinfo(np.int64).max)
        if not recent.size:
            return np.full(len(vectors), -np.inf), np.full(len(vectors), -1)
        sims = vectors @ self.vectors.values[recent].T
        best = np.argmax(sims, axis=1)
        return sims[np.arange(len(vectors)), best], recent[best]

    def _new_report(self, row, time_ns, post_id, vector, author, lang) -> int:
        rid = len(self)
        self.report_id.append([self.n_total])
        self.n_total += 1
        self.time.append([time_ns])
        self.post_row.append([row])
        self.incident.append([-1])
        self.n_posts.append([1])
        self.vectors.append(vector[None, :])
        self.post_id.append(str(post_id))
        self.author.append(str(author))
        self.lang.append(str(lang))
        return rid

    def keep(self, mask: np.ndarray, new_row: np.ndarray) -> np.ndarray:
        """Drop the reports where ``mask`` is False; ``new_row`` maps old post rows to new ones.
        Returns the new position of every old report (-1: dropped)."""
        mask = np.asarray(mask, dtype=bool)
        new_pos = np.where(mask, np.cumsum(mask) - 1, -1)
        for array in (self.report_id, self.time, self.post_row, self.incident, self.n_posts, self.vectors):
            array.keep(mask)
        self.post_row.values[:] = new_row[self.post_row.values]
        idx = np.flatnonzero(mask)
        self.post_id = [self.post_id[i] for i in idx]
        self.author = [self.author[i] for i in idx]
        self.lang = [self.lang[i] for i in idx]
        self.key_index = {k: int(new_pos[v]) for k, v in self.key_index.items() if mask[v]}
        self._in_order = (0, True)
        return new_pos

    def between(self, start_ns: int, end_ns: int) -> np.ndarray:
        """Positions of the reports whose first post lies in [start, end), in order.

        Reports come in time order, except those of posts arriving after their slot closed:
        while the times never decrease, two binary searches find the range (a scan of every
        report in memory, several per window, grew with the length of the stream)."""
        t = self.time.values
        checked, in_order = getattr(self, "_in_order", (0, True))   # (a store pickled before it had one)
        if in_order and checked < len(t):
            in_order = bool((np.diff(t[max(0, checked - 1):]) >= 0).all())
            self._in_order = (len(t), in_order)
        if in_order:
            return np.arange(np.searchsorted(t, start_ns, "left"), np.searchsorted(t, end_ns, "left"))
        return np.flatnonzero((t >= start_ns) & (t < end_ns))
