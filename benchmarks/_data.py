"""Real posts from ../shared/data for the benchmarks (never copied into the repo)."""
from __future__ import annotations

import sys

import pandas as pd

from socialnlp.io.adapters import default_data_dir, read_dataset

MIX = {"crisislex": 0.4, "disaster_tweets": 0.1, "germeval": 0.25, "stc3": 0.1, "waimai": 0.1, "ced": 0.05}


def real_posts(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` real posts, mixed across English, German and Chinese sets; repeated (with new ids) if ``n`` is larger."""
    if not default_data_dir().is_dir():
        sys.exit(f"benchmarks need the public data in {default_data_dir()} (set SOCIALNLP_SHARED_DATA)")
    parts = []
    for name, share in MIX.items():
        df = read_dataset(name)
        k = max(1, int(n * share))
        parts.append(df.sample(n=min(k, len(df)), random_state=seed)[["id", "text", "lang", "created_at", "label"]])
    pool = pd.concat(parts, ignore_index=True)
    reps = -(-n // len(pool))
    out = pd.concat([pool.assign(id=pool["id"].astype(str) + f"#{r}") for r in range(reps)], ignore_index=True).head(n)
    return out.sample(frac=1, random_state=seed).reset_index(drop=True)
