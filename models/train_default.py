"""Train the shipped default classifier, ``models/default``, from the public data in ../shared/data.

    python models/train_default.py [--data ../shared/data] [--out models/default] [--head logreg|mlp]

Labels are mapped to the issue definition by the written rules in docs/labels.md. The
held-out split is stratified by language and label and grouped by deduplicated text.
Beside the model, the card reports the TF-IDF and lexicon baselines on the same split,
the shared-head variant, the English-only transfer to German and Chinese, and whether
the targets (macro-F1 >= 0.85 per language, and >= TF-IDF + 0.05) are met.
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from socialnlp.classify import IssueClassifier
from socialnlp.classify.persist import save_model
from socialnlp.classify.training import TrainReport, class_balance, evaluate_systems, held_out_split, model_card
from socialnlp.classify.baselines import LexiconRule, TfidfBaseline
from socialnlp.evaluate.classification import format_metrics, metrics_by_language
from socialnlp.classify.public_data import CITATIONS, TRAINING_SETS, load_training_posts

MIN_MACRO_F1 = 0.85
MIN_GAIN_OVER_TFIDF = 0.05


def make_head(kind: str):
    if kind == "mlp":
        return MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, early_stopping=True, max_iter=300, random_state=0)
    return LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000)


def targets_section(metrics: dict[str, pd.DataFrame]) -> tuple[list[str], list[str]]:
    model, tfidf = metrics["classifier"], metrics["tfidf_char_lr"]
    lines = ["## Targets", "", f"Macro-F1 at least {MIN_MACRO_F1} per language, and at least the TF-IDF baseline + {MIN_GAIN_OVER_TFIDF}.", "",
             "| lang | macro-F1 | TF-IDF | gain | >= 0.85 | >= TF-IDF + 0.05 |", "|---|---|---|---|---|---|"]
    short = []
    for lang in ("en", "de", "zh"):
        m, t = model.loc[lang, "macro_f1"], tfidf.loc[lang, "macro_f1"]
        ok1, ok2 = m >= MIN_MACRO_F1, m >= t + MIN_GAIN_OVER_TFIDF
        lines.append(f"| {lang} | {m:.3f} | {t:.3f} | {m - t:+.3f} | {'yes' if ok1 else 'no'} | {'yes' if ok2 else 'no'} |")
        if not (ok1 and ok2):
            short.append(lang)
    return lines + [""], short


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None, help="the shared data folder (default: ../shared/data)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "default")
    ap.add_argument("--head", choices=["logreg", "mlp"], default="logreg")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    command = "python models/train_default.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    t0 = time.time()
    print("reading the public data sets:")
    posts = load_training_posts(args.data, verbose=True)
    train_idx, val_idx = held_out_split(posts, 0.2, args.seed)
    train, val = posts.iloc[train_idx].reset_index(drop=True), posts.iloc[val_idx].reset_index(drop=True)
    print(f"train {len(train)} / held out {len(val)} posts", flush=True)

    clf = IssueClassifier(head=make_head(args.head), random_state=args.seed).fit(train)
    shared = IssueClassifier(head=make_head(args.head), per_language=False, random_state=args.seed)
    shared.fit(train, embeddings=clf.transform(train))
    english = train[train["lang"] == "en"]
    english_only = IssueClassifier(head=make_head(args.head), per_language=False, random_state=args.seed)
    english_only.fit(english, embeddings=clf.transform(english))
    systems = {"classifier": clf, "shared_head": shared, "english_only": english_only,
               "tfidf_char_lr": TfidfBaseline(), "lexicon_rule": LexiconRule()}
    metrics = evaluate_systems(systems, train, val)
    for name, table in metrics.items():
        print(f"\n{name}:\n" + format_metrics(table), flush=True)

    report = TrainReport(model=clf, balance=class_balance(posts), metrics={k: metrics[k] for k in ("classifier", "tfidf_char_lr", "lexicon_rule")},
                         n_train=len(train), n_val=len(val))
    target_lines, short = targets_section(metrics)
    card = model_card(report, [f"{n} ({CITATIONS[n]})" for n in TRAINING_SETS], command)
    extra = [
        "## How the labels were made", "",
        "Each public set's own labels answer another question; docs/labels.md has the written rules that map them "
        "to the issue definition (e.g. CrisisLex on-topic prayers and donation appeals are noise; GermEval posts are "
        "issues only with a negative disruption aspect; STC-3 posts are issues when at least half the annotators saw "
        "a stated problem). Handles are dropped before embedding, so 'addresses the helpdesk' is not a feature "
        "(every STC-3 post @-mentions a company).", "",
        "Per-set held-out macro-F1 of the classifier (where a set has both classes):", "",
        per_dataset_table(clf, val), "",
        "## Other heads on the same split", "",
        "### shared_head (one head for all languages)", "", format_metrics(metrics["shared_head"]),
        "### english_only (trained on the English posts only, tested on all)", "",
        "How the head transfers to languages it did not see: the embeddings are cross-lingual, the head is not.", "",
        format_metrics(metrics["english_only"]),
        *target_lines,
    ]
    if short:
        extra += [f"**Short of target: {', '.join(short)}.** What was tried, all on this split: one shared head for all "
                  "languages and an English-only head (both above), per-language heads (kept: they gain most in German "
                  "and Chinese), and contrastive fine-tuning of the e5-small body (models/FINETUNE.md). TF-IDF profits "
                  "from each set's surface style (in Chinese one source per class), which a sentence embedding does "
                  "not see; German labels come from aspect annotations and stay noisy. `--head mlp` trains an MLP "
                  "head instead.", ""]
    card = card.replace("## Versions", "\n".join(extra) + "\n## Versions")
    save_model(clf, args.out, metrics={k: v.reset_index().to_dict(orient="records") for k, v in metrics.items()},
               card=card, data=TRAINING_SETS)
    print("\n" + "\n".join(target_lines))
    print(f"model written to {args.out} in {time.time() - t0:.0f} s")
    return 0


def per_dataset_table(clf: IssueClassifier, val: pd.DataFrame) -> str:
    scored = clf.score_posts(val)
    rows = ["| set | lang | n | issue share | macro-F1 |", "|---|---|---|---|---|"]
    for name, part in scored.groupby(val["dataset"]):
        y = part["label"].astype(int)
        if y.nunique() == 2:
            m = metrics_by_language(y, part["p_issue"], part["is_issue"], part["lang"]).loc["all", "macro_f1"]
            rows.append(f"| {name} | {part['lang'].iloc[0]} | {len(part)} | {y.mean():.2f} | {m:.3f} |")
        else:
            acc = float((part["is_issue"] == y).mean())
            rows.append(f"| {name} | {part['lang'].iloc[0]} | {len(part)} | {y.mean():.2f} | (one class; accuracy {acc:.3f}) |")
    return "\n".join(rows)


if __name__ == "__main__":
    raise SystemExit(main())
