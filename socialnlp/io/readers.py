"""Read posts and incidents from CSV, JSON Lines or Parquet (chosen by extension) or a DataFrame.

Files are read as raw values with their 1-based row numbers (row 1 = the first data
row after a CSV header, or the first line of a JSONL file) so that every rejection can
point at the row to fix. A row whose bytes are not UTF-8 is rejected alone; the rest
of the file is read.
"""
from __future__ import annotations

import csv
import json
import logging
import sys
from pathlib import Path
from typing import Iterator, Union

import numpy as np
import pandas as pd

from socialnlp.io.contract import (
    ContractError,
    ReadResult,
    empty_rejects,
    validate_incidents,
    validate_posts,
)

log = logging.getLogger(__name__)
Source = Union[str, Path, pd.DataFrame]
FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
DEFAULT_CHUNK = 50_000

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def file_format(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".gz",):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    ext = Path(name).suffix
    if ext not in FORMATS:
        raise ContractError(
            f"{path}: unknown file type '{ext or path.name}'; use .csv, .tsv, .jsonl (.ndjson) or .parquet"
        )
    return FORMATS[ext]


def _open_text(path: Path):
    if path.name.lower().endswith(".gz"):
        import gzip

        return gzip.open(path, "rt", encoding="utf-8-sig", errors="surrogateescape", newline="")
    return open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")


def table_parts(folder: Path) -> list[Path]:
    """The table files of a folder in name order: .csv/.tsv/.jsonl/.parquet, not hidden (``.``), not
    ``_``-prefixed (Parquet's convention for metadata) and not the ``*.rejects.csv`` that scoring writes."""
    out = []
    for p in sorted(Path(folder).iterdir()):
        if not p.is_file() or p.name.startswith(("_", ".")) or p.name.endswith(".rejects.csv"):
            continue
        try:
            file_format(p)
        except ContractError:
            continue
        out.append(p)
    return out


def iter_raw_chunks(path: str | Path, chunksize: int = DEFAULT_CHUNK) -> Iterator[tuple[pd.DataFrame, pd.Series, pd.DataFrame]]:
    """Yield ``(values, row_numbers, rejects)`` chunks of a file, values kept as read.

    ``rejects`` holds rows that could not even be split into columns (a CSV row with
    the wrong number of fields, a JSONL line that is not a JSON object).
    """
    path = Path(path)
    if not path.exists():
        raise ContractError(f"{path}: file not found")
    if path.is_dir():
        raise ContractError(f"{path}: is a directory; give one file (or use `socialnlp score DIR` for a folder of Parquet parts)")
    fmt = file_format(path)
    reader = {"csv": _csv_chunks, "tsv": _csv_chunks, "jsonl": _jsonl_chunks, "parquet": _parquet_chunks}[fmt]
    kwargs = {"delimiter": "\t"} if fmt == "tsv" else {}
    yield from reader(path, chunksize, **kwargs)


def _bad(path: Path, rows: list[int], reasons: list[str], column: str = "") -> pd.DataFrame:
    if not rows:
        return empty_rejects()
    return pd.DataFrame({"source": str(path), "row": np.array(rows, dtype="int64"), "id": "", "column": column, "reason": reasons})


def _csv_chunks(path: Path, chunksize: int, delimiter: str = ","):
    with _open_text(path) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ContractError(f"{path}: the file is empty (no header row)") from None
        except csv.Error as exc:
            raise ContractError(f"{path}: cannot read the CSV header: {exc}") from None
        records, rows, bad_rows, bad_reasons = [], [], [], []
        row = 0
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row += 1
                bad_rows.append(row)
                bad_reasons.append(f"malformed CSV row: {exc}")
                continue
            row += 1
            if not rec:  # blank line
                row -= 1
                continue
            if len(rec) != len(header):
                bad_rows.append(row)
                bad_reasons.append(f"row has {len(rec)} fields but the header has {len(header)}; check quoting")
            else:
                records.append(rec)
                rows.append(row)
            if len(records) >= chunksize:
                yield pd.DataFrame(records, columns=header, dtype=object), pd.Series(rows, dtype="int64"), _bad(path, bad_rows, bad_reasons)
                records, rows, bad_rows, bad_reasons = [], [], [], []
        if records or bad_rows or row == 0:
            yield pd.DataFrame(records, columns=header, dtype=object), pd.Series(rows, dtype="int64"), _bad(path, bad_rows, bad_reasons)


