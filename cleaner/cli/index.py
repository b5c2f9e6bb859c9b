"""``cleaner index build | update | stats``: a thin layer over :class:`cleaner.index.CorpusIndex`.

The index module (sqlite, numpy) is imported inside the commands, so ``cleaner --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import CleanerError
from ..rulebook import Rulebook
from .common import INDEX, build_config, exits

index_app = typer.Typer(help="Build, update and inspect the persistent corpus index (one SQLite file).", no_args_is_help=True)

_CONFIG = typer.Option(None, "--config", help="Configuration file (default: nearest cleaner.toml or pyproject.toml with [tool.cleaner]).")
_RULES = typer.Option(None, "--rules", help="Extra rule pack file or folder (repeatable); the index stores signatures of the cleaned text.")
_JOBS = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes (default 1).")
_QUIET = typer.Option(False, "--quiet", "-q", help="No summary on stderr.")


def _report(error) -> None:
    typer.echo(f"error: {error}", err=True)


def _target(index: Optional[Path]) -> Path:
    from ..index import default_index_path

    return Path(index) if index else default_index_path()


def _index_files(verb: str, paths, index: Optional[Path], config, rules, jobs, quiet: bool) -> None:
    """``build`` (a new index of PATHS) or ``update`` (what changed), with the configured rules."""
    from ..index import CorpusIndex

    kept = "the index was not changed" if verb == "build" else "the index keeps the batches committed so far"
    with exits(stopped=kept):
        cfg = build_config(config, rules, jobs=jobs)
        rulebook = Rulebook.configured(cfg.strip)
        try:
            if verb == "build":  # built beside the index, swapped in when complete
                stats = CorpusIndex.rebuild(_target(index), cfg, paths, rulebook, jobs=cfg.jobs, on_error=_report)
            else:
                with CorpusIndex.open(_target(index), cfg) as corpus:
                    stats = corpus.update(paths, rulebook, jobs=cfg.jobs, on_error=_report)
        except OSError as exc:
            raise CleanerError(f"{_target(index)}: cannot write the index: {exc.strerror or exc}") from None
    if not quiet:
        typer.echo(f"{'built' if verb == 'build' else 'updated'} {_target(index)}: {stats.summary()}", err=True)


@index_app.command("build")
def build(
    paths: List[str] = typer.Argument(..., help="Corpus files and folders (stored relative to the repository root)."),
    index: Optional[Path] = INDEX,
    config: Optional[Path] = _CONFIG,
    rules: Optional[List[str]] = _RULES,
    jobs: Optional[int] = _JOBS,
    quiet: bool = _QUIET,
) -> None:
    """Index every article under PATHS into a new index (replacing one that is there)."""
    _index_files("build", paths, index, config, rules, jobs, quiet)


@index_app.command("update")
def update(
    paths: Optional[List[str]] = typer.Argument(None, help="Only these files and folders (default: the paths the index was built from)."),
    index: Optional[Path] = INDEX,
    config: Optional[Path] = _CONFIG,
    rules: Optional[List[str]] = _RULES,
    jobs: Optional[int] = _JOBS,
    quiet: bool = _QUIET,
) -> None:
    """Re-index files whose content changed (size/mtime first, then content hash); drop deleted ones."""
    _index_files("update", paths, index, config, rules, jobs, quiet)


@index_app.command("stats")
def stats(
    index: Optional[Path] = INDEX,
    config: Optional[Path] = _CONFIG,
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Size on disk, files, articles, canonicals, duplicates, LSH bucket rows and story terms."""
    from ..index import CorpusIndex

    with exits():
        with CorpusIndex.open(_target(index), build_config(config)) as corpus:
            figures = corpus.stats()
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    typer.echo(f"{figures['path']} (schema v{figures['schema_version']}): {figures['bytes'] / 1e6:.1f} MB")
    typer.echo(f"{figures['files']} files, {figures['articles']} articles: {figures['canonical']} canonical, {figures['duplicates']} duplicates")
    typer.echo(f"{figures['buckets']} LSH bucket rows, {figures['terms']} story terms")
    typer.echo(f"paths: {', '.join(figures['paths'])}; created {figures['created']}, updated {figures['updated']}")
