"""Link the clusters of one window to the incidents of earlier windows.

Windows overlap (a 60-minute window slides by 10 minutes), so most posts of a cluster
were usually assigned in an earlier window already: shared posts are the first and
strongest evidence. Centroid similarity (cosine, in the original embedding space) is
the second, for clusters of fresh posts only (an incident back after a lull, a slow
start). Similarity alone is weak evidence between incidents of one kind: USE puts two
earthquakes, or two shootings, at 0.8-0.9, which is why it never merges anything.

- ``join``: a cluster whose posts are mostly (``majority``) one incident's joins it; a
  cluster of fresh posts joins the most similar active incident (``threshold``) that no
  other cluster of the window continues;
- ``merge``: a cluster holding at least ``min_overlap`` of its posts from each of two
  incidents born within ``merge_within`` of each other merges them, under the id of the
  older (the id people saw in alerts). At an incident's onset HDBSCAN's picture is
  unstable (a German and a Chinese group of the same outage become two clusters) and the
  fragments are reconciled; two established incidents are never merged because one
  window's clustering mixed them (on TREC-IS every such merge joined two different
  disasters);
- ``split``: a second cluster continuing the same incident whose centroid is less than
  ``split_threshold`` similar to the first one's becomes a new incident with that
  ``parent`` (hysteresis: joining needs ``threshold``, splitting less than
  ``split_threshold``, so an incident does not flap between one and two);
- ``new``: anything else (fresh clusters of one window that match each other start one
  incident together).

Everything is decided from matrices and sorted keys, so the outcome does not depend on
the order of clusters or incidents.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class LinkPlan:
    """What to do with the clusters of one window.

    ``target[c]`` is the incident cluster ``c`` joins, or ``-(g + 1)`` for the ``g``-th new
    incident of this window; ``action[c]`` and ``similarity[c]`` (centroid cosine to the
    incident, or the shared share for overlap links) say why. ``merges`` lists
    ``(absorbed, survivor, share)``; ``new_parents[g]`` is the parent of new incident ``g``
    (-1 for none): a split takes its cluster's posts from the parent.
    """

    target: list[int] = field(default_factory=list)
    action: list[str] = field(default_factory=list)
    similarity: list[float] = field(default_factory=list)
    merges: list[tuple[int, int, float]] = field(default_factory=list)
    new_parents: list[int] = field(default_factory=list)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _groups(members: list[int], similar: np.ndarray) -> list[list[int]]:
    """Connected groups of ``members`` under the boolean ``similar`` matrix (indexed by member)."""
    uf = _UnionFind(len(members))
    for a in range(len(members)):
        for b in range(a + 1, len(members)):
            if similar[members[a], members[b]]:
                uf.union(a, b)
    out: dict[int, list[int]] = {}
    for a, m in enumerate(members):
        out.setdefault(uf.find(a), []).append(m)
    return list(out.values())


def plan_links(cluster_centroids: np.ndarray, cluster_order: list, incident_ids: list[int],
               incident_centroids: np.ndarray, incident_age: list, threshold: float,
               overlap: np.ndarray | None = None, split_threshold: float = 0.5, majority: float = 0.5,
               min_overlap: float = 0.25, merge_within: float = float("inf")) -> LinkPlan:
    """Decide joins, merges, splits and new incidents for one window.

    ``cluster_order`` gives each cluster a sort key (its earliest post) that orders new
    incidents; ``incident_age`` gives each incident a sort key where smaller is older;
    ``overlap[c, j]`` is the share of cluster ``c``'s posts already assigned to incident ``j``;
    ``merge_within`` is in the units of ``incident_age``.
    """
    k, m = len(cluster_centroids), len(incident_ids)
    plan = LinkPlan(target=[0] * k, action=[""] * k, similarity=[0.0] * k)
    if k == 0:
        return plan
    S = cluster_centroids @ incident_centroids.T if m else np.zeros((k, 0))
    O = overlap if overlap is not None and m else np.zeros((k, m))
    C = cluster_centroids @ cluster_centroids.T

    # merges: a cluster made of several incidents' posts
    oldest = sorted(range(m), key=lambda j: (incident_age[j], incident_ids[j]))
    rank = {j: r for r, j in enumerate(oldest)}
    uf = _UnionFind(m)
    for c in range(k):
        shared = [int(j) for j in np.flatnonzero(O[c] >= min_overlap)]
        for a in shared:
            for b in shared:
                if a < b and abs(incident_age[a] - incident_age[b]) <= merge_within:
                    uf.union(rank[a], rank[b])
    survivor = {j: oldest[uf.find(rank[j])] for j in range(m)}
    for j in oldest:
        if survivor[j] != j:
            share = float(max(min(O[c, j], O[c, survivor[j]]) for c in range(k)))
            plan.merges.append((incident_ids[j], incident_ids[survivor[j]], share))
    O_merged = np.zeros_like(O)
    for j in range(m):
        O_merged[:, survivor[j]] += O[:, j]

    # clusters continuing an incident (by shared posts)
    new_groups: list[tuple[list[int], int, str]] = []   # (clusters, parent incident or -1, action)
    continued: dict[int, list[int]] = {}
    fresh: list[int] = []
    for c in range(k):
        j = int(np.argmax(O_merged[c])) if m else -1
        if m and O_merged[c, j] >= majority:
            continued.setdefault(j, []).append(c)
        else:
            fresh.append(c)
    for j, clusters in sorted(continued.items(), key=lambda kv: rank[kv[0]]):
        keeper = min(clusters, key=lambda c: (-O_merged[c, j], cluster_order[c]))
        apart = [c for c in clusters if c != keeper and C[c, keeper] < split_threshold]
        for c in clusters:
            if c not in apart:
                plan.target[c], plan.action[c], plan.similarity[c] = incident_ids[j], "join", float(O_merged[c, j])
        for g in _groups(apart, C >= threshold):
            new_groups.append((g, incident_ids[j], "split"))

    # fresh clusters: the most similar active incident that no cluster continues
    free = [j for j in range(m) if survivor[j] == j and j not in continued]
    by_incident: dict[int, list[int]] = {}
    unmatched: list[int] = []
    for c in fresh:
        sims = [(S[c, j], j) for j in free if S[c, j] >= threshold]
        if sims:
            by_incident.setdefault(max(sims)[1], []).append(c)
        else:
            unmatched.append(c)
    for j, clusters in sorted(by_incident.items(), key=lambda kv: rank[kv[0]]):
        groups = _groups(clusters, C >= threshold)
        keeper = min(groups, key=lambda g: (-max(S[c, j] for c in g), min(cluster_order[c] for c in g)))
        for c in keeper:
            plan.target[c], plan.action[c], plan.similarity[c] = incident_ids[j], "join", float(S[c, j])
        unmatched.extend(c for g in groups if g is not keeper for c in g)
    for g in _groups(sorted(unmatched), C >= threshold):
        new_groups.append((g, -1, "new"))

    new_groups.sort(key=lambda item: min(cluster_order[c] for c in item[0]))
    for index, (g, parent, action) in enumerate(new_groups):
        plan.new_parents.append(parent)
        for c in g:
            sim = float(S[c].max()) if m else 0.0
            plan.target[c], plan.action[c], plan.similarity[c] = -(index + 1), action, sim
    return plan
