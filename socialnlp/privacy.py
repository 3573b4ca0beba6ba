"""Protect authors: keyed pseudonyms for handles and @mentions, and short quotes.

A handle is a name with little entropy: a plain hash of ``@ffm_lena`` is reversed by hashing
a list of handles. So a pseudonym is a keyed hash (HMAC-SHA256) under a secret key, taken from
an argument, a key file or ``$SOCIALNLP_PSEUDONYM_KEY``. Without a key a random one is drawn per
:class:`Pseudonymizer`: pseudonyms are then stable within a run (distinct-author counts and
bursts stay right) but not across runs, and the key is never written anywhere.

The same handle gets the same pseudonym wherever it occurs: as an author (``@ffm_lena``,
``奶茶续命中``), as a mention in a text (``RT @ffm_lena:``, ``给@维络客服点个赞``) or in a Weibo
repost chain (``//@奶茶续命中:``). An author written with a leading ``@`` keeps it, one without
keeps none, so the mapping is one-to-one on what the detector counts.

>>> p = Pseudonymizer(key="not-a-real-secret")
>>> p.pseudonymize_text("RT @ffm_lena: Internet weg @VelonetHilfe") == (
...     f"RT {p.pseudonym('@ffm_lena')}: Internet weg {p.pseudonym('@VelonetHilfe')}")
True
>>> truncate_quote("Seit heute Morgen kein Internet in Frankfurt", 20)
'Seit heute Morgen…'
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from socialnlp.io.contract import _is_blank

log = logging.getLogger(__name__)

KEY_ENV = "SOCIALNLP_PSEUDONYM_KEY"
TEXT_COLUMNS = ("text", "sample_texts", "representative_texts")
AUTHOR_COLUMNS = ("author",)
QUOTE_COLUMNS = ("sample_texts", "representative_texts")
MIN_KEY_BYTES = 16

_AT = "@＠"
# Weibo repost chain: "//@昵称:" (the nickname runs to the colon and may hold any character).
REPOST_CHAIN = re.compile(r"//[@＠]([^:：\s/@＠]{1,30})([:：])")
# A mention: "@" not preceded by a Latin letter, digit, "_", "." or another "@" (so e-mail
# addresses are left alone), unlike normalize.MENTION also right after a Chinese character
# ("给@维络客服点个赞"). The run of word characters is cut to a handle in _mention_handle.
MENTION = re.compile(r"(?<![A-Za-z0-9_.@＠])[@＠]([\w\-]{1,30})")
# A mention whose end is certain: its whole run is the handle, and it teaches which handles
# exist for texts where the end is not clear. A Latin handle ends at a space or punctuation; a
# Chinese one only at a space or the end (Weibo puts a space after a mention; in "给@维络客服点个赞，"
# the comma ends the sentence, not the nickname).
DELIMITED_MENTION = re.compile(
    r"(?<![A-Za-z0-9_.@＠])[@＠]([\w\-]{1,30})(?=[\s:：,，、。.!！?？;；)）\]】'\"“”]|$)")
CJK_DELIMITED_MENTION = re.compile(r"(?<![A-Za-z0-9_.@＠])[@＠]([\w\-]{1,30})(?=\s|$)")
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class Pseudonymizer:
    """Keyed, consistent pseudonyms for author handles and @mentions.

    Parameters
    ----------
    key : the secret (str or bytes). Wins over ``key_file`` and ``key_env``.
    key_env : environment variable holding the key (default ``SOCIALNLP_PSEUDONYM_KEY``).
    key_file : file holding the key (surrounding whitespace ignored).
    prefix : what a pseudonym starts with after the optional ``@``.
    digits : hex digits of the HMAC kept. 12 (48 bits) keeps the chance that two of a million
        authors collide near 0.2%; 8 would make collisions certain at that scale.
    ignore_case : one pseudonym for ``@VelonetHelp`` and ``@velonethelp`` (true on Twitter);
        off by default so the mapping never merges two authors the detector tells apart.
    keep : handles left as they are (your own help accounts, e.g. ``("VelonetHelp",)``).

    With none of ``key``, ``key_file`` and ``$key_env``, a random key is drawn once per instance
    (``key_source_ == "random"``): use one instance for a whole run.

    >>> p = Pseudonymizer(key="not-a-real-secret")
    >>> p.pseudonym("@ffm_lena") == "@" + p.pseudonym("ffm_lena")
    True
    """

    def __init__(self, key: str | bytes | None = None, key_env: str | None = KEY_ENV,
                 key_file: str | Path | None = None, *, prefix: str = "user_", digits: int = 12,
                 ignore_case: bool = False, keep: Iterable[str] = ()):
        self.key = key
        self.key_env = key_env
        self.key_file = key_file
        self.prefix = prefix
        self.digits = digits
        self.ignore_case = ignore_case
        self.keep = keep

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymizer(key_source={self.key_source_!r}, prefix={self.prefix!r}, digits={self.digits})"

    def __getstate__(self):
        raise TypeError("a Pseudonymizer holds a secret key and is not pickled; build one per process from the same key")

    # ------------------------------------------------------------------ the key
    @property
    def key_source_(self) -> str:
        """Where the key came from: ``argument``, ``file``, ``env`` or ``random`` (never the key)."""
        self._secret()
        return self._key_source

    def _secret(self) -> bytes:
        if getattr(self, "_key", None) is None:
            self._key, self._key_source = _resolve_key(self.key, self.key_file, self.key_env)
            if not 4 <= int(self.digits) <= 64:
                raise ValueError(f"digits must be between 4 and 64; got {self.digits}")
            self._kept = {self._canonical(h) for h in self.keep}
            self._known: set[str] = set()
        return self._key

    # ------------------------------------------------------------------ handles
    def _canonical(self, handle: str) -> str:
        h = unicodedata.normalize("NFKC", str(handle)).strip().lstrip(_AT).strip()
        return h.casefold() if self.ignore_case else h

    def pseudonym(self, handle: str) -> str:
        """The pseudonym of one handle; a leading ``@`` is kept if the handle had one.

        Blank handles and handles in ``keep`` come back unchanged.
        """
        if _is_blank(handle):
            return handle
        key = self._secret()
        text = str(handle).strip()
        canonical = self._canonical(text)
        if not canonical or canonical in self._kept or self._is_pseudonym(canonical):
            return handle
        digest = hmac.new(key, canonical.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        at = "@" if text[:1] in _AT else ""
        return f"{at}{self.prefix}{digest[: int(self.digits)]}"

    def _is_pseudonym(self, bare: str) -> bool:
        """True for a pseudonym of this format, so pseudonymising twice changes nothing."""
        if getattr(self, "_pseudonym_re", None) is None:
            self._pseudonym_re = re.compile(re.escape(self.prefix) + "[0-9a-f]{%d}" % int(self.digits))
        return bool(self._pseudonym_re.fullmatch(bare))

    def learn_handles(self, handles: Iterable[str]) -> None:
        """Add handles known to exist (authors, clearly ended mentions): a mention whose end is
        unclear (``给@维络客服点个赞``) is cut after the longest known handle it starts with."""
        self._secret()
        for h in handles:
            if not _is_blank(h):
                bare = str(h).strip().lstrip(_AT).strip()
                if bare:
                    self._known.add(bare.lower() if self.ignore_case else bare)

    def learn_from_texts(self, texts: Iterable[str]) -> None:
        """Learn the handles of repost chains and clearly ended mentions in ``texts``."""
        found = []
        for t in texts:
            if isinstance(t, str) and ("@" in t or "＠" in t):
                found += [m.group(1) for m in REPOST_CHAIN.finditer(t)]
                found += [m.group(1).rstrip("-") for m in DELIMITED_MENTION.finditer(t) if not HAN.search(m.group(1))]
                found += [m.group(1).rstrip("-") for m in CJK_DELIMITED_MENTION.finditer(t) if HAN.search(m.group(1))]
        self.learn_handles(found)

    # ------------------------------------------------------------------ texts and tables
    def pseudonymize_text(self, text: str) -> str:
        """Replace every @mention and repost-chain handle in ``text`` by its pseudonym."""
        if not isinstance(text, str) or not ("@" in text or "＠" in text):
            return text
        self._secret()
        text = REPOST_CHAIN.sub(lambda m: "//" + self._as_mention(m.group(1)) + m.group(2), text)
        return MENTION.sub(self._replace_mention, text)

    def _as_mention(self, handle: str) -> str:
        out = self.pseudonym("@" + handle)
        return out if out.startswith("@") else "@" + out  # a kept handle

    def _replace_mention(self, match: re.Match) -> str:
        run = match.group(1)
        handle = self._mention_handle(run)
        return self._as_mention(handle) + run[len(handle):]

    def _mention_handle(self, run: str) -> str:
        """The handle at the start of a mention's run of word characters."""
        probe = run.lower() if self.ignore_case else run
        for end in range(len(run), 0, -1):  # the longest known handle the run starts with
            if probe[:end] in self._known:
                return run[:end]
        if run[:1].isascii():
            han = HAN.search(run)
            if han:  # "@VelonetHelp请" : Twitter handles are ASCII
                run = run[: han.start()]
        return run.rstrip("-") or run

    def pseudonymize_frame(self, df: pd.DataFrame, text_columns: Iterable[str] = TEXT_COLUMNS,
                           author_columns: Iterable[str] = AUTHOR_COLUMNS) -> pd.DataFrame:
        """A copy of ``df`` with handles in ``author_columns`` and mentions in ``text_columns``
        replaced; columns that are absent are skipped.

        A text cell may be a plain string, a JSON list of strings (``sample_texts``) or a list.
        Authors and the clearly ended mentions of the whole table are learnt first, so the same
        handle is cut and replaced the same way in every row.

        >>> p = Pseudonymizer(key="not-a-real-secret")
        >>> df = pd.DataFrame({"author": ["奶茶续命中"], "text": ["求解决//@奶茶续命中:付款失败"]})
        >>> out = p.pseudonymize_frame(df)
        >>> out.loc[0, "text"] == "求解决//@" + out.loc[0, "author"] + ":付款失败"
        True
        """
        out = df.copy()
        authors = [c for c in author_columns if c in out.columns]
        texts = [c for c in text_columns if c in out.columns]
        for c in authors:
            self.learn_handles(out[c].dropna().astype(str).unique())
        for c in texts:
            self.learn_from_texts(t for cell in out[c].to_numpy(dtype=object) for t in _cell_texts(cell))
        for c in authors:
            out[c] = _map_unique(out[c], self.pseudonym)
        for c in texts:
            out[c] = _map_unique(out[c], lambda cell: _map_cell(cell, self.pseudonymize_text))
        return out


