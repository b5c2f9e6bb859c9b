"""``cleaner report``: a self-contained HTML report of a result (:mod:`cleaner.html_report`)."""

from __future__ import annotations

import typer

from .common import QUIET, STRICT, Reporter, exits


def report(
    result: str = typer.Argument(..., help="A result of `cleaner run -o` (.jsonl or .jsonl.gz), or - for standard input."),
    output: str = typer.Option(..., "--output", "-o", help="The HTML file to write (atomically); - for standard output."),
    strict: bool = STRICT,
    quiet: bool = QUIET,
) -> None:
    """Write a self-contained HTML report of a result: stories, duplicates, cleaning summary."""
    from ..html_report import write_report

    reporter = Reporter(quiet, strict)
    with exits(strict=strict, stopped="no report written"):
        figures = write_report(result, output, on_error=reporter.error)
    reporter.summary(f"report: {figures['articles']} articles, {figures['stories']} stories, {figures['duplicates']} duplicates -> {output}")
    if reporter.errors:
        raise typer.Exit(1)
