"""Hand alerts to a helpdesk: a JSONL outbox first, then an optional webhook.

The JSONL file is the outbox and the record of truth: one JSON object per alert, written
(status ``pending``) before any delivery is tried, so a webhook that is down never loses an
alert. After each delivery attempt the alert's line is updated by rewriting the file
atomically (a temporary file in the same folder, then ``os.replace``), so the file always
holds one current line per alert and a crash leaves either the old or the new file.
Writers on one machine take a lock on ``<file>.lock`` (POSIX only).

Delivery is at least once: an alert may reach the webhook twice if a run dies between the
send and the status update, so every POST carries ``Idempotency-Key: <alert_id>``.
``retry_pending`` sends whatever is still ``pending`` or ``failed``.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import socket
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from socialnlp.signals.routing import KEYWORD_COLUMNS, as_str_list

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one writer at a time is then the caller's job
    fcntl = None

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUS_COLUMNS = ("alert_id", "incident_id", "team", "status", "attempts", "last_error")
MAX_BACKOFF_SECONDS = 30.0
# 4xx answers other than these mean the payload itself is refused: retrying cannot help.
RETRYABLE_CLIENT_ERRORS = (408, 425, 429)


def iso_utc(value: Any = None) -> str:
    """A time as ISO 8601 UTC with a ``Z`` (naive times are taken as UTC); now if ``None``."""
    ts = pd.Timestamp.now(tz="UTC") if _is_blank(value) else pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_payload(alert: Mapping[str, Any], max_quote_chars: int = 280, max_samples: int = 5) -> dict:
    """The helpdesk payload of one alert row (``incident_id`` required; other fields may be missing).

    Keywords come from ``keywords`` or else ``keywords_en``/``keywords_de``/``keywords_zh``;
    sample texts from ``sample_texts`` or else ``representative_texts``. Without an
    ``alert_id``, one is derived from incident, time and severity, so re-running a window
    does not duplicate its alerts.
    """
    if _is_blank(alert.get("incident_id")):
        raise ValueError(f"an alert needs an incident_id; got {dict(alert)!r:.200}")
    incident_id = _json_value(alert["incident_id"])
    severity = _json_value(alert.get("severity"))
    raw_time = alert.get("alert_time")
    alert_id = alert.get("alert_id")
    if _is_blank(alert_id):
        seed = "|".join(str(v) for v in (incident_id, "" if _is_blank(raw_time) else iso_utc(raw_time), severity))
        alert_id = "alert-" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:16]
    if "keywords" in alert:
        keywords = as_str_list(alert["keywords"], split_words=True)
    else:
        keywords = [w for c in KEYWORD_COLUMNS if c in alert for w in as_str_list(alert[c], split_words=True)]
    texts = as_str_list(alert.get("sample_texts", alert.get("representative_texts")))[:max_samples]
    confidence = _json_value(alert.get("confidence"))
    return {
        "alert_id": str(alert_id),
        "incident_id": incident_id,
        "alert_time": iso_utc(raw_time),
        "severity": severity,
        "team": _json_value(alert.get("team")),
        "confidence": None if confidence is None else round(float(confidence), 4),
        "n_posts": _optional_int(alert.get("n_posts")),
        "n_authors": _optional_int(alert.get("n_authors")),
        "languages": language_counts(alert.get("languages")),
        "keywords": list(dict.fromkeys(keywords)),
        "sample_post_ids": as_str_list(alert.get("sample_post_ids"))[:max_samples],
        "sample_texts": [truncate(t, max_quote_chars) for t in texts],
        "delivery": {"status": PENDING, "attempts": 0, "last_error": None, "last_attempt_at": None, "delivered_at": None},
    }


def language_counts(value) -> dict[str, int]:
    """Posts per language from a dict or its JSON text (``'{"de": 12, "zh": 7}'``); a list of
    language names counts one each."""
    if isinstance(value, str) and value.strip().startswith("{"):
        value = json.loads(value)
    if isinstance(value, dict):
        return {str(k): int(v) for k, v in value.items()}
    return {lang: 1 for lang in as_str_list(value, split_words=True)}


def truncate(text: str, max_chars: int) -> str:
    """At most ``max_chars`` characters, an ellipsis marking a cut."""
    return text if len(text) <= max_chars else text[: max(0, max_chars - 1)].rstrip() + "…"


class JsonlSink:
    """The alert outbox: one JSON object per line, one line per alert.

    >>> sink = JsonlSink("alerts.jsonl")                         # doctest: +SKIP
    >>> sink.write(alerts)            # new alerts appended as pending; known ones left as they are
    """

    def __init__(self, path: str | Path, max_quote_chars: int = 280, max_samples: int = 5):
        self.path = Path(path)
        self.max_quote_chars = max_quote_chars
        self.max_samples = max_samples

    def write(self, alerts: pd.DataFrame | Iterable[Mapping]) -> list[dict]:
        """Append the alerts not yet in the file; returns every given alert's current record."""
        rows = alerts.to_dict("records") if isinstance(alerts, pd.DataFrame) else list(alerts)
        payloads = [alert_payload(r, self.max_quote_chars, self.max_samples) for r in rows]
        with self._lock():
            known = {rec["alert_id"]: rec for rec in self._records()}
            new = [p for p in dict((p["alert_id"], p) for p in payloads).values() if p["alert_id"] not in known]
            if new:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a+b") as f:
                    f.seek(0, os.SEEK_END)
                    if f.tell() > 0:
                        f.seek(-1, os.SEEK_END)
                        if f.read(1) != b"\n":  # a line torn by a crash: keep it, start a new line
                            f.write(b"\n")
                    f.write(b"".join(_line(p) for p in new))
                    f.flush()
                    os.fsync(f.fileno())
            known.update((p["alert_id"], p) for p in new)
        return [known[p["alert_id"]] for p in payloads]

    def read(self) -> list[dict]:
        """Every alert record in the file (lines that are not JSON objects are skipped)."""
        return list(self._records())

    def frame(self) -> pd.DataFrame:
        """The alerts with their delivery status, as a table."""
        return status_frame(self.read())

    def update_delivery(self, alert_id: str, delivery: Mapping[str, Any]) -> dict:
        """Set one alert's delivery fields and rewrite the file atomically; returns the record."""
        with self._lock():
            lines = self.path.read_bytes().splitlines(keepends=True) if self.path.exists() else []
            updated = None
            for i, line in enumerate(lines):
                rec = _parse(line)
                if rec is not None and rec.get("alert_id") == alert_id:
                    rec["delivery"] = {**rec.get("delivery", {}), **delivery}
                    lines[i], updated = _line(rec), rec
            if updated is None:
                raise KeyError(f"{self.path}: no alert {alert_id!r}")
            self._replace(b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines))
        return updated

    def _records(self):
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            for line in f:
                rec = _parse(line)
                if rec is not None:
                    yield rec

    def _replace(self, content: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, self.path.stat().st_mode & 0o777)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextmanager
    def _lock(self):
        if fcntl is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib turns a redirected POST into a GET without the body: a "success" that loses the alert.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class WebhookSink:
    """POSTs each alert as JSON (stdlib ``urllib``), retrying with exponential backoff.

    Parameters
    ----------
    url : ``http://`` or ``https://`` endpoint.
    timeout : seconds allowed for connecting and for each read of the answer.
    retries : attempts after the first (so at most ``retries + 1``) on timeouts, connection
        errors, 5xx, 408, 425 and 429; other 4xx answers and redirects fail at once.
    backoff : seconds before the first retry, doubled for each next one (capped at 30 s).
    headers : extra HTTP headers (an auth token, say).
    """

    def __init__(self, url: str, timeout: float = 5, retries: int = 3, backoff: float = 0.5,
                 headers: Mapping[str, str] | None = None):
        if not str(url).lower().startswith(("http://", "https://")):
            raise ValueError(f"a webhook URL must start with http:// or https://; got {url!r}")
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.headers = headers

    def send(self, payload: Mapping[str, Any]) -> dict:
        """Deliver one alert (its ``delivery`` field is not sent).

        Returns ``{"status": "delivered"|"failed", "attempts": n, "last_error": str|None}``.
        """
        body = json.dumps({k: v for k, v in payload.items() if k != "delivery"}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "socialnlp-alerts",
                   "Idempotency-Key": str(payload.get("alert_id", "")), **dict(self.headers or {})}
        opener = urllib.request.build_opener(_NoRedirects())
        error = None
        attempts = 0
        for attempt in range(max(0, int(self.retries)) + 1):
            if attempt:
                time.sleep(min(MAX_BACKOFF_SECONDS, self.backoff * 2 ** (attempt - 1)))
            attempts += 1
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            error, retryable = self._post(opener, request)
            if error is None:
                return {"status": DELIVERED, "attempts": attempts, "last_error": None}
            if not retryable:
                break
        return {"status": FAILED, "attempts": attempts, "last_error": error}

    def _post(self, opener, request) -> tuple[str | None, bool]:
        """``(None, _)`` on a 2xx answer, else ``(error, whether a retry may help)``."""
        try:
            with opener.open(request, timeout=self.timeout) as response:
                response.read(1024)
            return None, False
        except urllib.error.HTTPError as err:
            detail = err.read(200).decode("utf-8", "replace").strip() if err.fp is not None else ""
            message = f"HTTP {err.code} {err.reason}" + (f": {detail}" if detail else "")
            return message, err.code >= 500 or err.code in RETRYABLE_CLIENT_ERRORS
        except (TimeoutError, socket.timeout):
            return f"timeout after {self.timeout} s", True
        except urllib.error.URLError as err:
            reason = err.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                return f"timeout after {self.timeout} s", True
            return f"connection failed: {reason}", True
        except (OSError, http.client.HTTPException) as err:  # reset, closed or garbled mid-answer
            return f"connection failed: {type(err).__name__}: {err}", True


