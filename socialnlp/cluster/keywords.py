"""Keywords of an incident: class-based TF-IDF, one language at a time.

Each incident is one class, and so is the background (issue posts in no incident).
A word's weight in class ``c`` is ``tf(w, c) * log(1 + A / f(w))``: its share of the
class's words, times how rare it is over all classes (``A`` is the average number of
words per class, ``f(w)`` the word's count over all classes), as in BERTopic's c-TF-IDF.
Words come from :func:`socialnlp.text.tokenize`: jieba words for Chinese, stop words
removed, so a Chinese keyword is a word (宽带, 断网), never a whole sentence.
Distinct reports are the documents, so a viral post counts once.
"""
from __future__ import annotations

from collections import Counter

import numpy as np


def class_tfidf(classes: dict[object, list[list[str]]], top_n: int = 8, min_df: int = 2) -> dict[object, list[str]]:
    """Top words per class. ``classes`` maps a class to its documents' token lists.

    A word must occur in at least ``min_df`` documents of its class (1 for classes
    smaller than ``2 * min_df``), so a keyword is something several people wrote.

    >>> class_tfidf({"a": [["wifi", "down"], ["wifi", "berlin"]], "b": [["pizza"], ["pizza", "berlin"]]})["a"]
    ['wifi', 'down', 'berlin']
    """
    counts = {c: Counter(w for doc in docs for w in doc) for c, docs in classes.items()}
    doc_freq = {c: Counter(w for doc in docs for w in set(doc)) for c, docs in classes.items()}
    total = Counter()
    for cnt in counts.values():
        total.update(cnt)
    n_words = [sum(cnt.values()) for cnt in counts.values()]
    avg_words = float(np.mean(n_words)) if n_words else 0.0
    out: dict[object, list[str]] = {}
    for c, cnt in counts.items():
        size = sum(cnt.values())
        need = min_df if len(classes[c]) >= 2 * min_df else 1
        scored = [(cnt[w] / size * np.log(1 + avg_words / total[w]), w) for w in cnt if doc_freq[c][w] >= need]
        scored.sort(key=lambda sw: (-sw[0], sw[1]))
        out[c] = [w for _, w in scored[:top_n]]
    return out
