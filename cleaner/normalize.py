"""Normalisation: ftfy's fixes plus whitespace, line by line, recording what changed.

Each line is fixed on its own so that every change can be reported at its line. A step is
recorded only when it changed something (as ftfy's ``fix_and_explain`` does), under one of
the ``NRM`` codes below, which ``cleaner check`` reports and ``--select``/``--ignore`` filter.

>>> normalize_text("Biden\\u00e2\\u20ac\\u2122s &amp; Co.  \\nnext").text == "Biden\\u2019s & Co.\\nnext"
True
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import ftfy
from ftfy import chardata
from ftfy.badness import is_bad

from .codes import NORMALIZATION, builtin
from .config import NormalizeConfig

#: Check codes for normalisation findings: code -> (name, message), from :mod:`cleaner.codes`.
CODES: dict[str, tuple[str, str]] = {code: (builtin(code).name, builtin(code).summary) for code in NORMALIZATION}

_STEP_CODES = {
    "unescape_html": "NRM002",
    "remove_terminal_escapes": "NRM003",
    "remove_control_chars": "NRM003",
    "fix_line_breaks": "NRM004",
    "fix_latin_ligatures": "NRM006",
    "fix_character_width": "NRM006",
    "uncurl_quotes": "NRM006",
}
_TRAILING = re.compile(r"[ \t\u00a0\u3000]+$")


@dataclass(frozen=True)
class LineFix:
    """A line that normalisation changed: 1-based ``line``, before, after and the codes."""

    line: int
    before: str
    after: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Normalized:
    """The normalised ``text``, the ``fixes`` per line, and the ``steps`` (codes) applied."""

    text: str
    fixes: tuple[LineFix, ...]

    @property
    def steps(self) -> list[str]:
        return sorted({code for fix in self.fixes for code in fix.codes})


def _ftfy_config(config: NormalizeConfig) -> ftfy.TextFixerConfig:
    return ftfy.TextFixerConfig(
        unescape_html="auto" if config.unescape_html else False,
        fix_encoding=config.fix_encoding,
        restore_byte_a0=config.fix_encoding,
        replace_lossy_sequences=config.fix_encoding,
        decode_inconsistent_utf8=config.fix_encoding,
        fix_c1_controls=config.fix_encoding,
        remove_control_chars=config.remove_control_chars,
        remove_terminal_escapes=config.remove_control_chars,
        fix_line_breaks=config.fix_line_breaks,
        fix_latin_ligatures=True,
        fix_character_width=config.fix_character_width,
        uncurl_quotes=config.uncurl_quotes,
        normalization=config.normalization,
        explain=True,
    )


def _codes(explanation: list[tuple[str, str]] | None) -> set[str]:
    """The codes of ftfy's explanation steps: ``("normalize", "NFC")`` is the Unicode form (NRM005), an
    ``apply`` step the code of its fixer, and an encoding step or another fixer repairs mojibake (NRM001)."""
    codes = set()
    for kind, name in explanation or ():
        if kind == "normalize":
            codes.add("NRM005")
        else:
            codes.add(_STEP_CODES.get(name, "NRM001") if kind == "apply" else "NRM001")
    return codes


def split_lines(text: str) -> list[str]:
    """Lines of ``text``, split on ``\\n`` after ``\\r\\n`` is folded; no trailing empty line."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


#: A line is normalised again until nothing changes; this bounds the passes (one or two suffice in practice).
MAX_PASSES = 5


@functools.lru_cache(maxsize=16)
def _altering(ligatures: bool, width: bool, controls: bool, quotes: bool) -> re.Pattern[str]:
    """A class of the characters ftfy's table-driven fixers (with these switched on) would change."""
    codes = set()
    for wanted, table in ((ligatures, chardata.LIGATURES), (width, chardata.WIDTH_MAP), (controls, chardata.CONTROL_CHARS)):
        if wanted:
            codes.update(table)
    if quotes:
        codes.update(range(0x2018, 0x201C), range(0x201C, 0x2020), [0x2BC])
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(codes)) + "]" if codes else "(?!)")


def _untouched(part: str, fixer: ftfy.TextFixerConfig) -> bool:
    """Whether ftfy, with this configuration, provably returns ``part`` unchanged: it is printable (no
    control, C1, line-break or surrogate character), holds no ``&`` (entities) and no escape, none of
    the characters the ligature, width, control and quote tables change, is already in its Unicode
    form, and does not look like mojibake to ftfy's own ``is_bad`` (without which its encoding fixer
    returns at once). ``tests/test_normalize.py`` checks this against ftfy on random text."""
    if not part.isprintable() or "&" in part or "\x1b" in part:
        return False
    if _altering(fixer.fix_latin_ligatures, fixer.fix_character_width, fixer.remove_control_chars, fixer.uncurl_quotes).search(part):
        return False
    if fixer.normalization is not None and not unicodedata.is_normalized(fixer.normalization, part):
        return False
    return not (fixer.fix_encoding and is_bad(part))


