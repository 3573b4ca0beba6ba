"""The ``socialnlp`` command: one subcommand per job (read, embed, demo, ...).

Every subcommand has ``--help``. User errors (a missing column, an unknown file type)
print one line and exit with status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

from socialnlp.classify.persist import ModelError
from socialnlp.io import ContractError

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"


def _cmd_read(args) -> int:
    from socialnlp.io import read_incidents, read_posts, write_table

    reader = read_incidents if args.incidents else read_posts
    kwargs = {} if args.incidents else {"require_time": args.require_time}
    result = reader(args.input, strict=args.strict, return_rejects=True, **kwargs)
    print(result.summary())
    if args.output:
        write_table(result.table, args.output)
        print(f"accepted rows written to {args.output}")
    if result.n_rejected:
        rejects_path = Path(args.rejects or Path(args.output or args.input).with_suffix("").as_posix() + ".rejects.csv")
        result.rejects.to_csv(rejects_path, index=False)
        print(f"rejected rows written to {rejects_path}")
    return 0 if result.n_accepted or not result.n_read else 1


def _cmd_embed(args) -> int:
    from socialnlp.embed import CachedEmbedder
    from socialnlp.io import read_posts

    posts = read_posts(args.input)
    emb = CachedEmbedder(args.embedder, cache_dir=args.cache_dir, progress=True)
    vectors = emb.encode(posts["text"].tolist())
    np.save(args.output, vectors)
    s = emb.last_stats_
    print(f"{len(posts)} posts -> {args.output} ({vectors.shape[1]}-d, {emb.name}); "
          f"{s['n_unique']} distinct texts, {s['n_cached']} from cache, {s['n_embedded']} embedded")
    return 0


def _read_labelled(paths: list[str]):
    import pandas as pd

    from socialnlp.io import read_posts

    frames = []
    for path in paths:
        result = read_posts(path, return_rejects=True)
        print(result.summary())
        frames.append(result.table)
    return pd.concat(frames, ignore_index=True)


def _cmd_train(args) -> int:
    from socialnlp.classify.training import train_model
    from socialnlp.evaluate.classification import format_metrics

    posts = _read_labelled(args.data)
    head = _make_head(args.head, args.C)
    report = train_model(posts, args.out, embedder=args.embedder, head=head, val_split=args.val_split,
                         target=args.target, seed=args.seed, sources=[str(p) for p in args.data],
                         command="socialnlp " + " ".join(sys.argv[1:]))
    print("class balance (posts per language and label):")
    print(report.balance.to_string())
    print(f"held-out split: {report.n_val} posts (trained on {report.n_train})")
    for name, table in report.metrics.items():
        print(f"\n{name}:\n" + format_metrics(table))
    print(f"model written to {report.path}")
    return 0


def _make_head(kind: str, C: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if kind == "logreg":
        return LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    if kind == "linear-svm":
        return LinearSVC(C=C, class_weight="balanced")
    raise ValueError(f"unknown head {kind!r}: use logreg or linear-svm")


def _cmd_score(args) -> int:
    from socialnlp.classify import load_model

    model = load_model(args.model)
    if args.engine == "ray":
        from socialnlp.scale import score_directory

        summary = score_directory(args.input, args.output, model_dir=args.model, address=args.ray_address, num_actors=args.num_actors)
    else:
        from socialnlp.classify.scoring import score_path

        summary = score_path(model, args.input, args.output, chunksize=args.chunksize)
    print(summary.line())
    return 0 if summary.n_scored or not summary.n_read else 1


def _cmd_compare(args) -> int:
    from socialnlp.classify import load_model
    from socialnlp.evaluate.classification import metrics_by_language

    posts = _read_labelled([args.data])
    posts = posts[posts["label"].notna()].reset_index(drop=True)
    tables = {}
    for path in (args.model_a, args.model_b):
        model = load_model(path)
        scored = model.score_posts(posts)
        tables[path] = metrics_by_language(posts["label"].astype(int), scored["p_issue"], scored["is_issue"], scored["lang"])
    a, b = tables[args.model_a], tables[args.model_b]
    cols = ["precision", "recall", "f1", "macro_f1", "pr_auc"]
    print(f"A = {args.model_a}\nB = {args.model_b}\non {args.data} ({len(posts)} labelled posts)\n")
    print(f"{'lang':<6}{'n':>7}  " + "  ".join(f"{c + ' A':>11}{c + ' B':>11}" for c in cols) + "   macro_f1 B-A")
    for lang in a.index:
        cells = "  ".join(f"{a.loc[lang, c]:>11.3f}{b.loc[lang, c]:>11.3f}" for c in cols)
        print(f"{lang:<6}{int(a.loc[lang, 'n']):>7}  {cells}   {b.loc[lang, 'macro_f1'] - a.loc[lang, 'macro_f1']:+.3f}")
    return 0


def _detector_params(args) -> dict:
    return {"window": args.window, "step": args.step, "min_cluster_size": args.min_cluster_size,
            "n_jobs": args.n_jobs}


def _cmd_detect(args) -> int:
    from socialnlp.pipeline import run_detect

    long_stream = args.checkpoint is not None or args.horizon is not None
    if not long_stream and (len(args.input) > 1 or Path(args.input[0]).is_dir()):
        raise ValueError("several inputs or a folder are read as one long stream: add --checkpoint DIR (or --horizon auto)")
    run = run_detect(args.input if long_stream else args.input[0], args.output, model=args.model, routes=args.routes, webhook=args.webhook,
                     changes=args.changes, changes_before=args.changes_before, library=args.library,
                     library_threshold=args.library_threshold, run_id=args.run_id, pseudonymize=args.pseudonymize,
                     pseudonym_key_file=args.pseudonym_key_file, max_quote_chars=args.max_quote_chars,
                     checkpoint=args.checkpoint, horizon=args.horizon, chunksize=args.chunksize,
                     **_detector_params(args))
    det = run.detector
    print(run.read_summary)
    print(f"{len(det.clusters_)} incidents, {len(det.alerts_)} alerts; outputs in {run.outdir}: "
          + ", ".join(p.name for p in run.files.values()))
    if run.deliveries is not None and len(run.deliveries):
        print("alert delivery: " + ", ".join(f"{n} {s}" for s, n in run.deliveries["status"].value_counts().items()))
    if args.changes:
        n = int(run.clusters["top_change_id"].notna().sum())
        print(f"changes: {n} of {len(run.clusters)} incidents have a suspected change; spread in blast_radius.csv")
    if args.library:
        for r in run.clusters[run.clusters["similar_past"] != "[]"].itertuples():
            best = json.loads(r.similar_past)[0]
            print(f"  incident {r.incident_id} looks like {best['library_id']} ({best['similarity']:.2f}, "
                  f"first seen {best['first_seen']})" + (f": {best['resolution']}" if best["resolution"] else ""))
    if args.pseudonymize:
        print("authors and @mentions pseudonymised in every output (HMAC-SHA256; the key is never written)")
    return 0


def _cmd_evaluate(args) -> int:
    from socialnlp.evaluate import run_evaluation
    from socialnlp.pipeline import run_detect

    def detector_fn(posts):
        out = Path(args.output) / "detections"
        run_detect(posts, out, model=args.model, **_detector_params(args))
        return out

    result = run_evaluation(args.posts, args.incidents, args.detections, args.output, detector_fn=detector_fn)
    m = result["metrics"]
    print(f"detection rate {m['detection_rate']}, median lead {m['median_lead_minutes']} min, "
          f"median delay {m['median_delay_minutes']} min, false alerts/day {m['false_alerts_per_day']}")
    print(f"report: {result['files']['report']}")
    return 0


def _cmd_demo(args) -> int:
    from socialnlp.demo import run_demo

    return run_demo(posts=args.posts, incidents=args.incidents, out=args.out, embedder=args.embedder)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="socialnlp", description="Find service incidents in multilingual social media posts.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("read", help="validate a posts (or incidents) file against the data contract",
                       description="Validate a posts or incidents file; print counts and write rejected rows to <stem>.rejects.csv.")
    r.add_argument("input", help="CSV, JSONL or Parquet file")
    r.add_argument("-o", "--output", help="write the accepted rows here (CSV/JSONL/Parquet by extension)")
    r.add_argument("--rejects", help="where to write rejected rows (default: beside the output or input)")
    r.add_argument("--incidents", action="store_true", help="the file is an incidents table")
    r.add_argument("--require-time", action="store_true", help="every post must have created_at")
    r.add_argument("--strict", action="store_true", help="stop at the first bad row with an error")
    r.set_defaults(func=_cmd_read)

    e = sub.add_parser("embed", help="embed the posts of a file into a .npy matrix (cached on disk)",
                       description="Embed posts with a multilingual sentence embedder; a disk cache makes re-runs free.")
    e.add_argument("input", help="posts file (CSV, JSONL or Parquet)")
    e.add_argument("-o", "--output", required=True, help=".npy file to write")
    e.add_argument("--embedder", default="use-multilingual", help="use-multilingual (default), e5-small, or a sentence-transformers folder")
    e.add_argument("--cache-dir", default=None, help="embedding cache folder (default: $SOCIALNLP_CACHE_DIR or ~/.cache/socialnlp)")
    e.set_defaults(func=_cmd_embed)

    t = sub.add_parser("train", help="train an issue classifier on labelled exports and write a model folder",
                       description="Read labelled exports (contract 'label' column), report class balance per language, "
                                   "train, evaluate on a held-out split and write a model folder with MODEL_CARD.md.")
    t.add_argument("data", nargs="+", help="labelled posts files (CSV, JSONL or Parquet)")
    t.add_argument("--out", required=True, help="model folder to write")
    t.add_argument("--embedder", default="use-multilingual", help="use-multilingual (default), e5-small, or a sentence-transformers folder")
    t.add_argument("--head", default="logreg", choices=["logreg", "linear-svm"], help="classifier head (default: logreg)")
    t.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength of the head")
    t.add_argument("--val-split", type=float, default=0.2, help="share of posts held out for evaluation (default 0.2)")
    t.add_argument("--target", default="f1", choices=["f1", "macro_f1", "precision"], help="how the threshold is chosen")
    t.add_argument("--seed", type=int, default=0)
    t.set_defaults(func=_cmd_train)

    s = sub.add_parser("score", help="score posts as issue/noise: a file into a file, or a folder of parts into a folder",
                       description="Add lang, p_issue and is_issue to every post, streaming in chunks. Rejected rows go to "
                                   "<output stem>.rejects.csv. Exit status 0 unless nothing could be read.")
    s.add_argument("input", help="posts file or folder (CSV, JSONL or Parquet)")
    s.add_argument("-o", "--output", required=True, help="output file or folder (format by extension)")
    s.add_argument("--model", default="default", help="model folder (default: the shipped models/default)")
    s.add_argument("--chunksize", type=int, default=50_000, help="posts per chunk (bounds memory)")
    s.add_argument("--engine", default="local", choices=["local", "ray"], help="local (default) or ray (Ray Data)")
    s.add_argument("--ray-address", default=None, help="join an existing Ray cluster (default: start Ray locally)")
    s.add_argument("--num-actors", type=int, default=None, help="Ray actors, each loading the model once")
    s.set_defaults(func=_cmd_score)

    c = sub.add_parser("compare", help="compare two model folders per language on labelled data (champion/challenger)",
                       description="Print precision, recall, F1, macro-F1 and PR-AUC of two models side by side per language.")
    c.add_argument("model_a", help="model folder A (e.g. the champion, or 'default')")
    c.add_argument("model_b", help="model folder B (the challenger)")
    c.add_argument("--data", required=True, help="labelled posts file")
    c.set_defaults(func=_cmd_compare)

    det = sub.add_parser("detect", help="find incidents in a stream: score, cluster over time, alert, route",
                         description="Score posts, cluster issue posts in sliding windows into incidents, raise burst "
                                     "alerts and route them. Writes OUTDIR/posts.parquet, clusters.csv, alerts.csv, "
                                     "windows.csv and alerts.jsonl (helpdesk payloads with delivery status).")
    det.add_argument("input", nargs="+", help="posts with created_at: files (CSV, JSONL, Parquet) or folders of parts; "
                                              "more than one, or a folder, needs --checkpoint or --horizon")
    det.add_argument("-o", "--output", required=True, help="output folder")
    _add_detector_args(det)
    det.add_argument("--routes", default=None, help="routes.yaml: teams with descriptions and example posts")
    det.add_argument("--webhook", default=None, help="POST each alert here (retries; failures stay in alerts.jsonl)")
    det.add_argument("--changes", default=None, help="changes table (change_id, time, service, kind, description): "
                                                     "rank the changes before each incident")
    det.add_argument("--changes-before", default="6h", help="how far before an incident's first post to look (default 6h)")
    det.add_argument("--library", default=None, help="incident library folder: link incidents to similar past ones, then add this run's")
    det.add_argument("--library-threshold", type=float, default=0.85, help="cosine from which an incident is like a past one")
    det.add_argument("--run-id", default=None, help="name of this run in the library")
    det.add_argument("--pseudonymize", action="store_true", help="keyed pseudonyms for authors and @mentions in every output "
                                                                 "(key: $SOCIALNLP_PSEUDONYM_KEY or --pseudonym-key-file; else random per run)")
    det.add_argument("--pseudonym-key-file", default=None, help="file holding the pseudonym key")
    det.add_argument("--max-quote-chars", type=int, default=280, help="longest quoted post in outputs and payloads (default 280)")
    det.add_argument("--checkpoint", default=None, help="long streams: save progress in this folder after every chunk; "
                                                        "run the same command again to resume after a stop")
    det.add_argument("--horizon", default=None, help="long streams: keep this much of the stream in memory ('auto' = "
                                                     "the least that leaves the incidents unchanged, ~25h by default)")
    det.add_argument("--chunksize", type=int, default=None, help="rows read at a time with --checkpoint/--horizon (default 20000)")
    det.set_defaults(func=_cmd_detect)

    ev = sub.add_parser("evaluate", help="lead time per incident against onset and declaration, with baselines and plots",
                        description="Match alerts to incidents and write REPORT/metrics.json, report.md and PNG plots. "
                                    "Runs detect with the default model when no detections are given.")
    ev.add_argument("--posts", required=True, help="the stream (posts with created_at; gold incident_id if known)")
    ev.add_argument("--incidents", required=True, help="incidents table: incident_id, start, declared, title")
    ev.add_argument("--detections", default=None, help="a `socialnlp detect` output folder (default: run detect)")
    ev.add_argument("-o", "--output", required=True, help="report folder")
    _add_detector_args(ev)
    ev.set_defaults(func=_cmd_evaluate)

    d = sub.add_parser("demo", help="run the pipeline on the bundled demo stream and print a summary",
                       description="Read, embed, classify, cluster and evaluate the bundled demo stream; write plots.")
    d.add_argument("--posts", default=str(DEMO_DIR / "posts.csv"), help="posts file (default: the bundled demo stream)")
    d.add_argument("--incidents", default=str(DEMO_DIR / "incidents.csv"), help="incidents table")
    d.add_argument("-o", "--out", default="out/demo", help="output folder for tables and plots")
    d.add_argument("--embedder", default="use-multilingual", help="embedder name or folder")
    d.set_defaults(func=_cmd_demo)
    return p


def _add_detector_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default", help="classifier folder (default: the shipped models/default)")
    p.add_argument("--window", default="60min", help="clustering window (default 60min)")
    p.add_argument("--step", default="10min", help="window step (default 10min)")
    p.add_argument("--min-cluster-size", type=int, default=10, help="HDBSCAN min_cluster_size (distinct reports)")
    p.add_argument("--n-jobs", type=int, default=-1,
                   help="processes detection may use (default -1: all CPUs; 1: no helper processes; same results)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return int(args.func(args) or 0)
    except (ContractError, ModelError, FileNotFoundError, ValueError) as exc:
        print(f"socialnlp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"socialnlp {args.command}: interrupted; finished work is cached, re-run to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
