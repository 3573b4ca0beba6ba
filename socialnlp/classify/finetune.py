"""SetFit-style fine-tuning of a sentence-transformers body on labelled posts, and the
retraining job that puts a classifier head on top of the fine-tuned body.

Fine-tuning is contrastive: pairs of training posts are sampled from the labels (same label
= positive, cosine target 1; different labels = negative, cosine target 0), balanced three
ways: half the pairs are positive, half negative, and the positives are half issue-issue and
half noise-noise, so the minority class is not drowned. The loss is
``CosineSimilarityLoss`` (mean squared error between the pair's cosine and its target), the
loss SetFit uses by default. Why not the others:

- ``MultipleNegativesRankingLoss`` treats every other post in the batch as a negative. With
  two classes half of those "negatives" share the anchor's label, so it would push apart
  posts that should be close.
- ``ContrastiveLoss`` only stops pushing negatives once they are past a margin, which needs
  tuning; the cosine regression has no margin and gives both classes a fixed target.

The loop is a plain torch loop over the model's own ``preprocess`` and the loss module:
``SentenceTransformer.fit`` and ``SentenceTransformerTrainer`` need ``accelerate`` (not a
dependency here) and ``old_fit`` is slated for removal. Everything is seeded (pair sampling,
batch order, dropout), so one seed on one machine gives the same weights.

>>> body = finetune_body(train_posts, "models/multilingual-e5-small", "work/body")   # doctest: +SKIP
>>> report = train_finetuned(posts, "models/multilingual-e5-small", "models/e5-setfit")  # doctest: +SKIP
"""
from __future__ import annotations

import json
import logging
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from socialnlp.classify.classifier import IssueClassifier
from socialnlp.classify.inputs import as_posts, labels_of
from socialnlp.classify.persist import sha256_file
from socialnlp.text.normalize import normalize_text

log = logging.getLogger(__name__)

MARKER = "socialnlp_finetune.json"  # written into every fine-tuned body; also makes its cache key unique
BODY_DIR = "body"


@dataclass
class FinetuneInfo:
    """What :func:`finetune_body` did (also stored as ``socialnlp_finetune.json`` in the body)."""

    base: str
    prompt: str | None
    seed: int
    epochs: int
    batch_size: int
    lr: float
    max_seq_length: int
    freeze_embeddings: bool
    train_layers: int | None = None
    loss: str = "CosineSimilarityLoss"
    n_posts: int = 0
    n_pairs: int = 0
    n_steps: int = 0
    loss_first: float = float("nan")  # mean loss over the first 10% of steps
    loss_last: float = float("nan")   # and over the last 10%
    weights_sha256: dict[str, str] = field(default_factory=dict)


