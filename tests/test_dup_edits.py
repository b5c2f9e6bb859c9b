"""Near-duplicates as republishing edits them (issue 10).

Copies of seed A are made here from its real text, each with one kind of edit at a measured level
(share of seed A's tokens edited: typos and OCR slips, dropped and substituted words, sentences
dropped and added, a paragraph cut short with "...", a new headline, site furniture, mojibake),
plus truncated copies and a copy of a copy. All must point at seed A. A rewrite of seed A (its
paragraphs in another order, some left out, sentences of other articles put in), seed B (the same
event, another outlet) and an unrelated article must not be anybody's duplicate.
"""

from __future__ import annotations

import difflib
import json
import random
import re

import numpy as np
import pytest

from cleaner import Config, Document, Pipeline
from cleaner.config import DuplicateConfig
from cleaner.duplicates import DuplicateIndex
from cleaner.fingerprints import Fingerprint, Fingerprinter, alignment, words
from conftest import SEED_A, SEED_B, UNRELATED_TXT, read_jsonl, run_cli, seed_text

WORD = re.compile(r"\w+")
OCR = (("rn", "m"), ("m", "rn"), ("l", "1"), ("e", "c"), ("o", "0"), ("h", "b"))
FURNITURE = ["Advertisement", "Most Read", "Sign up for our daily newsletter", "Photo: AFP / File", "Story continues below advertisement"]


def seed_a() -> str:
    return seed_text(SEED_A)


def unrelated() -> str:
    return UNRELATED_TXT.read_text(encoding="utf-8")


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?”])\s+", text.replace("\n", " ")) if len(s.split()) >= 6]


def edit_words(text: str, share: float, change, seed: int) -> str:
    """``text`` with ``change(word, rng)`` applied to ``share`` of its words, chosen at random."""
    rng = random.Random(seed)
    spans = [m.span() for m in WORD.finditer(text)]
    for start, end in sorted(rng.sample(spans, round(share * len(spans))), reverse=True):
        text = text[:start] + change(text[start:end], rng) + text[end:]
    return re.sub(r" {2,}", " ", text)


def typo(word: str, rng: random.Random) -> str:
    for old, new in rng.sample(OCR, len(OCR)):
        if old in word:
            return word.replace(old, new, 1)
    i = rng.randrange(len(word))
    return word[:i] + word[i] * 2 + word[i + 1 :]  # a doubled letter


def substitute(pool: list[str]):
    return lambda word, rng: rng.choice([w for w in pool if w.lower() != word.lower()])


def drop(word: str, rng: random.Random) -> str:
    return ""


def edited_share(original: str, copy: str) -> float:
    """Share of the original's words not kept in order by the copy (or added by it)."""
    a, b = WORD.findall(original.lower()), WORD.findall(copy.lower())
    kept = sum(block.size for block in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks())
    return (max(len(a), len(b)) - kept) / len(a)


def paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def with_sentences(text: str, extra: list[str], seed: int) -> str:
    """``text`` with each of ``extra`` appended to a random paragraph."""
    rng = random.Random(seed)
    paras = paragraphs(text)
    for sentence in extra:
        i = rng.randrange(1, len(paras))
        paras[i] = paras[i] + " " + sentence
    return "\n\n".join(paras)


