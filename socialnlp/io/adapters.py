"""Adapters: public research data sets -> contract posts tables.

One function per format, ``read_<name>(path, *, return_rejects=False)``, mirroring
:func:`socialnlp.io.read_posts`. Each adapter builds a raw table from the files as a
user downloads them and passes it through :func:`validate_posts`, so a bad row goes
to the rejects table with its file and row number and is never lost silently
(``n_read == accepted + rejected``).

Every adapter also maps the data set's own labels to *our* label (1 = issue: the
writer reports a fault, outage, disruption, damage or danger they experience or
observe; 0 = noise) by the written rules in ``docs/labels.md``, and keeps the
original label in ``source_label``. A missing ``label`` means "not usable".

Each data set is one language, so ``lang`` is set from the data set (TREC-IS: from
the tweet's own ``lang``) instead of running language detection on 60k posts; pass
``detect_lang=True`` to detect per post instead.

Summary of all data sets in ``../shared/data``::

    python -m socialnlp.io.adapters --summary [--data DIR]
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
import re
import sys
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from socialnlp.io.contract import POST_COLUMNS, ContractError, ReadResult, empty_rejects, validate_posts

# Tweet IDs after Nov 2010 are snowflakes: the high bits are ms since this epoch.
TWITTER_EPOCH_MS = 1288834974657
# Snowflake IDs are 16+ digits; older, sequential IDs (and row counters passed off as
# IDs) are smaller and carry no time.
MIN_SNOWFLAKE = 10**15
# A decoded time outside this window means the "ID" is not a real tweet ID.
PLAUSIBLE_TWEET_TIMES = (pd.Timestamp("2010-11-04", tz="UTC"), pd.Timestamp("2024-01-01", tz="UTC"))
TWITTER_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"  # "Wed Apr 02 08:54:17 +0000 2014"

PathLike = str | Path
Result = pd.DataFrame | ReadResult


# --------------------------------------------------------------------------- helpers


def tweet_id_time(ids: Iterable) -> pd.Series:
    """UTC post times decoded from tweet IDs; NaT where an ID is not a plausible snowflake.

    ``unix_ms = (id >> 22) + 1288834974657``. Values that are not plain digits (e.g.
    ``6.29E+17`` from a spreadsheet), IDs below :data:`MIN_SNOWFLAKE` and times outside
    :data:`PLAUSIBLE_TWEET_TIMES` give NaT rather than a made-up time.
    """
    ms = [_snowflake_ms(v) for v in ids]
    times = pd.to_datetime(pd.Series(ms, dtype="float64"), unit="ms", utc=True)
    lo, hi = PLAUSIBLE_TWEET_TIMES
    return times.where((times >= lo) & (times < hi))


def _snowflake_ms(value) -> float:
    s = str(value).strip().strip("'\"") if value is not None else ""
    if not s.isdigit() or int(s) < MIN_SNOWFLAKE:
        return np.nan
    return float((int(s) >> 22) + TWITTER_EPOCH_MS)


def twitter_time(value) -> str | None:
    """ISO-8601 UTC from Twitter's ``created_at`` format; blank -> None.

    An unparseable value is returned unchanged so that :func:`validate_posts`
    rejects the row with its number instead of the time vanishing.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or not str(value).strip():
        return None
    try:
        return datetime.strptime(str(value).strip(), TWITTER_TIME_FORMAT).isoformat()
    except ValueError:
        return str(value)


