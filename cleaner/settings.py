"""Typed, ranged settings: the checks behind every configuration dataclass of :mod:`cleaner.config`.

Every setting is checked where it is set, by its type (from the dataclass annotations) and by
:data:`LIMITS` (its documented range): a bad value is refused with the key, the value and what is
allowed (the loader adds the file).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
from dataclasses import dataclass
from typing import Any, Callable, Union, get_args, get_origin, get_type_hints

from .errors import ConfigError


@dataclass(frozen=True)
class Allowed:
    """The values a setting takes beyond its type: ``test`` tells them, ``text`` names them in a
    message (``{}`` stands for the type, as in ``"{} >= 1"`` -> "an integer >= 1")."""

    test: Callable[[Any], bool]
    text: str


def toml_value(value: Any) -> str:
    """A value as TOML writes it, for messages (shortened)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(map(toml_value, value)) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = "none" if value is None else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _at_least(low: float) -> Allowed:
    return Allowed(lambda v: v >= low, f"{{}} >= {low}")


def _within(low: float, high: float, *, open_low: bool = False) -> Allowed:
    return Allowed(lambda v: (low < v if open_low else low <= v) and v <= high, f"{{}} in {'(' if open_low else '['}{low}, {high}]")


def _one_of(*values: Any, text: str | None = None) -> Allowed:
    """Exactly one of ``values``, type included (``1`` is not ``true``)."""
    shown = [toml_value(v) for v in values]
    return Allowed(lambda v: any(type(v) is type(x) and v == x for x in values), text or ", ".join(shown[:-1]) + " or " + shown[-1])


#: Documented ranges, by ``section.key`` (top-level keys without a section); types come from the annotations.
LIMITS: dict[str, Allowed] = {
    "jobs": _at_least(1),
    "engine": _one_of("local", "dask"),
    "normalize.normalization": _one_of("NFC", "NFD", "NFKC", "NFKD", None, text='"NFC", "NFD", "NFKC", "NFKD" or false (keep the form)'),
    "strip.learn": _one_of(True, False, "auto"),
    "strip.learn_min_articles": _at_least(2),
    "strip.learn_min_share": _within(0, 1),
    "duplicates.shingle": _at_least(1),
    "duplicates.num_perm": _at_least(16),
    "duplicates.threshold": _within(0, 1, open_low=True),
    "duplicates.seed": _within(0, 2**32 - 1),
    "duplicates.candidate_threshold": _within(0, 1, open_low=True),
    "duplicates.lead": _at_least(1),
    "duplicates.lead_perm": _at_least(16),
    "duplicates.lead_threshold": _within(0, 1, open_low=True),
    "duplicates.truncated_threshold": _within(0, 1, open_low=True),
    "duplicates.verify_tokens": _at_least(16),
    "duplicates.max_verified": _at_least(1),
    "duplicates.max_candidates": _at_least(1),
    "stories.threshold": _within(0, 1, open_low=True),
    "stories.window_days": _at_least(0),
    "stories.top_terms": _at_least(1),
    "stories.candidate_terms": _at_least(1),
    "stories.lsh_terms": _at_least(1),
    "stories.num_perm": _at_least(1),
    "stories.bands": _at_least(1),
    "stories.max_candidates": _at_least(1),
    "stories.prior_docs": _at_least(0),
    "stories.doc_length": Allowed(lambda v: v > 0, "{} > 0"),
    "stories.wordlist": _one_of("small", "large", "best"),
    "stories.repeated_sentences": _at_least(0),
    "stories.repeated_share": _within(0, 1),
    "stories.seed": _within(0, 2**32 - 1),
    "stories.term_chars": Allowed(lambda v: v == 0 or v >= 3, "0 (whole words) or {} >= 3"),
    "stories.encoder": _one_of("none", "use", "sentence-transformers"),
    "stories.encoder_chars": _at_least(1),
    "stories.semantic_weight": _within(0, 1, open_low=True),
    "stories.semantic_threshold": _within(0, 1, open_low=True),
    "stories.cross_threshold": _within(0, 1, open_low=True),
    "stories.semantic_neighbours": _at_least(1),
}
#: The settings section each dataclass holds ("" for the top level).
SECTION_OF = {"Config": "", "NormalizeConfig": "normalize", "StripConfig": "strip", "DuplicateConfig": "duplicates", "StoryConfig": "stories"}
_KINDS = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _typed(hint: Any, value: Any) -> tuple[bool, Any]:
    """Whether ``value`` has the annotated type, and the value as the setting keeps it: a list as a
    tuple, an integer as a float where a number is asked for, ``false`` as None where None is allowed
    (TOML has no null)."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        if value is False and type(None) in args and bool not in args:
            return True, None
        for arg in args:
            ok, typed = _typed(arg, value)
            if ok:
                return True, typed
        return False, value
    if origin is tuple:
        ok = isinstance(value, (list, tuple)) and all(_typed(args[0], v)[0] for v in value)
        return ok, tuple(value) if ok else value
    if hint is Any:
        return True, value
    if hint is type(None):
        return value is None, value
    if hint in (int, float) and isinstance(value, bool):
        return False, value
    if hint is float and isinstance(value, int):
        return True, float(value)
    return isinstance(value, hint), value


def _kind(hint: Any) -> str:
    """How a message names a type: "an integer", "a list of strings", "a table"."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_kind(a) if a is not type(None) else "false" for a in args)
    if origin is tuple:
        return "a list of strings"
    if dataclasses.is_dataclass(hint):
        return f"a table ([{SECTION_OF.get(hint.__name__, hint.__name__)}])"
    return _KINDS.get(hint, "a value")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def check_setting(cls: type, name: str, value: Any, key: str | None = None) -> Any:
    """``value`` for field ``name`` of settings class ``cls``, as the setting keeps it (see :func:`_typed`).

    Raises :class:`ConfigError` ``"KEY = VALUE: must be WHAT"``; ``key`` is the key as the user wrote
    it (default ``[section] name``).
    """
    section = SECTION_OF.get(cls.__name__, "")
    ok, typed = _typed(_hints(cls)[name], value)
    limit = LIMITS.get(f"{section}.{name}" if section else name)
    if ok and (limit is None or limit.test(typed)):
        return typed
    allowed = limit.text.format(_kind(_hints(cls)[name])) if limit else _kind(_hints(cls)[name])
    key = key or (f"[{section}] {name}" if section else name)
    raise ConfigError(f"{key} = {toml_value(value)}: must be {allowed}")


def check_fields(settings: Any) -> None:
    """Check every field of a frozen settings dataclass, keeping each value as :func:`check_setting` gives it."""
    for f in dataclasses.fields(settings):
        object.__setattr__(settings, f.name, check_setting(type(settings), f.name, getattr(settings, f.name)))
