"""The retraining job: labelled exports in, a model folder with its card out.

The held-out split is stratified by language and label and grouped by deduplicated
text, so retweets and copies of one post never sit on both sides of it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from socialnlp.classify.baselines import LexiconRule, TfidfBaseline
from socialnlp.classify.classifier import LABEL_DEFINITION, IssueClassifier, split_groups
from socialnlp.classify.persist import package_versions, save_model
from socialnlp.evaluate.classification import format_metrics, metrics_by_language

log = logging.getLogger(__name__)


@dataclass
class TrainReport:
    model: IssueClassifier
    balance: pd.DataFrame
    metrics: dict[str, pd.DataFrame]  # system name -> per-language metrics on the held-out split
    n_train: int
    n_val: int
    path: Path | None = None


def class_balance(posts: pd.DataFrame) -> pd.DataFrame:
    """Posts per language and label."""
    tab = pd.crosstab(posts["lang"], posts["label"].astype(int)).reindex(columns=[0, 1], fill_value=0)
    tab.columns = ["noise", "issue"]
    tab["total"] = tab.sum(axis=1)
    tab.loc["all"] = tab.sum()
    return tab


def held_out_split(posts: pd.DataFrame, val_split: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val): stratified by language and label, grouped by deduplicated text."""
    if not 0 < val_split < 1:
        raise ValueError(f"val_split must be between 0 and 1, got {val_split}")
    strata = pd.factorize(posts["lang"].astype(str) + ":" + posts["label"].astype(int).astype(str))[0]
    folds = StratifiedGroupKFold(n_splits=max(2, int(round(1 / val_split))), shuffle=True, random_state=seed)
    train, val = next(folds.split(np.zeros(len(posts)), strata, split_groups(posts["text"].astype(str))))
    return train, val


def labelled_split(posts: pd.DataFrame, val_split: float = 0.2, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The labelled posts, split into (train, held-out) by :func:`held_out_split`."""
    labelled = posts[posts["label"].notna()].reset_index(drop=True)
    if len(labelled) < len(posts):
        log.warning("%d posts have no label and are not used for training", len(posts) - len(labelled))
    if labelled["label"].nunique() < 2:
        raise ValueError("training needs labelled posts of both classes (issue=1 and noise=0)")
    train_idx, val_idx = held_out_split(labelled, val_split, seed)
    return labelled.iloc[train_idx].reset_index(drop=True), labelled.iloc[val_idx].reset_index(drop=True)


def evaluate_systems(systems: dict, train: pd.DataFrame, val: pd.DataFrame, embeddings=None) -> dict[str, pd.DataFrame]:
    """Fit each system on ``train`` (if not fitted) and report per-language metrics on ``val``."""
    out = {}
    for name, system in systems.items():
        if isinstance(system, IssueClassifier):
            p = system.predict_proba(val, embeddings)[:, 1]
            pred = (p >= system.thresholds_for(val["lang"])).astype(int)
        else:
            system.fit(train)
            p = system.predict_proba(val)[:, 1]
            pred = system.predict(val)
        out[name] = metrics_by_language(val["label"].astype(int), p, pred, val["lang"])
    return out


def fit_and_evaluate(clf: IssueClassifier, train: pd.DataFrame, val: pd.DataFrame, baselines: bool = True) -> TrainReport:
    """Fit ``clf`` on ``train``; report it (and the baselines) per language on ``val``."""
    clf.fit(train)
    systems = {"classifier": clf}
    if baselines:
        systems.update({"tfidf_char_lr": TfidfBaseline(), "lexicon_rule": LexiconRule()})
    metrics = evaluate_systems(systems, train, val)
    return TrainReport(model=clf, balance=class_balance(pd.concat([train, val])), metrics=metrics,
                       n_train=len(train), n_val=len(val))


def train_model(posts: pd.DataFrame, out: str | Path | None = None, *, embedder="use-multilingual", head=None,
                val_split: float = 0.2, target: str = "f1", seed: int = 0, sources: list[str] | None = None,
                cache_dir=None, baselines: bool = True, command: str | None = None) -> TrainReport:
    """Train on labelled posts, evaluate on a held-out split, and write the model folder to ``out``."""
    train, val = labelled_split(posts, val_split, seed)
    clf = IssueClassifier(embedder=embedder, head=head, target=target, cache_dir=cache_dir, random_state=seed)
    report = fit_and_evaluate(clf, train, val, baselines)
    if out is not None:
        card = model_card(report, sources or [], command)
        report.path = save_model(clf, out, metrics={k: v.reset_index().to_dict(orient="records") for k, v in report.metrics.items()},
                                 card=card, data=sources)
    return report


def model_card(report: TrainReport, sources: list[str], command: str | None) -> str:
    clf = report.model
    lines = [
        "# Issue classifier: model card", "",
        "## What it does", "",
        f"Scores posts in German, Chinese and English as issue or noise. {LABEL_DEFINITION}", "",
        "## Model", "",
        f"- Embedder: `{clf.embedder_name_}` ({clf.embedder_version_}); texts normalised (links as a placeholder, handles dropped).",
        f"- Heads: `{type(clf.heads_['*']).__name__}`, one per language with at least {clf.min_per_class} posts of each class "
        "and one over all languages for the rest; each Platt-calibrated on out-of-fold scores, with its own threshold "
        f"(target `{clf.target}`):",
        "",
        "| head | a | b | threshold |", "|---|---|---|---|",
        *[f"| {'all languages' if k == '*' else k} | {clf.calibration_[k]['a']:.3f} | {clf.calibration_[k]['b']:.3f} | "
          f"{clf.thresholds_[k]:.3f} |" for k in clf.heads_],
        "",
        "## Data", "",
        f"Training posts: {report.n_train}; held-out posts: {report.n_val} (stratified by language and label, "
        "grouped by deduplicated text so copies never straddle the split).", "",
        "Sources: " + (", ".join(f"`{s}`" for s in sources) if sources else "a labelled export"), "",
        "Class balance (all labelled posts):", "",
        report.balance.to_markdown() if _has_tabulate() else "```\n" + report.balance.to_string() + "\n```", "",
        f"Training data fingerprint: `{clf.fingerprint_}`", "",
        "## Held-out metrics", "",
        "Precision, recall and F1 of the issue class; macro-F1 over both classes; PR-AUC (average precision).", "",
    ]
    for name, table in report.metrics.items():
        lines += [f"### {name}", "", format_metrics(table)]
    lines += ["## Versions", "", ", ".join(f"{k} {v}" for k, v in package_versions().items()), ""]
    if command:
        lines += ["## Reproduce", "", f"```\n{command}\n```", ""]
    return "\n".join(lines)


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401

        return True
    except ImportError:
        return False
