"""The data contract: what a posts table and an incidents table must look like.

Every reader and adapter ends here. Validation never drops a row silently: a row
that breaks the contract goes to a rejects table with the row number, the column
and the reason, and the caller learns the counts (read = accepted + rejected).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

POST_COLUMNS = ("id", "text", "created_at", "lang", "platform", "author", "label", "incident_id")
POST_REQUIRED = ("id", "text")
INCIDENT_COLUMNS = ("incident_id", "start", "declared", "title")
INCIDENT_REQUIRED = ("incident_id", "start")
LANGS = ("en", "de", "zh", "other")
REJECT_COLUMNS = ("source", "row", "id", "column", "reason")

_LABEL_VALUES = {
    "1": 1, "1.0": 1, "issue": 1, "true": 1,
    "0": 0, "0.0": 0, "noise": 0, "false": 0,
}
_ISO_WITH_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
# Unix times above this many seconds are read as milliseconds (1e11 s is the year 5138).
_MS_THRESHOLD = 1e11


class ContractError(ValueError):
    """Input that breaks the data contract, with where and what to do."""


@dataclass
class ReadResult:
    """Accepted rows, rejected rows and how many were read.

    ``n_read == len(table) + len(rejects)`` always holds.
    """

    table: pd.DataFrame
    rejects: pd.DataFrame
    source: str = "<DataFrame>"
    n_read: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def n_accepted(self) -> int:
        return len(self.table)

    @property
    def n_rejected(self) -> int:
        return len(self.rejects)

    def summary(self) -> str:
        line = f"{self.source}: read {self.n_read} rows, accepted {self.n_accepted}, rejected {self.n_rejected}"
        if self.n_rejected:
            reasons = self.rejects["reason"].str.replace(r" \(.*\)$", "", regex=True).value_counts()
            line += " (" + "; ".join(f"{n} {r}" for r, n in reasons.head(5).items()) + ")"
        return line


def empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "object") for c in REJECT_COLUMNS})


class _Rejects:
    """Collects one reason per rejected row (the first problem found)."""

    def __init__(self, source: str, rows: pd.Series, ids: pd.Series):
        self.source = source
        self.rows = rows
        self.ids = ids
        self.bad: dict[int, tuple[str, str]] = {}

    def add(self, mask: np.ndarray, column: str, reason: str | Iterable[str]) -> None:
        reasons = [reason] * int(mask.sum()) if isinstance(reason, str) else list(reason)
        for pos, why in zip(np.flatnonzero(mask), reasons):
            self.bad.setdefault(int(pos), (column, why))

    def mask(self, n: int) -> np.ndarray:
        m = np.zeros(n, dtype=bool)
        m[list(self.bad)] = True
        return m

    def frame(self) -> pd.DataFrame:
        if not self.bad:
            return empty_rejects()
        pos = sorted(self.bad)
        return pd.DataFrame({
            "source": self.source,
            "row": self.rows.to_numpy()[pos].astype("int64"),
            "id": [_clean_id(v) for v in self.ids.to_numpy()[pos]],
            "column": [self.bad[p][0] for p in pos],
            "reason": [self.bad[p][1] for p in pos],
        })


def _clean_id(value) -> str:
    return "" if _is_blank(value) else str(value)


def _is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(series: pd.Series) -> pd.Series:
    """Strings as str, blanks as None, with numbers from CSV kept as their digits."""
    if isinstance(series.dtype, pd.StringDtype):   # str or missing only: no conversion per value
        values = series.to_numpy(dtype=object, na_value=None)
        return pd.Series([v if v is not None and v.strip() else None for v in values], index=series.index,
                         dtype=object)

    def conv(v):
        if _is_blank(v):
            return None
        if isinstance(v, bytes):
            return v.decode("utf-8", errors="surrogateescape")
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)
    return pd.Series([conv(v) for v in series.to_numpy(dtype=object)], index=series.index, dtype=object)


def _undecodable(series: pd.Series) -> np.ndarray:
    """True where a value holds bytes that were not valid UTF-8 (surrogate escapes)."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return np.zeros(len(series), dtype=bool)       # Arrow strings are valid UTF-8 by construction
    values = series.to_numpy(dtype=object)
    if not _has_surrogates("".join(v for v in values if isinstance(v, str))):   # the usual case, in C
        return np.zeros(len(values), dtype=bool)
    return np.array([isinstance(v, str) and _has_surrogates(v) for v in values], dtype=bool)


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def parse_times(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse contract times to UTC; returns (times, bad) where bad marks unparseable non-blank values.

    Accepted: ISO-8601 with an offset or ``Z``; unix seconds or milliseconds
    (numbers, or strings of digits); timezone-aware datetimes. Naive date strings
    are refused: their time zone is a guess, and a guess shifts lead times.
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype):   # already aware (Parquet, or a table validated before)
        try:
            return series.dt.tz_convert("UTC").astype("datetime64[ns, UTC]"), np.zeros(len(series), dtype=bool)
        except (OverflowError, ValueError):           # outside the nanosecond range: value by value below
            pass
    values = series.to_numpy(dtype=object)
    out = np.full(len(values), np.datetime64("NaT", "ns"))
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if _is_blank(v):
            continue
        try:
            out[i] = _parse_one_time(v)
        except (ValueError, TypeError, OverflowError):
            bad[i] = True
    return pd.Series(pd.to_datetime(out).tz_localize("UTC"), index=series.index), bad