def truncate_quote(text: Any, max_chars: int | None = 280) -> Any:
    """At most ``max_chars`` characters of a quote, cut at a word boundary when one lies in the
    last fifth, an ellipsis marking the cut. ``None`` as the limit keeps the text whole.

    >>> truncate_quote("宽带断了一上午，客服电话也打不通", 8)
    '宽带断了一上午…'
    """
    if max_chars is None or not isinstance(text, str):
        return text
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1; got {max_chars}")
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    if space >= 0.8 * len(cut):
        cut = cut[:space]
    return cut.rstrip() + "…"


def truncate_quotes(df: pd.DataFrame, max_chars: int | None, columns: Iterable[str] = QUOTE_COLUMNS) -> pd.DataFrame:
    """A copy of ``df`` whose quote columns (plain strings or JSON lists of strings) hold
    quotes of at most ``max_chars`` characters."""
    out = df.copy()
    if max_chars is None:
        return out
    for c in columns:
        if c in out.columns:
            out[c] = _map_unique(out[c], lambda cell: _map_cell(cell, lambda t: truncate_quote(t, max_chars)))
    return out


# ---------------------------------------------------------------------- helpers
def _resolve_key(key, key_file, key_env) -> tuple[bytes, str]:
    if key is not None:
        secret, source = (key if isinstance(key, bytes) else str(key).encode("utf-8")), "argument"
    elif key_file is not None:
        path = Path(key_file)
        if not path.is_file():
            raise FileNotFoundError(f"pseudonym key file {path} not found")
        secret, source = path.read_bytes().strip(), "file"
        if not secret:
            raise ValueError(f"pseudonym key file {path} is empty")
    elif key_env and os.environ.get(key_env, "").strip():
        secret, source = os.environ[key_env].strip().encode("utf-8"), "env"
    else:
        log.info("no pseudonym key given (argument, key file or $%s): using a random key for this run; "
                 "pseudonyms will differ between runs", key_env)
        return secrets.token_bytes(32), "random"
    if not secret:
        raise ValueError("the pseudonym key is empty")
    if len(secret) < MIN_KEY_BYTES:
        log.warning("the pseudonym key has %d bytes; use at least %d random bytes "
                    "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)", len(secret), MIN_KEY_BYTES)
    return secret, source