def copies() -> dict[str, tuple[str, tuple[float, float]]]:
    """Copy id -> (text, (lowest, highest) share of seed A's words it edits)."""
    a, other = seed_a(), unrelated()
    pool = WORD.findall(other)
    paras = paragraphs(a)
    cut = paras[2].split()
    first_40 = a[: list(WORD.finditer(a))[round(0.4 * len(WORD.findall(a)))].end()]
    out = {
        "typos-05": (edit_words(a, 0.05, typo, 1), (0.03, 0.07)),
        "typos-10": (edit_words(a, 0.10, typo, 2), (0.08, 0.12)),
        "typos-18": (edit_words(a, 0.18, typo, 3), (0.15, 0.20)),
        "dropped-15": (edit_words(a, 0.15, drop, 4), (0.13, 0.17)),
        "substituted-15": (edit_words(a, 0.15, substitute(pool), 5), (0.13, 0.17)),
        "sentences-dropped": (a.replace(sentences(a)[4], "").replace(sentences(a)[9], ""), (0.05, 0.12)),
        "sentences-added": (with_sentences(a, sentences(other)[:3], 6), (0.12, 0.20)),
        "paragraph-cut": ("\n\n".join(paras[:2] + [" ".join(cut[: len(cut) // 3]) + "..."] + paras[3:]), (0.02, 0.10)),
        "headline": ("Biden orders strikes on militia drone sites in Syria and Iraq\n\n" + a, (0.01, 0.04)),
        "furniture": ("\n\n".join(FURNITURE[:2] + paras[:4] + FURNITURE[2:] + paras[4:]), (0.01, 0.06)),
        "mixed": (with_sentences(edit_words(edit_words(a, 0.06, typo, 7), 0.06, drop, 8), sentences(other)[5:6], 9), (0.10, 0.18)),
        "truncated-dots": (first_40 + "...", (0.55, 0.65)),
        "truncated-read-more": ("\n\n".join(paras[:4]) + "\n\nRead more", (0.4, 0.8)),
    }
    out["copy-of-copy"] = (edit_words(out["typos-10"][0], 0.08, drop, 10), (0.15, 0.20))
    return out


def rewrite() -> str:
    """Seed A's story rewritten: its paragraphs in another order, two left out, other sentences in."""
    paras = paragraphs(seed_a())
    body = [p for p in paras if len(p.split()) >= 12]  # the story, without its credit lines
    rng = random.Random(11)
    kept = [body[i] for i in (5, 2, 0, 6, 3)]
    for sentence in sentences(seed_text(SEED_B))[2:6] + sentences(unrelated())[1:3]:
        kept.insert(rng.randrange(len(kept) + 1), sentence)
    return "\n\n".join(kept)


def test_the_copies_are_edited_as_their_names_say():
    for name, (text, (low, high)) in copies().items():
        assert low <= edited_share(seed_a(), text) <= high, name
    assert edited_share(seed_a(), rewrite()) > 0.4


@pytest.fixture(scope="module")
def grouped():
    """Every copy, the rewrite, seed B and the unrelated article, through ``Pipeline.run`` (clean, then group)."""
    docs = [Document(id=SEED_A, text=seed_a())]
    docs += [Document(id=name, text=text) for name, (text, _) in copies().items()]
    docs += [Document(id="rewrite", text=rewrite()), Document(id=SEED_B, text=seed_text(SEED_B)), Document(id="unrelated", text=unrelated())]
    return {doc.id: doc for doc in Pipeline(Config()).run(docs)}


@pytest.mark.parametrize("name", list(copies()))
def test_an_edited_copy_points_at_the_seed(grouped, name):
    assert grouped[name].duplicate_of == SEED_A
    assert 0.75 <= grouped[name].duplicate_score <= 1.0


def test_the_seed_is_canonical_and_the_copy_of_a_copy_points_at_it(grouped):
    assert grouped[SEED_A].duplicate_of is None
    assert grouped["copy-of-copy"].duplicate_of == SEED_A  # not at typos-10, which it was made from


@pytest.mark.parametrize("name", ["rewrite", SEED_B, "unrelated"])
def test_a_rewrite_another_outlet_and_an_unrelated_article_are_nobodys_duplicates(grouped, name):
    assert grouped[name].duplicate_of is None
    assert all(doc.duplicate_of != name for doc in grouped.values())


def test_the_rewrite_keeps_the_story(grouped):
    assert grouped["rewrite"].story == grouped[SEED_A].story


def test_mojibake_and_furniture_copies_are_found_without_cleaning():
    """``dedup`` groups the raw text: encoding damage and furniture lines stay in it."""
    a = seed_a()
    import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)

    mojibake = a.encode("utf-8").decode("sloppy-windows-1252")
    assert "â€™" in mojibake
    furniture = copies()["furniture"][0]
    docs = [Document(id="a", text=a), Document(id="mojibake", text=mojibake), Document(id="furniture", text=furniture)]
    found = {doc.id: doc.duplicate_of for doc in Pipeline(Config()).dedup(docs)}
    assert found == {"a": None, "mojibake": "a", "furniture": "a"}


def test_jobs_2_gives_the_same_groups(tmp_path):
    records = [{"id": SEED_A, "text": seed_a()}] + [{"id": n, "text": t} for n, (t, _) in copies().items()]
    records += [{"id": "rewrite", "text": rewrite()}, {"id": SEED_B, "text": seed_text(SEED_B)}]
    records += [{"id": f"pad-{n}", "text": unrelated() + f"\n\nRecord {n}."} for n in range(20)]  # more than one worker chunk
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    # --no-learn: this is about grouping; the pads would otherwise teach their repeated lines
    one = run_cli("run", "in.jsonl", "-o", "one.jsonl", "--jobs", "1", "--no-learn", cwd=tmp_path)
    two = run_cli("run", "in.jsonl", "-o", "two.jsonl", "--jobs", "2", "--no-learn", cwd=tmp_path)
    assert one.returncode == 0 and two.returncode == 0, (one.stderr, two.stderr)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    out = {r["id"]: r["duplicate_of"] for r in read_jsonl(tmp_path / "one.jsonl")}
    assert out["typos-18"] == out["truncated-dots"] == SEED_A and out["rewrite"] is None
    assert {out[f"pad-{n}"] for n in range(1, 20)} == {"pad-0"}


# ---------------------------------------------------------------- the pieces


def lcs(a: list, b: list) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        prev = 0
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], prev + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def fingerprint(tokens: list[int]) -> Fingerprint:
    values = np.array(tokens, dtype=np.uint32)
    return Fingerprint(values[:0], values[:0], values, 0, len(tokens))


def test_alignment_is_the_longest_common_subsequence_of_the_whole_and_of_first_parts():
    rng = random.Random(5)
    for _ in range(200):
        short = [rng.randrange(6) for _ in range(rng.randint(1, 30))]
        long = [rng.randrange(6) for _ in range(rng.randint(len(short), 60))]
        found = alignment(fingerprint(short), fingerprint(long))
        m, n = len(short), len(long)
        windows = {min(n, m + (m * j + 9) // 10) for j in range(4)}
        assert found.whole == pytest.approx(lcs(short, long) / n)
        assert found.first_part == pytest.approx(max(lcs(short, long[:k]) / k for k in windows))
        assert alignment(fingerprint(long), fingerprint(short)) == found  # symmetric


def test_a_fingerprint_is_bounded_and_reads_back():
    config = DuplicateConfig()
    long_text = "\n\n".join([seed_a(), seed_text(SEED_B), unrelated()])
    fp = Fingerprinter(config).signature(long_text)
    assert fp.length == len(words(long_text)) > config.verify_tokens
    assert fp.step >= 1 and len(fp.tokens) <= config.verify_tokens
    assert fp.nbytes <= 4 * (config.num_perm + config.lead_size + config.verify_tokens)
    back = Fingerprint.from_bytes(fp.to_bytes())
    assert (back.signature == fp.signature).all() and (back.lead == fp.lead).all() and (back.tokens == fp.tokens).all()
    assert (back.step, back.length) == (fp.step, fp.length)
    with pytest.raises(ValueError):
        Fingerprint.from_bytes(fp.to_bytes()[:-4])


def test_a_long_article_is_compared_on_its_sample():
    """Over ``verify_tokens`` tokens both texts are sampled alike: a copy is still found, the same
    paragraphs in reverse order are not a copy."""
    long_text = "\n\n".join([seed_a(), seed_text(SEED_B), unrelated()])
    reordered = "\n\n".join(reversed(paragraphs(long_text)))
    fingerprinter, index = Fingerprinter(), DuplicateIndex()
    for doc_id, text in (("long", long_text), ("copy", edit_words(long_text, 0.12, typo, 12)), ("reordered", reordered)):
        index.add(doc_id, fingerprinter.signature(text))
    found = index.assign()
    assert found["copy"].canonical == "long" and found["reordered"].canonical is None


def test_a_headline_alone_is_not_a_truncated_copy():
    """A truncated copy has at least ``lead`` tokens: the title line another record repeats is not one."""
    a = seed_a()
    title = "US strikes Iran-backed militias in Syria and Iraq"
    fingerprinter, index = Fingerprinter(), DuplicateIndex()
    index.add("article", fingerprinter.signature(title + "\n\n" + a))
    index.add("title", fingerprinter.signature(title))
    assert index.assign()["title"].canonical is None


def test_near_identical_texts_that_are_not_copies_are_never_compared_all_pairs():
    """Word salad from a dozen words: every text is a candidate of every other, none a copy. The
    LSH stops taking canonicals that already meet ``max_candidates`` others, so the candidates one
    article is ranked against stay bounded however many such texts there are."""
    import random

    from cleaner.duplicates import DuplicateIndex
    from cleaner.fingerprints import Fingerprinter

    rng = random.Random(5)
    vocab = "harbour council budget minister storm river election court police school hospital bridge".split()
    texts = [" ".join(rng.choice(vocab) for _ in range(80)) for _ in range(400)]

    def candidates_seen(config: DuplicateConfig) -> list[int]:
        seen: list[int] = []

        class Counting(DuplicateIndex):
            def best(self, fp, candidates):
                candidates = list(candidates)
                seen.append(len(candidates))
                return super().best(fp, candidates)

        index, fingerprinter = Counting(config), Fingerprinter(config)
        for n, text in enumerate(texts):
            index.add(f"s{n}", fingerprinter.signature(text))
        assert len(index.assign()) == 400
        return seen

    unbounded = candidates_seen(DuplicateConfig(max_candidates=10**6))
    assert max(unbounded) > 250  # as dense as meant: the last texts meet most earlier ones
    bounded = candidates_seen(DuplicateConfig(max_candidates=20))
    assert max(bounded) <= 3 * 20  # each bucket holds at most 20; the union of its buckets stays small
