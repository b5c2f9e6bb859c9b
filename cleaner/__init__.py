"""cleaner: get news-article corpora ready for ingestion.

Normalise text with ftfy, strip site boilerplate with declarative rules, flag near-duplicate
copies and group articles covering one event into stories.

>>> from cleaner import Document, Pipeline
>>> docs = [Document(id="a", text="Leave a Comment")]
>>> [d.removed[0].rule for d in Pipeline().clean(docs)]
['COM001']
"""

from __future__ import annotations

from typing import Iterable

__version__ = "1.1.0"

from .config import Config, DuplicateConfig, NormalizeConfig, StripConfig, load_config
from .documents import Document, FieldNames, Removal
from .duplicates import DuplicateIndex
from .errors import CleanerError, ConfigError, InputError, RuleError
from .normalize import normalize_text
from .cleaning import Cleaned, Cleaner
from .engine import Engine, LocalEngine, Stage
from .pipeline import Pipeline, Result
from .stages import Stats
from .readers import read_paths
from .rulebook import Rule, Rulebook
from .strip import strip_text


def clean(docs: Iterable[Document], config: Config | None = None) -> Result:
    """Normalise and strip each document (``text`` cleaned, ``removed`` and ``fixes`` filled in)."""
    return Pipeline(config).clean(docs)


def dedup(docs: Iterable[Document], config: Config | None = None) -> Result:
    """Group documents as they are: ``duplicate_of`` and ``story`` filled in."""
    return Pipeline(config).dedup(docs)


def run(docs: Iterable[Document], config: Config | None = None) -> Result:
    """Clean, then group on the cleaned text."""
    return Pipeline(config).run(docs)


__all__ = [
    "Cleaned", "Cleaner", "CleanerError", "Config", "ConfigError", "Document", "DuplicateConfig", "DuplicateIndex",
    "Engine", "FieldNames", "InputError", "LocalEngine", "NormalizeConfig", "Pipeline", "Removal", "Result", "Rule", "RuleError",
    "Rulebook", "Stage", "Stats", "StripConfig", "clean", "dedup", "load_config", "normalize_text", "read_paths", "run",
    "strip_text",
]