def sample_pairs(labels, max_pairs: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``(a, b)`` of post pairs and their targets (1.0 same label, 0.0 different).

    Half the pairs are positive (half of them issue-issue, half noise-noise) and half negative.
    Anchors are drawn by cycling through shuffled posts of each class, so every post takes part
    before any takes part twice; partners are drawn at random (never the anchor itself).
    """
    y = np.asarray(labels, dtype=int)
    idx = {c: np.flatnonzero(y == c) for c in (0, 1)}
    if min(len(idx[0]), len(idx[1])) < 2:
        raise ValueError("fine-tuning needs at least two posts of each class (issue=1 and noise=0)")
    if max_pairs < 4:
        raise ValueError(f"max_pairs must be at least 4, got {max_pairs}")
    rng = np.random.default_rng(seed)
    n_neg = max_pairs // 2
    n_pos = {1: (max_pairs - n_neg) // 2}
    n_pos[0] = max_pairs - n_neg - n_pos[1]
    parts_a, parts_b, parts_t = [], [], []
    for c in (1, 0):
        a = _cycle(rng, idx[c], n_pos[c])
        b = rng.choice(idx[c], size=len(a))
        while (clash := a == b).any():  # redraw partners equal to their anchor
            b[clash] = rng.choice(idx[c], size=int(clash.sum()))
        parts_a.append(a)
        parts_b.append(b)
        parts_t.append(np.ones(len(a)))
    # Negatives: anchors alternate between the classes, partners come from the other one.
    k1 = n_neg // 2
    a1, a0 = _cycle(rng, idx[1], k1), _cycle(rng, idx[0], n_neg - k1)
    parts_a += [a1, a0]
    parts_b += [rng.choice(idx[0], size=len(a1)), rng.choice(idx[1], size=len(a0))]
    parts_t.append(np.zeros(n_neg))
    a, b, t = np.concatenate(parts_a), np.concatenate(parts_b), np.concatenate(parts_t)
    order = rng.permutation(len(a))
    return a[order], b[order], t[order].astype(np.float32)


def _cycle(rng: np.random.Generator, items: np.ndarray, k: int) -> np.ndarray:
    reps = -(-k // len(items)) if k else 0
    return np.concatenate([rng.permutation(items) for _ in range(reps)])[:k] if reps else np.zeros(0, dtype=int)


def training_texts(posts, y=None) -> tuple[list[str], np.ndarray]:
    """Normalised texts and labels for fine-tuning: empty texts dropped, each text once
    (texts that carry both labels are dropped: they teach nothing)."""
    posts = as_posts(posts)
    y = labels_of(posts, y)
    frame = pd.DataFrame({"text": [normalize_text(str(t)) for t in posts["text"]], "label": y})
    frame = frame[frame["text"] != ""]
    n_labels = frame.groupby("text")["label"].nunique()
    conflicting = set(n_labels.index[n_labels > 1])
    if conflicting:
        log.info("%d texts carry both labels and are left out of fine-tuning", len(conflicting))
    frame = frame[~frame["text"].isin(conflicting)].drop_duplicates("text")
    return frame["text"].tolist(), frame["label"].to_numpy(dtype=int)


def finetune_body(posts, body: str | Path, out_dir: str | Path, *, y=None, epochs: int = 1, batch_size: int = 16,
                  max_pairs: int = 4000, max_seq_length: int = 128, seed: int = 0, lr: float = 2e-5,
                  warmup: float = 0.1, prompt: str | None = None, freeze_embeddings: bool = True,
                  train_layers: int | None = None, threads: int | None = None, progress: bool | None = None) -> Path:
    """Fine-tune the sentence-transformers model in folder ``body`` on labelled posts; write it to ``out_dir``.

    posts : labelled posts (a ``label`` column, or ``y``); texts are normalised as for embedding.
    max_pairs : contrastive pairs per epoch, drawn afresh each epoch (see :func:`sample_pairs`);
        steps = epochs * max_pairs / batch_size.
    max_seq_length : tokens per text, while training and in the saved folder (embedding then
        truncates there too, so the body embeds as it was trained; social posts rarely reach 128
        and a shorter limit is what makes CPU embedding affordable).
    prompt : prepended to every text; ``None`` uses the base's default prompt (``"passage: "`` for
        e5). A prompt other than the default is saved as the new default, so that the folder embeds
        the way it was trained when loaded without one.
    freeze_embeddings : keep the token-embedding matrix fixed (for multilingual-e5-small it holds
        96M of the 118M weights; training it on a few thousand posts only moves the tokens seen).
    train_layers : train only the top N transformer layers (the embeddings and the layers below
        stay fixed); ``None`` trains them all. On a CPU this is what makes fine-tuning affordable:
        no gradients flow through the frozen layers (top 4 of 12: about 2x faster per step).
    threads : torch threads while training (restored afterwards; ``None``: torch's setting).

    Returns ``out_dir``: a sentence-transformers folder (``model.safetensors``), with
    ``socialnlp_finetune.json`` saying how it was trained. An existing ``out_dir`` is replaced
    only if it is empty or an earlier fine-tuning output.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.losses import CosineSimilarityLoss
    from transformers import get_linear_schedule_with_warmup

    out_dir, body = Path(out_dir), Path(body)
    if out_dir.resolve() == body.resolve():
        raise ValueError("out_dir must differ from the body folder it starts from")
    _check_out_dir(out_dir)
    texts, y = training_texts(posts, y)
    pairs = [sample_pairs(y, max_pairs, seed + epoch) for epoch in range(epochs)]  # fresh pairs each epoch
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    t0 = time.time()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = SentenceTransformer(str(body), device="cpu")
            model.max_seq_length = max_seq_length
            default_prompt = model.prompts.get(model.default_prompt_name) if model.default_prompt_name else None
            prompt = default_prompt if prompt is None else prompt
            _freeze(model, freeze_embeddings, train_layers)
            loss_fn = CosineSimilarityLoss(model)
            params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
            no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias", "layer_norm")
            optimizer = torch.optim.AdamW([
                {"params": [p for n, p in params if not any(k in n for k in no_decay)], "weight_decay": 0.01},
                {"params": [p for n, p in params if any(k in n for k in no_decay)], "weight_decay": 0.0},
            ], lr=lr)
            n_steps = sum(-(-len(target) // batch_size) for _, _, target in pairs)
            scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup * n_steps), n_steps)
            losses: list[float] = []
            model.train()
            show = progress if progress is not None else n_steps > 20
            with tqdm(total=n_steps, desc="fine-tuning", unit="step", disable=not show) as bar:
                for epoch, (a, b, target) in enumerate(pairs):
                    for start in range(0, len(target), batch_size):
                        batch = slice(start, start + batch_size)
                        features = [_features(model, [texts[i] for i in side[batch]], prompt) for side in (a, b)]
                        loss = loss_fn(features, torch.from_numpy(target[batch]))
                        loss.backward()
                        torch.nn.utils.clip_grad_norm_([p for _, p in params], 1.0)
                        optimizer.step()
                        scheduler.step()
                        optimizer.zero_grad(set_to_none=True)
                        losses.append(float(loss.detach()))
                        bar.update(1)
                        bar.set_postfix(epoch=epoch + 1, loss=f"{np.mean(losses[-20:]):.4f}")
            model.eval()
            if prompt != default_prompt:
                model.prompts["socialnlp"] = prompt or ""
                model.default_prompt_name = "socialnlp"
            if out_dir.exists():  # checked above: empty, or an earlier fine-tuning output
                shutil.rmtree(out_dir)
            model.save(str(out_dir), create_model_card=False, safe_serialization=True)
    finally:
        torch.set_num_threads(old_threads)
    k = max(1, len(losses) // 10)
    info = FinetuneInfo(base=str(body), prompt=prompt, seed=seed, epochs=epochs, batch_size=batch_size, lr=lr,
                        max_seq_length=max_seq_length, freeze_embeddings=freeze_embeddings or train_layers is not None,
                        train_layers=train_layers, n_posts=len(texts),
                        n_pairs=sum(len(t) for _, _, t in pairs), n_steps=len(losses),
                        loss_first=float(np.mean(losses[:k])), loss_last=float(np.mean(losses[-k:])),
                        weights_sha256={str(p.relative_to(out_dir)): sha256_file(p) for p in sorted(out_dir.rglob("*.safetensors"))})
    # The embedding cache keys a folder by its JSON files and file sizes; two fine-tunings of one
    # base have the same sizes, so the weights' hashes go into a JSON file to tell them apart.
    # (Nothing run-dependent such as the time taken goes in: same weights, same key.)
    (out_dir / MARKER).write_text(json.dumps(asdict(info), indent=2), encoding="utf-8")
    (out_dir / "README.md").write_text(
        f"# Fine-tuned body\n\nSetFit-style contrastive fine-tuning of `{body.name}` by "
        f"`socialnlp.classify.finetune`; parameters in `{MARKER}`.\n", encoding="utf-8")
    log.info("fine-tuned %s on %d posts, %d pairs, %d steps in %.0f s (loss %.4f -> %.4f); written to %s",
             body, info.n_posts, info.n_pairs, info.n_steps, time.time() - t0, info.loss_first, info.loss_last, out_dir)
    return out_dir


def _freeze(model, freeze_embeddings: bool, train_layers: int | None) -> None:
    """Fix the token embeddings and, with ``train_layers``, everything below the top layers."""
    layer_of = {name: int(m[1]) for name, _ in model.named_parameters() if (m := _LAYER.search(name))}
    n_layers = max(layer_of.values()) + 1 if layer_of else 0
    if train_layers is not None:
        if not layer_of:
            raise ValueError("train_layers needs a transformer body with numbered layers ('...layer.N...'); "
                             "this one has none: leave train_layers=None")
        if not 1 <= train_layers <= n_layers:
            raise ValueError(f"train_layers must be between 1 and {n_layers}, got {train_layers}")
    for name, param in model.named_parameters():
        if freeze_embeddings and name.endswith("word_embeddings.weight"):
            param.requires_grad_(False)
        if train_layers is not None and ("embeddings." in name or layer_of.get(name, n_layers) < n_layers - train_layers):
            param.requires_grad_(False)


_LAYER = re.compile(r"\.layers?\.(\d+)\.")


def _features(model, texts: list[str], prompt: str | None) -> dict:
    """Tokenised inputs exactly as ``model.encode(texts, prompt=prompt)`` makes them."""
    if hasattr(model, "preprocess"):
        return model.preprocess(texts, prompt=prompt)
    return model.tokenize([(prompt or "") + t for t in texts])  # sentence-transformers < 6


def _check_out_dir(out_dir: Path) -> None:
    """``out_dir`` may be replaced: absent, empty, or an earlier fine-tuning output."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is not a folder")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
            raise FileExistsError(f"{out_dir} is not empty and holds no earlier fine-tuning ({MARKER}); "
                                  "choose another folder or empty it")


def train_finetuned(posts: pd.DataFrame, body: str | Path, out: str | Path, *, head=None, val_split: float = 0.2,
                    target: str = "f1", seed: int = 0, sources: list[str] | None = None, cache_dir=None,
                    baselines: bool = True, command: str | None = None, **finetune_kw):
    """Like :func:`socialnlp.classify.training.train_model`, with a fine-tuned body.

    The body is fine-tuned on the training part of :func:`held_out_split` only (the held-out
    posts never reach it), written to ``out/body/``, and an :class:`IssueClassifier` head is
    fitted on its embeddings; the whole folder is saved with :func:`save_model` and loads with
    ``load_model(out)``. ``finetune_kw`` go to :func:`finetune_body` (``epochs``, ``max_pairs``,
    ``batch_size``, ``lr``, ``max_seq_length``, ``prompt``, ``threads``, ...).
    Returns a :class:`TrainReport` whose metrics are on the held-out split.
    """
    from socialnlp.classify.persist import save_model
    from socialnlp.classify.training import fit_and_evaluate, labelled_split, model_card
    from socialnlp.embed.st import SentenceTransformerEmbedder

    out = Path(out)
    train, val = labelled_split(posts, val_split, seed)
    finetune_kw.setdefault("seed", seed)
    t0 = time.time()
    body_dir = finetune_body(train, body, out / BODY_DIR, **finetune_kw)
    seconds = round(time.time() - t0, 1)
    # No explicit prompt: the body's saved default is the one it was trained with, and the one
    # load_model will use.
    clf = IssueClassifier(embedder=SentenceTransformerEmbedder(str(body_dir)), head=head, target=target,
                          cache_dir=cache_dir, random_state=seed)
    report = fit_and_evaluate(clf, train, val, baselines)
    info = {**json.loads((body_dir / MARKER).read_text(encoding="utf-8")), "seconds": seconds}
    card = model_card(report, sources or [], command)
    card = card.replace("## Versions", _finetune_section(info) + "## Versions")
    report.path = save_model(clf, out, metrics={k: v.reset_index().to_dict(orient="records") for k, v in report.metrics.items()},
                             card=card, data=sources, body_dir=BODY_DIR,
                             extra={"finetune": {k: v for k, v in info.items() if k != "weights_sha256"}})
    return report


def _finetune_section(info: dict) -> str:
    return "\n".join([
        "## Fine-tuned body", "",
        f"The embedder is `{Path(info['base']).name}` fine-tuned SetFit-style on the training split only (held-out posts "
        f"never reached it): {info['n_pairs']} contrastive pairs from {info['n_posts']} distinct training texts "
        f"(balanced: half same-label, half different-label), {info['loss']}, {info['epochs']} epoch(s), batch "
        f"{info['batch_size']}, lr {info['lr']:g}, {info['max_seq_length']} tokens, token embeddings "
        f"{'frozen' if info['freeze_embeddings'] else 'trained'}, seed {info['seed']}, prompt {info['prompt']!r}; "
        f"loss {info['loss_first']:.4f} -> {info['loss_last']:.4f} in {info['seconds']:.0f} s. "
        f"The body is in `{BODY_DIR}/` (safetensors).", "", ""])