def _parse_one_time(v) -> np.datetime64:
    if isinstance(v, pd.Timestamp) or hasattr(v, "tzinfo"):
        ts = pd.Timestamp(v)
        if ts.tzinfo is None:
            raise ValueError("naive datetime")
        return _ns(ts.tz_convert("UTC").tz_localize(None))
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return _from_unix(float(v))
    s = str(v).strip()
    if _NUMBER.match(s):
        return _from_unix(float(s))
    if not _ISO_WITH_OFFSET.search(s):
        raise ValueError("no UTC offset")
    ts = pd.Timestamp(s)
    if ts.tzinfo is None:
        raise ValueError("no UTC offset")
    return _ns(ts.tz_convert("UTC").tz_localize(None))


def _ns(ts: pd.Timestamp) -> np.datetime64:
    """In nanoseconds, as the tables hold times; raises (OutOfBoundsDatetime, a ValueError) outside
    1677-2262 instead of wrapping around (a year-2300 time became 1715 before)."""
    return ts.as_unit("ns").to_datetime64()


def _from_unix(x: float) -> np.datetime64:
    if not np.isfinite(x) or x < 0:
        raise ValueError("bad unix time")
    unit = "ms" if abs(x) >= _MS_THRESHOLD else "s"
    return _ns(pd.Timestamp(x, unit=unit))


def normalize_lang(value) -> str | None:
    """Map a language tag to en/de/zh/other; None when blank (to be detected)."""
    if _is_blank(value):
        return None
    tag = re.split(r"[-_]", str(value).strip().lower())[0]
    aliases = {"eng": "en", "english": "en", "ger": "de", "deu": "de", "german": "de",
               "zho": "zh", "chi": "zh", "cmn": "zh", "chinese": "zh"}
    tag = aliases.get(tag, tag)
    return tag if tag in LANGS else "other"


def _missing_columns_error(source: str, missing: list[str], found: list[str], kind: str) -> ContractError:
    return ContractError(
        f"{source}: the {kind} table has no column {', '.join(repr(c) for c in missing)} "
        f"(required: {', '.join(POST_REQUIRED if kind == 'posts' else INCIDENT_REQUIRED)}). "
        f"Columns found: {', '.join(map(str, found)) or 'none'}. Rename your columns to the contract "
        f"names (see README, 'Data contract') or use an adapter from socialnlp.io.adapters."
    )


def _raise_first(result: ReadResult) -> None:
    r = result.rejects.iloc[0]
    more = f" ({result.n_rejected - 1} more rows rejected)" if result.n_rejected > 1 else ""
    raise ContractError(f"{r['source']}: row {r['row']}, column '{r['column']}': {r['reason']}{more}")


def check_ids(frame: pd.DataFrame, id_column: str, source: str, rows: pd.Series | None
              ) -> tuple[pd.DataFrame, pd.Series, "_Rejects"]:
    """The checks every contract table starts with: bytes that are not UTF-8 (in any column),
    then a missing or duplicate ``id_column``. Returns a copy with the ids as stripped text,
    the row numbers (1..n unless given) and the rejects collected so far."""
    rows = pd.Series(np.arange(1, len(frame) + 1), dtype="int64") if rows is None else pd.Series(rows).reset_index(drop=True)
    out = frame.copy()
    ids = _as_text(frame[id_column])
    rej = _Rejects(source, rows, ids)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            rej.add(_undecodable(out[col]), str(col), "bytes that are not valid UTF-8; re-save the file as UTF-8")
    out[id_column] = ids.str.strip()
    rej.add(out[id_column].isna().to_numpy(), id_column, f"missing {id_column}")
    dup = out[id_column].duplicated(keep="first").to_numpy() & out[id_column].notna().to_numpy()
    if dup.any():
        first_pos: dict[str, int] = {}
        for pos, v in enumerate(out[id_column]):
            first_pos.setdefault(v, pos)
        rej.add(dup, id_column, (f"duplicate {id_column} (first seen at row {rows.iloc[first_pos[v]]})"
                                 for v in out[id_column][dup]))
    return out, rows, rej


