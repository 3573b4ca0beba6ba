"""Baselines beside the classifier, with the same interface: TF-IDF character n-grams + logistic
regression, and the fault-lexicon keyword rule in English, German and Chinese."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.utils.validation import check_is_fitted

from socialnlp.classify.inputs import as_posts, labels_of
from socialnlp.classify.lexicon import lexicon_hits
from socialnlp.text.normalize import normalize_text


class _PostsClassifier(ClassifierMixin, BaseEstimator):
    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= self.threshold).astype(int)

    def score(self, X, y=None, sample_weight=None):
        """Macro-F1 with ``y``; without ``y``, the posts with ``p_issue`` and ``is_issue``."""
        posts = as_posts(X)
        p = self.predict_proba(posts)[:, 1]
        if y is None:
            out = posts.copy()
            out["p_issue"], out["is_issue"] = p, (p >= self.threshold).astype(int)
            return out
        return float(f1_score(labels_of(posts, y), (p >= self.threshold).astype(int), average="macro", sample_weight=sample_weight))


class TfidfBaseline(_PostsClassifier):
    """Character 2–5-gram TF-IDF (word-boundary aware) + balanced logistic regression."""

    def __init__(self, ngram_range=(2, 5), min_df: int = 2, max_features: int | None = 300_000, C: float = 4.0, threshold: float = 0.5):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.threshold = threshold

    def fit(self, X, y=None):
        posts = as_posts(X)
        y = labels_of(posts, y)
        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.ngram_range, min_df=self.min_df,
                                           max_features=self.max_features, sublinear_tf=True, lowercase=True)
        F = self.vectorizer_.fit_transform(posts["text"].astype(str).map(normalize_text))
        self.model_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=2000).fit(F, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        F = self.vectorizer_.transform(as_posts(X)["text"].astype(str).map(normalize_text))
        return self.model_.predict_proba(F)


class LexiconRule(_PostsClassifier):
    """Issue when the post contains at least ``min_hits`` fault terms of its language (no training)."""

    def __init__(self, min_hits: int = 1, threshold: float = 0.5):
        self.min_hits = min_hits
        self.threshold = threshold

    def fit(self, X=None, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X) -> np.ndarray:
        posts = as_posts(X)
        hits = np.array([lexicon_hits(t, l) for t, l in zip(posts["text"].astype(str), posts["lang"])], dtype=float)
        p = np.where(hits >= self.min_hits, 0.5 + 0.5 * (1 - np.exp(-(hits - self.min_hits + 1))), 0.25 * hits / self.min_hits)
        return np.column_stack([1 - p, p])
