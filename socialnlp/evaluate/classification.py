"""Classifier metrics per language: precision, recall and F1 of the issue class, macro-F1, PR-AUC."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, f1_score, precision_recall_fscore_support


def metrics_by_language(y_true, p_issue, y_pred, lang) -> pd.DataFrame:
    """One row per language (and ``all``): n, positives, precision, recall, f1 (issue class), macro_f1, pr_auc."""
    frame = pd.DataFrame({"y": np.asarray(y_true, dtype=int), "p": np.asarray(p_issue, dtype=float),
                          "pred": np.asarray(y_pred, dtype=int), "lang": np.asarray(lang, dtype=object)})
    rows = []
    for name, part in [*sorted(frame.groupby("lang")), ("all", frame)]:
        rows.append({"lang": name, **_metrics(part)})
    return pd.DataFrame(rows).set_index("lang")


def _metrics(part: pd.DataFrame) -> dict:
    y, p, pred = part["y"].to_numpy(), part["p"].to_numpy(), part["pred"].to_numpy()
    prec, rec, f1, _ = precision_recall_fscore_support(y, pred, average="binary", pos_label=1, zero_division=0)
    both = len(np.unique(y)) == 2
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "precision": float(prec),
        "recall": float(rec),
        "f1": float(f1),
        "macro_f1": float(f1_score(y, pred, average="macro", labels=[0, 1], zero_division=0)),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
    }


def format_metrics(table: pd.DataFrame, digits: int = 3) -> str:
    """A Markdown table of :func:`metrics_by_language` output."""
    cols = ["n", "positives", "precision", "recall", "f1", "macro_f1", "pr_auc"]
    head = "| lang | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols) + "\n"
    body = ""
    for lang, row in table[cols].iterrows():
        cells = [str(int(row[c])) if c in ("n", "positives") else f"{row[c]:.{digits}f}" for c in cols]
        body += f"| {lang} | " + " | ".join(cells) + " |\n"
    return head + body
