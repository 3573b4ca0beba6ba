"""Batch scoring of files and folders in bounded memory: read a chunk, score it, append it.

Rejected rows go beside the output as ``<output stem>.rejects.csv`` (row, id, column,
reason); the summary says how many rows were read, scored and rejected.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from socialnlp.io.contract import REJECT_COLUMNS, ContractError
from socialnlp.io.readers import DEFAULT_CHUNK, file_format, iter_posts, table_parts


@dataclass
class ScoreSummary:
    n_read: int = 0
    n_scored: int = 0
    n_rejected: int = 0
    n_issues: int = 0
    output: str = ""
    rejects: str | None = None

    def line(self) -> str:
        s = f"read {self.n_read} rows, scored {self.n_scored}, rejected {self.n_rejected}; {self.n_issues} issues -> {self.output}"
        return s + (f" (rejects: {self.rejects})" if self.rejects else "")

    def add(self, other: "ScoreSummary") -> None:
        self.n_read += other.n_read
        self.n_scored += other.n_scored
        self.n_rejected += other.n_rejected
        self.n_issues += other.n_issues


class _ChunkWriter:
    """Appends DataFrames to one CSV, JSONL or Parquet file."""

    def __init__(self, path: Path):
        self.path = path
        self.fmt = file_format(path)
        self._parquet = None
        self._schema = None
        self._first = True
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()

    def write(self, frame: pd.DataFrame) -> None:
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(self.path, self._schema)
            self._parquet.write_table(table.cast(self._schema))
            return
        out = frame.copy()
        for col in out.columns:
            if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(out[col].notna(), None)
        if self.fmt == "jsonl":
            with open(self.path, "a", encoding="utf-8") as fh:
                if len(out):
                    fh.write(out.to_json(orient="records", lines=True, force_ascii=False).rstrip("\n") + "\n")
        else:
            out.to_csv(self.path, mode="a", header=self._first, index=False, sep="\t" if self.fmt == "tsv" else ",")
        self._first = False

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()


def rejects_path_for(output: Path) -> Path:
    return output.with_name(output.name.split(".")[0] + ".rejects.csv")


def score_file(model, input_path: str | Path, output_path: str | Path, *, chunksize: int = DEFAULT_CHUNK, progress: bool = True) -> ScoreSummary:
    """Score one file into another (formats by extension), chunk by chunk."""
    input_path, output_path = Path(input_path), Path(output_path)
    writer = _ChunkWriter(output_path)
    rejects_file = rejects_path_for(output_path)
    summary = ScoreSummary(output=str(output_path))
    wrote_rejects = False
    try:
        with tqdm(desc=f"scoring {input_path.name}", unit="post", disable=not progress) as bar:
            for result in iter_posts(input_path, chunksize=chunksize):
                scored = model.score_posts(result.table) if len(result.table) else result.table.assign(p_issue=[], is_issue=[])
                writer.write(scored)
                if result.n_rejected:
                    result.rejects[list(REJECT_COLUMNS)].drop(columns="source").to_csv(
                        rejects_file, mode="a" if wrote_rejects else "w", header=not wrote_rejects, index=False)
                    wrote_rejects = True
                summary.add(ScoreSummary(result.n_read, len(scored), result.n_rejected, int(scored["is_issue"].sum()) if len(scored) else 0))
                bar.update(result.n_read)
    finally:
        writer.close()
    if wrote_rejects:
        summary.rejects = str(rejects_file)
    elif rejects_file.exists():
        rejects_file.unlink()  # a stale file from an earlier run would mislead
    return summary


def score_path(model, input_path: str | Path, output_path: str | Path, **kwargs) -> ScoreSummary:
    """Score a file into a file, or a folder of Parquet/CSV/JSONL parts into a folder of parts."""
    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.is_dir():
        return score_file(model, input_path, output_path, **kwargs)
    parts = table_parts(input_path)
    if not parts:
        raise ContractError(f"{input_path}: no .parquet/.csv/.jsonl files in this folder")
    output_path.mkdir(parents=True, exist_ok=True)
    total = ScoreSummary(output=str(output_path))
    for part in parts:
        s = score_file(model, part, output_path / part.name, **kwargs)
        total.add(s)
        total.rejects = s.rejects or total.rejects
    return total
