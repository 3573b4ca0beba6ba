"""Tokens for keywords, per language: jieba words for Chinese, words for German and English.

Chinese is segmented by jieba-rs (``rjieba``), the Rust port of jieba with its dictionary and
HMM: 15.5x faster than jieba on the benchmark's Chinese posts (11.4 against 177.1 microseconds
a post); 98.6 % of posts get the same keyword tokens and none of the differing tokens holds a
Han character: jieba-rs keeps Latin words with hyphens whole ("wi-fi"), as the German and
English tokens do (``benchmarks/keyword_tokens.py``).

Stop words are removed in all three languages; so are the placeholders that
normalisation leaves (``URL``, ``@user``). Numbers of three or more digits stay:
"500" and "404" are what an outage is called.
"""
from __future__ import annotations

import re
from functools import lru_cache

from socialnlp.text.normalize import fold_text

# scikit-learn's ENGLISH_STOP_WORDS (BSD-3-Clause; tests/test_text.py checks the copy): importing
# scikit-learn for them alone cost about a second of CPU in a process that only tokenises
ENGLISH_STOP_WORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also although
always am among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere
are around as at back be became because become becomes becoming been before beforehand behind being
below beside besides between beyond bill both bottom but by call can cannot cant co con could
couldnt cry de describe detail do done down due during each eg eight either eleven else elsewhere
empty enough etc even ever every everyone everything everywhere except few fifteen fifty fill find
fire first five for former formerly forty found four from front full further get give go had has
hasnt have he hence her here hereafter hereby herein hereupon hers herself him himself his how
however hundred i ie if in inc indeed interest into is it its itself keep last latter latterly least
less ltd made many may me meanwhile might mill mine more moreover most mostly move much must my
myself name namely neither never nevertheless next nine no nobody none noone nor not nothing now
nowhere of off often on once one only onto or other others otherwise our ours ourselves out over own
part per perhaps please put rather re same see seem seemed seeming seems serious several she should
show side since sincere six sixty so some somehow someone something sometime sometimes somewhere
still such system take ten than that the their them themselves then thence there thereafter thereby
therefore therein thereupon these they thick thin third this those though three through throughout
thru thus to together too top toward towards twelve twenty two un under until up upon us very via
was we well were what whatever when whence whenever where whereafter whereas whereby wherein
whereupon wherever whether which while whither who whoever whole whom whose why will with within
without would yet you your yours yourself yourselves
""".split())
GERMAN_STOP_WORDS = frozenset("""
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes auch auf aus bei
beim bin bis bist da dabei dadurch dafür dagegen daher damit dann dar darauf darum das dass daß dein deine
deinem deinen deiner dem den denn der deren des dessen dich die dies diese diesem diesen dieser dieses dir doch
dort du durch ein eine einem einen einer eines einfach einmal er es etwas euch euer eure für gegen gewesen hab
habe haben hat hatte hätte hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im immer in ins ist ja
jede jedem jeden jeder jetzt kann kein keine keinem keinen keiner können könnte man manche mehr mein meine
meinem meinen meiner mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne schon sehr sein seine
seinem seinen seiner seit sich sie sind so solche soll sollte sondern sonst um und uns unser unsere unter viel
vom von vor war waren warum was weil welche welchem welchen welcher wenn wer werde werden wie wieder will wir
wird wo wurde würde zu zum zur zwar über mal heute gerade echt ganz gibt geht gar halt eben wohl mehr ne nen
""".split())
CHINESE_STOP_WORDS = frozenset("""
的 了 和 是 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 她们 它们 这个 那个 这些 那些 自己 什么 怎么 为什么 因为 所以
但是 可是 然后 如果 虽然 还是 已经 现在 时候 这样 那样 一下 一些 一直 还有 不是 就是 也是 可以 不能 没 很 也 又 在 有
我 你 他 她 它 吗 呢 吧 啊 哦 呀 嘛 哈 哈哈 哈哈哈 这 那 把 被 给 让 从 到 对 向 于 为 以 将 来 去 说 要 会 能 好 个 上 下 中
里 啦 么 之 其 些 等 等等 才 再 还 吧 每 各 您 请 谢谢 真的 今天 一样 大家 觉得 知道 回复 转发 微博 网页 链接 全文 展开
""".split())
PLACEHOLDERS = frozenset({"url", "user", "rt", "amp", "http", "https"})
STOP_WORDS = {"en": ENGLISH_STOP_WORDS | PLACEHOLDERS,
              "de": GERMAN_STOP_WORDS | PLACEHOLDERS,
              "zh": CHINESE_STOP_WORDS | PLACEHOLDERS}
WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _jieba():
    """jieba-rs's ``cut`` (its dictionary loads in about 0.15 s, on the first call)."""
    import rjieba

    return rjieba.cut


def tokenize(text: str, lang: str) -> list[str]:
    """Keyword tokens of one post.

    >>> tokenize("宽带断了一上午，客服电话也打不通", "zh")
    ['宽带', '断', '一上午', '客服', '电话', '打', '不通']
    """
    return tokenize_folded(fold_text(text), lang)


def tokenize_folded(s: str, lang: str) -> list[str]:
    """:func:`tokenize` of a text already folded by :func:`fold_text`."""
    if lang == "zh" or HAN.search(s):
        stop = _STOP_WITH_ZH.get(lang, _STOP_WITH_ZH["en"])
        words = [w.strip() for w in _jieba()(s)]
    else:
        stop = _STOP.get(lang, _STOP["en"])
        words = WORD.findall(s)
    return [w for w in words if _keep(w) and w not in stop]


# a post's stop words: its language's and English ones (quoted English is common), and Chinese
# ones wherever Han characters occur
_STOP = {lang: words | STOP_WORDS["en"] for lang, words in STOP_WORDS.items()}
_STOP_WITH_ZH = {lang: words | STOP_WORDS["zh"] for lang, words in _STOP.items()}


def _keep(word: str) -> bool:
    if not word or not WORD.fullmatch(word):
        return False
    if word.isdigit():
        return len(word) >= 3
    if HAN.search(word):
        return True
    return len(word) >= 2
