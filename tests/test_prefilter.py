"""The rules' literal prefilters never change what a rule matches, only how often its regex runs."""

from __future__ import annotations

import random
import re
import string

import pytest
from hypothesis import given, settings, strategies as st

from cleaner.prefilter import LiteralScan, RulePlan, fold, may_match, required_literals
from cleaner.rulebook import PROBES, Rulebook, parse_rule
from cleaner.strip import find_removals, layout
from cleaner.text import count_words

from tests.conftest import SEEDS_DIR

BOOK = Rulebook.load()


def test_fold_covers_every_character_re_matches_to_an_ascii_letter_case_insensitively():
    ascii_class = re.compile("[a-z]", re.IGNORECASE)
    for code in range(128, 0x110000):
        if 0xD800 <= code < 0xE000:
            continue
        ch = chr(code)
        if ascii_class.fullmatch(ch):
            letter = next(c for c in string.ascii_lowercase if re.fullmatch(c, ch, re.IGNORECASE))
            assert fold(ch) == letter, (hex(code), fold(ch))


@pytest.mark.parametrize(
    "pattern, expected",
    [
        (r"\bsign up for (?:our|the) newsletter\b", {"sign up for our newsletter", "sign up for the newsletter"}),
        (r"^(?:share|tweet)s?$", {"share", "tweet"}),
        (r"(?=.*\bpaywall\b)^.{0,80}$", {"paywall"}),
        (r"^[A-Z]\w+ \w+$", {" "}),
        (r"^\w+$", None),  # nothing literal is required
        (r"(?:copyright|\bx)", {"copyright", "x"}),
        (r"(?:copyright|\w+)", None),  # one branch requires nothing
        (r"ab?c", {"ac", "abc"}),
        (r"(?:ab){2,}c", {"ab"}),
        (r"Ärger", {"ärger"}),
        (r"stra\u017fe", {"stra"}),  # the long s is matched by s and S too: it imposes nothing
    ],
)
def test_required_literals(pattern, expected):
    found = required_literals(pattern, re.IGNORECASE)
    assert (set(found) if found is not None else None) == expected


def _every_line(rule):
    return [*rule.must_match, *rule.must_not_match, *PROBES]


def test_no_shipped_rule_example_is_filtered_out_where_its_pattern_matches():
    checked = 0
    for rule in BOOK:
        for line in _every_line(rule):
            line = line.strip()
            if rule.regex.search(line):
                assert may_match(rule.literals, fold(line)), (rule.code, line)
                checked += 1
    assert checked > 200


_TRICKY = "İıſKkKsSiI ÄÖÜäöüß©–—|@./-"


@st.composite
def _lines(draw):
    """Lines made of pieces of the shipped rules' examples and literals, with case changes and the
    characters case-insensitive matching treats specially."""
    rule = draw(st.sampled_from(BOOK.rules))
    pieces = [*_every_line(rule), *(rule.literals or ())]
    parts = draw(st.lists(st.sampled_from(pieces) | st.text(alphabet=_TRICKY, max_size=4), min_size=1, max_size=4))
    line = " ".join(parts)
    swap = draw(st.sampled_from(["keep", "upper", "lower", "title", "turkish", "long-s"]))
    line = {"keep": line, "upper": line.upper(), "lower": line.lower(), "title": line.title(),
            "turkish": line.replace("i", "ı").replace("I", "İ"), "long-s": line.replace("s", "ſ")}[swap]
    return rule, line.strip()


@settings(max_examples=400, deadline=None)
@given(_lines())
def test_a_line_the_pattern_matches_always_passes_the_prefilter(case):
    rule, line = case
    if rule.regex.search(line):
        assert may_match(rule.literals, fold(line)), (rule.code, line)


def test_the_scan_finds_overlapping_literals_and_their_prefixes():
    scan = LiteralScan([frozenset({"ad", "ad choices"}), frozenset({"comment"}), None, frozenset({"comments", "x y"})])
    assert scan.scan("see comments below") == 0b1110  # "comments" holds "comment"
    assert scan.scan("ad choices") == 0b0101
    assert scan.scan("nothing") == 0b0100  # the set without literals is always a candidate
    assert scan.scan("bad x y") == 0b1101


