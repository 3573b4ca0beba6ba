"""Incident detection on real crisis tweets: quality and speed (quoted in docs/clustering.md).

    python benchmarks/detect.py windows [--every 2h]   # clustering quality per window: reducer x clusterer, BERTopic
    python benchmarks/detect.py stream [--seeds 0 1 2] # the detector end to end, and BERTopic in one batch
    python benchmarks/detect.py speed [--sizes 5000 20000]   # seconds per window, as ratios in one run
    python benchmarks/detect.py demo                   # the demo stream: quality and alert lead times

Data: the TREC-IS "past" event streams in ../shared/data/en/trecis_streams, one event per
file. One event alone says nothing about telling incidents apart, so we build a
multi-incident stream: each event is shifted in time so that its busiest hour starts
20 minutes after the previous event's (events in file-name order), and its posts from
6 h before to 18 h after that hour are kept: ~18.6k posts of 17 overlapping events over
~30 h. Every post counts as an issue post; the event is the gold incident.
Embeddings: USE-multilingual through the on-disk cache (the first run embeds ~30k
posts, 1-2 minutes; later runs read the cache).
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

from socialnlp.cluster import IncidentDetector, warm_up
from socialnlp.cluster.quality import cluster_quality
from socialnlp.cluster.stages import UMAPReducer, cluster_labels, make_clusterer, make_reducer
from socialnlp.embed import CachedEmbedder, get_embedder
from socialnlp.io.adapters import default_data_dir, read_trecis
from socialnlp.text import dedup_key

T0 = pd.Timestamp("2026-01-01T00:00Z")
STAGGER = pd.Timedelta("20min")
KEEP = (pd.Timedelta("-6h"), pd.Timedelta("18h"))
warnings.filterwarnings("ignore")


# --------------------------------------------------------------------------- data
def trecis_posts() -> pd.DataFrame:
    path = default_data_dir() / "en" / "trecis_streams"
    if not path.is_dir():
        sys.exit(f"needs the TREC-IS streams in {path} (set SOCIALNLP_SHARED_DATA)")
    posts = read_trecis(path)
    posts["author"] = posts["author"].fillna(posts["id"])
    return posts[["id", "text", "created_at", "lang", "author", "incident_id"]].rename(columns={"incident_id": "event"})


def aligned_stream(posts: pd.DataFrame) -> pd.DataFrame:
    """The multi-incident stream: events shifted so their busiest hours are 20 min apart."""
    parts = []
    for k, (event, group) in enumerate(sorted(posts.groupby("event"), key=lambda kv: kv[0])):
        busiest = group.set_index("created_at").resample("1h").size().idxmax()
        anchor = T0 + k * STAGGER
        shifted = group.assign(created_at=group["created_at"] + (anchor - busiest))
        keep = (shifted["created_at"] >= anchor + KEEP[0]) & (shifted["created_at"] < anchor + KEEP[1])
        parts.append(shifted[keep])
    out = pd.concat(parts).sort_values(["created_at", "id"]).reset_index(drop=True)
    out["is_issue"] = 1
    return out


def embed(texts) -> np.ndarray:
    return CachedEmbedder(get_embedder("use-multilingual", processes=1), progress=True).encode(list(texts))


def distinct(posts: pd.DataFrame) -> pd.DataFrame:
    """One post per dedup key (what the detector clusters: distinct reports)."""
    keys = posts["text"].map(dedup_key)
    return posts[~keys.duplicated() | (keys == "")].reset_index(drop=True)


def table(rows: list[dict], by: list[str]) -> str:
    frame = pd.DataFrame(rows)
    metrics = ["ari", "bcubed_precision", "bcubed_recall", "bcubed_f1", "outlier_share", "n_clusters", "seconds"]
    summary = frame.groupby(by, sort=False)[metrics].mean().round(3)
    return summary.to_markdown() if _has_tabulate() else summary.to_string()


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


# --------------------------------------------------------------------------- BERTopic
def bertopic_labels(docs: list[str], V: np.ndarray, min_topic_size: int, seed: int = 0) -> np.ndarray:
    """BERTopic 0.17.4 with its default UMAP/HDBSCAN settings, seeded, on our embeddings."""
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", low_memory=False, random_state=seed)
    hdb = HDBSCAN(min_cluster_size=min_topic_size, metric="euclidean", cluster_selection_method="eom",
                  prediction_data=True)
    model = BERTopic(umap_model=umap, hdbscan_model=hdb, min_topic_size=min_topic_size, calculate_probabilities=False)
    topics, _ = model.fit_transform(docs, embeddings=V)
    return np.asarray(topics)


# --------------------------------------------------------------------------- windows
# (reducer, clusterer, min_cluster_size, min_samples, single cluster: "off" | "fallback" | "always")
WINDOW_CONFIGS = (
    [("none", c, 10, None, "fallback") for c in ("hdbscan", "fast_hdbscan")]
    + [(r, c, m, None, "fallback") for r in ("pca", "umap") for c in ("hdbscan", "fast_hdbscan") for m in (5, 10, 20)]
    + [("umap", "hdbscan", 10, 5, "fallback"), ("umap", "hdbscan", 10, None, "off"),
       ("umap", "hdbscan", 10, None, "always")]
)


def cmd_windows(args) -> None:
    stream = aligned_stream(trecis_posts())
    reports = distinct(stream)
    V = embed(reports["text"])
    t = time.perf_counter()
    warm_up("umap", "hdbscan"), warm_up("umap", "fast_hdbscan")
    print(f"numba compilation (UMAP, fast_hdbscan), once per process: {time.perf_counter() - t:.0f} s")
    ends = pd.date_range(reports["created_at"].min().ceil("1h") + pd.Timedelta("1h"), reports["created_at"].max(),
                         freq=args.every)
    rows = []
    for end in ends:
        m = ((reports["created_at"] >= end - pd.Timedelta("60min")) & (reports["created_at"] < end)).to_numpy()
        if m.sum() < 50:
            continue
        X, gold = V[m], reports["event"].to_numpy()[m]
        print(f"window ending {end:%d %H:%M}: {m.sum()} distinct posts, {len(set(gold))} events", flush=True)
        for reducer in ("none", "pca", "umap"):
            t = time.perf_counter()
            Z = make_reducer(reducer, 0).fit_transform(X)
            t_reduce = time.perf_counter() - t
            for r, c, size, samples, single in WINDOW_CONFIGS:
                if r != reducer:
                    continue
                model = make_clusterer(c, size, samples)
                model.set_params(allow_single_cluster=single == "always")
                t = time.perf_counter()
                labels = cluster_labels(model, Z, single_fallback=single == "fallback")
                seconds = t_reduce + time.perf_counter() - t
                rows.append({"method": f"{r} + {c}", "min_cluster_size": size, "min_samples": samples or size,
                             "single_cluster": single, "n": int(m.sum()), **cluster_quality(gold, labels),
                             "seconds": seconds})
        for size in (10, 20, 30):
            t = time.perf_counter()
            labels = bertopic_labels(reports["text"][m].tolist(), X, size)
            rows.append({"method": "BERTopic", "min_cluster_size": size, "min_samples": size, "single_cluster": "off",
                         "n": int(m.sum()), **cluster_quality(gold, labels), "seconds": time.perf_counter() - t})
    print(f"\nmean over {len(set(r['n'] for r in rows))} windows of 60 min (distinct posts 50+):\n")
    print(table(rows, ["method", "min_cluster_size", "min_samples", "single_cluster"]))


# --------------------------------------------------------------------------- stream
STREAM_CONFIGS = {
    "umap + hdbscan (default)": {},
    "umap + hdbscan, merges off": {"merge_share": 1.0},
    "umap + hdbscan, merges at any age": {"merge_share": 0.25, "merge_within": None},
    "umap + hdbscan min_samples 10": {"min_samples": 10},
    "umap + fast_hdbscan": {"clusterer": "fast_hdbscan"},
    "umap 30 epochs, 5 negative samples + hdbscan (default before)":
        {"reducer": UMAPReducer(n_epochs=30, negative_sample_rate=5)},
    "umap 30 epochs, 2 negative samples + hdbscan": {"reducer": UMAPReducer(n_epochs=30)},
    "umap 45 epochs, 1 negative sample + hdbscan": {"reducer": UMAPReducer(negative_sample_rate=1)},
    "umap 10 neighbours + hdbscan": {"reducer": UMAPReducer(n_neighbors=10)},
    "umap 12 neighbours + hdbscan": {"reducer": UMAPReducer(n_neighbors=12)},
    "umap 15 epochs, 5 negative samples + hdbscan": {"reducer": UMAPReducer(n_epochs=15, negative_sample_rate=5)},
    "umap pca init, 100 epochs, 5 negative samples + hdbscan":
        {"reducer": UMAPReducer(init="pca", n_epochs=100, negative_sample_rate=5)},
    "umap pca init, 30 epochs, 5 negative samples + hdbscan":
        {"reducer": UMAPReducer(init="pca", n_epochs=30, negative_sample_rate=5)},
    "pca + hdbscan": {"reducer": "pca"},
    "pca + fast_hdbscan": {"reducer": "pca", "clusterer": "fast_hdbscan"},
}


def cmd_stream(args) -> None:
    stream = aligned_stream(trecis_posts())
    V = embed(stream["text"])
    print(f"stream: {len(stream)} posts, {stream['event'].nunique()} events, "
          f"{stream['created_at'].min():%d %H:%M} .. {stream['created_at'].max():%d %H:%M}; seeds {args.seeds}")
    warm_up("umap", "hdbscan"), warm_up("umap", "fast_hdbscan")
    rows = []
    names = args.configs.split(";") if args.configs else list(STREAM_CONFIGS)
    for name in names:
        runs = []
        for seed in args.seeds:
            params = {**STREAM_CONFIGS[name], "rule": False, "random_state": seed}
            t = time.perf_counter()
            det = IncidentDetector(classifier=None, **params).fit(stream, embeddings=V)
            seconds = time.perf_counter() - t
            posts = det.posts_          # input columns (the gold "event") are kept
            runs.append({**cluster_quality(posts["event"], posts["incident_id"]), "seconds": seconds,
                         "windows": len(det.windows_), "s_per_window": seconds / max(1, len(det.windows_)),
                         "window_outliers": det.windows_["outlier_share"].mean(),
                         "events_found": events_found(posts["event"], posts["incident_id"])})
            print(name, seed, runs[-1], flush=True)
        rows.append(_over_seeds(name, runs))
    if not args.no_bertopic:
        reports = distinct(stream)
        Vr = embed(reports["text"])
        for size in (10, 30, 60):
            runs = []
            for seed in args.seeds:
                t = time.perf_counter()
                labels = bertopic_labels(reports["text"].tolist(), Vr, size, seed)
                runs.append({**cluster_quality(reports["event"], labels), "seconds": time.perf_counter() - t,
                             "events_found": events_found(reports["event"], labels)})
            rows.append(_over_seeds(f"BERTopic one batch, min_topic_size {size}", runs))
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows).round(3)
    cols = ["method", "ari", "ari_sd", "bcubed_precision", "bcubed_recall", "bcubed_f1", "outlier_share",
            "n_clusters", "events_found", "seconds", "s_per_window", "window_outliers"]
    print(frame[[c for c in cols if c in frame]].to_markdown(index=False) if _has_tabulate() else frame.to_string())


def _over_seeds(name: str, runs: list[dict]) -> dict:
    """Means over seeds; the ARI's standard deviation; events found as their mean (min-max)."""
    frame = pd.DataFrame(runs)
    found = frame.pop("events_found").str.split("/", expand=True).astype(int)
    out = {"method": name, **frame.mean(numeric_only=True).to_dict(), "ari_sd": frame["ari"].std(ddof=0)}
    out["events_found"] = f"{found[0].mean():.1f}/{found[1].iloc[0]} ({found[0].min()}-{found[0].max()})"
    return out


