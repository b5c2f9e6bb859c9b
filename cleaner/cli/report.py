"""``cleaner report``: a self-contained HTML report of a result (:mod:`cleaner.html_report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import CONFIG, DATE_FIELD, ID_FIELD, QUIET, SITE_FIELD, STRICT, TEXT_FIELD, TITLE_FIELD, URL_FIELD, Reporter, exits, field_names


def report(
    result: str = typer.Argument(..., help="A result of `cleaner run -o` (.jsonl or .jsonl.gz), or - for standard input."),
    output: str = typer.Option(..., "--output", "-o", help="The HTML file to write (atomically); - for standard output."),
    config: Optional[Path] = CONFIG,
    id_field: Optional[str] = ID_FIELD,
    text_field: Optional[str] = TEXT_FIELD,
    url_field: Optional[str] = URL_FIELD,
    site_field: Optional[str] = SITE_FIELD,
    date_field: Optional[str] = DATE_FIELD,
    title_field: Optional[str] = TITLE_FIELD,
    strict: bool = STRICT,
    quiet: bool = QUIET,
) -> None:
    """Write a self-contained HTML report of a result: stories, duplicates, cleaning summary.

    Records are read under the field names the run was given (the configuration's id_field... settings, or --id-field...).
    """
    from ..config import load_config
    from ..html_report import write_report

    reporter = Reporter(quiet, strict)
    with exits(strict=strict, stopped="no report written"):
        settings, _ = load_config(config)
        names = field_names(settings, id=id_field, text=text_field, url=url_field, site=site_field, date=date_field, title=title_field)
        figures = write_report(result, output, on_error=reporter.error, names=names)
    reporter.summary(f"report: {figures['articles']} articles, {figures['stories']} stories, {figures['duplicates']} duplicates -> {output}")
    if reporter.errors:
        raise typer.Exit(1)
