"""Detection over a whole stream, and how it grows, against BERTopic on the same embeddings.

    python benchmarks/stream.py growth [--sizes 10000 30000 100000 300000] [--per-hour 600]
                                       [--bertopic-max 100000] [--variants-max 30000] [--repeats 3]
    python benchmarks/stream.py e2e [--n 100000] [--per-hour 4000] [--warm-runs 3]
    python benchmarks/stream.py stages [--n 100000] [--per-hour 4000]
    python benchmarks/stream.py cpu [--n 100000] [--per-hour 600]
    python benchmarks/stream.py cores [--windows 40] [--per-hour 600]

growth: ``n`` real issue posts (``_data.real_posts``: English, German and Chinese sets,
repeated with new ids beyond their pool), ``--per-hour`` of them an hour in shuffled order,
so a bigger ``n`` is a longer period at the same rate. Embeddings (USE-multilingual) come
from the on-disk cache, filled on the first run. Timed in one process, after numba's
one-off compilation and the start of the layout helper processes (once per process; see
``IncidentDetector``'s ``n_jobs``): the detector (UMAP + hdbscan, the default; then fast_hdbscan; then
the default with ``horizon="auto"``, bounded memory; the two variants up to
``--variants-max``) fitting the whole stream window by
window with alerts, and BERTopic 0.17 (its default UMAP + HDBSCAN, ``min_topic_size`` 10
like the detector's ``min_cluster_size``) fitted once on all ``n`` embeddings (up to
``--bertopic-max``: its UMAP over the whole stream outgrows the session). Prints seconds,
seconds per window, the BERTopic/detector ratio and each method's growth exponent (the
slope of log seconds against log n). Where BERTopic runs, the default detector and BERTopic
take ``--repeats`` turns each, one after the other (BERTopic's time on this shared machine
varied from 114 to 184 s at 100k between runs): the tables show the median, the fastest and
the slowest run, and the ratio of each turn.

e2e: ``socialnlp detect`` on ``--n`` real posts (the default classifier decides which are
issues), in a child process, with a cold embedding cache and then ``--warm-runs`` times warm:
the whole job (read, embed, classify, cluster, alert, write), in seconds; the median of the
warm runs, because one run on a shared 2-core machine varies by several seconds. Each warm
run is paired with one of ``socialnlp detect --n-jobs 1`` (no helper processes: everything
in one process), the baseline, run right after it.

stages: where the warm e2e run's time goes. The cache is filled by a first run in a child
process; then ``socialnlp detect`` runs in this process with a timer around each stage
(no profiler: cProfile inflates Python-heavy parts several times). Stages nest: the
indented ones are part of the one above. The layout helper processes are off here, so that
the timers see every layout: this is the work one window at a time (in ``e2e`` two helpers
lay out two windows at once while this process links and alerts).

cpu: where the CPU of one growth-stream fit goes (``--n`` posts, the default detector with its
helpers): CPU seconds of this process and of each helper process, read with psutil around
``fit`` (the helpers' start is not counted), per window, and how many cores were busy.

cores: what a second process is worth on this machine, which bounds what the layout helper
can gain. The same work (``--windows`` window layouts and clusterings of the growth stream,
``window_labels``; the same with ``OMP_WAIT_POLICY=PASSIVE``, as the layout helper runs; then a
pure-Python loop as a control that uses neither numba nor BLAS) runs in one process, then in
two processes at once, each started and warmed up first. The ratio is the throughput of two
processes over that of one: 2.00x if the cores were independent, 1.00x if the second added
nothing. (numba's OpenMP threads spin after each parallel region of UMAP's graph code, on the
core the other process needs, unless their wait policy is passive.)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from _data import real_posts
from detect import bertopic_labels

T0 = pd.Timestamp("2026-03-01T00:00Z")
warnings.filterwarnings("ignore")


def timed_stream(n: int, per_hour: int) -> pd.DataFrame:
    posts = real_posts(n).drop(columns=["label"])
    posts["created_at"] = T0 + pd.to_timedelta(np.arange(n) * 3600.0 / per_hour, unit="s")
    posts["author"] = posts["id"]
    posts["is_issue"] = 1
    return posts


def embed(texts: list[str]) -> np.ndarray:
    from socialnlp.embed import CachedEmbedder

    return CachedEmbedder("use-multilingual", progress=True).encode(texts)


def cmd_growth(args) -> None:
    from socialnlp.cluster import IncidentDetector, warm_up
    from socialnlp.cluster.layout_helper import LayoutHelper

    t = time.perf_counter()
    LayoutHelper().start()   # the layout helpers' processes start once per process, as in `socialnlp detect`
    warm_up("umap", "hdbscan"), warm_up("umap", "fast_hdbscan")
    probe = timed_stream(3000, args.per_hour)
    bertopic_labels(probe["text"].tolist(), embed(probe["text"].tolist()), 10)
    print(f"one-off compilation and first calls (not counted): {time.perf_counter() - t:.0f} s")
    methods = {"detector, umap + hdbscan (default)": {},
               "detector, umap + fast_hdbscan": {"clusterer": "fast_hdbscan"},
               "detector, default, horizon='auto' (bounded memory)": {"horizon": "auto"}}
    rows = []
    for n in args.sizes:
        posts = timed_stream(n, args.per_hour)
        V = embed(posts["text"].tolist())
        hours = n / args.per_hour
        with_bertopic = n <= args.bertopic_max
        # the default and BERTopic take turns, so that a slow spell of a shared machine falls on
        # both; the variants run in the first turn only
        for run in range(args.repeats if with_bertopic else 1):
            for name, params in methods.items():
                if params and (n > args.variants_max or run > 0):
                    continue
                t = time.perf_counter()
                det = IncidentDetector(classifier=None, **params).fit(posts, V)
                seconds = time.perf_counter() - t
                n_windows = len(det.windows_)
                rows.append({"n": n, "run": run, "method": name, "seconds": seconds, "windows": n_windows,
                             "s_per_window": seconds / max(1, n_windows), "incidents": len(det.clusters_),
                             "alerts": len(det.alerts_), "hours": hours})
                print(rows[-1], flush=True)
            if with_bertopic:
                t = time.perf_counter()
                topics = bertopic_labels(posts["text"].tolist(), V, 10)
                rows.append({"n": n, "run": run, "method": "BERTopic, one batch", "seconds": time.perf_counter() - t,
                             "incidents": int(len(set(topics) - {-1})), "hours": hours})
                print(rows[-1], flush=True)
    runs = pd.DataFrame(rows)
    # one row per size and method: the median over its runs (the other columns agree between runs)
    frame = (runs.groupby(["n", "method"], sort=False)
             .agg(hours=("hours", "first"), runs=("run", "size"), windows=("windows", "first"),
                  seconds=("seconds", "median"), fastest=("seconds", "min"), slowest=("seconds", "max"),
                  incidents=("incidents", "first"), alerts=("alerts", "first"))
             .reset_index())
    frame["s_per_window"] = frame["seconds"] / frame["windows"]
    base = frame[frame["method"] == "detector, umap + hdbscan (default)"].set_index("n")["seconds"]
    frame["vs_default"] = frame["seconds"] / frame["n"].map(base)
    print(f"\n{args.per_hour} issue posts an hour; seconds for the whole stream (fit, all windows, alerts), "
          f"the median of {args.repeats} run(s) where BERTopic runs too, with the fastest and slowest")
    print(frame[["n", "hours", "method", "runs", "windows", "seconds", "fastest", "slowest", "s_per_window",
                 "vs_default", "incidents", "alerts"]].round(3).to_string(index=False))
    pairs = runs.pivot_table(index=["n", "run"], columns="method", values="seconds")
    if "BERTopic, one batch" in pairs:
        ratio = (pairs["BERTopic, one batch"] / pairs["detector, umap + hdbscan (default)"]).dropna()
        print("\nBERTopic seconds / detector seconds (same embeddings, same stream): medians, and each turn")
        medians = frame.set_index(["n", "method"])["seconds"]
        for n, part in ratio.groupby(level="n"):
            each = ", ".join(f"{x:.2f}x" for x in part)
            print(f"  n={n:>7,}: {medians[n, 'BERTopic, one batch'] / base[n]:.2f}x  (each turn: {each})")
    print("\ngrowth exponent (median seconds ~ n^k, least squares over the sizes):")
    for name, part in frame.groupby("method", sort=False):
        if len(part) >= 2:
            k = np.polyfit(np.log(part["n"]), np.log(part["seconds"]), 1)[0]
            print(f"  {name:<52} k = {k:.2f}  ({', '.join(f'{x:,}' for x in part['n'])})")


def cmd_e2e(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        posts = timed_stream(args.n, args.per_hour).drop(columns=["is_issue"])
        src = tmp / "posts.parquet"
        posts.to_parquet(src, index=False)
        env = {**os.environ, "SOCIALNLP_CACHE_DIR": str(tmp / "cache")}
        print(f"{args.n:,} real posts ({posts['text'].nunique():,} distinct texts), {args.per_hour} an hour "
              f"({args.n / args.per_hour:.0f} h); `socialnlp detect` with the default model")
        runs = [("cold", [])] + [(state, flags) for _ in range(args.warm_runs)
                                 for state, flags in (("warm", []), ("warm, --n-jobs 1", ["--n-jobs", "1"]))]
        warm: dict[str, list[float]] = {}
        for run, (state, flags) in enumerate(runs):
            t = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "socialnlp.cli", "detect", str(src), "-o", str(tmp / f"out{run}"),
                                  *flags], env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - t
            if out.returncode:
                sys.exit(out.stderr[-3000:])
            if state != "cold":
                warm.setdefault(state, []).append(seconds)
            found = [line for line in out.stdout.splitlines() if " incidents, " in line]
            print(f"  {state + ' embedding cache':<38} {seconds:6.1f} s   {found[0].split(';')[0] if found else ''}",
                  flush=True)
        for state, seconds in warm.items():
            print(f"  {state}: median {np.median(seconds):.1f} s, range {min(seconds):.1f}-{max(seconds):.1f} s")
        if len(warm) == 2:
            base, helped = (np.median(warm[k]) for k in ("warm, --n-jobs 1", "warm"))
            print(f"  --n-jobs 1 / default (medians): {base / helped:.2f}x")


STAGES = [  # (module, attribute where the caller looks it up, label, depth)
    ("socialnlp.pipeline", "run_detect", "socialnlp detect, after imports", 0),
    ("socialnlp.cluster.detector", "IncidentDetector._prepare", "validate, embed (cache), classify", 1),
    ("socialnlp.embed.cache", "CachedEmbedder.encode", "embedding cache lookups", 2),
    ("socialnlp.cluster.detector", "IncidentDetector._add_reports", "distinct reports (copies, dedup keys)", 1),
    ("socialnlp.cluster.detector", "window_layout", "window layouts", 1),
    ("socialnlp.cluster.stages", "UMAPReducer.fit_transform", "UMAP layout", 2),
    ("socialnlp.cluster.stages", "exact_knn", "exact neighbours", 3),
    ("socialnlp.cluster.sgd", "_kernel", "layout epochs", 3),   # a factory: its kernel is timed, see cmd_stages
    ("umap.spectral", "spectral_layout", "spectral start", 3),   # sgd.embed_graph imports it at each call
    ("socialnlp.cluster.detector", "window_clusters", "window clustering (the pool's rows)", 1),
    ("socialnlp.cluster.detector", "cluster_labels", "HDBSCAN", 2),
    ("socialnlp.cluster.detector", "IncidentDetector._link", "linking windows to incidents", 1),
    ("socialnlp.cluster.detector", "IncidentDetector._evaluate_alerts", "alerts (burst rule, keywords)", 1),
    ("socialnlp.cluster.detector", "IncidentDetector._report_tokens", "keyword tokens", 2),
    ("socialnlp.cluster", "write_outputs", "writing outputs", 1),   # where run_detect imports it from
]


def cmd_stages(args) -> None:
    import importlib

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "posts.parquet"
        timed_stream(args.n, args.per_hour).drop(columns=["is_issue"]).to_parquet(src, index=False)
        os.environ["SOCIALNLP_CACHE_DIR"] = str(tmp / "cache")
        subprocess.run([sys.executable, "-m", "socialnlp.cli", "detect", str(src), "-o", str(tmp / "cold")],
                       check=True, capture_output=True)
        import socialnlp.cluster.detector as detector

        class LayoutsHere(detector.LayoutHelper):
            def start(self):
                self.broken = True
                return self

        detector.LayoutHelper = LayoutsHere
        seconds: dict[str, list] = {}
        for module, attr, label, _ in STAGES:
            owner = importlib.import_module(module)
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part)
            timed = _timed(getattr(owner, name), seconds.setdefault(label, [0.0, 0]))
            if attr == "_kernel":   # the compiled epochs come from a factory: time what it returns
                timed = lambda kernel=_timed(owner._kernel(), seconds[label]): kernel   # noqa: E731
            setattr(owner, name, timed)
        from socialnlp.cli import main as cli

        t = time.perf_counter()
        cli(["detect", str(src), "-o", str(tmp / "warm")])
        total = time.perf_counter() - t
    print(f"\nwarm run in this process: {total:.1f} s (imports before it not counted)")
    print(f"{'stage':<48} {'seconds':>8} {'calls':>6} {'share':>6}")
    for _, _, label, depth in STAGES:
        spent, calls = seconds[label]
        print(f"{'  ' * depth + label:<48} {spent:8.2f} {calls:6d} {spent / total:6.0%}")


def _cores_work(kind: str, per_hour: int, n_windows: int, ready, go, out) -> None:
    """One worker of ``cores``: warm up, wait for the others, do the work, report its seconds."""
    if kind.startswith("layouts"):
        if kind == "layouts, passive":
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"   # before numba loads OpenMP, as the layout helper does
        from socialnlp.cluster.detector import window_labels
        from socialnlp.cluster.stages import warm_up

        warm_up("umap", "hdbscan")
        n = per_hour * (n_windows + 1) // 6   # 10-minute steps over a 60-minute window
        V = embed(timed_stream(n, per_hour)["text"].tolist())
        params = {"reducer": "umap", "clusterer": "hdbscan", "min_cluster_size": 10, "min_samples": None,
                  "max_fit": None, "random_state": 0}
        step = per_hour // 6

        def work():
            for i in range(n_windows):
                window_labels(V[i * step:i * step + per_hour], params)
    else:
        def work():
            total = 0
            for i in range(15_000_000):
                total += i * i
    ready.put(True)
    go.wait()
    t = time.perf_counter()
    work()
    out.put(time.perf_counter() - t)


def cmd_cores(args) -> None:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    print(f"{'work':<44} {'1 process':>10} {'2 at once':>10} {'throughput of 2 / of 1':>24}")
    for kind, label in (("layouts", f"{args.windows} window layouts ({args.per_hour} posts)"),
                        ("layouts, passive", "the same, OMP_WAIT_POLICY=PASSIVE"),
                        ("python", "pure-Python loop (control)")):
        walls = {}
        for n_proc in (1, 2):
            ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
            procs = [ctx.Process(target=_cores_work, args=(kind, args.per_hour, args.windows, ready, go, out))
                     for _ in range(n_proc)]
            for p in procs:
                p.start()
            for _ in procs:
                ready.get()
            go.set()
            walls[n_proc] = max(out.get() for _ in procs)   # both did the same work: the slower one ends it
            for p in procs:
                p.join()
        print(f"{label:<44} {walls[1]:9.2f}s {walls[2]:9.2f}s {2 * walls[1] / walls[2]:23.2f}x", flush=True)


def cmd_cpu(args) -> None:
    """CPU seconds of each process of one detector fit (the growth stream), read with psutil."""
    import psutil

    from socialnlp.cluster import IncidentDetector, warm_up
    from socialnlp.cluster.layout_helper import LayoutHelper

    LayoutHelper().start()
    warm_up("umap", "hdbscan")
    posts = timed_stream(args.n, args.per_hour)
    V = embed(posts["text"].tolist())
    time.sleep(5)   # the helpers' own start (imports, compiled code) is not counted
    me = psutil.Process()

    def cpu() -> dict:
        out = {"this process (reports, link, alerts)": sum(me.cpu_times()[:2])}
        for i, child in enumerate(sorted(me.children(recursive=True), key=lambda c: c.pid)):
            t = child.cpu_times()
            out[f"helper process {i + 1} (layouts, clustering)"] = t.user + t.system
        return out

    before, t = cpu(), time.perf_counter()
    det = IncidentDetector(classifier=None).fit(posts, V)
    wall, after = time.perf_counter() - t, cpu()
    n_windows = len(det.windows_)
    print(f"{args.n:,} posts, {n_windows} windows, {wall:.1f} s wall; {len(det.clusters_)} incidents, "
          f"{len(det.alerts_)} alerts")
    total = 0.0
    for name, seconds in after.items():
        used = seconds - before.get(name, 0.0)
        total += used
        if used > 0.01:
            print(f"  {name:42s} {used:6.1f} CPU s  {used / n_windows * 1000:5.1f} ms per window")
    print(f"  {'all':42s} {total:6.1f} CPU s  {total / n_windows * 1000:5.1f} ms per window, "
          f"{total / wall:.2f} of {psutil.cpu_count()} cores busy")


def _timed(function, slot: list):
    def timed(*a, **k):
        t = time.perf_counter()
        try:
            return function(*a, **k)
        finally:
            slot[0] += time.perf_counter() - t
            slot[1] += 1
    return timed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("growth")
    g.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000, 300_000])
    g.add_argument("--per-hour", type=int, default=600)
    g.add_argument("--bertopic-max", type=int, default=100_000, help="largest n BERTopic is fitted on")
    g.add_argument("--variants-max", type=int, default=30_000, help="largest n for fast_hdbscan and horizon")
    g.add_argument("--repeats", type=int, default=3,
                   help="runs of the default detector and BERTopic, in turn, at each size BERTopic runs at")
    e = sub.add_parser("e2e")
    e.add_argument("--n", type=int, default=100_000)
    e.add_argument("--per-hour", type=int, default=4000)
    e.add_argument("--warm-runs", type=int, default=3, help="warm-cache runs after the cold one (the median is printed)")
    st = sub.add_parser("stages")
    st.add_argument("--n", type=int, default=100_000)
    st.add_argument("--per-hour", type=int, default=4000)
    cp = sub.add_parser("cpu")
    cp.add_argument("--n", type=int, default=100_000)
    cp.add_argument("--per-hour", type=int, default=600)
    c = sub.add_parser("cores")
    c.add_argument("--windows", type=int, default=40, help="window layouts per process (at least 1)")
    c.add_argument("--per-hour", type=int, default=600)
    args = ap.parse_args()
    if args.cmd == "cores" and args.windows < 1:
        ap.error("cores: --windows must be at least 1")
    if args.cmd == "growth" and args.repeats < 1:
        ap.error("growth: --repeats must be at least 1")
    {"growth": cmd_growth, "e2e": cmd_e2e, "stages": cmd_stages, "cpu": cmd_cpu, "cores": cmd_cores}[args.cmd](args)


if __name__ == "__main__":
    main()