def events_found(gold, pred, min_posts: int = 100) -> str:
    """Events (with min_posts+) for which one incident holds most of its posts and is mostly that event."""
    frame = pd.DataFrame({"gold": np.asarray(gold), "pred": np.asarray(pred)})
    big = frame["gold"].value_counts()
    big = big[big >= min_posts].index
    clustered = frame[frame["pred"] != -1]
    found = 0
    for event in big:
        mine = clustered[clustered["gold"] == event]["pred"].value_counts()
        if not len(mine):
            continue
        top = mine.index[0]
        purity = (clustered[clustered["pred"] == top]["gold"] == event).mean()
        if mine.iloc[0] >= 0.5 * (frame["gold"] == event).sum() and purity >= 0.5:
            found += 1
    return f"{found}/{len(big)}"


# --------------------------------------------------------------------------- speed
def cmd_speed(args) -> None:
    posts = distinct(trecis_posts())
    V = embed(posts["text"])
    t = time.perf_counter()
    warm_up("umap", "hdbscan")
    warm_up("umap", "fast_hdbscan")
    print(f"one-off numba compilation per process (not counted below): {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    bertopic_labels(posts["text"][:4500].tolist(), V[:4500], 30)   # its own compilation (cosine NNDescent)
    print(f"BERTopic's first call (not counted below): {time.perf_counter() - t:.1f} s")
    rng = np.random.default_rng(0)
    for n in args.sizes:
        pick = np.sort(rng.choice(len(posts), size=min(n, len(posts)), replace=False))
        window = _one_window(posts.iloc[pick], n)
        Vw = V[pick]
        results = {}
        for name, params in [("detector umap + hdbscan (default, max_fit 5000)", {}),
                             ("detector umap + fast_hdbscan (max_fit 5000)", {"clusterer": "fast_hdbscan"}),
                             ("detector umap + hdbscan, no max_fit", {"max_fit": None}),
                             ("detector umap + fast_hdbscan, no max_fit",
                              {"clusterer": "fast_hdbscan", "max_fit": None})]:
            seconds, quality = _time_window(window, Vw, params)
            results[name] = (seconds, quality)
        t = time.perf_counter()
        labels = bertopic_labels(window["text"].tolist(), Vw, 30)
        results["BERTopic (min_topic_size 30), one batch"] = (time.perf_counter() - t,
                                                               cluster_quality(window["event"], labels))
        base = results["detector umap + hdbscan (default, max_fit 5000)"][0]
        print(f"\nwindow of {len(window)} distinct posts ({window['event'].nunique()} events mixed):")
        for name, (seconds, q) in results.items():
            print(f"  {name:<48} {seconds:6.2f} s  ({seconds / base:4.2f}x default)   ARI {q['ari']:.2f}  "
                  f"BCubed F1 {q['bcubed_f1']:.2f}  outliers {q['outlier_share']:.0%}")


def _one_window(posts: pd.DataFrame, n: int) -> pd.DataFrame:
    """The posts spread evenly over one hour (six slots of 10 min)."""
    window = posts.reset_index(drop=True).copy()
    window["created_at"] = T0 + pd.to_timedelta(np.linspace(0, 3599, len(window)), unit="s")
    window["is_issue"] = 1
    return window


def _tick(minute: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"tick{minute}"], "text": ["-"], "created_at": [T0 + pd.Timedelta(minutes=minute)],
                         "lang": ["en"], "author": ["clock"], "is_issue": [0]})


