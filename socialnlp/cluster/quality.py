"""Cluster quality against a reference grouping: adjusted Rand index and BCubed.

BCubed (Bagga & Baldwin 1998; Amigó et al. 2009) scores every item: precision is the
share of the item's predicted cluster that shares its true class, recall the share of its
true class that shares its predicted cluster; both are averaged over items. Unlike the
Rand index it does not reward putting everything in one cluster or everything apart.

Outliers: a predicted label of ``-1`` (HDBSCAN noise) is no cluster, so each outlier is
scored as a singleton of its own: it is precise but recalls nothing of its class.

>>> bcubed([0, 0, 1, 1], [5, 5, 7, -1])
{'precision': 1.0, 'recall': 0.75, 'f1': 0.857...}
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

NOISE = -1


def _codes(labels, noise_as_singletons: bool) -> np.ndarray:
    """Integer codes of labels; ``-1`` gets one fresh code per item when asked."""
    values = pd.Series(np.asarray(labels, dtype=object))
    codes = pd.factorize(values.astype(str))[0].astype(np.int64)
    if noise_as_singletons:
        noise = np.flatnonzero(values.map(lambda v: str(v) == str(NOISE)).to_numpy())
        codes[noise] = codes.max(initial=0) + 1 + np.arange(len(noise))
    return codes


def bcubed(labels_true, labels_pred, noise_as_singletons: bool = True) -> dict[str, float]:
    """BCubed precision, recall and F1 of a clustering against true classes."""
    true = _codes(labels_true, noise_as_singletons=False)
    pred = _codes(labels_pred, noise_as_singletons)
    if len(true) != len(pred):
        raise ValueError(f"labels_true has {len(true)} items, labels_pred {len(pred)}")
    n = len(true)
    if n == 0:
        return {"precision": float("nan"), "recall": float("nan"), "f1": float("nan")}
    pair = pd.DataFrame({"t": true, "p": pred}).value_counts()  # n(c, l) for each occupied cell
    n_cl = pair.to_numpy(dtype=float)
    n_c = pair.groupby(level="p").transform("sum").to_numpy(dtype=float)
    n_l = pair.groupby(level="t").transform("sum").to_numpy(dtype=float)
    precision = float((n_cl**2 / n_c).sum() / n)
    recall = float((n_cl**2 / n_l).sum() / n)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": float(f1)}


def adjusted_rand(labels_true, labels_pred, noise_as_singletons: bool = True) -> float:
    """Adjusted Rand index; outliers are singletons (not one big "noise" cluster)."""
    return float(adjusted_rand_score(_codes(labels_true, False), _codes(labels_pred, noise_as_singletons)))


def outlier_share(labels_pred) -> float:
    labels = np.asarray(labels_pred)
    return float(np.mean(labels.astype(str) == str(NOISE))) if len(labels) else float("nan")


def cluster_quality(labels_true, labels_pred) -> dict[str, float]:
    """ARI, BCubed precision/recall/F1, outlier share and cluster count in one dict."""
    scores = bcubed(labels_true, labels_pred)
    pred = np.asarray(labels_pred)
    n_clusters = len(set(pred.astype(str).tolist()) - {str(NOISE)})
    return {"ari": adjusted_rand(labels_true, labels_pred), "bcubed_precision": scores["precision"],
            "bcubed_recall": scores["recall"], "bcubed_f1": scores["f1"], "outlier_share": outlier_share(pred),
            "n_clusters": n_clusters}