def _normalize_once(text: str, config: NormalizeConfig, fixer: ftfy.TextFixerConfig) -> tuple[str, set[str]]:
    """One pass of ftfy and trailing whitespace over each ``\\n``-separated part of ``text``."""
    parts, codes = [], set()
    for part in text.split("\n"):
        if not (part.isascii() and "&" not in part and "\x1b" not in part and part.isprintable()) and not _untouched(part, fixer):
            result = ftfy.fix_and_explain(part, fixer)
            if result.text != part:
                part = result.text
                codes |= _codes(result.explanation)
        if config.strip_whitespace:
            stripped = _TRAILING.sub("", part)
            if stripped != part:
                codes.add("NRM007")
                part = stripped
        parts.append(part)
    return "\n".join(parts), codes


def normalize_line(line: str, config: NormalizeConfig, fixer: ftfy.TextFixerConfig | None = None) -> tuple[str, set[str]]:
    """One line, normalised, and the codes of what changed it (empty when unchanged).

    The result holds a ``\\n`` where a line break was fixed (U+2028, a lone ``\\r``...). It is a
    fixed point: normalising its lines again changes nothing. ftfy's choices depend on the whole
    string it sees, so a pass can leave work for the next one (trailing whitespace that kept
    ftfy from decoding mojibake, a fixed line break that splits a line into parts decoded on their
    own); the passes repeat, each over the parts, until nothing changes.
    """
    fixer = fixer or _ftfy_config(config)
    fixed, codes = line, set()
    for _ in range(MAX_PASSES):
        again, found = _normalize_once(fixed, config, fixer)
        if again == fixed:
            break
        fixed, codes = again, codes | found
    return fixed, codes


#: Lines remembered per configuration, with what normalising them gave: a corpus repeats its sites'
#: furniture and its copies' paragraphs, and ftfy costs most on exactly the lines that are not plain
#: ASCII. At most this many lines and this many characters of them per process (the lines and their
#: results: 8 to 32 MB, by how wide the characters are), then all forgotten at once. Counting lines
#: alone let 65,536 paragraphs of a corpus of distinct articles hold 94 MB.
CACHE_LINES = 1 << 16
CACHE_CHARS = 1 << 22
_PREPARED: dict[NormalizeConfig, tuple[ftfy.TextFixerConfig, "_Remembered"]] = {}


class _Remembered(dict):
    """line -> (normalised line, codes), with the characters of the lines it holds counted."""

    chars = 0

    def remember(self, line: str, done: tuple[str, tuple[str, ...]]) -> None:
        if len(self) >= CACHE_LINES or self.chars + len(line) > CACHE_CHARS:
            self.clear()
            self.chars = 0
        self[line] = done
        self.chars += len(line)


def _prepared(config: NormalizeConfig) -> tuple[ftfy.TextFixerConfig, _Remembered]:
    entry = _PREPARED.get(config)
    if entry is None:
        if len(_PREPARED) >= 8:
            _PREPARED.clear()
        entry = _PREPARED[config] = (_ftfy_config(config), _Remembered())
    return entry


def forget() -> None:
    """Forget every remembered line (for benchmarks that time a run as a fresh process would)."""
    _PREPARED.clear()


def normalize_text(text: str, config: NormalizeConfig = NormalizeConfig()) -> Normalized:
    """Normalise ``text`` line by line; lines keep their numbers unless a line break is fixed.

    Idempotent: normalising the result again changes nothing. Blank lines at the end are dropped
    with the final line end (``"body\\n\\n"`` gives ``"body"``), as no ``\\n``-joined text could
    tell a trailing blank line from a final line end.
    """
    fixer, seen = _prepared(config)
    out: list[str] = []
    fixes: list[LineFix] = []
    for number, line in enumerate(split_lines(text), 1):
        remembered = not line.isascii()  # plain ASCII lines cost less than remembering them
        done = seen.get(line) if remembered else None
        if done is None:
            fixed, found = normalize_line(line, config, fixer)
            done = (fixed, tuple(sorted(found)))
            if remembered:
                seen.remember(line, done)
        fixed, codes = done
        if codes:
            fixes.append(LineFix(number, line, fixed, codes))
        out.append(fixed)
    return Normalized("\n".join(out).rstrip("\n"), tuple(fixes))
