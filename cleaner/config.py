"""Configuration: frozen dataclasses with documented defaults, loaded from TOML.

Settings come from, in increasing priority: the defaults below, ``[tool.cleaner]`` in the
nearest ``pyproject.toml`` or a ``cleaner.toml`` (searched upward from the working
directory; the first file found wins), and command-line options.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class NormalizeConfig:
    """What normalisation does (ftfy plus whitespace).

    Defaults: ``fix_encoding=True`` (mojibake), ``unescape_html=True`` (``&amp;`` and friends),
    ``remove_control_chars=True``, ``fix_line_breaks=True`` (``\\r\\n``, ``\\u2028`` become
    ``\\n``), ``normalization="NFC"`` (Unicode form; ``None`` to keep),
    ``uncurl_quotes=False`` (curly quotes are correct text, not damage),
    ``fix_character_width=False`` (would turn CJK full-width punctuation into ASCII),
    ``strip_whitespace=True`` (trailing spaces and tabs on each line; runs of spaces become one).
    """

    fix_encoding: bool = True
    unescape_html: bool = True
    remove_control_chars: bool = True
    fix_line_breaks: bool = True
    normalization: str | None = "NFC"
    uncurl_quotes: bool = False
    fix_character_width: bool = False
    strip_whitespace: bool = True


@dataclass(frozen=True)
class StripConfig:
    """What boilerplate stripping does.

    ``rules``: extra rule-pack files, added to the built-in packs (``builtin_rules=True``).
    ``select``/``ignore``: rule codes or code prefixes to keep/leave out (empty ``select`` = all).
    ``learn``: find lines a site repeats across its articles: ``"auto"`` (default: when the
    corpus has at least ``learn_min_articles`` articles of one site), ``True`` or ``False``.
    ``learn_min_articles`` (default 5) and ``learn_min_share`` (default 0.5): a line is learned
    when it recurs in at least that share of a site's articles, and in at least
    ``learn_min_articles`` of them.
    ``shapes``: position/shape heuristics to apply (``SHP001``, ``SHP002``; see
    :data:`cleaner.strip.SHAPE_CODES`). Default none: measured on the extraction benchmark they
    removed more true article lines on held-out pages than they are worth (docs/extraction-benchmark.md).
    """

    rules: tuple[str, ...] = ()
    builtin_rules: bool = True
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    learn: bool | str = "auto"
    learn_min_articles: int = 5
    learn_min_share: float = 0.5
    shapes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DuplicateConfig:
    """Duplicate level: MinHash LSH over word shingles, candidates verified.

    ``shingle=5`` words; ``num_perm=128`` permutations; ``threshold=0.7``: estimated Jaccard
    of the shingle sets at or above which an article is a duplicate of a canonical one;
    ``seed=1`` for the hash permutations (signatures from different seeds don't compare).
    """

    shingle: int = 5
    num_perm: int = 128
    threshold: float = 0.7
    seed: int = 1


def _story_default() -> Any:
    from .stories import StoryConfig

    return StoryConfig()


@dataclass(frozen=True)
class Config:
    """Everything a run needs. ``jobs``: worker processes for per-article work (default 1).

    ``id_field``/``text_field``: the JSONL keys holding the article id and text.
    """

    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    strip: StripConfig = field(default_factory=StripConfig)
    duplicates: DuplicateConfig = field(default_factory=DuplicateConfig)
    stories: Any = field(default_factory=_story_default)
    jobs: int = 1
    id_field: str = "id"
    text_field: str = "text"

    def replace(self, **changes: Any) -> "Config":
        """A copy with top-level fields changed; nested sections take dicts of their fields."""
        out: dict[str, Any] = {}
        for key, value in changes.items():
            current = getattr(self, key)
            if dataclasses.is_dataclass(current) and isinstance(value, dict):
                value = dataclasses.replace(current, **value)
            out[key] = value
        return dataclasses.replace(self, **out)


CONFIG_FILES = ("cleaner.toml", "pyproject.toml")
_SECTIONS = {"normalize": NormalizeConfig, "strip": StripConfig, "duplicates": DuplicateConfig}


def find_config_file(start: Path | None = None) -> Path | None:
    """The nearest ``cleaner.toml``, or ``pyproject.toml`` with a ``[tool.cleaner]`` table."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONFIG_FILES:
            path = folder / name
            if not path.is_file():
                continue
            if name == "cleaner.toml" or "cleaner" in _read_toml(path).get("tool", {}):
                return path
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None


def _section(cls: type, table: dict[str, Any], where: str, base: Any) -> Any:
    names = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in names:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(names))})")
        if isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return dataclasses.replace(base, **values)


def config_from_table(table: dict[str, Any], where: str = "configuration") -> Config:
    """Build a :class:`Config` from a ``[tool.cleaner]``-shaped table (kebab- or snake-case keys).

    Top-level keys ``rules``, ``select``, ``ignore``, ``learn`` are shorthands for the
    ``[strip]`` section; ``[normalize]``, ``[strip]``, ``[duplicates]``, ``[stories]`` are sections.
    """
    config = Config()
    table = dict(table)
    strip_table = dict(table.pop("strip", {}))
    for key in ("rules", "select", "ignore", "learn"):
        if key in table:
            strip_table[key] = table.pop(key)
    changes: dict[str, Any] = {"strip": _section(StripConfig, strip_table, f"{where} [strip]", config.strip)}
    for name, cls in _SECTIONS.items():
        if name in table and name != "strip":
            changes[name] = _section(cls, table.pop(name), f"{where} [{name}]", getattr(config, name))
    if "stories" in table:
        story = config.stories
        changes["stories"] = _section(type(story), table.pop("stories"), f"{where} [stories]", story)
    top = {f.name for f in dataclasses.fields(Config)} - set(_SECTIONS) - {"stories"}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in top:
            raise ConfigError(f"{where}: unknown key {key!r}")
        changes[name] = value
    return dataclasses.replace(config, **changes)


def load_config(path: Path | None = None, start: Path | None = None) -> tuple[Config, Path | None]:
    """Load the configuration from ``path`` or the nearest config file; defaults when none.

    ``pyproject.toml`` is read from ``[tool.cleaner]``; any other file (``cleaner.toml``, or a
    file given with ``--config``) holds the settings at its top level.

    Relative rule paths are resolved against the config file's folder.
    """
    path = path or find_config_file(start)
    if path is None:
        return Config(), None
    data = _read_toml(path)
    # A pyproject.toml keeps its settings in [tool.cleaner]; any other file holds them at the top.
    table = data.get("tool", {}).get("cleaner", {}) if path.name == "pyproject.toml" else data
    config = config_from_table(table, str(path))
    rules = tuple(str((path.parent / r).resolve()) for r in config.strip.rules)
    return config.replace(strip={"rules": rules}), path