def _reference(lines, rules, site=None):
    """find_removals as it was before prefilters: every rule tried on every line, in order."""
    stripped = [line.strip() for line in lines]
    words = [count_words(s) if s else 0 for s in stripped]
    where = layout(stripped, words)
    nonblank = [i for i, s in enumerate(stripped) if s]
    order = {i: n for n, i in enumerate(nonblank)}
    removed = {}
    for i in nonblank:
        if i in removed:
            continue
        for rule in rules:
            if not rule.applies_to(site) or rule.where not in ("anywhere", where.position(i)) or not rule.matches(stripped[i]):
                continue
            if rule.action == "cut":  # without ``cuts``, a line whose start a cut rule keeps stays whole
                if rule.cut_at(stripped[i]) == 0:
                    removed[i] = rule.code
                break
            removed[i] = rule.code
            if rule.action == "rest":
                for j in nonblank[order[i] + 1 :]:
                    removed.setdefault(j, rule.code)
            for step, count in ((1, rule.with_next), (-1, rule.with_previous)):
                n = order[i] + step
                while count > 0 and 0 <= n < len(nonblank):
                    j = nonblank[n]
                    if words[j] > 40 or j in removed:
                        break
                    removed[j] = rule.code
                    count -= 1
                    n += step
            break
    return removed


def test_find_removals_decides_as_trying_every_rule_in_order():
    seed_texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))]
    rng = random.Random(7)
    examples = [e for rule in BOOK for e in rule.must_match + rule.must_not_match]
    articles = [text.split("\n") for text in seed_texts]
    for _ in range(60):  # articles of example lines around real paragraphs, in random order and case
        body = rng.sample([line for text in seed_texts for line in text.split("\n") if line.strip()], 4)
        lines = rng.sample(examples, 6) + body + rng.sample(examples, 6)
        articles.append([line.upper() if rng.random() < 0.2 else line for line in lines])
    removed = 0
    for lines in articles:
        expected = _reference(lines, BOOK)
        assert find_removals(lines, BOOK) == expected
        removed += len(expected)
    assert removed > 300


def test_site_rules_and_plans_per_rulebook():
    rule = parse_rule({"code": "SIT001", "name": "site-line", "description": "a site's own line",
                       "pattern": r"^more from the gazette$", "must_match": ["More from the Gazette"],
                       "must_not_match": ["More from elsewhere"], "sites": ["gazette.example"]}, "x.toml", "x")
    book = Rulebook([rule])
    lines = ["More from the Gazette", "Some body text that goes on for quite a few words, as bodies do."]
    assert find_removals(lines, book, site="news.gazette.example") == {0: "SIT001"}
    assert find_removals(lines, book, site="other.example") == {}
    plan = RulePlan(book)
    assert plan.site_mask("gazette.example") == 1 and plan.site_mask(None) == 0


def test_learned_templates_see_a_cut_line_as_it_is_kept_and_may_take_the_rest():
    """Site templates run after the rules: a line a cut rule ended is offered to them as its kept
    start, and a template that takes that start removes the whole line (no cut left behind)."""
    from cleaner.strip import strip_text

    class Templates:  # what find_removals asks of cleaner.learned.SiteLearning
        def __init__(self, take):
            self.take, self.seen = take, []

        def __contains__(self, key):  # no exact repeated line
            return False

        def extend(self, stripped, words, removed):
            self.seen = list(stripped)
            if self.take:
                removed[0] = "TPL001"

    body = "The minister said on Thursday that the new rail line would open in March, two years later than planned."
    text = f"Rail line delayed again We use cookies to improve your experience. Accept all cookies.\n{body}"
    offered = Templates(take=False)
    kept = strip_text(text, BOOK, learned=offered)
    assert offered.seen[0] == "Rail line delayed again"
    assert kept.text == f"Rail line delayed again\n{body}" and kept.cuts == {0: 24}
    taken = strip_text(text, BOOK, learned=Templates(take=True))
    assert taken.text == body and taken.cuts == {}
    assert [(r.line, r.rule, r.column) for r in taken.removed] == [(1, "TPL001", None)]
