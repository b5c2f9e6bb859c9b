"""``cleaner clean``, ``dedup`` and ``run``: read, call the pipeline, write the records."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..documents import FieldNames
from ..errors import InputError
from ..pipeline import Pipeline, Result
from ..readers import read_paths
from .common import (
    CONFIG,
    DATE_FIELD,
    DROP_DUPLICATES,
    EXCLUDE,
    EXPLAIN,
    ID_FIELD,
    IGNORE,
    INDEX,
    JOBS,
    LEARN,
    NO_INDEX,
    OUTPUT,
    PATHS,
    QUIET,
    RULES,
    SELECT,
    SITE_FIELD,
    STRICT,
    TEXT_FIELD,
    TITLE_FIELD,
    URL_FIELD,
    Reporter,
    build_config,
    corpus_index,
    exits,
)


def _emit(pipeline: Pipeline, result: Result, output: Optional[str], reporter: Reporter, *, removed: bool, groups: bool, explain: bool, drop_duplicates: bool = False, writer=None) -> None:
    from ..report import explain_article, explain_story
    from ..writers import TreeWriter

    docs = (d for d in reporter.progress(result) if not (drop_duplicates and d.duplicate_of))
    if explain:
        stories: dict[str, int] = {}
        for doc in docs:
            sys.stdout.write(explain_article(doc, pipeline.rulebook) + "\n")
            if doc.story is not None:
                stories[doc.story] = stories.get(doc.story, 0) + 1
        for story in (s for s, n in stories.items() if n > 1):
            info = result.stories.explain(story)
            if info["size"] > 1:  # a story of one article and its copies has nothing to explain
                sys.stdout.write(explain_story(info) + "\n")
    elif writer is None:
        with TreeWriter(output) as tree:  # staged: moved into place only when every article is written
            for doc in docs:
                record = doc.record(removed=removed, groups=groups)
                del record[doc.names.text]
                try:
                    tree.write_one(doc.id, doc.text, record)
                except ValueError as exc:
                    reporter.error(InputError(doc.source or doc.id, doc.source_line, str(exc)))
    else:
        writer.write(d.record(removed=removed, groups=groups) for d in docs)


def _is_tree(output: Optional[str]) -> bool:
    """``-o DIR/``: a path ending in a slash, or an existing folder."""
    return bool(output) and (output.endswith(("/", "\\")) or Path(output).is_dir())


def _run_command(verb: str, paths: List[str], output: Optional[str], options: dict, *, quiet: bool, strict: bool, explain: bool, drop_duplicates: bool = False, corpus: tuple = (None, True), fields: Optional[dict] = None) -> None:
    from ..writers import records_writer

    reporter = Reporter(quiet, strict)
    with exits(strict=strict):
        config = build_config(**options)
        # made before any input is read: Parquet without pyarrow stops here
        writer = None if explain or _is_tree(output) else records_writer(output)
        pipeline = Pipeline(config, on_error=reporter.error, explain=explain, index=corpus_index(config, *corpus))
        names = FieldNames.mapped(id=config.id_field, text=config.text_field, **(fields or {}))
        items = read_paths(paths, names=names, exclude=config.exclude)
        result = getattr(pipeline, verb)(items)
        _emit(pipeline, result, output, reporter, removed=verb != "dedup", groups=verb != "clean", explain=explain, drop_duplicates=drop_duplicates, writer=writer)
    reporter.summary(result.stats.summary())
    if reporter.errors:
        raise typer.Exit(1)


def clean(
    paths: List[str] = PATHS,
    output: Optional[str] = OUTPUT,
    rules: Optional[List[str]] = RULES,
    select: Optional[List[str]] = SELECT,
    ignore: Optional[List[str]] = IGNORE,
    config: Optional[Path] = CONFIG,
    jobs: Optional[int] = JOBS,
    id_field: Optional[str] = ID_FIELD,
    text_field: Optional[str] = TEXT_FIELD,
    url_field: Optional[str] = URL_FIELD,
    site_field: Optional[str] = SITE_FIELD,
    date_field: Optional[str] = DATE_FIELD,
    title_field: Optional[str] = TITLE_FIELD,
    learn: Optional[bool] = LEARN,
    strict: bool = STRICT,
    quiet: bool = QUIET,
    explain: bool = EXPLAIN,
    exclude: Optional[List[str]] = EXCLUDE,
) -> None:
    """Normalise and strip boilerplate. Each record gets `removed`: {line, rule, text} per line taken out."""
    options = dict(config_path=config, rules=rules, select=select, ignore=ignore, jobs=jobs, id_field=id_field, text_field=text_field, learn=learn, exclude=exclude)
    fields = dict(url=url_field, site=site_field, date=date_field, title=title_field)
    _run_command("clean", paths, output, options, quiet=quiet, strict=strict, explain=explain, fields=fields)


def dedup(
    paths: List[str] = PATHS,
    output: Optional[str] = OUTPUT,
    config: Optional[Path] = CONFIG,
    jobs: Optional[int] = JOBS,
    id_field: Optional[str] = ID_FIELD,
    text_field: Optional[str] = TEXT_FIELD,
    url_field: Optional[str] = URL_FIELD,
    site_field: Optional[str] = SITE_FIELD,
    date_field: Optional[str] = DATE_FIELD,
    title_field: Optional[str] = TITLE_FIELD,
    drop_duplicates: bool = DROP_DUPLICATES,
    strict: bool = STRICT,
    quiet: bool = QUIET,
    index: Optional[Path] = INDEX,
    no_index: bool = NO_INDEX,
    exclude: Optional[List[str]] = EXCLUDE,
) -> None:
    """Group without cleaning. Each record gets `duplicate_of` (canonical id or null) and `story`."""
    options = dict(config_path=config, jobs=jobs, id_field=id_field, text_field=text_field, exclude=exclude)
    fields = dict(url=url_field, site=site_field, date=date_field, title=title_field)
    _run_command("dedup", paths, output, options, quiet=quiet, strict=strict, explain=False, drop_duplicates=drop_duplicates, corpus=(index, no_index), fields=fields)


def run(
    paths: List[str] = PATHS,
    output: Optional[str] = OUTPUT,
    rules: Optional[List[str]] = RULES,
    select: Optional[List[str]] = SELECT,
    ignore: Optional[List[str]] = IGNORE,
    config: Optional[Path] = CONFIG,
    jobs: Optional[int] = JOBS,
    id_field: Optional[str] = ID_FIELD,
    text_field: Optional[str] = TEXT_FIELD,
    url_field: Optional[str] = URL_FIELD,
    site_field: Optional[str] = SITE_FIELD,
    date_field: Optional[str] = DATE_FIELD,
    title_field: Optional[str] = TITLE_FIELD,
    learn: Optional[bool] = LEARN,
    drop_duplicates: bool = DROP_DUPLICATES,
    strict: bool = STRICT,
    quiet: bool = QUIET,
    explain: bool = EXPLAIN,
    index: Optional[Path] = INDEX,
    no_index: bool = NO_INDEX,
    exclude: Optional[List[str]] = EXCLUDE,
) -> None:
    """Clean, then group on the cleaned text: the main job."""
    options = dict(config_path=config, rules=rules, select=select, ignore=ignore, jobs=jobs, id_field=id_field, text_field=text_field, learn=learn, exclude=exclude)
    fields = dict(url=url_field, site=site_field, date=date_field, title=title_field)
    _run_command("run", paths, output, options, quiet=quiet, strict=strict, explain=explain, drop_duplicates=drop_duplicates, corpus=(index, no_index), fields=fields)
