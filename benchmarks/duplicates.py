"""Duplicate-level benchmark: a corpus of real article text with known copies, and the figures.

    python -m benchmarks.duplicates [--articles 3000,20000] [--seed 1] [--repeat 3] [--mode run|dedup] [--data PATH]
    python -m benchmarks.duplicates --study    # shingle kinds and alignment scores, tuning half

**The generator** (:func:`build_corpus`, deterministic by ``--seed``) starts from real articles in
``../shared/data``: the distinct texts of the SemEval-2022 Task 8 training pairs and the
ground-truth bodies of the extraction benchmark. Sources that are already near-copies of one
another are dropped (the first is kept), a one-paragraph text is laid out as paragraphs of a few
sentences (its words unchanged), and every fifth source is held out: figures are reported for the
tuning sources and for the held-out ones, which were never looked at while tuning. From each
source it makes, with the truth kept:

* the **original**, dated earliest in its group;
* **copies** at a measured edit level (share of the original's tokens touched, 1-20 %), one kind of
  edit each (:data:`KINDS`: OCR-like typos, dropped words, substituted words, sentences dropped,
  sentences added, paragraphs cut short with "...", a new headline, site furniture lines, mojibake,
  or a mix), some of them copies of an earlier copy (edits add up, measured against the original);
* **truncated copies**: the first 20-80 % of the article ending in "...", "[…]" or a "Read more" line;
* **rewrites** (negatives): the story's paragraphs in another order, some of its sentences left
  out and sentences of other articles put in (at least a third of the rewrite);
* **unrelated articles**: sources with nothing made from them. The SemEval same-event pairs
  (``Overall <= 1.5``) whose two sides are both in the corpus are real different articles about
  one event: negatives too.

Tokens are words, and each CJK character (the tokens ``cleaner`` hashes). Input order is shuffled.

**The benchmark** runs the real library, ``cleaner.Pipeline(Config()).run(docs)`` (normalise,
strip, then the duplicate level on the cleaned text), and reports recall of copy-original pairs per
edit level and kind, truncated-copy recall, pair recall and precision over all pairs of the
grouping, rewrites and same-event pairs grouped as duplicates, and the adjusted Rand index. The
duplicate level's time (signatures + grouping of the cleaned texts) is measured against the
duplicate level as it was before issue 10 (:class:`Baseline`, word 5-gram MinHash and a Jaccard
test, reproduced here), interleaved, best of ``--repeat``; the baseline's grouping is scored too.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

#: The tokens an edit level counts: words, and each CJK character on its own.
TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+(?=\S)|(?<=[。！？])(?=\S)")
KINDS = (
    "typos", "dropped-words", "substituted-words", "sentences-dropped", "sentences-added",
    "paragraph-cut", "headline", "furniture", "mojibake", "mixed",
)
LEVEL_BINS = ((0.0, 0.05), (0.05, 0.10), (0.10, 0.15), (0.15, 0.2000001))
FURNITURE = (
    "Share this article", "Share on Facebook", "Share on Twitter", "Click to share on WhatsApp (Opens in new window)",
    "Advertisement", "ADVERTISEMENT", "Story continues below advertisement", "Sign up for our daily newsletter",
    "Subscribe to our newsletter for the latest news", "Follow us on Twitter and Facebook", "Photo: Reuters",
    "Image copyright Getty Images", "Photo: AFP / File", "Read more:", "Related Articles", "Related: Top stories of the day",
    "Most Read", "This article originally appeared on our partner site.", "Copyright 2021 The Associated Press. All rights reserved.",
    "All rights reserved. This material may not be published, broadcast, rewritten or redistributed.",
    "Updated: 10:42 AM", "Comments", "Leave a comment", "Print this page", "Email this story", "Listen to this article",
    "Download our app for the latest news", "Watch: the latest video from our newsroom", "(Reporting by staff; Editing by the desk)",
    "Continue reading below", "Trending now", "Back to top",
)
TRUNCATION_ENDS = ("...", "…", " [...]", " […]", "\nRead more", "\nRead more »", "\nContinue reading", "\nRead the full story")
OCR = (("rn", "m"), ("m", "rn"), ("l", "1"), ("I", "l"), ("O", "0"), ("e", "c"), ("c", "e"), ("h", "b"), ("d", "cl"), ("i", "í"), ("u", "ü"))


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.casefold())


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _joiner(lang: str | None) -> str:
    return "" if lang in ("zh", "ja") else " "


# ---------------------------------------------------------------- sources


@dataclass
class Source:
    """A real article: ``paragraphs`` (lists of sentences), its language, and which half it is in."""

    key: str
    lang: str | None
    paragraphs: list[list[str]]
    half: str = "tune"
    ntokens: int = 0

    @property
    def text(self) -> str:
        return "\n".join(_joiner(self.lang).join(p) for p in self.paragraphs)


def _layout(text: str, lang: str | None, rng: random.Random) -> list[list[str]]:
    """Paragraphs of sentences; a one-paragraph text is laid out as paragraphs of 2-4 sentences."""
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.replace("\r", "").split("\n")]
    paragraphs = [sentences(line) for line in lines if line]
    if len(paragraphs) == 1 and len(paragraphs[0]) > 5:
        flat, paragraphs = paragraphs[0], []
        while flat:
            k = rng.randint(2, 4)
            paragraphs.append(flat[:k])
            flat = flat[k:]
    return paragraphs


def load_sources(data: Path, seed: int = 1) -> tuple[list[Source], list[tuple[str, str]]]:
    """The distinct real articles (60-4,000 tokens, near-copies of an earlier one dropped) and the
    SemEval same-event pairs (same language, ``Overall <= 1.5``) among them."""
    from cleaner.terms import LanguageGuesser

    rng = random.Random(seed)
    raw: dict[str, tuple[str | None, str]] = {}
    events: list[tuple[str, str]] = []
    csv.field_size_limit(sys.maxsize)
    with (data / "semeval2022-task8" / "training_set.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            a, b = row["pair_id"].split("_")
            for side, lang, text in ((a, row["lang1"], row["text1"]), (b, row["lang2"], row["text2"])):
                raw.setdefault(f"semeval-{side}", (lang, text))
            if row["lang1"] == row["lang2"] and float(row["Overall"]) <= 1.5:
                events.append((f"semeval-{a}", f"semeval-{b}"))
    guesser = LanguageGuesser()
    truth = json.loads((data / "article-extraction-benchmark" / "ground-truth.json").read_text(encoding="utf-8"))
    for key, value in sorted(truth.items()):
        body = value.get("articleBody") or ""
        raw[f"extraction-{key}"] = (guesser.guess(body), body)
    sources = []
    for key, (lang, text) in raw.items():
        source = Source(key, lang, _layout(text, lang, rng))
        source.ntokens = len(tokens(source.text))
        if 60 <= source.ntokens <= 4000:
            sources.append(source)
    sources = _drop_near_copies(sources)
    for n, source in enumerate(sources):
        source.half = "held-out" if n % 5 == 4 else "tune"
    kept = {s.key for s in sources}
    return sources, [(a, b) for a, b in events if a in kept and b in kept]


def _drop_near_copies(sources: list[Source]) -> list[Source]:
    """Sources whose word 3-gram set is not 30 % contained in an earlier source's (or vice versa).

    Candidates come from an inverted index of rare 3-grams, so this stays independent of the
    library under test.
    """
    grams = []
    for source in sources:
        words = tokens(source.text)
        grams.append({tuple(words[i : i + 3]) for i in range(len(words) - 2)})
    df = Counter(g for s in grams for g in s)
    postings: dict[tuple, list[int]] = defaultdict(list)
    kept: list[Source] = []
    for n, (source, own) in enumerate(zip(sources, grams)):
        rare = [g for g in own if df[g] > 1]
        seen = Counter(m for g in rare for m in postings[g])
        if any(c >= 0.3 * min(len(own), len(grams[m])) for m, c in seen.items()):
            continue
        kept.append(source)
        for g in rare:
            postings[g].append(n)
    return kept


# ---------------------------------------------------------------- edits


class Editor:
    """Makes the copies of one source: each method returns (new paragraphs, tokens touched)."""

    def __init__(self, rng: random.Random, vocab: dict, pool: dict):
        self.rng, self.vocab, self.pool = rng, vocab, pool  # lang -> words; lang -> sentences of other articles

    # token-level edits ------------------------------------------------
    def _token_edit(self, paragraphs, lang, count, change) -> tuple[list[list[str]], int]:
        """Apply ``change(token) -> str`` to ``count`` distinct random tokens."""
        spots = [(p, s, m.start(), m.end()) for p, para in enumerate(paragraphs) for s, sent in enumerate(para) for m in TOKEN.finditer(sent)]
        chosen = sorted(self.rng.sample(spots, min(count, len(spots))), key=lambda x: (x[0], x[1], -x[2]))
        out = [list(p) for p in paragraphs]
        for p, s, start, end in chosen:  # right to left within a sentence, so earlier spans stay valid
            sent = out[p][s]
            out[p][s] = sent[:start] + change(sent[start:end], lang) + sent[end:]
        for para in out:
            para[:] = [re.sub(r"\s{2,}", " ", s).strip() for s in para if s.strip()]
        return [p for p in out if p], len(chosen)

    def typo(self, word: str, lang) -> str:
        rng = self.rng
        if len(word) == 1 and _CJK.match(word):
            return rng.choice(self.vocab[lang])[:1]
        for _ in range(8):
            op = rng.randrange(6)
            i = rng.randrange(len(word))
            if op == 0 and len(word) > 1:
                i = min(i, len(word) - 2)
                out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            elif op == 1 and len(word) > 2:
                out = word[:i] + word[i + 1 :]
            elif op == 2:
                out = word[:i] + word[i] + word[i:]
            elif op == 3:
                old, new = rng.choice(OCR)
                out = word.replace(old, new, 1)
            elif op == 4 and len(word) > 3:
                out = word[:i] + rng.choice("aeinorstu") + word[i + 1 :]
            else:
                out = word[: max(1, i)] + " " + word[max(1, i) :] if len(word) > 3 else word + rng.choice("se")
            if out != word:
                return out
        return word + "x"

    def substitute(self, word: str, lang) -> str:
        for _ in range(10):
            new = self.rng.choice(self.vocab[lang])
            if new.casefold() != word.casefold():
                return new.capitalize() if word[:1].isupper() else new
        return word + "s"

    def typos(self, paragraphs, lang, target):
        return self._token_edit(paragraphs, lang, target, self.typo)

    def dropped_words(self, paragraphs, lang, target):
        return self._token_edit(paragraphs, lang, target, lambda word, lang: "")

    def substituted_words(self, paragraphs, lang, target):
        return self._token_edit(paragraphs, lang, target, self.substitute)

    # sentence- and line-level edits ------------------------------------
    def sentences_dropped(self, paragraphs, lang, target):
        out = [list(p) for p in paragraphs]
        spots = [(p, s) for p, para in enumerate(out) for s in range(len(para))]
        self.rng.shuffle(spots)
        touched, gone = 0, set()
        for p, s in spots:
            n = len(tokens(out[p][s]))
            if touched + n > target * 1.25 + 2:
                continue
            gone.add((p, s))
            touched += n
            if touched >= target:
                break
        out = [[s for j, s in enumerate(para) if (i, j) not in gone] for i, para in enumerate(out)]
        return [p for p in out if p], touched

    def sentences_added(self, paragraphs, lang, target):
        out = [list(p) for p in paragraphs]
        touched = 0
        for _ in range(40):
            sent = self.rng.choice(self.pool[lang])
            n = len(tokens(sent))
            if touched + n > target * 1.25 + 2:
                continue
            para = self.rng.choice(out)
            para.insert(self.rng.randint(0, len(para)), sent)
            touched += n
            if touched >= target:
                break
        return out, touched

    def paragraph_cut(self, paragraphs, lang, target):
        out = [list(p) for p in paragraphs]
        touched = 0
        order = list(range(len(out) - 1))  # never the last paragraph: that would be a truncated copy
        self.rng.shuffle(order)
        for p in order:
            words = _joiner(lang).join(out[p])
            spans = list(TOKEN.finditer(words))
            if len(spans) < 8:
                continue
            keep = max(3, len(spans) - max(1, target - touched))
            keep = max(keep, len(spans) // 3)
            touched += len(spans) - keep
            out[p] = [words[: spans[keep - 1].end()] + "..."]
            if touched >= target:
                break
        return out, touched

    def headline(self, paragraphs, lang, target):
        rng = self.rng
        first = paragraphs[0]
        words = [w for w in TOKEN.findall(" ".join(first)) if len(w) > 3] or TOKEN.findall(" ".join(first))
        head = rng.sample(words, min(len(words), rng.randint(3, 6))) + [rng.choice(self.vocab[lang]) for _ in range(rng.randint(1, 3))]
        rng.shuffle(head)
        line = _joiner(lang).join(head)
        line = line[:1].upper() + line[1:]
        touched = len(tokens(line))
        rest = [list(p) for p in paragraphs]
        old = _joiner(lang).join(first)
        if len(first) == 1 and len(tokens(old)) <= 20 and not old.rstrip().endswith((".", "!", "?", "。")):
            touched += len(tokens(old))
            rest = rest[1:]
        return [[line]] + rest, touched

    def furniture(self, paragraphs, lang, target):
        out = [list(p) for p in paragraphs]
        touched = 0
        for _ in range(30):
            line = self.rng.choice(FURNITURE)
            n = len(tokens(line))
            if touched and touched + n > target * 1.25 + 2:
                continue
            where = self.rng.choice((0, len(out), self.rng.randint(0, len(out))))
            out.insert(where, [line])
            touched += n
            if touched >= target:
                break
        return out, touched

    def mojibake(self, paragraphs, lang, target):
        import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)

        out = [list(p) for p in paragraphs]
        order = [p for p in range(len(out)) if not _joiner(lang).join(out[p]).isascii()]
        self.rng.shuffle(order)
        touched = 0
        for p in order:
            before = _joiner(lang).join(out[p])
            after = before.encode("utf-8").decode("sloppy-windows-1252")
            n = _changed_tokens(before, after)
            if touched and touched + n > target * 1.25 + 2:
                continue
            out[p] = [after]
            touched += n
            if touched >= target:
                break
        return out, touched

    def mixed(self, paragraphs, lang, target):
        kinds = self.rng.sample(("typos", "dropped_words", "substituted_words", "sentences_dropped", "sentences_added", "furniture"), 3)
        touched = 0
        for kind in kinds:
            part = max(1, (target - touched) // 2) if kind != kinds[-1] else max(1, target - touched)
            paragraphs, n = getattr(self, kind)(paragraphs, lang, part)
            touched += n
        return paragraphs, touched


def _changed_tokens(before: str, after: str) -> int:
    """Tokens of ``before`` not kept in order in ``after`` (difflib), or added by it."""
    import difflib

    a, b = tokens(before), tokens(after)
    same = sum(block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return max(len(a), len(b)) - same


# ---------------------------------------------------------------- the corpus


@dataclass
class Item:
    """One article of the corpus and its truth: ``group`` is the duplicate group (the source key for an
    original and its copies; the item's own id for a rewrite), ``role`` original/copy/truncated/rewrite."""

    id: str
    text: str
    date: str
    group: str
    role: str
    source: str
    half: str
    kind: str | None = None
    level: float | None = None
    generation: int = 0
    lang: str | None = None
    touched: int = field(default=0, repr=False)


def build_corpus(sources: list[Source], n: int, seed: int = 1) -> list[Item]:
    """``n`` articles made from ``sources`` (see the module docstring), in shuffled input order."""
    rng = random.Random(seed)
    order = list(sources)
    rng.shuffle(order)
    chosen = order[: min(len(order), max(1, n // 3))]
    vocab: dict[str | None, list[str]] = defaultdict(list)
    pool: dict[str | None, list[str]] = defaultdict(list)
    for source in order:
        vocab[source.lang] += [w for w in TOKEN.findall(source.text) if len(w) > 2 or _CJK.match(w)]
        pool[source.lang] += [s for p in source.paragraphs for s in p if 5 <= len(tokens(s)) <= 60]
    editor = Editor(rng, vocab, pool)
    base = datetime(2021, 1, 1, 8, tzinfo=timezone.utc)
    items: list[Item] = []
    groups: dict[str, list[Item]] = {}
    for day, source in enumerate(chosen):
        date = base + timedelta(hours=6 * day)
        original = Item("", source.text, _iso(date), source.key, "original", source.key, source.half, lang=source.lang)
        items.append(original)
        groups[source.key] = [original]
    related = [s for s in chosen if rng.random() < 0.7] or chosen
    while len(items) < n:
        source = rng.choice(related)
        roll = rng.random()
        group = groups[source.key]
        made = _copy(editor, source, group, rng) if roll < 0.70 else _truncated(source, rng) if roll < 0.82 else _rewrite(editor, source, rng)
        if made is None:
            continue
        made.date = _iso(datetime.fromisoformat(group[0].date) + timedelta(hours=rng.randint(-48, 72) if made.role == "rewrite" else rng.randint(1, 72)))
        if made.role != "rewrite":
            group.append(made)
        items.append(made)
    rng.shuffle(items)
    for k, item in enumerate(items):
        item.id = f"a{k:05d}"
        if item.role == "rewrite":
            item.group = item.id
    return items


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _copy(editor: Editor, source: Source, group: list[Item], rng: random.Random) -> Item | None:
    """A copy at a random level of 1-20 %: of the original, or (one in six) of an earlier copy."""
    kind = rng.choice(KINDS)
    level = rng.uniform(0.01, 0.20)
    parents = [i for i in group if i.role == "copy" and i.generation == 1 and i.level <= 0.15]
    parent = rng.choice(parents) if parents and rng.random() < 1 / 6 else None
    done = parent.touched if parent else 0
    target = max(1, round(level * source.ntokens) - done)
    paragraphs = [sentences(line) for line in parent.text.split("\n")] if parent else source.paragraphs
    edit = getattr(editor, kind.replace("-", "_"))
    new, touched = edit(paragraphs, source.lang, target)
    total = done + touched
    if touched == 0 or total > 0.20 * source.ntokens:
        return None
    text = "\n".join(_joiner(source.lang).join(p) for p in new)
    return Item("", text, "", source.key, "copy", source.key, source.half, kind, total / source.ntokens, 2 if parent else 1, source.lang, total)


def _truncated(source: Source, rng: random.Random) -> Item | None:
    """The first 20-80 % of the article's tokens ending in a truncation mark: cut at a word before
    "..." or "[…]", after the last whole sentence before a "Read more" line."""
    keep = int(source.ntokens * rng.uniform(0.2, 0.8))
    if keep < 30:
        return None
    end = rng.choice(TRUNCATION_ENDS)
    if end.startswith("\n"):
        paragraphs, count = [], 0
        for para in source.paragraphs:
            taken = []
            for sentence in para:
                if count >= keep:
                    break
                taken.append(sentence)
                count += len(tokens(sentence))
            if taken:
                paragraphs.append(taken)
        cut = "\n".join(_joiner(source.lang).join(p) for p in paragraphs)
    else:
        text = source.text
        cut = text[: list(TOKEN.finditer(text))[keep - 1].end()]
    if len(tokens(cut)) >= source.ntokens - 5:
        return None
    return Item("", cut.rstrip() + end, "", source.key, "truncated", source.key, source.half, level=len(tokens(cut)) / source.ntokens, lang=source.lang)


def _rewrite(editor: Editor, source: Source, rng: random.Random) -> Item | None:
    """The story's paragraphs in another order, some sentences left out, others' sentences put in."""
    paragraphs = [list(p) for p in source.paragraphs]
    if sum(len(p) for p in paragraphs) < 4:
        return None
    if len(paragraphs) < 3:  # too few paragraphs to reorder: its sentences become the units
        paragraphs = [[s] for p in paragraphs for s in p]
    kept = [p for p in paragraphs if rng.random() < 0.65]
    for para in kept:
        if len(para) > 1 and rng.random() < 0.5:
            para.pop(rng.randrange(len(para)))
    if len(kept) < 3:
        return None
    for _ in range(20):  # another order: at most 60 % of the kept paragraphs in their old order
        rng.shuffle(kept)
        if _longest_run(kept, paragraphs) <= 0.6 * len(kept):
            break
    else:
        return None
    own = sum(len(tokens(" ".join(p))) for p in kept)
    added, other = 0, editor.pool[source.lang]
    while added < 0.5 * own:  # other sentences: at least a third of the rewrite
        sentence = rng.choice(other)
        para = rng.choice(kept + [[]])
        if not para:
            kept.insert(rng.randint(0, len(kept)), para)
        para.insert(rng.randint(0, len(para)), sentence)
        added += len(tokens(sentence))
    text = "\n".join(_joiner(source.lang).join(p) for p in kept if p)
    return Item("", text, "", "", "rewrite", source.key, source.half, level=own / source.ntokens, lang=source.lang)


def _longest_run(kept: list[list[str]], paragraphs: list[list[str]]) -> int:
    """Length of the longest subsequence of ``kept`` in the source's order (patience sorting)."""
    position = {id(p): n for n, p in enumerate(paragraphs)}
    ranks = [position[id(p)] for p in kept]
    tails: list[int] = []
    for r in ranks:
        i = bisect.bisect_left(tails, r)
        tails[i : i + 1] = [r]
    return len(tails)


# ---------------------------------------------------------------- scoring


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def adjusted_rand_index(truth: dict[str, str], predicted: dict[str, str]) -> float:
    """Hubert and Arabie's ARI of two clusterings (item -> cluster label) of the same items."""
    cells = Counter((truth[i], predicted[i]) for i in truth)
    rows, cols = Counter(truth.values()), Counter(predicted.values())
    index = sum(_pairs(c) for c in cells.values())
    a, b = sum(_pairs(c) for c in rows.values()), sum(_pairs(c) for c in cols.values())
    expected = a * b / _pairs(len(truth)) if len(truth) > 1 else 0.0
    top = (a + b) / 2
    return 1.0 if top == expected else (index - expected) / (top - expected)


def score(items: list[Item], predicted: dict[str, str], events: list[tuple[str, str]], half: str | None = None) -> dict:
    """Figures for ``predicted`` (id -> canonical id) over the items of ``half`` (None: all)."""
    chosen = [i for i in items if half is None or i.half == half]
    ids = {i.id for i in chosen}
    truth = {i.id: i.group for i in chosen}
    pred = {i.id: predicted[i.id] for i in chosen}
    original_of = {i.group: i.id for i in chosen if i.role == "original"}
    out: dict = {"articles": len(chosen)}
    cells = Counter((truth[i], pred[i]) for i in ids)
    true_pairs = sum(_pairs(c) for c in Counter(truth.values()).values())
    found_pairs = sum(_pairs(c) for c in Counter(pred.values()).values())
    both = sum(_pairs(c) for c in cells.values())
    # predicted pairs reaching into the other half are false for this half too
    cross = 0
    if half is not None:
        members = defaultdict(list)
        for i in items:
            members[predicted[i.id]].append(i.half == half)
        cross = sum(sum(m) * (len(m) - sum(m)) for m in members.values())
    out["pair recall"] = both / true_pairs if true_pairs else None
    out["pair precision"] = both / (found_pairs + cross) if found_pairs + cross else None
    out["true_pairs"], out["found_pairs"] = true_pairs, found_pairs + cross
    out["adjusted Rand index"] = adjusted_rand_index(truth, pred)
    copies = [i for i in chosen if i.role == "copy"]

    def found(i: Item) -> bool:
        return pred[i.id] == pred[original_of[i.group]]

    for lo, hi in LEVEL_BINS:
        part = [found(i) for i in copies if lo <= i.level < hi]
        out[f"copies {round(lo * 100)}-{round(min(hi, 0.2) * 100)} % edited"] = (sum(part), len(part))
    for kind in KINDS:
        part = [found(i) for i in copies if i.kind == kind]
        out[f"copies: {kind}"] = (sum(part), len(part))
    part = [found(i) for i in copies if i.generation == 2]
    out["copies of copies"] = (sum(part), len(part))
    part = [found(i) for i in chosen if i.role == "truncated"]
    out["truncated copies"] = (sum(part), len(part))
    size = Counter(predicted.values())
    rewrites = [i for i in chosen if i.role == "rewrite"]
    out["rewrites grouped with anything"] = (sum(size[predicted[i.id]] > 1 for i in rewrites), len(rewrites))
    present = [(a, b) for a, b in events if a in original_of and b in original_of]
    out["same-event pairs grouped"] = (sum(pred[original_of[a]] == pred[original_of[b]] for a, b in present), len(present))
    return out


# ---------------------------------------------------------------- the duplicate level before issue 10


class Baseline:
    """The duplicate level as it was before issue 10, reproduced for side-by-side figures: MinHash(128)
    over the set of casefolded word 5-grams, LSH at threshold 0.5, a candidate verified when the signature
    Jaccard estimate is >= 0.7; canonical order as the library's (earliest date, then input order)."""

    def __init__(self):
        from datasketch import MinHash

        self._minhash = MinHash
        self._template = MinHash(num_perm=128, seed=1, scheme="affine32")

    #: the tokenizer of that version (a Latin word ran on into the CJK characters after it)
    token = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")

    def signature(self, text: str):
        words = self.token.findall(text.casefold())
        grams = [" ".join(words[i : i + 5]) for i in range(len(words) - 4)] if len(words) > 5 else ([" ".join(words)] if words else [])
        if not grams:
            return None
        m = self._minhash(num_perm=128, seed=1, permutations=self._template.permutations, scheme="affine32")
        m.update_batch([g.encode("utf-8") for g in set(grams)])
        return m

    def group(self, docs: list[tuple[str, str, str | None]]) -> dict[str, str]:
        """(id, text, date) in input order -> id -> canonical id."""
        from datasketch import MinHashLSH

        entries = [((0, date, n) if date else (1, "", n), doc_id, self.signature(text)) for n, (doc_id, text, date) in enumerate(docs)]
        lsh = MinHashLSH(threshold=0.5, num_perm=128)
        canon, out = {}, {}
        for key, doc_id, m in sorted(entries, key=lambda e: e[0]):
            best = None
            if m is not None:
                for candidate in lsh.query(m):
                    s = m.jaccard(canon[candidate][0])
                    if s >= 0.7 and (best is None or (-s, canon[candidate][1]) < (-best[0], best[1])):
                        best = (s, canon[candidate][1], candidate)
            out[doc_id] = best[2] if best else doc_id
            if best is None and m is not None:
                lsh.insert(doc_id, m)
                canon[doc_id] = (m, key)
        return out


def library_level(docs: list[tuple[str, str, str | None]]) -> dict[str, str]:
    """The library's duplicate level alone, as the pipeline runs it: signatures, then grouping."""
    from cleaner.config import DuplicateConfig
    from cleaner.duplicates import DuplicateIndex
    from cleaner.fingerprints import Fingerprinter

    config = DuplicateConfig()
    fingerprinter, index = Fingerprinter(config), DuplicateIndex(config)
    for doc_id, text, date in docs:
        index.add(doc_id, fingerprinter.signature(text), date=date)
    return {doc_id: match.canonical or doc_id for doc_id, match in index.assign().items()}


# ---------------------------------------------------------------- shingle study


def _shingles(kind: str, words: list[str]) -> set:
    """The shingle set of one kind: ``word-N`` (word N-grams), ``skip-2`` (word pairs one word apart),
    ``word-2+skip`` (both), ``char-5`` (character 5-grams of the words joined by spaces)."""
    if kind.startswith("char-"):
        n, text = int(kind[5:]), " ".join(words)
        return {text[i : i + n] for i in range(max(1, len(text) - n + 1))}
    if kind == "skip-2":
        return {(a, b) for a, b in zip(words, words[2:])} or {tuple(words)}
    if kind == "word-2+skip":
        return _shingles("word-2", words) | {("skip", p) for p in _shingles("skip-2", words)}
    n = int(kind[5:])
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


SHINGLE_KINDS = ("word-1", "word-2", "word-3", "word-5", "skip-2", "word-2+skip", "char-5")


def _quantile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def shingle_study(items: list[Item], cleaned: dict[str, str], seed: int = 1) -> str:
    """Exact Jaccard of each shingle kind, on the tuning half: copies with 15-20 % of their words edited
    here and there (typos, dropped and substituted words: the hardest copies for shingles), rewrites
    and their story, random pairs of one language; and what MinHash LSH with 128 values can do with
    it: for three bandings of 128 values, the expected share of the copies 15-20 % edited that are
    not candidates, and of the random pairs that are."""
    chosen = [i for i in items if i.half == "tune"]
    words = {i.id: tokens(cleaned[i.id]) for i in chosen}
    original = {i.group: i for i in chosen if i.role == "original"}
    groups = {
        "copies 15-20 %, word edits": [(i, original[i.group]) for i in chosen if i.role == "copy" and i.level >= 0.15 and i.kind in ("typos", "dropped-words", "substituted-words")],
        "copies 15-20 %, other edits": [(i, original[i.group]) for i in chosen if i.role == "copy" and i.level >= 0.15 and i.kind not in ("typos", "dropped-words", "substituted-words")],
        "rewrites": [(i, original[i.source]) for i in chosen if i.role == "rewrite"],
    }
    rng = random.Random(seed)
    originals = sorted(original.values(), key=lambda i: i.id)
    pairs = [rng.sample(originals, 2) for _ in range(4000)]
    groups["random, one language"] = [(a, b) for a, b in pairs if a.lang == b.lang][:1500]
    bandings = ((64, 2), (42, 3), (32, 4))
    lines = [
        "| shingles | per article | copies 15-20 %, word edits: min / p1 / median | other copies 15-20 %: min | rewrites: median / max | random: p99 / max | "
        + " | ".join(f"LSH {b} x {r}: copies missed / random candidates" for b, r in bandings) + " |",
        "|" + " --- |" * (6 + len(bandings)),
    ]
    for kind in SHINGLE_KINDS:
        sets = {key: _shingles(kind, w) for key, w in words.items()}
        j = {name: [len(sets[a.id] & sets[b.id]) / len(sets[a.id] | sets[b.id]) for a, b in pairs_] for name, pairs_ in groups.items()}
        copy, other, rew, rnd = (j[k] for k in groups)
        cells = []
        for bands, rows in bandings:  # expected shares, from each pair's Jaccard: P(candidate) = 1 - (1 - J^rows)^bands
            miss = sum((1 - x**rows) ** bands for x in copy + other) / len(copy + other)
            false = sum(1 - (1 - x**rows) ** bands for x in rnd) / len(rnd)
            cells.append(f"{miss:.4f} / {false:.5f}")
        size = sum(map(len, sets.values())) / len(sets)
        lines.append(
            f"| {kind} | {size:.0f} | {min(copy):.2f} / {_quantile(copy, 0.01):.2f} / {_quantile(copy, 0.5):.2f} | {min(other):.2f} | "
            f"{_quantile(rew, 0.5):.2f} / {max(rew):.2f} | {_quantile(rnd, 0.99):.3f} / {max(rnd):.3f} | " + " | ".join(cells) + " |"
        )
    counts = ", ".join(f"{len(v)} {k}" for k, v in groups.items())
    return "\n".join([f"Tuning half of the {len(items):,}-article corpus, cleaned: {counts}.", ""] + lines)


def alignment_study(items: list[Item], cleaned: dict[str, str]) -> str:
    """The library's alignment (whole text; first part for texts of at least ``lead`` tokens) per
    kind of pair, on the tuning half: where the thresholds sit."""
    from cleaner.config import DuplicateConfig
    from cleaner.fingerprints import Fingerprinter, alignment

    config = DuplicateConfig()
    chosen = [i for i in items if i.half == "tune"]
    fp = {i.id: Fingerprinter(config).signature(cleaned[i.id]) for i in chosen}
    original = {i.group: i for i in chosen if i.role == "original"}
    kinds = {f"copies {lo * 100:.0f}-{min(hi, 0.2) * 100:.0f} %": [(i, original[i.group]) for i in chosen if i.role == "copy" and lo <= i.level < hi] for lo, hi in LEVEL_BINS}
    kinds["truncated copies"] = [(i, original[i.group]) for i in chosen if i.role == "truncated"]
    kinds["rewrites"] = [(i, original[i.source]) for i in chosen if i.role == "rewrite"]
    lines = ["| pairs | n | whole: min / p1 / median / max | first part (>= lead tokens): min / median / max |", "| --- | --- | --- | --- |"]
    for name, pairs in kinds.items():
        found = [alignment(fp[a.id], fp[b.id]) for a, b in pairs]
        whole = [f.whole for f in found]
        first = [f.first_part for f in found if f.shorter >= config.lead] or [0.0]
        lines.append(
            f"| {name} | {len(found)} | {min(whole):.3f} / {_quantile(whole, 0.01):.3f} / {_quantile(whole, 0.5):.3f} / {max(whole):.3f} | "
            f"{min(first):.3f} / {_quantile(first, 0.5):.3f} / {max(first):.3f} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- report


def pipeline_groups(items: list[Item], mode: str) -> tuple[dict[str, str], dict[str, str], float]:
    """Run ``Pipeline(Config()).run`` (or ``.dedup``): id -> canonical, id -> cleaned text, seconds."""
    from cleaner import Config, Document, Pipeline

    pipeline = Pipeline(Config())
    docs = (Document(id=i.id, text=i.text, fields={"date": i.date}) for i in items)
    start = time.perf_counter()
    out = list(getattr(pipeline, mode)(docs))
    seconds = time.perf_counter() - start
    return {d.id: d.duplicate_of or d.id for d in out}, {d.id: d.text for d in out}, seconds


def _share(pair) -> str:
    hit, total = pair
    return f"{hit / total:.4f} ({hit}/{total})" if total else "–"


def fingerprint_bytes(texts: list[str]) -> tuple[float, int]:
    """Mean and largest size of the arrays of the library's fingerprints of ``texts``."""
    from cleaner.fingerprints import Fingerprinter

    fingerprinter = Fingerprinter()
    sizes = [f.nbytes for f in map(fingerprinter.signature, texts) if f is not None]
    return sum(sizes) / len(sizes), max(sizes)


def report(n: int, items: list[Item], results: dict[str, dict[str, str]], events, times: dict[str, float], sizes: tuple[float, int]) -> str:
    roles = Counter(i.role for i in items)
    lines = [
        f"### {n:,} articles",
        "",
        f"{roles['original']} originals ({sum(1 for i in items if i.role == 'original' and i.half == 'held-out')} held-out), "
        f"{roles['copy']} copies, {roles['truncated']} truncated copies, {roles['rewrite']} rewrites. "
        f"Fingerprint arrays per article: {sizes[0]:.0f} bytes on average, {sizes[1]} at most (before issue 10: 512).",
        "",
    ]
    halves = (None, "tune", "held-out")
    figures = {(name, h): score(items, pred, events, h) for name, pred in results.items() for h in halves}
    header = "| figure | " + " | ".join(f"{name}, {h or 'all'}" for name in results for h in halves) + " |"
    lines += [header, "|" + " --- |" * (1 + len(results) * len(halves))]
    keys = [k for k in figures[(next(iter(results)), None)] if k not in ("articles", "true_pairs", "found_pairs")]
    for key in keys:
        row = []
        for name in results:
            for h in halves:
                value = figures[(name, h)][key]
                row.append(_share(value) if isinstance(value, tuple) else "–" if value is None else f"{value:.4f}")
        lines.append(f"| {key} | " + " | ".join(row) + " |")
    lines.append("")
    if times:
        lines += ["| duplicate level (signatures + grouping of the cleaned texts) | seconds, best of runs |", "| --- | --- |"]
        lines += [f"| {name} | {t:.2f} |" for name, t in times.items()]
        names = list(times)
        if len(names) >= 2:
            lines.append(f"| ratio {names[1]} / {names[0]} | {times[names[1]] / times[names[0]]:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="3000", help="corpus sizes, comma-separated (default 3000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timing runs of each level (best is reported; 0: no timing)")
    parser.add_argument("--mode", choices=("run", "dedup"), default="run", help="Pipeline.run (clean first, the default) or .dedup")
    parser.add_argument("--study", action="store_true", help="instead: shingle kinds and alignment scores on the tuning half")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    if not (args.data / "semeval2022-task8" / "training_set.csv").is_file():
        print(f"skipped: {args.data} has no SemEval-2022 Task 8 data", file=sys.stderr)
        return 0
    started = time.perf_counter()
    sources, events = load_sources(args.data, args.seed)
    print(f"{len(sources)} sources ({sum(s.half == 'held-out' for s in sources)} held-out), {len(events)} same-event pairs; "
          f"loaded in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    for n in (int(x) for x in args.articles.split(",")):
        items = build_corpus(sources, n, args.seed)
        if args.study:
            from cleaner import Config, Document, Pipeline

            cleaned = {d.id: d.text for d in Pipeline(Config()).clean(Document(id=i.id, text=i.text, fields={"date": i.date}) for i in items)}
            print(shingle_study(items, cleaned, args.seed) + "\n\n" + alignment_study(items, cleaned) + "\n")
            continue
        predicted, cleaned, seconds = pipeline_groups(items, args.mode)
        print(f"{n}: Pipeline.{args.mode} {seconds:.1f}s", file=sys.stderr)
        docs = [(i.id, cleaned[i.id], i.date) for i in items]
        results = {f"cleaner ({args.mode})": predicted, "before issue 10": Baseline().group(docs)}
        times: dict[str, float] = {}
        baseline = Baseline()
        for _ in range(args.repeat):  # interleaved: each run of one level is followed by one of the other
            for name, fn in (("before issue 10", baseline.group), ("cleaner", library_level)):
                start = time.perf_counter()
                fn(docs)
                times[name] = min(times.get(name, float("inf")), time.perf_counter() - start)
        print(report(n, items, results, events, times, fingerprint_bytes([text for _, text, _ in docs])))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
