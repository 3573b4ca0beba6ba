"""Save and load an :class:`~socialnlp.cluster.IncidentDetector` mid-stream, in safe files.

A state folder holds ``state.json`` (parameters, counters, incidents, the alert rule's
state, the copy index), ``arrays/*.npy`` (report and post arrays, embeddings, incident
centroids) and ``tables/*.parquet`` (the posts in memory, alerts, windows, links, history,
and what ``horizon`` wrote out when there is no ``spill_dir``). Nothing is pickled, so a
state folder from elsewhere is data, not code.

Writes are atomic: the new state goes to a sibling folder that replaces the old one only
when complete (``PATH.old`` is the previous state while the swap happens; loading falls
back to it), so a run killed while saving resumes from the last complete state.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from socialnlp.cluster.reports import GrowingArray, ReportStore

FORMAT = 1
ROW_ARRAYS = ("_row_time", "_row_report", "_row_copy", "_row_late", "_row_issue")
STORE_ARRAYS = ("report_id", "time", "post_row", "incident", "n_posts", "vectors")
LOG_TABLES = ("_alerts", "_windows", "_links", "_history")


def clear_spill(spill_dir) -> None:
    """Remove the parts an earlier run wrote to ``spill_dir`` (only the detector's own files)."""
    trim_spill(spill_dir, 0)


def trim_spill(spill_dir, n_parts: int) -> None:
    """Remove parts numbered ``n_parts`` and up: written after the state being resumed."""
    from socialnlp.cluster.detector import SPILL_TABLES

    for name in SPILL_TABLES:
        for part in (Path(spill_dir) / name).glob("part-*.parquet"):
            if int(part.stem.split("-")[1]) >= n_parts:
                part.unlink()


def save_detector(det, path, extra: dict | None = None) -> Path:
    """Write ``det``'s state to the folder ``path``; ``extra`` (JSON-able) is stored alongside."""
    det._check_fitted()
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "arrays").mkdir(parents=True)
    (tmp / "tables").mkdir()
    params, objects = _split_params(det)
    store = det.reports_
    centroid_ids = sorted(i for i, inc in det.incidents_.items() if inc["centroid"] is not None)
    state = {
        "format": FORMAT, "params": params, "objects": objects, "extra": extra or {},
        "counters": {k: getattr(det, k) for k in ("window_ns_", "step_ns_", "horizon_ns_", "next_incident_id_",
                                                   "watermark_", "closed_until_", "n_alerts_", "n_spilled_posts_")},
        "version": det._version, "spill_parts": det._spill_parts,
        "incidents": {str(i): {k: v for k, v in inc.items() if k != "centroid"} for i, inc in det.incidents_.items()},
        "centroid_ids": centroid_ids,
        "rule": _rule_state(det.rule_),
        "row_id": det._row_id,
        "pending": [int(r) for r in det._pending_rows],
        "store": None if store is None else {
            "dim": store.dim, "dup_threshold": store.dup_threshold, "near_dup_horizon_ns": store.near_dup_horizon_ns,
            "key_horizon_ns": store.key_horizon_ns, "n_total": store.n_total, "post_id": store.post_id,
            "author": store.author, "lang": store.lang, "key_index": store.key_index},
        "spilled": {name: len(frames) for name, frames in det._spilled.items()},
    }
    (tmp / "state.json").write_text(json.dumps(state, ensure_ascii=False, default=_plain), encoding="utf-8")
    arrays = {name: getattr(det, name).values for name in ROW_ARRAYS}
    if store is not None:
        arrays.update({f"store_{name}": getattr(store, name).values for name in STORE_ARRAYS})
    if centroid_ids:
        arrays["centroids"] = np.stack([det.incidents_[i]["centroid"] for i in centroid_ids])
    if det._pending_rows:
        arrays["pending"] = np.stack(list(det._pending_rows.values()))
    arrays["last_assigned"] = det._last_assigned   # the next window's layout pool takes them back
    for name, values in arrays.items():
        np.save(tmp / "arrays" / f"{name}.npy", values, allow_pickle=False)
    det._table().to_parquet(tmp / "tables" / "posts.parquet", index=False)
    for name in LOG_TABLES:
        pd.DataFrame(getattr(det, name)).to_parquet(tmp / "tables" / f"{name[1:]}.parquet", index=False)
    for name, frames in det._spilled.items():
        for k, frame in enumerate(frames):
            frame.to_parquet(tmp / "tables" / f"spilled_{name}_{k:06d}.parquet", index=False)
    old = path.with_name(path.name + ".old")
    if path.exists():
        if old.exists():
            shutil.rmtree(old)
        path.rename(old)
    tmp.rename(path)
    if old.exists():
        shutil.rmtree(old)
    return path