def _cell_texts(cell) -> list[str]:
    if isinstance(cell, str):
        items = _json_list(cell)
        return [cell] if items is None else [t for t in items if isinstance(t, str)]
    if isinstance(cell, (list, tuple, np.ndarray)):
        return [t for t in cell if isinstance(t, str)]
    return []


def _map_cell(cell, fn):
    """Apply ``fn`` to the text(s) of a cell, keeping its shape (string, JSON list, list)."""
    if isinstance(cell, str):
        items = _json_list(cell)
        if items is None:
            return fn(cell)
        return json.dumps([fn(t) if isinstance(t, str) else t for t in items], ensure_ascii=False)
    if isinstance(cell, (list, tuple, np.ndarray)):
        mapped = [fn(t) if isinstance(t, str) else t for t in cell]
        return type(cell)(mapped) if isinstance(cell, (list, tuple)) else np.array(mapped, dtype=object)
    return cell


def _json_list(text: str) -> list | None:
    s = text.strip()
    if not (s.startswith("[") and s.endswith("]")):
        return None
    try:
        parsed = json.loads(s)
    except json.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) else None


def _map_unique(series: pd.Series, fn) -> pd.Series:
    """``fn`` over a column, computed once per distinct value (authors repeat a lot)."""
    values = series.to_numpy(dtype=object)
    memo: dict = {}
    out = []
    for v in values:
        try:
            if v not in memo:
                memo[v] = fn(v)
            out.append(memo[v])
        except TypeError:  # unhashable (a list cell)
            out.append(fn(v))
    return pd.Series(out, index=series.index, dtype=object)
