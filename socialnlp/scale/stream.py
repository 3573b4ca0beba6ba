"""Detection over long periods: chunk by chunk, in bounded memory, with a checkpoint.

:func:`detect_stream` reads the input (files, or folders of parts, in name order; within a
file in row order) ``chunksize`` rows at a time and feeds each chunk to an
:class:`~socialnlp.cluster.IncidentDetector` with a ``horizon``, so memory holds at most about
1.25 horizons of posts (a day with the defaults) however long the period. What leaves memory
goes to ``OUTDIR/_parts``. After every ``checkpoint_every`` chunks the detector's state and
the input position are saved in ``checkpoint``; a run started again with the same input
and checkpoint skips the chunks already done and ends with the same incidents as a run
that was never stopped (the detector is batch-invariant, ``tests/test_stream.py``).

The input should come roughly in time order (daily exports, say): posts of a time slot
that is already closed count as late (assigned to the nearest incident, flagged ``late``).

    socialnlp detect posts/ -o out/ --checkpoint out/checkpoint      # Ctrl-C, then the same again
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from socialnlp.cluster.checkpoint import is_saved_param, read_extra
from socialnlp.cluster.detector import IncidentDetector
from socialnlp.io.readers import iter_posts, table_parts

DEFAULT_CHUNK = 20_000


@dataclass
class StreamResult:
    """What :func:`detect_stream` did: the detector (its tables read back from ``OUTDIR/_parts``),
    the files written and the row counts of the whole input."""

    detector: IncidentDetector
    files: dict[str, Path]
    n_read: int = 0
    n_accepted: int = 0
    n_rejected: int = 0
    n_chunks: int = 0
    resumed_at: int = 0          # chunks skipped because the checkpoint had done them
    sources: list[str] = field(default_factory=list)

    def summary(self) -> str:
        line = (f"{len(self.sources)} input file(s): read {self.n_read} rows, accepted {self.n_accepted}, "
                f"rejected {self.n_rejected}; {self.n_chunks} chunks")
        return line + (f", resumed after chunk {self.resumed_at}" if self.resumed_at else "")


def input_files(inputs) -> list:
    """The input as an ordered list: files as given, folders as their table files in name order."""
    if isinstance(inputs, pd.DataFrame):
        return [inputs]
    items = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    out = []
    for item in items:
        if isinstance(item, pd.DataFrame):
            out.append(item)
            continue
        path = Path(item)
        if path.is_dir():
            parts = table_parts(path)
            if not parts:
                raise FileNotFoundError(f"{path}: no .csv/.tsv/.jsonl/.parquet files in this folder")
            out.extend(parts)
        elif not path.exists():
            raise FileNotFoundError(f"{path}: file not found")
        else:
            out.append(path)
    return out


def detect_stream(inputs, outdir, *, model="default", checkpoint=None, chunksize: int = DEFAULT_CHUNK,
                  checkpoint_every: int = 1, horizon: str = "auto", transform=None, progress: bool = True,
                  **params) -> StreamResult:
    """Detect incidents over a long stream in bounded memory; resumable with ``checkpoint``.

    ``inputs``: a file, a folder of parts, a list of them, or a DataFrame. ``model``: as in
    :func:`socialnlp.cluster.detect`. ``transform``: a function applied to every chunk of
    accepted posts before detection (pseudonymisation, renaming a column). ``params`` go to
    :class:`~socialnlp.cluster.IncidentDetector`. Writes ``OUTDIR/posts.parquet``,
    ``clusters.csv``, ``alerts.csv``, ``windows.csv`` and ``rejects.csv`` (when rows were
    rejected). Rows of ``posts.parquet`` come in the order they left memory; sort by
    ``created_at, id`` for time order. ``progress``: a tqdm bar of chunks, with the posts in
    memory and written out.
    """
    from tqdm.auto import tqdm

    from socialnlp.cluster.outputs import write_outputs

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    sources = input_files(inputs)
    names = [_name(s) for s in sources]
    classifier = _load_classifier(model)
    state = Path(checkpoint) / "state" if checkpoint is not None else None
    extra = read_extra(state) if state is not None else None
    rejects_dir = outdir / "_rejects"
    objects = {k: v for k, v in params.items() if not is_saved_param(v)}
    if extra is not None:
        if extra.get("inputs") != names or extra.get("chunksize") != chunksize:
            raise ValueError(f"checkpoint {checkpoint} was written for other input or chunk size "
                             f"({len(extra.get('inputs', []))} file(s), chunksize {extra.get('chunksize')}); "
                             "run with the same input and --chunksize, or give a new checkpoint folder")
        detector = IncidentDetector.load_state(state, **({"classifier": classifier} if classifier is not None else {}),
                                               **objects)
        saved = detector.get_params(deep=False)
        changed = {k: (saved[k], v) for k, v in {**params, "horizon": horizon}.items()
                   if is_saved_param(v) and k in saved and _text(saved[k]) != _text(v) and k != "n_jobs"}
        if changed:
            raise ValueError(f"checkpoint {checkpoint} was made with other settings: "
                             + ", ".join(f"{k}={a!r} (now {b!r})" for k, (a, b) in changed.items())
                             + "; resume with the same settings, or give a new checkpoint folder")
        if "n_jobs" in params:   # how many processes, not what they find: may differ on resume
            detector.set_params(n_jobs=params["n_jobs"])
        counts = extra["counts"]
    else:
        detector = IncidentDetector(classifier=classifier, horizon=horizon, spill_dir=outdir / "_parts", **params)
        detector._reset()                     # also clears the parts of an earlier run
        counts = {"n_read": 0, "n_accepted": 0, "n_rejected": 0, "n_chunks": 0}
        for old in rejects_dir.glob("chunk-*.csv") if rejects_dir.is_dir() else []:
            old.unlink()
    done = counts["n_chunks"]
    k = 0
    bar = tqdm(desc="detecting", unit="chunk", disable=not progress)
    for source in sources:
        for result in iter_posts(source, chunksize=chunksize, require_time=True):
            bar.update(1)
            if k < done:     # read again (duplicate ids are found across a file's chunks) but not detected
                k += 1
                continue
            if result.n_rejected:
                rejects_dir.mkdir(exist_ok=True)
                result.rejects.to_csv(rejects_dir / f"chunk-{k:06d}.csv", index=False)
            table = transform(result.table) if transform is not None and len(result.table) else result.table
            if len(table):
                detector.partial_fit(table)
            k += 1
            counts = {"n_read": counts["n_read"] + result.n_read, "n_accepted": counts["n_accepted"] + result.n_accepted,
                      "n_rejected": counts["n_rejected"] + result.n_rejected, "n_chunks": k}
            if state is not None and k % checkpoint_every == 0:
                detector.save_state(state, extra={"inputs": names, "chunksize": chunksize, "counts": counts})
            bar.set_postfix(in_memory=len(detector._row_time), written_out=detector.n_spilled_posts_, refresh=False)
    bar.close()
    if not counts["n_accepted"]:
        raise ValueError(f"{', '.join(names)}: no post could be read, nothing to detect")
    detector.finish()
    if state is not None:
        detector.save_state(state, extra={"inputs": names, "chunksize": chunksize, "counts": counts})
    files = write_outputs(detector, outdir)
    rejects = sorted(rejects_dir.glob("chunk-*.csv")) if rejects_dir.is_dir() else []
    if rejects:
        files["rejects"] = outdir / "rejects.csv"
        pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in rejects]).to_csv(files["rejects"], index=False)
    return StreamResult(detector=detector, files=files, sources=names, resumed_at=done, **counts)


def _load_classifier(model):
    if isinstance(model, (str, Path)):
        from socialnlp.classify import load_model

        return load_model(model)
    return model


def _name(source) -> str:
    return f"<DataFrame of {len(source)} rows>" if isinstance(source, pd.DataFrame) else str(Path(source).resolve())


def _text(value):
    return str(value) if isinstance(value, Path) else value
