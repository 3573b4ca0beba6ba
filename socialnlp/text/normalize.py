"""Text normalisation that keeps meaning for embeddings and keywords.

Social posts carry noise that is not meaning: links, handles, retweet prefixes,
"soooo" and "!!!!!!". We replace links with a placeholder, drop handles, keep the word
of a hashtag (``#Stromausfall`` -> ``Stromausfall``; Weibo ``#话题#`` -> ``话题``), squeeze
character runs to at most three, and keep emoji (they carry sentiment) unless asked.
"""
from __future__ import annotations

import re
import unicodedata

URL = re.compile(r"(?:https?://|www\.)\S+|\b[a-z0-9.-]+\.(?:com|de|cn|net|org|ly|co)/\S*", re.IGNORECASE)
MENTION = re.compile(r"(?<![A-Za-z0-9_.@])@[\w\u4e00-\u9fff\-]{1,30}")  # not e-mail; yes after Chinese text
RT_PREFIX = re.compile(r"^\s*(?:RT|rt)\s*@[\w\-]+:?\s*|^\s*(?:转发微博|//@[^:：]+[:：])\s*")
WEIBO_TOPIC = re.compile(r"#([^#\n]{1,40})#")
HASHTAG = re.compile(r"(?<!\w)#(\w+)")
REPEAT_CHAR = re.compile(r"(.)\1{3,}")
REPEAT_PUNCT = re.compile(r"([!?！？。.,，])\1+")
WHITESPACE = re.compile(r"\s+")
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+")
URL_TOKEN = "URL"
USER_TOKEN = "@user"


def normalize_text(text: str, *, drop_emoji: bool = False, mentions: str = "drop") -> str:
    """Normalise one post for embedding.

    ``mentions``: ``"drop"`` (default) removes handles: a classifier must not learn
    "addresses the helpdesk = issue", and a handle says nothing about what happened;
    ``"mask"`` replaces them with ``@user``; ``"keep"`` leaves them.

    >>> normalize_text("RT @db_bahn: Zug fällt aus!!!! @DB_Info #Stromausfall https://t.co/x")
    'Zug fällt aus! Stromausfall URL'
    """
    # each pattern runs only where the characters it needs occur (a plain substring test costs
    # a fraction of a regex call, and this runs for every post embedded or tokenised)
    s = unicodedata.normalize("NFKC", text)
    if "@" in s or "转发微博" in s:
        s = RT_PREFIX.sub("", s)
    if "/" in s or "www." in s.lower():
        s = URL.sub(URL_TOKEN, s)
    if mentions != "keep" and "@" in s:
        s = MENTION.sub(USER_TOKEN if mentions == "mask" else "", s)
    if "#" in s:
        s = WEIBO_TOPIC.sub(r" \1 ", s)
        s = HASHTAG.sub(r"\1", s)
    if drop_emoji and not s.isascii():
        s = EMOJI.sub(" ", s)
    if any(p + p in s for p in _REPEATABLE):
        s = REPEAT_PUNCT.sub(r"\1", s)
    s = REPEAT_CHAR.sub(r"\1\1\1", s)
    return " ".join(s.split())   # what WHITESPACE.sub(" ", s).strip() gives (the same whitespace), 3x faster


_REPEATABLE = "!?！？。.,，"   # REPEAT_PUNCT's characters


def is_retweet(text: str) -> bool:
    """True for an ``RT @x:`` copy or a Weibo repost of another post."""
    return bool(RT_PREFIX.match(text))


def fold_text(text: str) -> str:
    """The form of a post that dedup keys and keyword tokens start from: normalised without
    emoji and handles, lower case (:func:`dedup_key_folded`, ``tokenize_folded``)."""
    return normalize_text(text, drop_emoji=True, mentions="drop").lower()


def dedup_key(text: str) -> str:
    """A key under which copies of one report collide: retweets, case, links, handles, punctuation."""
    return dedup_key_folded(fold_text(text))


def dedup_key_folded(s: str) -> str:
    """:func:`dedup_key` of a text already folded by :func:`fold_text`."""
    return _NON_WORD.sub("", s.replace(URL_TOKEN.lower(), ""))


_NON_WORD = re.compile(r"[\W_]+")
