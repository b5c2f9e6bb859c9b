"""Regression cases as data (as ftfy keeps its own), and the one word counter on CJK text.

Every case in ``tests/data/cases/*.json`` runs through ``Cleaner(Config()).clean()``, one test id per
case (its ``label``):

- ``normalize.json``: ``{label, original, fixed, codes}``: the normalised text and the NRM codes of what
  normalisation changed;
- ``strip.json``: ``{label, text, removed, kept}``: ``text`` is the article's lines, ``removed`` the
  ``[line, code]`` pairs (1-based, in the normalised text) the built-in rules take out (``[line, code, column]``
  when a ``cut`` rule took the line from that column on), ``kept`` the lines
  of the cleaned text;
- ``unchanged.json``: ``{label, text}``: article text in several languages (quotes, dashes, lists,
  numbers, addresses inside sentences, sentences that start like bylines, one-line paragraphs within
  the body) that must come out as it went in: nothing removed, nothing fixed, only blank lines dropped.

``note`` explains a case. ``bug`` marks a known defect outside the cleaning code (a rule pack), saying
what is wrong and where: the case is a strict xfail, so fixing the defect shows as a failure that asks
for the mark to go.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaner import learn
from cleaner.cleaning import Cleaner
from cleaner.config import Config, StripConfig
from cleaner.learn import SiteLines, line_key
from cleaner.rulebook import Rulebook
from cleaner.strip import BODY_MIN_WORDS, CAPTION_MAX_WORDS, is_body_line
from cleaner.text import count_words

CASES = Path(__file__).parent / "data" / "cases"
KEYS = {
    "normalize.json": {"label", "original", "fixed", "codes"},
    "strip.json": {"label", "text", "removed", "kept"},
    "unchanged.json": {"label", "text"},
}
OPTIONAL = {"note", "bug"}
CLEANER = Cleaner(Config())


def load(name: str) -> list[dict]:
    return json.loads((CASES / name).read_text(encoding="utf-8"))


def params(name: str) -> list:
    marks = lambda case: [pytest.mark.xfail(strict=True, reason=case["bug"])] if "bug" in case else []
    return [pytest.param(case, id=case["label"], marks=marks(case)) for case in load(name)]


@pytest.mark.parametrize("name", sorted(KEYS))
def test_case_files_are_well_formed(name):
    """A misspelt key would make a case test nothing; a repeated label would hide one."""
    cases = load(name)
    assert cases
    for case in cases:
        assert KEYS[name] <= set(case) <= KEYS[name] | OPTIONAL, case.get("label")
    labels = [case["label"] for case in cases]
    assert len(labels) == len(set(labels))


@pytest.mark.parametrize("case", params("normalize.json"))
def test_normalize(case):
    cleaned = CLEANER.clean(case["original"])
    assert cleaned.normalized == case["fixed"]
    assert cleaned.steps == case["codes"]


@pytest.mark.parametrize("case", params("strip.json"))
def test_strip(case):
    cleaned = CLEANER.clean("\n".join(case["text"]))
    assert [[r.line, r.rule] + ([r.column] if r.column else []) for r in cleaned.removed] == case["removed"]
    assert cleaned.text.split("\n") == case["kept"]
    # a removal names its line, or with a column (a cut rule) the end of the line it took
    assert [r.text for r in cleaned.removed] == [case["text"][line - 1].strip()[(at[0] - 1 if at else 0) :] for line, _, *at in case["removed"]]


@pytest.mark.parametrize("case", params("unchanged.json"))
def test_unchanged(case):
    text = "\n".join(case["text"])
    cleaned = CLEANER.clean(text)
    assert [(r.line, r.rule, r.text) for r in cleaned.removed] == []
    assert cleaned.fixes == ()
    assert cleaned.normalized == text
    assert cleaned.text.split("\n") == [line for line in case["text"] if line]


# --- one word counter: rule max_words, body lines, captions and learning count CJK text alike -------

WORDS = [
    ("english", "The council met on Tuesday.", 5),
    ("german-compound", "Straßenbahn-Verkehr in Köln", 4),
    ("arabic", "قال المتحدث باسم المنظمة", 4),
    ("chinese", "国务院总理在人民大会堂作政府工作报告。", 9),  # 18 Han characters
    ("japanese", "ソニーは14日、新型ゲーム機を発表した。", 9),  # 16 Kana and Han characters, and "14"
    ("korean", "서울시는 화요일 새 예산안을 승인했다.", 8),  # 16 Hangul syllables
    ("latin-then-han", "iPhone 15 Pro在中国发布", 6),  # 3 words, then 5 Han characters
    ("latin-and-hangul", "KBS 뉴스", 2),
    ("katakana-middle-dot", "ジョー・バイデン大統領", 5),  # the middle dot is punctuation, not part of a word
    ("han-extension-b", "𠮷野家", 2),
    ("half-width-katakana", "ｿﾆｰ", 2),
    ("one-han-character", "图", 1),
    ("punctuation-only", "— · —", 0),
]


@pytest.mark.parametrize("line, words", [pytest.param(line, words, id=name) for name, line, words in WORDS])
def test_count_words(line, words):
    assert count_words(line) == words


BODY = [
    ("english", "The council approved the new budget on Tuesday after a long debate about school funding.", True),
    ("english-too-short", "Nobody was hurt.", False),
    ("english-headline-no-stop", "Council approves new budget after long debate about school funding and road repairs", False),
    ("german-closing-quote", "„Wir haben lange genug verhandelt, jetzt ist die Geduld der Kolleginnen und Kollegen am Ende.“", True),
    ("german-guillemets", "»Wir haben lange genug verhandelt, jetzt ist die Geduld der Kolleginnen und Kollegen am Ende.«", True),
    ("french-guillemets", "« Nous ne céderons pas sur la question des effectifs, ni maintenant ni plus tard », a-t-il dit.", True),
    ("chinese", "国家统计局16日发布数据显示，一季度国内生产总值同比增长5.3%。", True),
    ("chinese-too-short", "一季度国民经济开局良好。", False),  # 11 Han characters: 6 words
    ("japanese", "15日午前9時すぎ、石川県能登地方を震源とする地震があった。", True),
    ("japanese-corner-bracket", "「稼いだ利益を次の成長に向けた投資に回し、電気自動車の開発を急ぎたい」", True),
    ("korean", "서울시는 내년부터 심야 자율주행 버스 노선을 현재 1개에서 5개로 늘린다고 밝혔다.", True),
    ("arabic", "حذرت الأمم المتحدة من أن أكثر من 50 مليون شخص قد يواجهون نقصا حادا في مياه الشرب.", True),
    ("arabic-question-mark", "فما الذي يمكن أن تفعله الحكومات في المنطقة لمواجهة نقص المياه خلال السنوات المقبلة؟", True),
]


@pytest.mark.parametrize("line, body", [pytest.param(line, body, id=name) for name, line, body in BODY])
def test_body_lines_in_every_language(line, body):
    """At least BODY_MIN_WORDS words ending a sentence, with the sentence ends and closing quotes of each language."""
    assert is_body_line(line) is body


def test_limits_are_words_as_count_words_counts_them():
    assert is_body_line("国" * (2 * BODY_MIN_WORDS - 1) + "。")  # 23 characters: 12 words
    assert not is_body_line("国" * (2 * BODY_MIN_WORDS - 2) + "。")  # 22 characters: 11 words
    assert count_words("国" * 2 * CAPTION_MAX_WORDS) == CAPTION_MAX_WORDS


CJK_PACK = """[pack]
name = "zh"
description = "A Chinese site's own lines."

