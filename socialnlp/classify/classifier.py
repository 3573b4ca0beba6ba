"""Issue vs noise: a multilingual embedder plus a small head, with calibrated probabilities.

An *issue* is a post that reports a fault, outage, disruption, damage or danger that its
writer experiences or observes. *Noise* is everything else: chatter, jokes and metaphors
("this exam is a disaster"), ads, praise, opinion, news commentary that reports nothing.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.utils.validation import check_is_fitted

from socialnlp.classify.inputs import as_posts, labels_of
from socialnlp.embed.cache import CachedEmbedder
from socialnlp.text.normalize import dedup_key

LABEL_DEFINITION = (
    "issue (1): a post that reports a fault, outage, disruption, damage or danger that its writer experiences "
    "or observes. noise (0): chatter, jokes and metaphors, ads, praise, opinion, news commentary that reports nothing."
)
# Per-language thresholds need enough validation posts of both classes to be better than the global one.
MIN_PER_CLASS_FOR_LANG_THRESHOLD = 40


def split_groups(texts) -> np.ndarray:
    """Group ids under which retweets and exact copies of one text fall together."""
    keys = [dedup_key(t) for t in texts]
    codes, _ = pd.factorize(pd.Series(keys))
    return codes


def fingerprint(texts, labels) -> str:
    """A stable hash of the training set (order-independent)."""
    h = hashlib.sha256()
    for item in sorted(f"{y}\t{t}" for t, y in zip(texts, labels)):
        h.update(item.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def choose_threshold(y: np.ndarray, p: np.ndarray, target: str = "f1", min_precision: float = 0.9) -> float:
    """The decision threshold that meets the target on validation probabilities.

    ``target="f1"``: the threshold with the best F1 of the issue class.
    ``target="macro_f1"``: best macro-F1 over both classes.
    ``target="precision"``: the lowest threshold whose precision is at least ``min_precision``
    (most recall at that precision); falls back to best F1 when none reaches it.
    """
    candidates = np.unique(np.round(p, 4))
    if len(candidates) > 400:
        candidates = np.quantile(p, np.linspace(0.0025, 0.9975, 400))
    best_t, best = 0.5, -1.0
    for t in candidates:
        pred = (p >= t).astype(int)
        if target == "precision":
            tp = int((pred & y).sum())
            prec = tp / max(1, int(pred.sum()))
            if prec >= min_precision and tp > 0:
                return float(t)
            continue
        score = f1_score(y, pred, average="macro" if target == "macro_f1" else "binary", zero_division=0)
        if score > best:
            best_t, best = float(t), score
    if target == "precision":
        return choose_threshold(y, p, "f1")
    return best_t


class IssueClassifier(ClassifierMixin, BaseEstimator):
    """Embedder + head (logistic regression by default), calibrated, with a tuned threshold.

    Parameters
    ----------
    embedder : name, folder or object (see :func:`socialnlp.embed.get_embedder`); texts are
        normalised (links, handles masked) and embeddings cached on disk.
    head : a scikit-learn classifier with ``decision_function`` (default
        ``LogisticRegression(C=1, class_weight="balanced")``).
    target : how the decision threshold is chosen on out-of-fold probabilities:
        ``"f1"``, ``"macro_f1"`` or ``"precision"`` (with ``min_precision``).
    per_language_thresholds : tune one threshold per language where there is enough data.
    cv : folds for the out-of-fold scores used to calibrate and to choose the threshold; folds
        are stratified by language and label and grouped so copies of a text never straddle them.
    cache_dir : embedding cache (``False`` for none).

    >>> clf = IssueClassifier().fit(posts)            # doctest: +SKIP  (posts with a label column)
    >>> clf.score(new_posts)[["text", "p_issue", "is_issue"]]   # doctest: +SKIP
    """

    def __init__(self, embedder="use-multilingual", head=None, target: str = "f1", min_precision: float = 0.9,
                 per_language_thresholds: bool = True, cv: int = 5, cache_dir=None, random_state: int = 0):
        self.embedder = embedder
        self.head = head
        self.target = target
        self.min_precision = min_precision
        self.per_language_thresholds = per_language_thresholds
        self.cv = cv
        self.cache_dir = cache_dir
        self.random_state = random_state

    # --- embedding -------------------------------------------------------------------
    def _embedder(self) -> CachedEmbedder:
        if getattr(self, "_cached_embedder", None) is None:
            emb = self.embedder if isinstance(self.embedder, CachedEmbedder) else CachedEmbedder(self.embedder, cache_dir=self.cache_dir)
            self._cached_embedder = emb
        return self._cached_embedder

    def transform(self, X) -> np.ndarray:
        """Embeddings of the posts (the head's input)."""
        return self._embedder().encode(as_posts(X)["text"].astype(str).tolist())

    def _make_head(self):
        return clone(self.head) if self.head is not None else LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)

    # --- fitting ---------------------------------------------------------------------
    def fit(self, X, y=None, embeddings: np.ndarray | None = None):
        """Fit on labelled posts (``y`` or a ``label`` column). ``embeddings`` may be given precomputed."""
        posts = as_posts(X)
        y = labels_of(posts, y)
        if len(np.unique(y)) < 2:
            raise ValueError("training needs both issue (1) and noise (0) posts")
        E = self.transform(posts) if embeddings is None else np.asarray(embeddings, dtype=np.float32)
        langs = posts["lang"].astype(str).to_numpy()
        oof = self._out_of_fold_scores(E, y, langs, split_groups(posts["text"].astype(str)))
        a, b = _fit_platt(oof, y)
        self.calibration_ = {"a": a, "b": b}
        p_oof = _sigmoid(a * oof + b)
        self.threshold_ = choose_threshold(y, p_oof, self.target, self.min_precision)
        self.thresholds_ = {}
        if self.per_language_thresholds:
            for lang in np.unique(langs):
                m = langs == lang
                if min(int(y[m].sum()), int((1 - y[m]).sum())) >= MIN_PER_CLASS_FOR_LANG_THRESHOLD:
                    self.thresholds_[str(lang)] = choose_threshold(y[m], p_oof[m], self.target, self.min_precision)
        self.head_ = self._make_head().fit(E, y)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = E.shape[1]
        self.embedder_name_ = self._embedder().name
        self.embedder_version_ = self._embedder().version
        self.fingerprint_ = fingerprint(posts["text"].astype(str), y)
        self.oof_proba_ = p_oof
        return self

    def _out_of_fold_scores(self, E, y, langs, groups) -> np.ndarray:
        strata = pd.factorize(pd.Series(langs).astype(str) + ":" + pd.Series(y).astype(str))[0]
        n_splits = max(2, min(self.cv, int(np.bincount(y).min())))
        folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
        oof = np.zeros(len(y))
        for train, test in folds.split(E, strata, groups):
            oof[test] = self._make_head().fit(E[train], y[train]).decision_function(E[test])
        return oof

    # --- prediction ------------------------------------------------------------------
    def decision_function(self, X, embeddings: np.ndarray | None = None) -> np.ndarray:
        check_is_fitted(self, "head_")
        E = self.transform(X) if embeddings is None else embeddings
        return np.asarray(self.head_.decision_function(E), dtype=float)

    def predict_proba(self, X, embeddings: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probabilities, columns (noise, issue)."""
        p = _sigmoid(self.calibration_["a"] * self.decision_function(X, embeddings) + self.calibration_["b"])
        return np.column_stack([1 - p, p])

    def thresholds_for(self, langs) -> np.ndarray:
        return np.array([self.thresholds_.get(str(l), self.threshold_) for l in langs], dtype=float)

    def predict(self, X, embeddings: np.ndarray | None = None) -> np.ndarray:
        posts = as_posts(X)
        p = self.predict_proba(posts, embeddings)[:, 1]
        return (p >= self.thresholds_for(posts["lang"])).astype(int)

    def score(self, X, y=None, sample_weight=None):
        """Two uses. ``score(X, y)``: macro-F1 on labelled posts (scikit-learn's contract, so a
        grid search works). ``score(posts)`` without ``y``: the posts with ``lang``, ``p_issue``
        and ``is_issue`` added (batch scoring)."""
        if y is None:
            return self.score_posts(X)
        return float(f1_score(labels_of(as_posts(X), y), self.predict(X), average="macro", sample_weight=sample_weight))

    def score_posts(self, X, embeddings: np.ndarray | None = None) -> pd.DataFrame:
        """The input columns plus ``lang``, ``p_issue`` (calibrated) and ``is_issue`` (0/1)."""
        posts = as_posts(X)
        p = self.predict_proba(posts, embeddings)[:, 1]
        out = posts.copy()
        out["p_issue"] = p.astype(float)
        out["is_issue"] = (p >= self.thresholds_for(posts["lang"])).astype(int)
        return out


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def _fit_platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling: p = sigmoid(a * score + b), fitted on out-of-fold scores."""
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(scores.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])
