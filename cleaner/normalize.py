"""Normalisation: ftfy's fixes plus whitespace, line by line, recording what changed.

Each line is fixed on its own so that every change can be reported at its line. A step is
recorded only when it changed something (as ftfy's ``fix_and_explain`` does), under one of
the ``NRM`` codes below, which ``cleaner check`` reports and ``--select``/``--ignore`` filter.

>>> normalize_text("Biden\\u00e2\\u20ac\\u2122s &amp; Co.  \\nnext").text == "Biden\\u2019s & Co.\\nnext"
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ftfy

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


def _normalize_once(text: str, config: NormalizeConfig, fixer: ftfy.TextFixerConfig) -> tuple[str, set[str]]:
    """One pass of ftfy and trailing whitespace over each ``\\n``-separated part of ``text``."""
    parts, codes = [], set()
    for part in text.split("\n"):
        if not part.isascii() or "&" in part or "\x1b" in part or not part.isprintable():
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


def normalize_text(text: str, config: NormalizeConfig = NormalizeConfig()) -> Normalized:
    """Normalise ``text`` line by line; lines keep their numbers unless a line break is fixed.

    Idempotent: normalising the result again changes nothing. Blank lines at the end are dropped
    with the final line end (``"body\\n\\n"`` gives ``"body"``), as no ``\\n``-joined text could
    tell a trailing blank line from a final line end.
    """
    fixer = _ftfy_config(config)
    out: list[str] = []
    fixes: list[LineFix] = []
    for number, line in enumerate(split_lines(text), 1):
        fixed, codes = normalize_line(line, config, fixer)
        if codes:
            fixes.append(LineFix(number, line, fixed, tuple(sorted(codes))))
        out.append(fixed)
    return Normalized("\n".join(out).rstrip("\n"), tuple(fixes))
