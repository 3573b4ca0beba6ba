"""Text: normalisation, language detection, keyword tokenisation."""
from socialnlp.text.lang import detect_language, detect_languages
from socialnlp.text.normalize import dedup_key, is_retweet, normalize_text
from socialnlp.text.tokenize import tokenize

__all__ = ["normalize_text", "dedup_key", "is_retweet", "detect_language", "detect_languages", "tokenize"]
