"""A fault lexicon in English, German and Chinese: the keyword rule outage trackers use.

It is the baseline to beat, and the keyword-volume spike detector of the evaluation
counts posts that match it. Terms match as lowercase substrings (Chinese has no spaces).
"""
from __future__ import annotations

FAULT_TERMS = {
    "en": ["outage", "down", "not working", "doesn't work", "does not work", "isn't working", "stopped working",
           "crash", "crashing", "crashed", "error", "broken", "can't log", "cannot log", "can't connect", "no internet",
           "no signal", "no service", "no power", "power out", "offline", "failed", "failing", "fails", "won't load",
           "not loading", "disruption", "disrupted", "delay", "delayed", "cancelled", "canceled", "flood", "flooding",
           "fire", "explosion", "collapsed", "damage", "damaged", "injured", "evacuat", "trapped", "earthquake",
           "tornado", "shooting", "emergency", "help", "stuck", "problem", "issue with", "glitch", "bug", "500",
           "404", "lost connection", "slow"],
    "de": ["störung", "ausfall", "fällt aus", "ausgefallen", "geht nicht", "funktioniert nicht", "kaputt", "fehler",
           "kein internet", "kein netz", "kein empfang", "kein strom", "offline", "abgestürzt", "stürzt ab", "absturz",
           "verspätung", "verspätet", "verzögerung", "gesperrt", "defekt", "problem", "evakuier", "überschwemm",
           "hochwasser", "brand", "feuer", "explosion", "unfall", "verletzt", "streik", "signalstörung", "zugausfall",
           "lädt nicht", "hängt", "down", "500", "404", "nicht erreichbar", "stillstand"],
    "zh": ["故障", "断网", "断了", "没网", "网断", "掉线", "宕机", "崩了", "崩溃", "闪退", "打不开", "登不上", "登录不了",
           "无法", "不能用", "用不了", "失败", "错误", "报错", "卡死", "卡顿", "没信号", "没有信号", "停电", "维修", "坏了",
           "延误", "取消", "爆炸", "火灾", "着火", "地震", "洪水", "受伤", "事故", "投诉", "系统繁忙", "异常", "慢", "超时",
           "没送到", "500", "404"],
}


def lexicon_hits(text: str, lang: str | None = None) -> int:
    """How many fault terms the text contains (all languages if ``lang`` is unknown)."""
    s = text.lower()
    langs = [lang] if lang in FAULT_TERMS else list(FAULT_TERMS)
    return sum(term in s for l in langs for term in FAULT_TERMS[l])
