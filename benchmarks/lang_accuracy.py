"""Language detection accuracy per language on real posts whose language is known from the data set.

    python benchmarks/lang_accuracy.py [--n 2000]

Each public data set is in one language (TREC-IS carries Twitter's own tag), so the
data set gives the truth. Short posts are reported separately (at most 40 characters).
"""
from __future__ import annotations

import argparse

import pandas as pd

from socialnlp.io.adapters import read_dataset
from socialnlp.text.lang import detect_languages

SETS = {"en": ["crisislex", "complaints", "disaster_tweets"], "de": ["germeval"], "zh": ["stc3", "waimai", "weibo_complaints", "ced"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="posts sampled per language")
    args = ap.parse_args()
    rows = []
    for lang, names in SETS.items():
        frame = pd.concat([read_dataset(n)[["text"]] for n in names], ignore_index=True)
        sample = frame.sample(n=min(args.n, len(frame)), random_state=0)
        pred = detect_languages(sample["text"].tolist())
        short = sample["text"].str.len() <= 40
        ok = pd.Series(pred, index=sample.index) == lang
        rows.append({"lang": lang, "n": len(sample), "accuracy": ok.mean(), "n_short": int(short.sum()),
                     "accuracy_short": ok[short].mean() if short.any() else float("nan"),
                     "confused_with": pd.Series(pred)[~ok.values].value_counts().head(3).to_dict()})
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
