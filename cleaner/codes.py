"""The registry of codes: every code a finding or a removal can carry, in one place.

Two kinds of code exist. *Pack codes* (``NAV001``, ``CRD002``, ...) are the rules of the loaded rule
packs (see :mod:`cleaner.rulebook`). *Built-in codes* are defined here and nowhere else: normalisation
(``NRM``), lines learned per site (``REP``), duplicates (``DUP``) and stories (``STY``) and check's own
findings (``CHK``). The modules that produce built-in codes import them from here, so this module
imports no other part of cleaner except its errors.

``select``/``ignore`` take codes or code prefixes; :func:`check_selection` refuses one that matches no
known code, with the closest known codes suggested (as ruff does), because a typo there would otherwise
silently turn every rule off.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable

from .errors import ConfigError


@dataclass(frozen=True)
class Code:
    """One code: ``name`` (kebab-case), ``summary`` (one sentence), where it comes from (``origin``:
    ``"built-in"`` or a pack's name), whether ``check --fix`` repairs it (``fixable``) and whether it is
    reported for information only, never failing a check (``informational``)."""

    code: str
    name: str
    summary: str
    fixable: bool = True
    informational: bool = False
    origin: str = "built-in"


#: Every built-in code. NRM summaries are phrased as ``check`` reports them ("... would be ...").
BUILTIN: tuple[Code, ...] = (
    Code("NRM001", "mojibake", "text decoded with the wrong encoding (mojibake) would be repaired"),
    Code("NRM002", "html-entity", "HTML entities would be unescaped"),
    Code("NRM003", "control-character", "control characters or terminal escapes would be removed"),
    Code("NRM004", "line-break", "unusual line breaks (\\r, U+2028, U+0085) would become \\n"),
    Code("NRM005", "unicode-form", "the text is not in the configured Unicode normal form"),
    Code("NRM006", "character-form", "ligatures, character widths or quotes would be changed"),
    Code("NRM007", "trailing-whitespace", "trailing whitespace would be removed"),
    Code(
        "REP001",
        "repeated-site-line",
        "A line that recurs in many articles of one site (in at least learn_min_share of them, and in at "
        "least learn_min_articles): a site's own furniture, such as a standing newsletter call, a slogan or "
        "a footer, that no rule names. Learned from the corpus being cleaned (--learn); `cleaner rules learn` "
        "writes such lines as a rule pack to review and keep.",
    ),
    Code(
        "TPL001",
        "site-line-template",
        "A line that fits a template one site repeats with its slots filled in (a reporter's name and e-mail "
        "in a bio line, a byline with a role, a breadcrumb's sections, a dateline's date, a rights line's "
        "years), or a headline in the list after such a site's list marker: learned from the corpus "
        "being cleaned (--learn) when the skeleton recurs outside the body of enough distinct articles "
        "of the site; `cleaner rules learn` writes templates as rules with named slots.",
    ),
    Code(
        "DUP001",
        "duplicate-article",
        "An article that duplicates another one among those checked, or one in the index (`cleaner check`).",
        fixable=False,
    ),
    Code(
        "CHK001",
        "all-boilerplate",
        "Every line of the article is boilerplate (`cleaner check`): a fix would leave nothing, so the file "
        "or record is left as it is; delete it if it holds no article.",
        fixable=False,
    ),
    Code(
        "STY001",
        "joins-story",
        "The article covers the same event as an indexed article (`check --report-stories`); never fails a check.",
        fixable=False,
        informational=True,
    ),
)

_BY_CODE = {c.code: c for c in BUILTIN}
#: The normalisation codes (NRM).
NORMALIZATION = tuple(c.code for c in BUILTIN if c.code.startswith("NRM"))
#: Codes reported for information only: they never make ``check`` fail.
INFORMATIONAL = frozenset(c.code for c in BUILTIN if c.informational)


def builtin(code: str) -> Code:
    """The built-in :class:`Code` ``code`` (``KeyError`` when it is not one)."""
    return _BY_CODE[code]


def all_codes(rules: Iterable = ()) -> list[Code]:
    """Every code known with these rules (a :class:`~cleaner.rulebook.Rulebook` or its rules): the
    rules' codes in their order, then the built-in codes. Pack rules remove lines, so they are fixable."""
    packs = [Code(r.code, r.name, r.description, origin=r.pack) for r in rules]
    return packs + list(BUILTIN)


def check_selection(select: Iterable[str], ignore: Iterable[str], known: Iterable[str]) -> None:
    """Refuse a ``select`` or ``ignore`` entry that is no known code nor the start of one.

    ``known``: the codes to accept (see :func:`all_codes`). Raises :class:`ConfigError` naming the key,
    the entry and the closest known codes or prefixes.
    """
    known = sorted(set(known))
    for key, values in (("select", select), ("ignore", ignore)):
        for value in values:
            if value and any(code.startswith(value) for code in known):
                continue
            raise ConfigError(f"{key}: {value!r} is not a known code or code prefix; {_suggest(value, known)}")


def _suggest(value: str, known: list[str]) -> str:
    """``did you mean ...?`` with the closest codes or prefixes, else the list of prefixes."""
    prefixes = sorted({code.rstrip("0123456789") for code in known})
    close = difflib.get_close_matches(value.upper(), known + prefixes, n=3)
    if close:
        return f"did you mean {_or(close)}? (`cleaner rules list` shows every code)"
    return f"codes start with {', '.join(prefixes)} (`cleaner rules list` shows every code)"


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
