"""Lines a site repeats: boilerplate that no rule names, learned from the corpus itself.

A line is learned for a site when it stands in at least ``learn_min_share`` of that site's
articles and in at least ``learn_min_articles`` of them (each article counted once; exact
copies of an article counted once). Learned lines are removed under :data:`CODE`.

Counting keeps 8-byte line hashes, pruned by lossy counting (Manku and Motwani, 2002) with an
error of 1 %, so memory stays bounded however many articles a site has, while every line
reaching the (much larger) learning share is still found.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from .config import StripConfig
from .lsh import KeySet
from .text import count_words

#: The code learned lines are removed under (described in :mod:`cleaner.codes`).
CODE = "REP001"
#: Lines of more words than this (:func:`cleaner.text.count_words`) are never learned: site furniture
#: is short, article text is not.
MAX_WORDS = 40
#: Lossy-counting bucket width (1 / error).
BUCKET = 100
_SPACE = re.compile(r"\s+")


def line_key(line: str) -> int:
    """A stable 64-bit key of a line, whitespace-insensitive (same in every process)."""
    text = _SPACE.sub(" ", line.strip())
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


@dataclass
class _Site:
    articles: int = 0
    counts: Counter = field(default_factory=Counter)
    deltas: dict = field(default_factory=dict)

    def add(self, keys: set[int]) -> None:
        self.articles += 1
        bucket = (self.articles - 1) // BUCKET
        for key in keys:
            if key not in self.counts:
                self.deltas[key] = bucket
            self.counts[key] += 1
        if self.articles % BUCKET == 0:
            limit = self.articles // BUCKET
            for key in [k for k, c in self.counts.items() if c + self.deltas[k] <= limit]:
                del self.counts[key], self.deltas[key]


@dataclass
class SiteLines:
    """Counts, per site, the articles each short line appears in (``add``), then ``learned()``."""

    config: StripConfig = field(default_factory=StripConfig)
    sites: dict = field(default_factory=dict)
    _seen: KeySet = field(default_factory=KeySet)  # the articles' digests, as 64-bit keys

    def add(self, site: str | None, text: str, summary: tuple[bytes, frozenset[int]] | None = None) -> bool:
        """Count the article's lines; False (nothing counted) for an exact copy of an article seen before.

        ``summary``: what :meth:`summary` gives for this site and text, computed ahead (elsewhere).
        """
        digest, keys = summary or self.summary(site, text)
        key = int.from_bytes(digest, "big")
        if key in self._seen:
            return False
        self._seen.add(key)
        self.sites.setdefault(site, _Site()).add(keys)
        return True

    @staticmethod
    def summary(site: str | None, text: str) -> tuple[bytes, frozenset[int]]:
        """What :meth:`add` counts of an article: its digest (to know a copy) and its short lines' keys."""
        digest = hashlib.blake2b(f"{site}\x00{text}".encode(), digest_size=8).digest()
        return digest, frozenset(line_key(line) for line in text.split("\n") if line.strip() and count_words(line) <= MAX_WORDS)

    def enabled(self) -> bool:
        """Whether learning runs: forced on or off, or "auto": some site has enough articles."""
        learn = self.config.learn
        if learn == "auto":
            return any(s.articles >= self.config.learn_min_articles for s in self.sites.values())
        return bool(learn)

    def learned(self) -> dict[str | None, frozenset[int]]:
        """site -> keys of its learned lines (see :func:`line_key`)."""
        out: dict[str | None, frozenset[int]] = {}
        if not self.enabled():
            return out
        for site, state in self.sites.items():
            if state.articles < self.config.learn_min_articles:
                continue
            need = max(self.config.learn_min_articles, self.config.learn_min_share * state.articles)
            keys = frozenset(k for k, c in state.counts.items() if c >= need)
            if keys:
                out[site] = keys
        return out


def pack_toml(learned: dict[str | None, list[str]], *, prefix: str = "LRN", name: str = "learned", templates: dict | None = None) -> str:
    """A rule pack (TOML) with one exact-line rule per learned line, for review and keeping.

    ``templates``: site -> [(skeleton shown, pattern with named slots, example lines, a non-matching
    line)] for the site's learned line templates (:mod:`cleaner.templates`), written after its lines.
    Each rule is limited to its site (``sites``) when the site is known.
    """
    import json

    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    out = [
        "# Lines repeated across a site's articles, learned by `cleaner rules learn`.",
        "# Review every rule before keeping it: delete the ones that are real article text.",
        "[pack]",
        f"name = {q(name)}",
        f"description = {q('Site lines learned from a corpus: each recurs in many of one site' + chr(39) + 's articles.')}",
    ]
    number = 0
    templates = templates or {}
    for site in sorted(set(learned) | set(templates), key=lambda s: s or ""):
        for line in sorted(learned.get(site, ())):
            number += 1
            where = f"of {site}" if site else "of the corpus"
            out += [
                "",
                "[[rules]]",
                f'code = "{prefix}{number:03d}"',
                f'name = "learned-line-{number}"',
                f"description = {q(f'Repeated in many articles {where}; learned, not written by hand.')}",
                f"pattern = {q('^' + re.escape(_SPACE.sub(' ', line.strip())).replace(chr(92) + ' ', ' ') + '$')}",
                f"must_match = [{q(line.strip())}]",
                f"must_not_match = [{q(line.strip() + ' and more text')}]",
            ]
            if site:
                out.append(f"sites = [{q(site)}]")
        for shown, pattern, examples, negative in templates.get(site, ()):
            number += 1
            where = f"of {site}" if site else "of the corpus"
            out += [
                "",
                f"# template: {shown}",
                "[[rules]]",
                f'code = "{prefix}{number:03d}"',
                f'name = "learned-template-{number}"',
                f"description = {q(f'Template {shown!r}, repeated with its slots filled in many articles {where}; learned, not written by hand.')}",
                f"pattern = {q(pattern)}",
                "case_sensitive = true",
                f"max_words = {MAX_WORDS}",
                f"must_match = [{', '.join(q(e) for e in examples)}]",
                f"must_not_match = [{q(negative)}]",
            ]
            if site:
                out.append(f"sites = [{q(site)}]")
    return "\n".join(out) + "\n"