def validate_posts(
    frame: pd.DataFrame,
    *,
    source: str = "<DataFrame>",
    rows: pd.Series | None = None,
    require_time: bool = False,
    strict: bool = False,
    detect_lang: bool = True,
) -> ReadResult:
    """Check a posts table against the contract and split it into accepted and rejected rows.

    ``rows`` gives each row's 1-based position in the source file (defaults to 1..n).
    With ``require_time`` a ``created_at`` column and a time on every row are required.
    ``strict`` raises a :class:`ContractError` for the first bad row instead.
    Missing ``lang`` values are detected from the text (see :mod:`socialnlp.text.lang`).
    """
    frame = frame.reset_index(drop=True)
    required = POST_REQUIRED + (("created_at",) if require_time else ())
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise _missing_columns_error(source, missing, list(frame.columns), "posts")
    n = len(frame)
    out, rows, rej = check_ids(frame, "id", source, rows)

    out["text"] = _as_text(frame["text"])
    rej.add(out["text"].isna().to_numpy(), "text", "empty text")

    if "created_at" in out.columns:
        times, bad = parse_times(frame["created_at"])
        rej.add(bad, "created_at",
                "unparseable time; use ISO-8601 with an offset or Z (2026-03-03T08:14:00Z) or unix seconds/milliseconds, "
                "between the years 1677 and 2262")
        if require_time:
            rej.add(times.isna().to_numpy() & ~bad, "created_at", "missing time (needed for time-based analysis)")
        out["created_at"] = times

    if "label" in out.columns:
        raw = _as_text(frame["label"])
        mapped = raw.map(lambda v: None if v is None else _LABEL_VALUES.get(v.strip().lower(), -1))
        bad = (mapped == -1).to_numpy()
        rej.add(bad, "label", (f"label {v!r} is not one of 1/0/issue/noise" for v in raw[bad]))
        out["label"] = pd.array([None if (m is None or m == -1) else m for m in mapped], dtype="Int8")

    for col in ("platform", "author", "incident_id"):
        if col in out.columns:
            out[col] = _as_text(frame[col])

    result_mask = rej.mask(n)
    accepted = out.loc[~result_mask].reset_index(drop=True)
    accepted["lang"] = _languages(accepted, detect_lang)
    for col in ("id", "text"):
        accepted[col] = accepted[col].astype(str)
    result = ReadResult(table=accepted, rejects=rej.frame(), source=source, n_read=n)
    if strict and result.n_rejected:
        _raise_first(result)
    return result


def _languages(table: pd.DataFrame, detect: bool) -> pd.Series:
    if "lang" in table.columns:    # a column of a few distinct tags: normalise each tag once
        tags = table["lang"].astype(object)
        try:
            given = tags.map({t: normalize_lang(t) for t in pd.unique(tags.dropna())}).astype(object)
            given[given.isna()] = None
        except TypeError:          # unhashable values: one by one
            given = tags.map(normalize_lang)
    else:
        given = pd.Series([None] * len(table), dtype=object)
    todo = given.isna().to_numpy()
    if todo.any():
        if detect:
            from socialnlp.text.lang import detect_languages

            given.loc[todo] = detect_languages(table.loc[todo, "text"].tolist())
        else:
            given.loc[todo] = "other"
    return given.astype(str)


def validate_incidents(
    frame: pd.DataFrame, *, source: str = "<DataFrame>", rows: pd.Series | None = None, strict: bool = False
) -> ReadResult:
    """Check an incidents table (``incident_id``, ``start``, optional ``declared``, ``title``)."""
    frame = frame.reset_index(drop=True)
    missing = [c for c in INCIDENT_REQUIRED if c not in frame.columns]
    if missing:
        raise _missing_columns_error(source, missing, list(frame.columns), "incidents")
    n = len(frame)
    out, rows, rej = check_ids(frame, "incident_id", source, rows)
    start, bad = parse_times(frame["start"])
    rej.add(bad, "start", "unparseable time; use ISO-8601 with an offset or Z, or unix seconds/milliseconds")
    rej.add(start.isna().to_numpy() & ~bad, "start", "missing start (incident onset)")
    out["start"] = start
    if "declared" in out.columns:
        declared, bad = parse_times(frame["declared"])
        rej.add(bad, "declared", "unparseable time; use ISO-8601 with an offset or Z, or unix seconds/milliseconds")
        out["declared"] = declared
    else:
        out["declared"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    out["title"] = _as_text(frame["title"]) if "title" in out.columns else None
    accepted = out.loc[~rej.mask(n)].reset_index(drop=True)
    result = ReadResult(table=accepted, rejects=rej.frame(), source=source, n_read=n)
    if strict and result.n_rejected:
        _raise_first(result)
    return result
