"""``cleaner clean``, ``dedup`` and ``run``: read, call the pipeline, write the records."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..engine import engine_for
from ..errors import InputError
from ..pipeline import Pipeline, Result
from .common import (
    CONFIG,
    DATE_FIELD,
    DROP_DUPLICATES,
    EXCLUDE,
    EXPLAIN,
    ID_FIELD,
    IGNORE,
    INDEX,
    ENGINE,
    JOBS,
    SCHEDULER,
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
    STATS,
    REPORT_HTML,
    Reporter,
    build_config,
    corpus_index,
    exits,
    fail,
    field_names,
)


def _emit(pipeline: Pipeline, result: Result, output: Optional[str], reporter: Reporter, *, removed: bool, groups: bool, explain: bool, drop_duplicates: bool = False, writer=None, sinks=()) -> int:
    """Write the records (and with ``explain`` the explanation on stdout); the number written.

    ``sinks``: callables told each ``(doc, record)`` written (the ``--report`` collector)."""
    from ..report import explain_article, explain_story
    from ..writers import TreeWriter

    docs = (d for d in reporter.progress(result) if not (drop_duplicates and d.duplicate_of))
    stories: dict[str, int] = {}
    written = 0

    def records():
        nonlocal written
        for doc in docs:
            if explain:
                sys.stdout.write(explain_article(doc, pipeline.rulebook) + "\n")
                if doc.story is not None:
                    stories[doc.story] = stories.get(doc.story, 0) + 1
            record = doc.record(removed=removed, groups=groups)
            for sink in sinks:
                sink(doc, record)
            written += 1
            yield doc, record

    if explain and not output:
        for _ in records():  # the explanation only: no records on stdout among it
            pass
    elif writer is None:
        with TreeWriter(output) as tree:  # staged: moved into place only when every article is written
            for doc, record in records():
                record = dict(record)
                del record[doc.names.text]
                try:
                    tree.write_one(doc.id, doc.text, record)
                except ValueError as exc:
                    written -= 1
                    reporter.error(InputError(doc.source or doc.id, doc.source_line, str(exc)))
    else:
        writer.write(record for _, record in records())
    for story in (s for s, n in stories.items() if n > 1):
        info = result.stories.explain(story)
        if info["size"] > 1:  # a story of one article and its copies has nothing to explain
            sys.stdout.write(explain_story(info) + "\n")
    return written


def _is_tree(output: Optional[str]) -> bool:
    """``-o DIR/``: a path ending in a slash, or an existing folder."""
    return bool(output) and (output.endswith(("/", "\\")) or Path(output).is_dir())


def _check_outputs(output: Optional[str], explain: bool, stats: Optional[Path], report: Optional[Path]) -> None:
    """Refuse, before any input is read, what would mix outputs or write one file twice."""
    if explain and output == "-":
        fail("--explain prints to standard output: give -o FILE for the records, or leave -o out")
    named = {"-o": output if output and output != "-" else None, "--stats": stats, "--report": report}
    paths = {}
    for option, path in named.items():
        if path is None:
            continue
        key = Path(path).resolve()
        if key in paths:
            fail(f"{option} and {paths[key]} name the same file: {path}")
        paths[key] = option


def _run_command(verb: str, paths: List[str], output: Optional[str], options: dict, *, quiet: bool, strict: bool, explain: bool, drop_duplicates: bool = False, corpus: tuple = (None, True), fields: Optional[dict] = None, stats: Optional[Path] = None, report: Optional[Path] = None) -> None:
    from ..progress import read_measured
    from ..runstats import RunTally, run_summary, write_stats
    from ..writers import records_writer

    reporter = Reporter(quiet, strict)
    _check_outputs(output, explain, stats, report)
    tally = RunTally()
    reporter.on_error = tally.error
    with exits(strict=strict):
        engine = None
        try:
            config = build_config(**options)
            engine = engine_for(config)
            # made before any input is read: Parquet without pyarrow stops here
            writer = None if (explain and not output) or _is_tree(output) else records_writer(output)
            progress = reporter.run_progress()
            pipeline = Pipeline(config, engine=engine, on_error=reporter.error, explain=explain, index=corpus_index(config, *corpus), progress=progress)
            names = field_names(config, **(fields or {}))
            items = read_measured(paths, progress, names=names, exclude=config.exclude)
            result = getattr(pipeline, verb)(items)
            sinks = [lambda doc, record: tally.observe(doc)]
            html = None
            if report is not None:
                from ..run_report import RunReport

                html = RunReport(on_error=reporter.error)
                sinks.append(html.add)
            written = _emit(pipeline, result, output, reporter, removed=verb != "dedup", groups=verb != "clean", explain=explain, drop_duplicates=drop_duplicates, writer=writer, sinks=sinks)
        finally:
            reporter.stop()
            if engine is not None:
                engine.close()
        summary = run_summary(verb, result.stats, tally, progress, written=written) if stats is not None else None
        if html is not None:
            html.write(report, Path(output).name if output and output != "-" else verb)
        if summary is not None:
            write_stats(stats, summary)
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
    engine: Optional[str] = ENGINE,
    scheduler: Optional[str] = SCHEDULER,
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
    stats: Optional[Path] = STATS,
    report: Optional[Path] = REPORT_HTML,
) -> None:
    """Normalise and strip boilerplate. Each record gets `removed`: {line, rule, text} per line taken out."""
    options = dict(config_path=config, rules=rules, select=select, ignore=ignore, jobs=jobs, id_field=id_field, text_field=text_field, learn=learn, exclude=exclude, engine=engine, scheduler=scheduler)
    fields = dict(url=url_field, site=site_field, date=date_field, title=title_field)
    _run_command("clean", paths, output, options, quiet=quiet, strict=strict, explain=explain, fields=fields, stats=stats, report=report)


def dedup(
    paths: List[str] = PATHS,
    output: Optional[str] = OUTPUT,
    config: Optional[Path] = CONFIG,
    jobs: Optional[int] = JOBS,
    engine: Optional[str] = ENGINE,
    scheduler: Optional[str] = SCHEDULER,
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
    stats: Optional[Path] = STATS,
    report: Optional[Path] = REPORT_HTML,
) -> None:
    """Group without cleaning. Each record gets `duplicate_of` (canonical id or null) and `story`."""
    options = dict(config_path=config, jobs=jobs, id_field=id_field, text_field=text_field, exclude=exclude, engine=engine, scheduler=scheduler)
    fields = dict(url=url_field, site=site_field, date=date_field, title=title_field)
    _run_command("dedup", paths, output, options, quiet=quiet, strict=strict, explain=False, drop_duplicates=drop_duplicates, corpus=(index, no_index), fields=fields, stats=stats, report=report)


def run(
    paths: List[str] = PATHS,
    output: Optional[str] = OUTPUT,
    rules: Optional[List[str]] = RULES,
    select: Optional[List[str]] = SELECT,
    ignore: Optional[List[str]] = IGNORE,
    config: Optional[Path] = CONFIG,
    jobs: Optional[int] = JOBS,
    engine: Optional[str] = ENGINE,
    scheduler: Optional[str] = SCHEDULER,
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
    stats: Optional[Path] = STATS,
    report: Optional[Path] = REPORT_HTML,
) -> None:
    """Clean, then group on the cleaned text: the main job."""
    options = dict(config_path=config, rules=rules, select=select, ignore=ignore, jobs=jobs, id_field=id_field, text_field=text_field, learn=learn, exclude=exclude, engine=engine, scheduler=scheduler)
    fields = dict(url=url_field, site=site_field, date=date_field, title=title_field)
    _run_command("run", paths, output, options, quiet=quiet, strict=strict, explain=explain, drop_duplicates=drop_duplicates, corpus=(index, no_index), fields=fields, stats=stats, report=report)