def deliver(alerts: pd.DataFrame, jsonl_path: str | Path, webhook: WebhookSink | str | None = None,
            max_quote_chars: int = 280) -> pd.DataFrame:
    """Write the alerts to the JSONL outbox, then POST those not yet delivered to the webhook.

    Without a webhook the alerts stay ``pending`` in the file (the file is the hand-off, and
    :func:`retry_pending` can send them later). Returns one row per alert:
    ``alert_id, incident_id, team, status, attempts, last_error``.

    >>> deliver(alerts, "out/alerts.jsonl", WebhookSink("https://helpdesk.example/hook"))   # doctest: +SKIP
    """
    sink = JsonlSink(jsonl_path, max_quote_chars=max_quote_chars)
    records = sink.write(alerts)
    if webhook is not None:
        webhook = WebhookSink(webhook) if isinstance(webhook, str) else webhook
        records = [_send(sink, webhook, rec) if rec["delivery"]["status"] != DELIVERED else rec for rec in records]
    return status_frame(records)


def retry_pending(jsonl_path: str | Path, sink: WebhookSink) -> pd.DataFrame:
    """Send every alert in the outbox that is still ``pending`` or ``failed``; returns their statuses."""
    outbox = JsonlSink(jsonl_path)
    todo = [rec for rec in outbox.read() if rec.get("delivery", {}).get("status") in (PENDING, FAILED)]
    return status_frame([_send(outbox, sink, rec) for rec in todo])


