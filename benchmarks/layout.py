"""One window's UMAP layout: umap-learn's layout step against socialnlp's, on real windows.

    python benchmarks/layout.py [--windows 49] [--rows 780] [--repeats 2]

Windows of ``--rows`` consecutive posts of the growth stream (``stream.py``: real posts, 600
an hour, so 780 rows is a 60-minute window with its carried outliers), every 600 posts.
Each window is laid out by ``UMAPReducer`` twice, alternating: with umap-learn's own layout
step (``simplicial_set_embedding``, the baseline) and with socialnlp's
(:mod:`socialnlp.cluster.sgd`), from the same exact neighbours and graph. Prints the
milliseconds per layout (the whole reducer: neighbours, graph, start and epochs), the ratio,
and in how many windows the two layouts are the same to the bit.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from socialnlp.cluster.stages import UMAPReducer
from stream import embed, timed_stream

warnings.filterwarnings("ignore")


class UmapLearnLayout(UMAPReducer):
    """The default reducer with umap-learn's own layout step (the baseline)."""

    def _embed(self, X, graph, random_state):
        return self._umap_layout(X, graph, random_state)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, default=49)
    ap.add_argument("--rows", type=int, default=780)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    posts = timed_stream(600 * args.windows + args.rows, 600)
    V = embed(posts["text"].tolist())
    windows = [V[s:s + args.rows] for s in range(0, 600 * args.windows, 600)]
    methods = {"umap-learn's layout step (baseline)": UmapLearnLayout, "socialnlp.cluster.sgd": UMAPReducer}
    for make in methods.values():
        make().fit_transform(windows[0])   # compiled code loaded, not timed
    seconds = {name: 0.0 for name in methods}
    same = 0
    for _ in range(args.repeats):
        for X in windows:
            out = []
            for name, make in methods.items():
                t = time.perf_counter()
                out.append(make().fit_transform(X))
                seconds[name] += time.perf_counter() - t
            same += np.array_equal(*out)
    n = len(windows) * args.repeats
    base = seconds["umap-learn's layout step (baseline)"]
    print(f"{len(windows)} windows of {args.rows} real posts, each laid out {args.repeats} times by both")
    for name, s in seconds.items():
        print(f"  {name:38s} {s / n * 1000:6.1f} ms per layout   {base / s:.2f}x")
    print(f"  the same layout to the bit: {same} of {n}")


if __name__ == "__main__":
    main()
