"""What an incident looks like to a person: languages, keywords, example posts, volume."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from socialnlp.cluster.keywords import class_tfidf

KEYWORD_LANGS = ("en", "de", "zh")


def language_counts(langs) -> str:
    """JSON object of counts per language, largest first: ``{"de": 12, "zh": 7}``."""
    counts = pd.Series(list(langs), dtype=object).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return json.dumps({str(k): int(v) for k, v in ordered}, ensure_ascii=False)


def representatives(vectors: np.ndarray, post_ids: list[str], langs: list[str], n: int = 3) -> list[str]:
    """Ids of the posts nearest the centroid: the ``n`` nearest, plus the nearest of every
    other language present (so a German reader and a Chinese reader both find one)."""
    if not len(post_ids):
        return []
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    sims = vectors @ centroid
    order = sorted(range(len(post_ids)), key=lambda i: (-sims[i], post_ids[i]))
    chosen = order[:n]
    seen = {langs[i] for i in chosen}
    for i in order[n:]:
        if langs[i] not in seen:
            chosen.append(i)
            seen.add(langs[i])
    return [post_ids[i] for i in chosen]


def volume(times_ns: np.ndarray, step_ns: int, step_label: str) -> str:
    """Posts per step as JSON: ``{"start": ISO time, "step": "10min", "counts": [...]}``."""
    if not len(times_ns):
        return json.dumps({"start": None, "step": step_label, "counts": []})
    slots = np.asarray(times_ns, dtype=np.int64) // step_ns
    first = int(slots.min())
    counts = np.bincount(slots - first)
    start = pd.Timestamp(first * step_ns, tz="UTC").isoformat().replace("+00:00", "Z")
    return json.dumps({"start": start, "step": step_label, "counts": counts.tolist()})


def keywords_by_language(labels: np.ndarray, langs: np.ndarray, tokens: list[list[str]], top_n: int = 8,
                         languages=KEYWORD_LANGS) -> dict[str, dict[int, list[str]]]:
    """c-TF-IDF keywords per language: ``{lang: {label: [words]}}``; label -1 is the
    background class and is never reported."""
    out: dict[str, dict[int, list[str]]] = {}
    for lang in languages:
        idx = np.flatnonzero(langs == lang)
        classes: dict[int, list[list[str]]] = {}
        for i in idx:
            classes.setdefault(int(labels[i]), []).append(tokens[i])
        if not classes:
            out[lang] = {}
            continue
        words = class_tfidf(classes, top_n=top_n)
        out[lang] = {label: w for label, w in words.items() if label != -1}
    return out


def merged_keywords(per_lang: dict[str, list[str]], lang_order: list[str], per_language: int = 5) -> str:
    """One keyword string for an alert: the top words of each language, biggest language first."""
    parts = []
    for lang in lang_order:
        parts.extend(per_lang.get(lang, [])[:per_language])
    return ", ".join(dict.fromkeys(parts))