def _jsonl_chunks(path: Path, chunksize: int):
    opener = (lambda: __import__("gzip").open(path, "rb")) if path.name.lower().endswith(".gz") else (lambda: open(path, "rb"))
    with opener() as fh:
        records, rows, bad_rows, bad_reasons = [], [], [], []
        for row, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8-sig" if row == 1 else "utf-8")
            except UnicodeDecodeError:
                bad_rows.append(row)
                bad_reasons.append("bytes that are not valid UTF-8; re-save the file as UTF-8")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                bad_rows.append(row)
                bad_reasons.append(f"not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(obj, dict):
                bad_rows.append(row)
                bad_reasons.append("line is not a JSON object")
                continue
            records.append(obj)
            rows.append(row)
            if len(records) >= chunksize:
                yield pd.DataFrame.from_records(records), pd.Series(rows, dtype="int64"), _bad(path, bad_rows, bad_reasons)
                records, rows, bad_rows, bad_reasons = [], [], [], []
        yield pd.DataFrame.from_records(records), pd.Series(rows, dtype="int64"), _bad(path, bad_rows, bad_reasons)


def _parquet_chunks(path: Path, chunksize: int):
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise ContractError(f"{path}: not a readable Parquet file ({exc})") from None
    start = 1
    for batch in pf.iter_batches(batch_size=chunksize):
        frame = batch.to_pandas()
        rows = pd.Series(np.arange(start, start + len(frame)), dtype="int64")
        start += len(frame)
        yield frame, rows, empty_rejects()
    if start == 1:
        yield pf.schema_arrow.empty_table().to_pandas(), pd.Series([], dtype="int64"), empty_rejects()


def _merge(results: list[ReadResult], source: str) -> ReadResult:
    tables = [r.table for r in results if len(r.table)] or [results[0].table]
    rejects = [r.rejects for r in results if len(r.rejects)]
    merged = ReadResult(
        table=pd.concat(tables, ignore_index=True),
        rejects=pd.concat(rejects, ignore_index=True).sort_values("row", kind="stable").reset_index(drop=True) if rejects else empty_rejects(),
        source=source,
        n_read=sum(r.n_read for r in results),
    )
    return merged


def iter_posts(
    source: Source, *, chunksize: int = DEFAULT_CHUNK, require_time: bool = False, strict: bool = False, detect_lang: bool = True
) -> Iterator[ReadResult]:
    """Validated posts, chunk by chunk, in bounded memory; ids stay unique across chunks."""
    if isinstance(source, pd.DataFrame):
        yield validate_posts(source, require_time=require_time, strict=strict, detect_lang=detect_lang)
        return
    path = Path(source)
    seen: dict[str, int] = {}
    for values, rows, unsplit in iter_raw_chunks(path, chunksize):
        if strict and len(unsplit):
            r = unsplit.iloc[0]
            raise ContractError(f"{path}: row {r['row']}: {r['reason']}")
        result = validate_posts(values, source=str(path), rows=rows, require_time=require_time, strict=strict, detect_lang=detect_lang)
        result = _reject_seen_ids(result, rows, seen, values)
        result.n_read += len(unsplit)
        if len(unsplit):
            result.rejects = pd.concat([unsplit, result.rejects], ignore_index=True).sort_values("row", kind="stable").reset_index(drop=True)
        if strict and result.n_rejected:
            r = result.rejects.iloc[0]
            raise ContractError(f"{path}: row {r['row']}, column '{r['column']}': {r['reason']}")
        yield result


def _reject_seen_ids(result: ReadResult, rows: pd.Series, seen: dict[str, int], values: pd.DataFrame) -> ReadResult:
    """Duplicate ids across chunks: the first occurrence in the file wins."""
    table = result.table
    if not len(table):
        return result
    ids = table["id"].to_numpy()
    again = np.array([i in seen for i in ids], dtype=bool)
    # Row numbers of accepted rows: rows minus rejected ones, in order.
    accepted_rows = rows[~rows.isin(result.rejects["row"])].to_numpy() if len(result.rejects) else rows.to_numpy()
    if again.any():
        dup = pd.DataFrame({
            "source": result.source,
            "row": accepted_rows[again].astype("int64"),
            "id": ids[again],
            "column": "id",
            "reason": [f"duplicate id (first seen at row {seen[i]})" for i in ids[again]],
        })
        result.rejects = pd.concat([result.rejects, dup], ignore_index=True).sort_values("row", kind="stable").reset_index(drop=True)
        result.table = table.loc[~again].reset_index(drop=True)
        accepted_rows = accepted_rows[~again]
    for i, r in zip(result.table["id"].to_numpy(), accepted_rows):
        seen[i] = int(r)
    return result


def read_posts(
    source: Source,
    *,
    strict: bool = False,
    require_time: bool = False,
    detect_lang: bool = True,
    return_rejects: bool = False,
) -> pd.DataFrame | ReadResult:
    """Read and validate a posts table from a CSV/JSONL/Parquet path or a DataFrame.

    Returns the accepted rows as a DataFrame (``created_at`` in UTC, ``lang`` filled
    in, ``label`` as nullable 0/1). Rejected rows are logged with a summary; pass
    ``return_rejects=True`` to get a :class:`ReadResult` with ``table``, ``rejects``
    (``row``, ``id``, ``column``, ``reason``) and ``n_read``. ``strict=True`` raises a
    :class:`ContractError` naming the file, row, column and problem instead.

    >>> posts = read_posts("data/demo/posts.csv")                 # doctest: +SKIP
    >>> res = read_posts("export.jsonl", return_rejects=True)    # doctest: +SKIP
    >>> res.rejects.head()                                        # doctest: +SKIP
    """
    source_name = "<DataFrame>" if isinstance(source, pd.DataFrame) else str(source)
    result = _merge(list(iter_posts(source, require_time=require_time, strict=strict, detect_lang=detect_lang)), source_name)
    _report(result)
    return result if return_rejects else result.table


def read_incidents(source: Source, *, strict: bool = False, return_rejects: bool = False) -> pd.DataFrame | ReadResult:
    """Read and validate an incidents table (``incident_id``, ``start``, ``declared``, ``title``)."""
    if isinstance(source, pd.DataFrame):
        result = validate_incidents(source, strict=strict)
    else:
        path = Path(source)
        parts = []
        for values, rows, unsplit in iter_raw_chunks(path):
            part = validate_incidents(values, source=str(path), rows=rows, strict=strict)
            part.n_read += len(unsplit)
            part.rejects = pd.concat([unsplit, part.rejects], ignore_index=True) if len(unsplit) else part.rejects
            parts.append(part)
        result = _merge(parts, str(path))
    _report(result)
    return result if return_rejects else result.table


def _report(result: ReadResult) -> None:
    if result.n_rejected:
        log.warning(result.summary())
    else:
        log.info(result.summary())


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as CSV, JSONL or Parquet by extension (times as ISO-8601 UTC with Z)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = file_format(path)
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
        return path
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(out[col].notna(), None)
    if fmt == "jsonl":
        out.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        out.to_csv(path, index=False, sep="\t" if fmt == "tsv" else ",")
    return path