def _require(path: PathLike, what: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise ContractError(f"{path}: not found; download {what} and pass the path to the file or folder")
    return path


def _files(path: Path, pattern: str, what: str) -> list[Path]:
    """The file itself, or the files matching ``pattern`` under a folder (sorted, recursive)."""
    if path.is_file():
        return [path]
    found = sorted(path.rglob(pattern))
    if not found:
        raise ContractError(f"{path}: no {pattern} files in this folder; expected {what}")
    return found


def _check_columns(path: Path, found: Iterable[str], needed: Iterable[str], what: str) -> None:
    missing = [c for c in needed if c not in found]
    if missing:
        raise ContractError(
            f"{path}: no column {', '.join(map(repr, missing))}; columns found: {', '.join(map(str, found))}. "
            f"Is this {what}? Pass the original file, unmodified."
        )


def _bad_rows(path: Path, rows: list[int], reasons: list[str]) -> pd.DataFrame:
    if not rows:
        return empty_rejects()
    return pd.DataFrame({"source": str(path), "row": np.array(rows, dtype="int64"), "id": "", "column": "",
                         "reason": reasons})


def read_csv_records(
    path: Path, *, encoding: str = "utf-8", names: list[str] | None = None
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """A CSV file as ``(values, row_numbers, unsplit_rejects)``, all values as str.

    Row 1 is the first data record (after the header, if any). Records with the wrong
    number of fields are rejected with their row number. UTF-8 files are read with
    surrogate escapes so that one bad byte rejects its row, not the file.
    """
    errors = "surrogateescape" if encoding.lower().replace("-", "") in ("utf8", "utf8sig") else "strict"
    with open(path, encoding=encoding, errors=errors, newline="") as fh:
        reader = csv.reader(fh)
        header = names or [h.strip() for h in next(reader, [])]
        if not header:
            raise ContractError(f"{path}: the file is empty")
        records, rows, bad, why = [], [], [], []
        for row, rec in enumerate(reader, start=1):
            if len(rec) == len(header):
                records.append(rec)
                rows.append(row)
            else:
                bad.append(row)
                why.append(f"row has {len(rec)} fields but {len(header)} were expected; check quoting")
    values = pd.DataFrame(records, columns=header, dtype=object)
    return values, pd.Series(rows, dtype="int64"), _bad_rows(path, bad, why)


def _validate(
    raw: pd.DataFrame,
    rows: pd.Series,
    *,
    source: Path,
    lang: str | None,
    detect_lang: bool,
    unsplit: pd.DataFrame | None = None,
) -> ReadResult:
    """Run one file's raw table through the contract, keeping row numbers for later merges."""
    raw = raw.reset_index(drop=True)
    raw["_row"] = rows.to_numpy()
    if lang is not None and not detect_lang and "lang" not in raw.columns:
        raw["lang"] = lang  # one-language data set: no detection needed
    result = validate_posts(raw, source=str(source), rows=rows, detect_lang=detect_lang)
    if unsplit is not None and len(unsplit):
        result.n_read += len(unsplit)
        merged = pd.concat([unsplit, result.rejects], ignore_index=True)
        result.rejects = merged.sort_values("row", kind="stable").reset_index(drop=True)
    result.table["_file"] = str(source)
    return result


def _combine(parts: list[ReadResult], source: Path) -> ReadResult:
    """Merge per-file results; an ID already accepted from an earlier file is rejected."""
    table = pd.concat([p.table for p in parts], ignore_index=True)
    rejects = [p.rejects for p in parts if len(p.rejects)]
    first = ~table["id"].duplicated(keep="first")
    if not first.all():
        where = table.loc[first].set_index("id")
        dup = table.loc[~first]
        rejects.append(pd.DataFrame({
            "source": dup["_file"].to_numpy(),
            "row": dup["_row"].to_numpy(dtype="int64"),
            "id": dup["id"].to_numpy(),
            "column": "id",
            "reason": [f"duplicate id (first seen in {where.at[i, '_file']} row {where.at[i, '_row']})" for i in dup["id"]],
        }))
        table = table.loc[first]
    table = _standard_columns(table.drop(columns=["_row", "_file"]).reset_index(drop=True))
    return ReadResult(
        table=table,
        rejects=pd.concat(rejects, ignore_index=True) if rejects else empty_rejects(),
        source=str(source),
        n_read=sum(p.n_read for p in parts),
    )


def _standard_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Every contract column plus ``source_label`` first, so that data sets concatenate cleanly."""
    for col in (*POST_COLUMNS, "source_label"):
        if col not in table.columns:
            table[col] = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns, UTC]") if col == "created_at" else None
    first = [*POST_COLUMNS, "source_label"]
    return table[first + [c for c in table.columns if c not in first]]


def _done(parts: list[ReadResult], source: Path, return_rejects: bool) -> Result:
    result = _combine(parts, source)
    return result if return_rejects else result.table


def _single(raw: pd.DataFrame, rows: pd.Series, path: Path, lang: str, detect_lang: bool,
            unsplit: pd.DataFrame, return_rejects: bool) -> Result:
    """Validate a one-file data set and return it like :func:`read_posts` does."""
    result = _validate(raw, rows, source=path, lang=lang, detect_lang=detect_lang, unsplit=unsplit)
    return _done([result], path, return_rejects)


def _labels(values: Iterable) -> pd.Series:
    """Our label as nullable Int8 (1, 0 or <NA> = not usable)."""
    return pd.Series(pd.array(list(values), dtype="Int8"))


# --------------------------------------------------------------------------- English

# On-topic CrisisLex tweets that only express prayers, sympathy or donation appeals
# report nothing observed; they become noise (see docs/labels.md, a keyword heuristic).
SYMPATHY = re.compile(
    r"#pray\w*|\bpray\w*|\bprayers?\b|\bthoughts (?:are|go|and)\b|\bhearts? (?:go|goes|going|is|are) out\b"
    r"|\br\.?i\.?p\b|\brest in peace\b|\bdonat\w*|\bcondolence\w*|\bsympath\w*|\bgod bless\b|\bstay safe\b"
    r"|\bred ?cross\b",
    re.IGNORECASE,
)


def crisislex_label(source_label: str, text: str) -> int | None:
    """off-topic -> 0; on-topic -> 1 unless it matches :data:`SYMPATHY` (-> 0)."""
    source_label = source_label.strip().lower()
    if source_label == "off-topic":
        return 0
    if source_label == "on-topic":
        return 0 if SYMPATHY.search(text) else 1
    return None


def read_crisislex(path: PathLike, *, return_rejects: bool = False, detect_lang: bool = False) -> Result:
    """CrisisLexT6 ``*-ontopic_offtopic.csv`` (one file, or the folder of event folders).

    Columns ``tweet id, tweet, label``; IDs are quoted with single quotes. Time is
    decoded from the tweet ID; ``event`` is the file's event name.
    """
    path = _require(path, "CrisisLexT6 (crisislex.org, *-ontopic_offtopic.csv)")
    parts = [_crisislex_file(f, detect_lang) for f in _files(path, "*-ontopic_offtopic.csv", "CrisisLexT6 event files")]
    return _done(parts, path, return_rejects)


def _crisislex_file(path: Path, detect_lang: bool) -> ReadResult:
    values, rows, unsplit = read_csv_records(path)
    _check_columns(path, values.columns, ("tweet id", "tweet", "label"), "a CrisisLexT6 on-topic/off-topic file")
    ids = values["tweet id"].str.strip().str.strip("'")
    raw = pd.DataFrame({
        "id": ids,
        "text": values["tweet"],
        "created_at": tweet_id_time(ids),
        "platform": "twitter",
        "label": _labels(crisislex_label(l, t) for l, t in zip(values["label"], values["tweet"])),
        "source_label": values["label"].str.strip(),
        "event": path.name.split("-ontopic_offtopic")[0],
    })
    return _validate(raw, rows, source=path, lang="en", detect_lang=detect_lang, unsplit=unsplit)


COMPLAINTS_COLUMNS = ["id", "text", "label", "domain"]


def read_complaints(path: PathLike, *, return_rejects: bool = False, detect_lang: bool = False) -> Result:
    """complaints.csv (Preoţiuc-Pietro et al. 2019): ``id,text,label,domain``, time from the ID.

    The released file has no header row; a header, if present, is skipped.
    """
    path = _require(path, "complaints.csv (Preoţiuc-Pietro et al., ACL 2019)")
    values, rows, unsplit = read_csv_records(path, names=COMPLAINTS_COLUMNS)
    if len(values) and values.iloc[0]["id"].strip().lower() == "id":  # a header row after all
        values, rows = values.iloc[1:].reset_index(drop=True), rows.iloc[1:].reset_index(drop=True) - 1
    src = values["label"].str.strip()
    raw = pd.DataFrame({
        "id": values["id"].str.strip(),
        "text": values["text"],
        "created_at": tweet_id_time(values["id"]),
        "platform": "twitter",
        "label": _labels({"1": 1, "0": 0}.get(v) for v in src),
        "source_label": src,
        "domain": values["domain"].str.strip(),
    })
    return _single(raw, rows, path, "en", detect_lang, unsplit, return_rejects)


DISASTER_LABELS = {"Relevant": 1, "Not Relevant": 0}  # "Can't Decide" -> not usable


# Sequences the Mac Roman step could not hold (the last byte was lost or undefined).
_MOJIBAKE_FIXED = {"\x89\xdb_": "\u2026", "\x89\xdb\x9d": "\u201d"}
_HIGH_RUN = re.compile(r"[\x80-\xff]+")


def repair_mojibake(text: str) -> str:
    """Undo the double encoding in ``disaster_tweets_dfe.csv`` where it can be undone.

    The file's bytes are UTF-8 text that was decoded as Windows-1252 and saved as Mac
    Roman (a right quote is ``\\x89\\xdb\\xaa``). Read as latin-1, each run of non-ASCII
    characters is reversed step by step; a run where a step fails is kept as read.
    """
    for bad, good in _MOJIBAKE_FIXED.items():
        text = text.replace(bad, good)
    return _HIGH_RUN.sub(_repair_run, text)


def _repair_run(match: re.Match) -> str:
    try:
        return match.group().encode("latin-1").decode("mac_roman").encode("cp1252").decode("utf-8")
    except UnicodeError:
        return match.group()


def read_disaster_tweets(path: PathLike, *, return_rejects: bool = False, detect_lang: bool = False) -> Result:
    """disaster_tweets_dfe.csv ("Disasters on Social Media", Figure Eight), a latin-1 file.

    ``id`` is the ``_unit_id``: the ``tweetid`` column is mostly spreadsheet-mangled
    (``6.29E+17``) or a small counter, so a time is decoded only from plausible IDs.
    """
    path = _require(path, "disaster_tweets_dfe.csv (Figure Eight 'Disasters on Social Media')")
    values, rows, unsplit = read_csv_records(path, encoding="latin-1")
    _check_columns(path, values.columns, ("_unit_id", "choose_one", "choose_one:confidence", "text", "tweetid"),
                   "the Figure Eight disaster tweets file")
    src = values["choose_one"].str.strip()
    raw = pd.DataFrame({
        "id": values["_unit_id"].str.strip(),
        "text": values["text"].map(repair_mojibake),
        "created_at": tweet_id_time(values["tweetid"]),
        "platform": "twitter",
        "label": _labels(DISASTER_LABELS.get(v) for v in src),
        "source_label": src,
        "confidence": pd.to_numeric(values["choose_one:confidence"], errors="coerce"),
        "keyword": values["keyword"].replace("", None) if "keyword" in values else None,
        "tweetid": values["tweetid"].str.strip(),
    })
    return _single(raw, rows, path, "en", detect_lang, unsplit, return_rejects)


TRECIS_FILE = re.compile(r"^past\.(?P<event>.+?)\.json(?:\.gz)?$")


def read_trecis(path: PathLike, *, return_rejects: bool = False, detect_lang: bool = False) -> Result:
    """TREC-IS ``past.<event>.json.gz`` (one file or the folder): full tweet JSON lines.

    Time from ``allProperties.created_at``; where it is missing (hurricaneFlorence2018,
    whose Twitter4J ``createdAt`` is in the collector's local time) from the tweet ID.
    ``incident_id`` is the event name from the file name. No label (topic = event).
    """
    path = _require(path, "TREC-IS past event streams (past.<event>.json.gz)")
    files = [f for f in _files(path, "past.*.json*", "TREC-IS past.<event>.json.gz files") if TRECIS_FILE.match(f.name)]
    if not files:
        raise ContractError(f"{path}: not a TREC-IS stream; expected files named past.<event>.json.gz")
    return _done([_trecis_file(f, detect_lang) for f in files], path, return_rejects)


def _trecis_file(path: Path, detect_lang: bool) -> ReadResult:
    records, rows, bad, why = [], [], [], []
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        for row, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                props = json.loads(line)["allProperties"]
            except (ValueError, KeyError, TypeError) as exc:
                bad.append(row)
                why.append(f"not a TREC-IS JSON line with allProperties ({type(exc).__name__})")
                continue
            records.append(_trecis_record(props))
            rows.append(row)
    columns = ["id", "text", "created_at", "lang", "author", "verified", "is_retweet"]
    raw = pd.DataFrame.from_records(records, columns=columns)
    raw["created_at"] = _trecis_times(raw["created_at"], raw["id"])
    raw["platform"] = "twitter"
    raw["incident_id"] = TRECIS_FILE.match(path.name)["event"]
    raw["label"] = _labels([None] * len(raw))
    raw["source_label"] = None
    return _validate(raw, pd.Series(rows, dtype="int64"), source=path, lang=None, detect_lang=detect_lang,
                     unsplit=_bad_rows(path, bad, why))


def _trecis_times(created_at: pd.Series, ids: pd.Series) -> pd.Series:
    """Twitter-format times as UTC; blank ones from the tweet ID; unparseable ones left as read (rejected later)."""
    parsed = pd.to_datetime(created_at, format=TWITTER_TIME_FORMAT, errors="coerce", utc=True)
    out = pd.Series(parsed.astype(object), index=created_at.index, dtype=object)
    unparsed = parsed.isna() & created_at.notna()
    out[unparsed] = created_at[unparsed]
    blank = created_at.isna()
    out[blank] = tweet_id_time(ids[blank]).to_numpy(dtype=object)
    return out


def _trecis_record(p: dict) -> dict:
    """One tweet; the standard schema uses snake_case keys, Twitter4J (Florence) camelCase."""
    text = p.get("full_text") or p.get("text") or p.get("content")  # retweets keep their own "RT @..." text
    lang = p.get("lang")
    verified = p.get("user.verified", p.get("user.isVerified"))
    return {
        "id": p.get("id_str") or p.get("id"),
        "text": text,
        "created_at": p.get("created_at") or None,
        # Twitter's "und" (undetermined) is left blank so detect_lang=True can fill it.
        "lang": None if lang in (None, "", "und") else lang,
        "author": p.get("user.screen_name") or p.get("user.screenName"),
        "verified": None if verified is None else str(verified).lower() == "true",
        "is_retweet": "retweeted_status.id" in p or "retweetedStatus.id" in p or str(text or "").startswith("RT @"),
    }


# --------------------------------------------------------------------------- German

# GermEval aspect categories that describe a fault or disruption (with negative polarity).
GERMEVAL_ISSUE_ASPECTS = ("Sonstige_Unregelmässigkeiten", "Zugfahrt", "Connectivity", "DB_App_und_Website",
                          "Auslastung_und_Platzangebot")
GERMEVAL_PLATFORMS = {"twitter.com": "twitter", "facebook.com": "facebook", "plus.google.com": "googleplus",
                      "youtube.com": "youtube", "instagram.com": "instagram"}
TWEET_URL = re.compile(r"twitter\.com/(?P<user>[^/]+)/status(?:es)?/(?P<id>\d+)")


def germeval_label(relevance: str, opinions: list[tuple[str, str]]) -> int | None:
    """relevance false -> 0; relevant with a negative issue aspect -> 1; other relevant -> 0."""
    relevance = (relevance or "").strip().lower()
    if relevance == "false":
        return 0
    if relevance != "true":
        return None
    issue = any(cat.split("#")[0] in GERMEVAL_ISSUE_ASPECTS and pol == "negative" for cat, pol in opinions)
    return 1 if issue else 0


def read_germeval(path: PathLike, *, return_rejects: bool = False, detect_lang: bool = False) -> Result:
    """GermEval 2017 XML (``germeval2017_*.xml``; one file or a folder).

    ``id`` is the ``<Document id>`` URL. Tweets get their time from the status ID in
    the URL; other sources have none. ``aspects`` lists ``category:polarity`` pairs.
    """
    path = _require(path, "GermEval 2017 (germeval2017_*.xml)")
    files = _files(path, "germeval2017*.xml", "GermEval 2017 XML files")
    return _done([_germeval_file(f, detect_lang) for f in files], path, return_rejects)


def _germeval_file(path: Path, detect_lang: bool) -> ReadResult:
    try:
        docs = ET.parse(path).getroot().findall("Document")
    except ET.ParseError as exc:
        raise ContractError(f"{path}: not well-formed XML ({exc}); re-download the GermEval 2017 file") from None
    raw = pd.DataFrame([_germeval_record(d) for d in docs],
                       columns=["id", "text", "relevance", "sentiment", "aspects", "_opinions", "url"])
    raw["id"] = _unique_ids(raw["id"], raw["text"])
    tweet = raw["url"].str.extract(TWEET_URL)
    raw["created_at"] = tweet_id_time(tweet["id"].fillna(""))
    raw["author"] = tweet["user"].str.replace("\\_", "_", regex=False)
    raw["platform"] = raw["url"].map(_germeval_platform)
    raw["label"] = _labels(germeval_label(r, o) for r, o in zip(raw["relevance"], raw["_opinions"]))
    raw["source_label"] = [f"relevance={r};sentiment={s}" for r, s in zip(raw["relevance"], raw["sentiment"])]
    raw["relevance"] = raw["relevance"].map({"true": True, "false": False})
    raw["split"] = path.stem.replace("germeval2017_", "")
    raw = raw.drop(columns=["_opinions", "url"])
    rows = pd.Series(np.arange(1, len(raw) + 1), dtype="int64")  # row n = the n-th <Document>
    return _validate(raw, rows, source=path, lang="de", detect_lang=detect_lang)


def _germeval_record(doc: ET.Element) -> dict:
    opinions = [(o.get("category", ""), o.get("polarity", "")) for o in doc.iter("Opinion")]
    url = doc.get("id") or ""
    return {
        "id": url,
        "text": _germeval_text(doc.findtext("text")),
        "relevance": (doc.findtext("relevance") or "").strip().lower(),
        "sentiment": (doc.findtext("sentiment") or "").strip().lower() or None,
        "aspects": ";".join(f"{c}:{p}" for c, p in opinions) or None,
        "_opinions": opinions,
        "url": url.replace("\\_", "_"),  # the XML escapes underscores in URLs
    }


def _germeval_text(text: str | None) -> str | None:
    """The literal text ``null`` marks a document whose text was not collected: treat it as empty."""
    return None if text is None or text.strip().lower() == "null" else text


def _unique_ids(ids: pd.Series, texts: pd.Series) -> pd.Series:
    """A repeated Document id gets a stable suffix from its text; the same id and text stay duplicates."""
    dup = ids.duplicated(keep="first") & ids.ne("")
    suffix = texts[dup].fillna("").map(lambda t: hashlib.sha1(t.encode("utf-8")).hexdigest()[:12])
    out = ids.copy()
    out[dup] = ids[dup] + "#" + suffix
    return out


def _germeval_platform(url: str) -> str:
    host = re.sub(r"^https?://(www\.)?", "", url).split("/")[0].lower()
    return GERMEVAL_PLATFORMS.get(host, "web")


# --------------------------------------------------------------------------- Chinese

STC3_ISSUE_SHARE = 0.5   # at least half of the 19 annotators saw a problem stated
STC3_NOISE_SHARE = 0.3   # below this: praise, ads, chatter


def stc3_label(share: float) -> int | None:
    """``first_turn_CNUG0_share`` >= 0.5 -> 1; < 0.3 -> 0; in between (or missing) -> not usable."""
    if share is None or np.isnan(share):
        return None
    if share >= STC3_ISSUE_SHARE:
        return 1
    return 0 if share < STC3_NOISE_SHARE else None


def read_stc3(path: PathLike, *, return_rejects: bool = False, detect_lang: bool = False) -> Result:
    """NTCIR-14 STC-3 DCH-1 helpdesk dialogues (``stc3_dch1_weibo_helpdesk_train.csv``).

    ``first_customer_post`` is the post, ``time_from_mid`` (+08:00) its time. Every
    post @-mentions a company account: mask mentions before training (docs/labels.md).
    """
    path = _require(path, "the STC-3 DCH-1 Weibo helpdesk CSV")
    values, rows, unsplit = read_csv_records(path)
    _check_columns(path, values.columns, ("weibo_mid", "time_from_mid", "first_customer_post", "first_turn_CNUG0_share"),
                   "the STC-3 DCH-1 helpdesk CSV")
    share = pd.to_numeric(values["first_turn_CNUG0_share"], errors="coerce")
    raw = pd.DataFrame({
        "id": values["weibo_mid"].str.strip(),
        "text": values["first_customer_post"],
        "created_at": values["time_from_mid"].str.strip().replace("", None),
        "platform": "weibo",
        "label": _labels(stc3_label(s) for s in share),
        "source_label": values["first_turn_CNUG0_share"].str.strip(),
        "mentions": values["mentions"] if "mentions" in values else None,
    })
    return _single(raw, rows, path, "zh", detect_lang, unsplit, return_rejects)


def read_weibo_complaints(path: PathLike, *, return_rejects: bool = False, detect_lang: bool = False) -> Result:
    """``weibo_complaint_intensity.csv`` (Fang et al. 2022): ``Post,Intensity``, no time, no ID.

    All rows are noise for us (complaints about education policy, not service faults).
    IDs are ``weibo_complaint_intensity:<row>``.
    """
    path = _require(path, "weibo_complaint_intensity.csv (Fang et al., NAACL 2022)")
    values, rows, unsplit = read_csv_records(path)
    _check_columns(path, values.columns, ("Post", "Intensity"), "the Weibo complaint intensity CSV")
    raw = pd.DataFrame({
        "id": [f"{path.stem}:{r}" for r in rows],
        "text": values["Post"],
        "platform": "weibo",
        "label": _labels([0] * len(values)),
        "source_label": values["Intensity"].str.strip(),
    })
    return _single(raw, rows, path, "zh", detect_lang, unsplit, return_rejects)


# A negative waimai review is a service fault when it names late, cold, spilled,
# missing or wrong delivery. Bare 错/少 are left out: 不错 means "good" and 量少 is
# a portion opinion. A keyword heuristic (docs/labels.md).
DELIVERY_FAULT = re.compile(
    r"慢|太晚|晚了|晚到|送晚|迟到|延迟|超时|等了|小时才|小时还|半天|没送到|未送达|还没到|没收到|没到"
    r"|时间太长|时间长|太久|很久|好久才"
    r"|凉了|凉的|都凉|冰凉|凉透|冷了|洒了|洒出|撒了|漏了|漏送|少送|少了|只给了|不齐|缺少|缺了"
    r"|送错|送成|错了|弄错|搞错|拿错|没送|没给"
)


def waimai_label(source_label: str, text: str) -> int | None:
    """positive (1) -> 0; negative (0) with a :data:`DELIVERY_FAULT` keyword -> 1; other negative -> not usable."""
    source_label = source_label.strip()
    if source_label == "1":
        return 0
    if source_label == "0":
        return 1 if DELIVERY_FAULT.search(text) else None
    return None


def read_waimai(path: PathLike, *, return_rejects: bool = False, detect_lang: bool = False) -> Result:
    """``waimai_10k_reviews.csv`` (SophonPlus): ``label,review``; 1 positive, 0 negative; no time, no ID.

    IDs are ``waimai_10k_reviews:<row>``.
    """
    path = _require(path, "waimai_10k.csv (SophonPlus ChineseNlpCorpus)")
    values, rows, unsplit = read_csv_records(path)
    _check_columns(path, values.columns, ("label", "review"), "the waimai_10k reviews CSV")
    raw = pd.DataFrame({
        "id": [f"{path.stem}:{r}" for r in rows],
        "text": values["review"],
        "platform": "waimai",
        "label": _labels(waimai_label(l, t) for l, t in zip(values["label"], values["review"])),
        "source_label": values["label"].str.strip(),
    })
    return _single(raw, rows, path, "zh", detect_lang, unsplit, return_rejects)


CED_FILE = re.compile(r"^(?P<n>\d+)_(?P<code>[0-9A-Za-z]+)_(?P<uid>\d+)\.json$")


def read_ced(path: PathLike, *, return_rejects: bool = False, detect_lang: bool = False) -> Result:
    """CED original Weibo posts (``ced_weibo_originals/*.json``, one JSON object per file).

    File names are ``<n>_<post code>_<user id>.json``: ``id`` is the post code (as in
    weibo.com/<uid>/<code>), ``author`` the user ID. ``time`` is unix seconds (a few
    files give "Wed Aug 08 13:25:02 +0800 2012" instead). All rows are labelled noise.
    """
    path = _require(path, "the CED Weibo originals folder (ced_weibo_originals/*.json)")
    files = _files(path, "*.json", "CED Weibo JSON files")
    records, rows, bad, why = [], [], [], []
    for row, f in enumerate(files, start=1):
        try:
            records.append(_ced_record(f))
            rows.append(row)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            bad.append(row)
            why.append(f"{f.name}: not a CED post ({exc})")
    raw = pd.DataFrame.from_records(records, columns=["id", "text", "created_at", "author", "file", "reposts", "comments"])
    raw["platform"] = "weibo"
    raw["label"] = _labels([0] * len(raw))
    raw["source_label"] = None
    result = _validate(raw, pd.Series(rows, dtype="int64"), source=path, lang="zh", detect_lang=detect_lang,
                       unsplit=_bad_rows(path, bad, why))
    return _done([result], path, return_rejects)


def _ced_record(f: Path) -> dict:
    with open(f, encoding="utf-8") as fh:
        post = json.load(fh)
    m = CED_FILE.match(f.name)
    t = post["time"]
    return {
        "id": m["code"] if m else f.stem,
        "text": post.get("text"),
        "created_at": int(t) if isinstance(t, (int, float)) else twitter_time(t),
        "author": m["uid"] if m else None,
        "file": f.name,
        "reposts": post.get("reposts"),
        "comments": post.get("comments"),
    }


# --------------------------------------------------------------------------- registry

ADAPTERS: dict[str, Callable[..., Result]] = {
    "crisislex": read_crisislex,
    "complaints": read_complaints,
    "disaster_tweets": read_disaster_tweets,
    "trecis": read_trecis,
    "germeval": read_germeval,
    "stc3": read_stc3,
    "weibo_complaints": read_weibo_complaints,
    "waimai": read_waimai,
    "ced": read_ced,
}

# Where each data set lies under ../shared/data (see its README).
DEFAULT_PATHS = {
    "crisislex": "en/crisislex_t6",
    "complaints": "en/complaints.csv",
    "disaster_tweets": "en/disaster_tweets_dfe.csv",
    "trecis": "en/trecis_streams",
    "germeval": "de",
    "stc3": "zh/stc3_dch1_weibo_helpdesk_train.csv",
    "weibo_complaints": "zh/weibo_complaint_intensity.csv",
    "waimai": "zh/waimai_10k_reviews.csv",
    "ced": "zh/ced_weibo_originals",
}


def default_data_dir() -> Path:
    """``$SOCIALNLP_SHARED_DATA``, else ``../shared/data`` beside the repository root."""
    env = os.environ.get("SOCIALNLP_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data"


def read_dataset(name: str, path: PathLike | None = None, **kw) -> Result:
    """Read a public data set by name (see :data:`ADAPTERS`); ``path`` defaults to its place in the shared data."""
    if name not in ADAPTERS:
        raise ContractError(f"unknown data set {name!r}; choose one of: {', '.join(ADAPTERS)}")
    return ADAPTERS[name](default_data_dir() / DEFAULT_PATHS[name] if path is None else path, **kw)


# --------------------------------------------------------------------------- summary


def summarize(result: ReadResult, name: str) -> dict:
    """Counts for one data set: rows, rejects (by reason), labels, posts with a time."""
    t = result.table
    label = t["label"] if "label" in t else pd.Series(pd.NA, index=t.index, dtype="Int8")
    # "duplicate id (first seen at row 7)" and the like are counted as one reason.
    reasons = result.rejects["reason"].str.replace(r" \(.*\)$", "", regex=True).value_counts()
    return {
        "dataset": name,
        "read": result.n_read,
        "accepted": result.n_accepted,
        "rejected": result.n_rejected,
        "label_1": int((label == 1).sum()),
        "label_0": int((label == 0).sum()),
        "label_na": int(label.isna().sum()),
        "with_time": int(t["created_at"].notna().sum()) if "created_at" in t else 0,
        "reasons": "; ".join(f"{n} {r}" for r, n in reasons.items()),
    }


def summary_table(data_dir: Path, names: Iterable[str] = tuple(ADAPTERS)) -> pd.DataFrame:
    rows = []
    for name in names:
        result = ADAPTERS[name](data_dir / DEFAULT_PATHS[name], return_rejects=True)
        rows.append(summarize(result, name))
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m socialnlp.io.adapters",
                                     description="Read the public data sets into contract posts tables.")
    parser.add_argument("--summary", action="store_true", help="print rows read/accepted/rejected and labels per data set")
    parser.add_argument("--data", type=Path, default=default_data_dir(),
                        help="the shared data folder with en/, de/, zh/ (default: %(default)s)")
    parser.add_argument("--only", nargs="+", choices=list(ADAPTERS), help="only these data sets")
    args = parser.parse_args(argv)
    if not args.summary:
        parser.print_help()
        return 0
    if not args.data.is_dir():
        print(f"{args.data}: no such folder; pass --data DIR (the folder with en/, de/, zh/)", file=sys.stderr)
        return 2
    table = summary_table(args.data, args.only or ADAPTERS)
    with pd.option_context("display.max_colwidth", 120, "display.width", 250):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
