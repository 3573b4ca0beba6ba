"""Language detection restricted to what socialnlp serves: en, de, zh, and other.

Lingua is told about the three served languages and the languages most often
confused with them, so that a French or Japanese post becomes ``other`` instead of
a forced guess. Chinese is settled by script first: Han characters without kana or
hangul are Chinese, whatever the Latin handles and links around them say.
"""
from __future__ import annotations

import re
from functools import lru_cache

from socialnlp.text.normalize import normalize_text

HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
LETTER = re.compile(r"[^\W\d_]")
_SERVED = {"ENGLISH": "en", "GERMAN": "de", "CHINESE": "zh"}
_OTHERS = ("FRENCH", "SPANISH", "ITALIAN", "PORTUGUESE", "DUTCH", "DANISH", "SWEDISH",
           "BOKMAL", "POLISH", "TURKISH", "INDONESIAN", "TAGALOG", "RUSSIAN", "ARABIC",
           "JAPANESE", "KOREAN", "AFRIKAANS", "LATIN")
# Below this many letters a post is too short to tell; it is taken as English, the
# most common language of such fragments ("ok", "lol", "wifi down").
MIN_LETTERS = 3


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    langs = [getattr(Language, n) for n in (*_SERVED, *_OTHERS)]
    return LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()


def detect_language(text: str) -> str:
    """One post's language: ``en``, ``de``, ``zh`` or ``other``."""
    return detect_languages([text])[0]


def detect_languages(texts: list[str]) -> list[str]:
    """Languages of many posts (batched through lingua)."""
    out: list[str | None] = [None] * len(texts)
    todo_idx, todo_txt = [], []
    for i, t in enumerate(texts):
        clean = normalize_text(t, drop_emoji=True, mentions="drop").replace("URL", " ")
        han = len(HAN.findall(clean))
        if han and not KANA_HANGUL.search(clean) and han >= 0.3 * max(1, len(LETTER.findall(clean))):
            out[i] = "zh"
        elif len(LETTER.findall(clean)) < MIN_LETTERS:
            out[i] = "en" if LETTER.search(clean) else "other"
        else:
            todo_idx.append(i)
            todo_txt.append(clean)
    if todo_txt:
        for i, lang in zip(todo_idx, _detector().detect_languages_in_parallel_of(todo_txt)):
            out[i] = _SERVED.get(lang.name, "other") if lang is not None else "other"
    return out  # type: ignore[return-value]