def _time_window(window: pd.DataFrame, V: np.ndarray, params: dict) -> tuple[float, dict]:
    """Seconds to close the last slot of the window (dedup + cluster + link + alerts), and the
    quality of the window's clustering against the events."""
    det = IncidentDetector(classifier=None, **params)
    last = (window["created_at"] >= T0 + pd.Timedelta("50min")).to_numpy()
    # a noise post at each slot end closes the slot before it: the timed call closes one window
    first = pd.concat([window[~last], _tick(50)], ignore_index=True)
    det.partial_fit(first, embeddings=np.vstack([V[~last], np.zeros((1, V.shape[1]), np.float32)]))
    batch = pd.concat([window[last], _tick(60)], ignore_index=True)
    Vb = np.vstack([V[last], np.zeros((1, V.shape[1]), np.float32)])
    t = time.perf_counter()
    det.partial_fit(batch, embeddings=Vb)
    seconds = time.perf_counter() - t
    assert len(det.windows_) == 6, "the timed call must close exactly one window"
    posts = det.posts_[~det.posts_["id"].str.startswith("tick")]
    return seconds, cluster_quality(posts["event"], posts["incident_id"])


# --------------------------------------------------------------------------- demo
def cmd_demo(args) -> None:
    """The synthetic demo stream with gold labels as is_issue: incidents vs gold, lead times."""
    from pathlib import Path

    from socialnlp.io import read_incidents, read_posts

    demo = Path(__file__).resolve().parent.parent / "data" / "demo"
    posts = read_posts(demo / "posts.csv", require_time=True)
    posts["is_issue"] = posts["label"].astype(int)
    gold = read_incidents(demo / "incidents.csv")
    warm_up()
    t = time.perf_counter()
    det = IncidentDetector(classifier=None).fit(posts)
    seconds = time.perf_counter() - t
    issue = det.posts_[det.posts_["is_issue"] == 1]
    q = cluster_quality(issue["incident_id_gold"].fillna("none") if "incident_id_gold" in issue else
                        posts.set_index("id").loc[issue["id"], "incident_id"].fillna("none").to_numpy(),
                        issue["incident_id"].to_numpy())
    print(f"{len(posts)} posts, {len(issue)} issue posts, {len(det.windows_)} windows, {seconds:.1f} s "
          f"(embeddings from the cache); {len(det.clusters_)} incidents, {len(det.alerts_)} alerts")
    print("quality vs gold incident (scattered complaints = their own class): "
          + ", ".join(f"{k} {v:.3f}" for k, v in q.items()))
    truth = posts.set_index("id")["incident_id"]
    for row in gold.itertuples():
        ids = issue.loc[truth.loc[issue["id"]].to_numpy() == row.incident_id, "incident_id"]
        ids = ids[ids >= 0]
        if not len(ids):
            print(f"  {row.incident_id:<28} not found")
            continue
        top = ids.mode()[0]
        alerts = det.alerts_[det.alerts_["incident_id"] == top]
        share = (truth.loc[issue["id"]].to_numpy() == row.incident_id).sum()
        line = f"  {row.incident_id:<28} incident {top:>2} holds {len(ids[ids == top])}/{share} posts; "
        if len(alerts):
            first = alerts["alert_time"].min()
            line += (f"first alert {first:%H:%M} (detected {alerts['detected_at'].min():%H:%M}), "
                     f"{(row.declared - first).total_seconds() / 60:+.0f} min before the status page, "
                     f"max severity {alerts['severity'].max()}")
        else:
            line += "no alert"
        print(line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("windows", help="clustering quality per window")
    w.add_argument("--every", default="2h", help="one window per this interval (default 2h)")
    s = sub.add_parser("stream", help="the detector end to end on the multi-incident stream")
    s.add_argument("--configs", default="", help="';'-separated subset of: " + "; ".join(STREAM_CONFIGS))
    s.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="UMAP seeds; each method's scores are means over them (default 0 1 2)")
    s.add_argument("--no-bertopic", action="store_true", help="skip the BERTopic batches")
    p = sub.add_parser("speed", help="seconds per window")
    p.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000])
    sub.add_parser("demo", help="the demo stream: quality and alert lead times")
    args = ap.parse_args()
    {"windows": cmd_windows, "stream": cmd_stream, "speed": cmd_speed, "demo": cmd_demo}[args.cmd](args)


if __name__ == "__main__":
    main()
