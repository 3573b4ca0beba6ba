"""What the classifiers accept: a posts DataFrame, a Hugging Face ``datasets.Dataset``, or a list of texts."""
from __future__ import annotations

import numpy as np
import pandas as pd

from socialnlp.text.lang import detect_languages


def as_posts(X) -> pd.DataFrame:
    """A frame with at least ``text`` and ``lang`` (detected where missing)."""
    if hasattr(X, "to_pandas") and not isinstance(X, pd.DataFrame):  # datasets.Dataset, pyarrow.Table
        X = X.to_pandas()
    if isinstance(X, pd.Series):
        X = X.to_frame("text")
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame({"text": list(X)})
    if "text" not in X.columns:
        raise ValueError(f"posts need a 'text' column; columns found: {', '.join(map(str, X.columns))}")
    out = X.reset_index(drop=True)
    if "lang" not in out.columns or out["lang"].isna().any():
        detected = detect_languages(out["text"].astype(str).tolist())
        out = out.copy()
        out["lang"] = out["lang"].fillna(pd.Series(detected)) if "lang" in out.columns else detected
    return out


def labels_of(X: pd.DataFrame, y) -> np.ndarray:
    """``y`` if given, else the frame's ``label`` column (1/0 or issue/noise)."""
    if y is None:
        if "label" not in X.columns:
            raise ValueError("no labels: pass y, or give the posts a 'label' column (1/0 or issue/noise)")
        y = X["label"]
    y = pd.Series(np.asarray(y, dtype=object)).map(lambda v: {"issue": 1, "noise": 0}.get(v, v))
    if y.isna().any():
        raise ValueError(f"{int(y.isna().sum())} posts have no label; drop them before training")
    y = y.astype(int).to_numpy()
    if not set(np.unique(y)) <= {0, 1}:
        raise ValueError(f"labels must be 0/1 (noise/issue); found {sorted(set(np.unique(y)))}")
    return y
