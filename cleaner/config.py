"""Configuration: frozen dataclasses with documented defaults, loaded from TOML.

Settings come from, in increasing priority: the defaults below, ``[tool.cleaner]`` in the
nearest ``pyproject.toml`` or a ``cleaner.toml`` (searched upward from the working
directory; the first file found wins), and command-line options.

Every setting is checked where it is set (:mod:`cleaner.settings`): a file's bad value is refused
with the file, the key, the value and what is allowed, before any article is read.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .documents import FieldNames
from .errors import ConfigError
from .settings import SECTION_OF, check_fields, check_setting, toml_value


@dataclass(frozen=True)
class NormalizeConfig:
    """What normalisation does (ftfy plus whitespace).

    Defaults: ``fix_encoding=True`` (mojibake), ``unescape_html=True`` (``&amp;`` and friends),
    ``remove_control_chars=True``, ``fix_line_breaks=True`` (``\\r\\n``, ``\\u2028`` become
    ``\\n``), ``normalization="NFC"`` (Unicode form: NFC, NFD, NFKC or NFKD; ``None``, or
    ``false`` in a file, to keep the text's form),
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

    def __post_init__(self) -> None:
        check_fields(self)


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
    ``templates`` (default true): when learning, also learn the line templates a site repeats with
    slots filled in (``TPL001``, see docs/templates.md); false learns exact lines only.
    """

    rules: tuple[str, ...] = ()
    builtin_rules: bool = True
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    learn: bool | str = "auto"
    learn_min_articles: int = 5
    learn_min_share: float = 0.5
    templates: bool = True

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True)
class DuplicateConfig:
    """Duplicate level: MinHash LSH over word shingles for candidates, verified by alignment
    (see :mod:`cleaner.duplicates` and docs/duplicates.md).

    ``shingle=2``: words per shingle (>= 1). ``num_perm=128``: MinHash permutations of the
    whole-text signature (>= 16). ``threshold=0.75``: share of tokens aligned in order
    (:func:`cleaner.fingerprints.alignment`) at or above which two articles are duplicates, in
    (0, 1]. ``seed=1`` for the hash permutations, in [0, 2**32 - 1] (signatures from different
    seeds don't compare). ``candidate_threshold=0.25``: estimated Jaccard of the whole-text
    shingle sets for which the LSH is tuned, in (0, 1].
    ``lead=30``: tokens at the start of a text whose shingles make its lead signature, which finds
    truncated copies; a truncated copy has at least this many tokens (>= 1).
    ``lead_perm=32``: permutations of the lead signature, the first of the whole-text ones (>= 16;
    at most ``num_perm`` are used). ``lead_threshold=0.5``: estimated Jaccard of the lead shingle
    sets for which the lead LSH is tuned, in (0, 1]; a candidate below both thresholds is not
    verified. ``truncated_threshold=0.9``: share of the shorter text's tokens aligned in order with
    the first part of the longer at or above which it is a truncated copy, in (0, 1].
    ``verify_tokens=512``: tokens kept for verification; a longer text keeps a content-defined
    sample of about this many (>= 16). ``max_verified=16``: candidates verified per article at
    most, the most similar first (>= 1), so that no article is compared with a group that grows
    with the corpus. ``max_candidates=64``: an article whose LSH queries return this many
    canonicals or more (a corpus of near-identical texts that are not copies) is not added to the
    LSH indexes itself, so no LSH bucket grows past this size and a query costs at most
    ``bands * max_candidates`` (>= 1; on the benchmark corpora an article has at most 8).
    """

    shingle: int = 2
    num_perm: int = 128
    threshold: float = 0.75
    seed: int = 1
    candidate_threshold: float = 0.25
    lead: int = 30
    lead_perm: int = 32
    lead_threshold: float = 0.5
    truncated_threshold: float = 0.9
    verify_tokens: int = 512
    max_verified: int = 16
    max_candidates: int = 64

    def __post_init__(self) -> None:
        check_fields(self)

    @property
    def lead_size(self) -> int:
        """MinHash values in a lead signature: ``lead_perm``, at most ``num_perm``."""
        return min(self.lead_perm, self.num_perm)


@dataclass(frozen=True)
class StoryConfig:
    """Story-level settings.

    Defaults: ``threshold=0.30`` (mean cosine between two stories' articles at or above which they
    merge, in (0, 1]); ``window_days=3.0`` (dated articles further apart are never one story; ``0`` disables);
    ``top_terms=40`` (terms per article vector); ``candidate_terms=120`` (term counts kept per
    article at ``add`` time, re-ranked at ``assign``); ``lsh_terms=10`` (best terms MinHashed for
    candidates); ``num_perm=32`` and ``bands=32`` (LSH: 32 bands of 1 row); ``prior_docs=1000.0``
    (weight of the wordfreq background, in pseudo-documents); ``doc_length=400.0`` (tokens per
    article assumed by the background); ``repeated_sentences=8`` (a sentence of at least this many
    words that an earlier article carried word for word adds nothing to a later article's terms;
    ``0`` disables; words are counted by spaces); ``repeated_share=0.5`` (unless such sentences
    are more than this share of the article's words: then it is a copy, and is kept whole);
    ``seed=1`` (MinHash permutations); ``term_chars=5`` (words count under their first this many
    characters, Arabic after light prefix and suffix stripping: see :func:`cleaner.terms.term_form`;
    ``0`` keeps whole words; 0 or >= 3).

    The optional semantic signal (:mod:`cleaner.semantic`; off by default): ``encoder="none"``
    (``"none"``, ``"use"`` for USE multilingual v3 from the ``cleaner[semantic]`` extra, or
    ``"sentence-transformers"`` for the model folder in ``encoder_path``; nothing is ever
    downloaded); ``encoder_path=""`` (that folder); ``encoder_chars=600`` (characters of title
    plus lead that are encoded, >= 1); ``semantic_weight=0.55`` (share of the encoder's cosine in
    the score of two articles in one language, the rest being the term cosine, in (0, 1]);
    ``semantic_threshold=0.46`` (what ``threshold`` is when an encoder is on: the mean combined
    score at or above which two stories merge, in (0, 1]); ``cross_threshold=0.64`` (encoder
    cosine at or above which two articles in different languages are one story, in (0, 1]);
    ``semantic_neighbours=10`` (each article's nearest neighbours by the encoder that become
    candidates, >= 1).
    ``max_candidates=256``: an article whose candidate query returns this many earlier articles or
    more is not added to the LSH itself, so no bucket grows past this size, and after a merge at
    most this many neighbouring clusters are scored against the merged one: a corpus of
    near-identical texts is never compared all-pairs (>= 1; on the benchmark corpora an article
    meets at most a few dozen).
    """

    threshold: float = 0.30
    window_days: float = 3.0
    top_terms: int = 40
    candidate_terms: int = 120
    lsh_terms: int = 10
    num_perm: int = 32
    bands: int = 32
    prior_docs: float = 1000.0
    doc_length: float = 400.0
    wordlist: str = "small"
    repeated_sentences: int = 8
    repeated_share: float = 0.5
    seed: int = 1
    term_chars: int = 5
    encoder: str = "none"
    encoder_path: str = ""
    encoder_chars: int = 600
    semantic_weight: float = 0.55
    semantic_threshold: float = 0.46
    cross_threshold: float = 0.64
    semantic_neighbours: int = 10
    max_candidates: int = 256

    def __post_init__(self) -> None:
        check_fields(self)
        if self.encoder == "sentence-transformers" and not self.encoder_path:
            raise ConfigError('story encoder "sentence-transformers" needs encoder_path, the folder of a model on disk')
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"story threshold must be in (0, 1], got {self.threshold}")
        if self.window_days < 0:
            raise ConfigError(f"story window_days must be >= 0 (0 disables), got {self.window_days}")
        if self.top_terms < 1 or self.lsh_terms < 1:
            raise ConfigError("story top_terms and lsh_terms must be at least 1")
        if self.candidate_terms < self.top_terms:
            raise ConfigError(
                f"story candidate_terms ({self.candidate_terms}) must be >= top_terms ({self.top_terms})"
            )
        if self.repeated_sentences < 0 or not 0.0 <= self.repeated_share <= 1.0:
            raise ConfigError("story repeated_sentences must be >= 0 (0 disables) and repeated_share in [0, 1]")
        if self.bands < 1 or self.num_perm % self.bands:
            raise ConfigError(
                f"story num_perm ({self.num_perm}) must be a multiple of bands ({self.bands})"
            )


#: The settings naming record fields (top-level keys), in the order of :class:`~cleaner.documents.FieldNames`.
FIELD_KEYS = ("id_field", "text_field", "url_field", "site_field", "date_field", "title_field")


@dataclass(frozen=True)
class Config:
    """Everything a run needs. ``jobs``: worker processes for per-article work (default 1).

    ``engine``: what runs the per-article work, ``"local"`` (``jobs`` processes on this machine) or
    ``"dask"`` (a Dask cluster: the scheduler at ``scheduler``, e.g. ``"tcp://host:8786"``, or a
    local cluster of ``jobs`` workers when it is None; docs/engines.md).

    Field names (:attr:`field_names`): ``id_field``/``text_field`` are the record keys holding the
    article id and text (JSONL, CSV and Parquet), ``url_field``, ``site_field``, ``date_field`` and
    ``title_field`` those of the well-known fields (default ``url``, ``site``, ``date``, ``title``);
    pages get their metadata under these names, and records are written back under them. The
    ``--id-field``... options of the commands override them. Each is a non-empty name, and no two
    name the same key.
    ``exclude``: globs of files and folders not to read in the folders given (relative to each
    folder; see :func:`cleaner.readers.excluded`), added to what git ignores.
    """

    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    strip: StripConfig = field(default_factory=StripConfig)
    duplicates: DuplicateConfig = field(default_factory=DuplicateConfig)
    stories: StoryConfig = field(default_factory=StoryConfig)
    jobs: int = 1
    engine: str = "local"
    scheduler: str | None = None
    id_field: str = "id"
    text_field: str = "text"
    url_field: str = "url"
    site_field: str = "site"
    date_field: str = "date"
    title_field: str = "title"
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_fields(self)
        seen: dict[str, str] = {}
        for key in FIELD_KEYS:
            name = getattr(self, key)
            if not name.strip():
                raise ConfigError(f"{key} = {toml_value(name)}: must be a non-empty field name")
            if name in seen:
                raise ConfigError(f"{key} = {toml_value(name)}: {seen[name]} names the same field; each field needs its own name")
            seen[name] = key

    @property
    def field_names(self) -> FieldNames:
        """The record keys of the id, the text and the well-known fields, as the readers and writers use them."""
        return FieldNames(**{key.removesuffix("_field"): getattr(self, key) for key in FIELD_KEYS})

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


def find_config_file(start: Path | None = None) -> Path | None:
    """The nearest ``cleaner.toml``, or ``pyproject.toml`` with a ``[tool.cleaner]`` table."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CONFIG_FILES:
            path = folder / name
            if not path.is_file():
                continue
            tool = _read_toml(path).get("tool")
            if name == "cleaner.toml" or isinstance(tool, dict) and "cleaner" in tool:
                return path
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc}") from None


#: Top-level keys that stand for keys of the ``[strip]`` section.
STRIP_SHORTHANDS = ("rules", "select", "ignore", "learn", "templates")


def _table(value: Any, key: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {key} = {toml_value(value)}: must be a table ([{key}])")
    return value


def _section(cls: type, table: dict[str, Any], where: str, base: Any, label: str, known: set[str] | None = None) -> Any:
    """``base`` with the keys of ``table`` set, each checked; ``label`` (``"[duplicates] "``, or ``""``
    at the top level) and ``where`` (the file) name it in messages."""
    names = known if known is not None else {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in names:
            raise ConfigError(f"{where}: {label or 'top level: '}unknown key {key!r} (known: {', '.join(sorted(names))})")
        try:
            values[name] = check_setting(cls, name, value, key=f"{label}{key}")
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    try:
        return dataclasses.replace(base, **values)
    except ConfigError as exc:  # a rule between keys, such as StoryConfig's num_perm and bands
        raise ConfigError(f"{where}: {label.strip() or 'top level'}: {exc}") from None


def config_from_table(table: dict[str, Any], where: str = "configuration") -> Config:
    """Build a :class:`Config` from a ``[tool.cleaner]``-shaped table (kebab- or snake-case keys).

    Top-level keys ``rules``, ``select``, ``ignore``, ``learn``, ``templates`` are shorthands for the
    ``[strip]`` section; ``[normalize]``, ``[strip]``, ``[duplicates]``, ``[stories]`` are sections.
    Raises :class:`ConfigError` naming ``where``, the key, its value and what is allowed.
    """
    config = Config()
    table = dict(_table(table, "tool.cleaner", where))
    sections = [f.name for f in dataclasses.fields(Config) if f.name in SECTION_OF.values()]
    changes: dict[str, Any] = {}
    for name in sections:
        if name in table:
            current = getattr(config, name)
            changes[name] = _section(type(current), _table(table.pop(name), name, where), where, current, f"[{name}] ")
    shorthands = {key: table.pop(key) for key in STRIP_SHORTHANDS if key in table}
    if shorthands:
        changes["strip"] = _section(StripConfig, shorthands, where, changes.get("strip", config.strip), "")
    top = {f.name for f in dataclasses.fields(Config)} - set(sections)
    return _section(Config, table, where, dataclasses.replace(config, **changes), "", known=top)


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
    table = _table(data.get("tool", {}), "tool", str(path)).get("cleaner", {}) if path.name == "pyproject.toml" else data
    config = config_from_table(table, str(path))
    rules = tuple(str((path.parent / r).resolve()) for r in config.strip.rules)
    return config.replace(strip={"rules": rules}), path
