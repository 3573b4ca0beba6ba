"""Keyword tokens: Chinese words by jieba-rs (``rjieba``, socialnlp's) against jieba (the baseline).

    python benchmarks/keyword_tokens.py [--n 30000]

The Chinese posts among ``--n`` real posts of the benchmark pool (``_data.real_posts``),
normalised as :func:`socialnlp.text.tokenize` does, each distinct text once. Prints the
microseconds per post of jieba's ``lcut`` and rjieba's ``cut`` (each run twice, the faster
kept), their ratio, how many posts get the same words from both (as segmented, and as
keyword tokens after the stop-word and shape filters), the tokens that differ most often,
and :func:`socialnlp.text.tokenize`'s whole cost per post in each language.
"""
from __future__ import annotations

import argparse
import collections
import logging
import time

from _data import real_posts
from socialnlp.text import tokenize
from socialnlp.text.normalize import fold_text
from socialnlp.text.tokenize import _STOP_WITH_ZH, _keep


def _best_of_two(fn, texts: list[str]) -> tuple[float, list]:
    best, out = float("inf"), None
    for _ in range(2):
        t = time.perf_counter()
        out = [fn(x) for x in texts]
        best = min(best, time.perf_counter() - t)
    return best / len(texts) * 1e6, out


def _keywords(words: list[str]) -> list[str]:
    stop = _STOP_WITH_ZH["zh"]
    return [w for w in (w.strip() for w in words) if _keep(w) and w not in stop]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30000)
    args = ap.parse_args()
    import jieba
    import rjieba

    posts = real_posts(args.n)
    zh = list(dict.fromkeys(fold_text(t)
                            for t, lang in zip(posts["text"], posts["lang"]) if lang == "zh"))
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    rjieba.cut("预热")
    base_us, base = _best_of_two(jieba.lcut, zh)
    ours_us, ours = _best_of_two(rjieba.cut, zh)
    print(f"{len(zh)} distinct Chinese posts of {args.n} real posts")
    print(f"  jieba.lcut (baseline)   {base_us:7.1f} us per post   1.00x")
    print(f"  rjieba.cut              {ours_us:7.1f} us per post   {base_us / ours_us:.2f}x")
    same = sum(a == b for a, b in zip(base, ours))
    kw_base, kw_ours = [_keywords(w) for w in base], [_keywords(w) for w in ours]
    same_kw = sum(a == b for a, b in zip(kw_base, kw_ours))
    print(f"  the same words: {same} of {len(zh)} posts ({same / len(zh):.1%}); the same keyword tokens: "
          f"{same_kw} ({same_kw / len(zh):.1%})")
    diff = collections.Counter()
    for a, b in zip(kw_base, kw_ours):
        if a != b:
            diff.update([f"-{w}" for w in set(a) - set(b)] + [f"+{w}" for w in set(b) - set(a)])
    print("  keyword tokens only jieba gives (-) or only rjieba gives (+), most often first:")
    print("   ", ", ".join(f"{w} {c}" for w, c in diff.most_common(16)))
    han = sum(any("\u4e00" <= ch <= "\u9fff" for ch in w[1:]) for w in diff)
    print(f"  differing tokens with Han characters: {han} of {len(diff)}")
    print("socialnlp.text.tokenize per post (normalise, segment, filter):")
    for lang in ("en", "de", "zh"):
        texts = posts.loc[posts["lang"] == lang, "text"].astype(str).tolist()
        us, _ = _best_of_two(lambda x, lang=lang: tokenize(x, lang), texts)
        print(f"  {lang}: {us:6.1f} us per post over {len(texts)} posts")


if __name__ == "__main__":
    main()
