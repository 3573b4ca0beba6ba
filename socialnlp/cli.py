"""The ``socialnlp`` command: one subcommand per job (read, embed, demo, ...).

Every subcommand has ``--help``. User errors (a missing column, an unknown file type)
print one line and exit with status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

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

    d = sub.add_parser("demo", help="run the pipeline on the bundled demo stream and print a summary",
                       description="Read, embed, classify, cluster and evaluate the bundled demo stream; write plots.")
    d.add_argument("--posts", default=str(DEMO_DIR / "posts.csv"), help="posts file (default: the bundled demo stream)")
    d.add_argument("--incidents", default=str(DEMO_DIR / "incidents.csv"), help="incidents table")
    d.add_argument("-o", "--out", default="out/demo", help="output folder for tables and plots")
    d.add_argument("--embedder", default="use-multilingual", help="embedder name or folder")
    d.set_defaults(func=_cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return int(args.func(args) or 0)
    except (ContractError, FileNotFoundError, ValueError) as exc:
        print(f"socialnlp {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"socialnlp {args.command}: interrupted; finished work is cached, re-run to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