def read_extra(path) -> dict | None:
    """The ``extra`` stored with a state, or None when there is no complete state at ``path``."""
    found = _complete(Path(path))
    if found is None:
        return None
    return _read_state(found).get("extra", {})


def load_detector(cls, path, **objects):
    """A detector as :func:`save_detector` left it (see :meth:`IncidentDetector.load_state`)."""
    path = _complete(Path(path))
    if path is None:
        raise FileNotFoundError("no saved detector state there (state.json missing)")
    state = _read_state(path)
    if state.get("format") != FORMAT:
        raise ValueError(f"{path}: state format {state.get('format')}, this version reads {FORMAT}")
    missing = [name for name in state["objects"] if name not in objects]
    if missing:
        kinds = ", ".join(f"{n} ({state['objects'][n]})" for n in missing)
        raise ValueError(f"{path}: the saved detector used objects for {kinds}; pass them again, "
                         f"e.g. IncidentDetector.load_state(path, {missing[0]}=...)")
    det = cls(**{**state["params"], **objects})
    det._reset(fresh=False)
    for key, value in state["counters"].items():
        setattr(det, key, value)
    det._version = state["version"]
    det._spill_parts = state["spill_parts"]
    arrays = {p.stem: _read_array(p) for p in (path / "arrays").glob("*.npy")}
    centroids = dict(zip(state["centroid_ids"], arrays.get("centroids", [])))
    det.incidents_ = {int(i): {**inc, "centroid": centroids.get(int(i))} for i, inc in state["incidents"].items()}
    if det.rule_ is not None and state["rule"] is not None:
        det.rule_.set_state(state["rule"])
    for name in ROW_ARRAYS:
        setattr(det, name, GrowingArray.of(arrays[name]))
    det._row_id = list(state["row_id"])
    det._seen_ids = set(det._row_id)
    det._pending_rows = dict(zip(state["pending"], arrays.get("pending", [])))
    det._last_assigned = arrays.get("last_assigned", np.zeros(0, dtype=np.int64))
    s = state["store"]
    if s is not None:
        store = ReportStore(s["dim"], s["dup_threshold"], s["near_dup_horizon_ns"], s["key_horizon_ns"])
        for name in STORE_ARRAYS:
            setattr(store, name, GrowingArray.of(arrays[f"store_{name}"]))
        store.n_total = s["n_total"]
        store.post_id, store.author, store.lang = s["post_id"], s["author"], s["lang"]
        store.key_index = {k: int(v) for k, v in s["key_index"].items()}
        det.reports_ = store
        det._tokens = [None] * len(store)
    table = pd.read_parquet(path / "tables" / "posts.parquet")
    det._frames = [table] if len(table.columns) else []
    for name in LOG_TABLES:
        records = pd.read_parquet(path / "tables" / f"{name[1:]}.parquet").to_dict("records")
        setattr(det, name, records)
    for name, n in state["spilled"].items():
        det._spilled[name] = [pd.read_parquet(path / "tables" / f"spilled_{name}_{k:06d}.parquet") for k in range(n)]
    if det.spill_dir is not None:
        trim_spill(det.spill_dir, det._spill_parts)
    return det


def _read_array(file: Path) -> np.ndarray:
    try:
        return np.load(file, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"{file}: not a readable array of a detector state ({exc}); it was damaged: delete the "
                         "checkpoint folder to start the run over") from None


def _read_state(folder: Path) -> dict:
    try:
        state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{folder / 'state.json'}: not a readable detector state ({exc}); it was not written by "
                         "save_state or was damaged: delete the checkpoint folder to start the run over") from None
    if not isinstance(state, dict):
        raise ValueError(f"{folder / 'state.json'}: not a detector state (a JSON object is expected)")
    return state


def _plain(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"cannot save {type(value).__name__} in a detector state")


def _complete(path: Path) -> Path | None:
    for candidate in (path, path.with_name(path.name + ".old")):
        if (candidate / "state.json").is_file():
            return candidate
    return None


def is_saved_param(value) -> bool:
    """Whether a detector parameter is saved with the state (else it is an object to pass again)."""
    return value is None or isinstance(value, (str, int, float, bool, Path))


def _split_params(det) -> tuple[dict, dict]:
    """JSON-able parameters (a path as text), and the names (with types) of those that are objects."""
    params, objects = {}, {}
    for name, value in det.get_params(deep=False).items():
        if is_saved_param(value):
            params[name] = str(value) if isinstance(value, Path) else value
        else:
            objects[name] = type(value).__name__
    return params, objects


def _rule_state(rule):
    if rule is None:
        return None
    if not hasattr(rule, "get_state") or not hasattr(rule, "set_state"):
        raise TypeError(f"the alert rule {type(rule).__name__} has no get_state()/set_state(); "
                        "a detector with it cannot be saved")
    return rule.get_state()