[[rules]]
code = "ZHS001"
name = "more-news-call"
description = "A short call to read more news on the site's pages."
pattern = '^更多'
max_words = 8
must_match = ["更多新闻请访问本报网站"]
must_not_match = ["更多的居民表示，他们支持这项计划，并希望政府尽快公布具体的实施时间表和资金来源。"]
"""
MORE_NEWS, LONG_LINE = "更多新闻请访问本报网站", "更多的居民表示，他们支持这项计划，并希望政府尽快公布具体的实施时间表和资金来源。"


def test_rule_max_words_counts_cjk_in_rules_test_as_in_stripping(tmp_path):
    """`rules test` counted a Chinese sentence as a few words (runs between commas), so it said the long
    example matched, while stripping (two characters a word) kept that line: one line, two lengths."""
    (tmp_path / "zh.toml").write_text(CJK_PACK, encoding="utf-8")
    book = Rulebook.load([tmp_path / "zh.toml"], builtin=False)
    assert count_words(MORE_NEWS) == 6 and count_words(LONG_LINE) == 19
    assert [str(f) for f in book.test()] == []
    article = f"国家统计局16日发布数据显示，一季度国内生产总值同比增长5.3%。\n{LONG_LINE}\n{MORE_NEWS}"
    cleaned = Cleaner(Config(), rulebook=book).clean(article)
    assert [(r.line, r.rule) for r in cleaned.removed] == [(3, "ZHS001")]
    assert LONG_LINE in cleaned.text.split("\n")


def test_learning_skips_cjk_lines_longer_than_max_words():
    """A long Chinese paragraph that every article of a site repeats is article text by length (as
    stripping counts it), so it is not learned; the site's short line is."""
    notice = ("本报记者从市政府获悉，今年全市将新建和改扩建中小学校三十所，新增学位两万个，"
              "同时继续推进老旧小区改造和城市更新工作，并计划在年底前完成全部建设任务，进一步改善居民的居住条件和生活环境。")
    follow = "欢迎关注本报微信公众号"
    assert count_words(notice) > learn.MAX_WORDS >= count_words(follow)
    lines = SiteLines(StripConfig(learn=True))
    for n in range(5):
        lines.add("news.example.cn", f"第{n}条新闻：市议会周二通过了新的预算方案。\n{notice}\n{follow}")
    assert lines.learned() == {"news.example.cn": frozenset({line_key(follow)})}
