"""What a word is: the one word counter and the one definition of CJK text that stripping shares.

Rule ``max_words``, body-line detection, caption limits and site-line learning all count words with
:func:`count_words`, so one line has one length everywhere. A word is a run of word characters
(``\\w+``: letters, digits, underscore), except in Chinese, Japanese and Korean text, which a run
would count as one word however long the sentence: there every two :data:`CJK` characters count as
one word (rounded up), about what a translation into English would count.

>>> count_words("The council met on Tuesday.")
5
>>> count_words("国务院总理在人民大会堂作政府工作报告。")  # 18 Han characters
9
>>> count_words("iPhone 15 Pro在中国发布")  # 3 words, then 5 Han characters
6
"""

from __future__ import annotations

import re

#: Han ideographs: the iteration and number marks (々〆〇, Hangzhou numerals), the Unified Ideographs
#: with every extension (A in the BMP, B to I in planes 2 and 3) and the compatibility ideographs.
HAN = "\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
#: Hiragana and Katakana letters and marks (not the middle dot ・ nor the double hyphen ゠, which are
#: punctuation), the phonetic extensions, half-width Katakana and the Kana supplements.
KANA = "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f\U0001aff0-\U0001b16f"
#: Hangul: syllables, the Jamo and their extensions, compatibility and half-width Jamo.
HANGUL = "\u1100-\u11ff\u3131-\u318e\ua960-\ua97c\uac00-\ud7a3\ud7b0-\ud7fb\uffa0-\uffdc"
#: One CJK character: Han, Kana or Hangul.
CJK = re.compile(f"[{HAN}{KANA}{HANGUL}]")
_WORD = re.compile(r"\w+")


def count_words(line: str) -> int:
    """The words in ``line``: runs of ``\\w`` outside CJK text, plus one per two CJK characters (rounded up).

    >>> count_words("ソニーは14日、新型ゲーム機を発表した。"), count_words("서울시는 화요일 새 예산안을 승인했다.")
    (9, 8)
    """
    cjk = len(CJK.findall(line))
    if not cjk:
        return len(_WORD.findall(line))
    return len(_WORD.findall(CJK.sub(" ", line))) + (cjk + 1) // 2