def _send(outbox: JsonlSink, webhook: WebhookSink, record: dict) -> dict:
    result = webhook.send(record)
    previous = record.get("delivery", {})
    now = iso_utc()
    delivery = {
        "status": result["status"],
        "attempts": int(previous.get("attempts") or 0) + int(result["attempts"]),
        "last_error": result["last_error"],
        "last_attempt_at": now,
        "delivered_at": now if result["status"] == DELIVERED else previous.get("delivered_at"),
    }
    return outbox.update_delivery(record["alert_id"], delivery)


def status_frame(records: list[dict]) -> pd.DataFrame:
    rows = [(r.get("alert_id"), r.get("incident_id"), r.get("team"), r.get("delivery", {}).get("status"),
             int(r.get("delivery", {}).get("attempts") or 0), r.get("delivery", {}).get("last_error")) for r in records]
    return pd.DataFrame(rows, columns=list(STATUS_COLUMNS)).astype({"attempts": "int64"})


def _line(record: Mapping) -> bytes:
    return (json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _parse(line: bytes) -> dict | None:
    try:
        rec = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return rec if isinstance(rec, dict) and "alert_id" in rec else None


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _json_value(value: Any):
    """Scalars as plain JSON types: numpy numbers unwrapped, blanks as None, times as ISO Z."""
    if _is_blank(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (pd.Timestamp, datetime)):
        return iso_utc(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _optional_int(value: Any) -> int | None:
    value = _json_value(value)
    return None if value is None else int(value)
