"""``cleaner check``: the pre-commit style hygiene check over :func:`cleaner.check.check_paths`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..rulebook import Rulebook
from .common import (
    CONFIG,
    EXCLUDE,
    IGNORE,
    INDEX,
    NO_INDEX,
    QUIET,
    REPORT_STORIES,
    RULES,
    SELECT,
    build_config,
    corpus_index,
    exits,
    fail,
)


def check(
    paths: List[str] = typer.Argument(..., help="Files or folders to check (not stdin)."),
    fix: bool = typer.Option(False, "--fix", help="Rewrite fixable files in place (atomically, keeping permissions and newline style)."),
    diff: bool = typer.Option(False, "--diff", help="Show the fixes as a unified diff without writing anything."),
    output_format: str = typer.Option("text", "--output-format", help="text, json or github."),
    exit_non_zero_on_fix: bool = typer.Option(False, "--exit-non-zero-on-fix", help="Exit 1 when --fix changed files (for pre-commit)."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even with findings."),
    rules: Optional[List[str]] = RULES,
    select: Optional[List[str]] = SELECT,
    ignore: Optional[List[str]] = IGNORE,
    config: Optional[Path] = CONFIG,
    quiet: bool = QUIET,
    index: Optional[Path] = INDEX,
    no_index: bool = NO_INDEX,
    report_stories: bool = REPORT_STORIES,
    exclude: Optional[List[str]] = EXCLUDE,
) -> None:
    """Pre-commit style check: `path:line: CODE message`; exit 0 clean, 1 findings, 2 errors."""
    from ..check import check_paths
    from ..report import OUTPUT_FORMATS, check_summary, render_findings

    if output_format not in OUTPUT_FORMATS:
        fail(f"--output-format must be one of {', '.join(OUTPUT_FORMATS)}")
    if "-" in paths:
        fail("check reads files, not standard input")
    with exits(stopped="files already fixed stay fixed; the others are unchanged"):
        cfg = build_config(config, rules, select, ignore, exclude=exclude)
        rulebook = Rulebook.configured(cfg.strip)
        corpus = corpus_index(cfg, index, no_index, report_stories=report_stories)
        if corpus is None and not no_index and not quiet:  # a copy of a committed article would pass unnoticed
            from ..index import default_index_path

            where = os.path.relpath(default_index_path())
            typer.echo(f"note: no corpus index at {where}: the checked files are compared only with each other; build one with `cleaner index build PATH...`", err=True)
        result = check_paths(paths, cfg, rulebook, fix=fix and not diff, diff=diff, index=corpus)
    for error in result.errors:
        typer.echo(f"error: {error}", err=True)
    if diff:
        sys.stdout.write("".join(result.diffs))
    sys.stdout.write(render_findings(result, output_format))
    if not quiet:
        typer.echo(check_summary(result, fix=fix), err=True)
    code = result.exit_code
    if fix and exit_non_zero_on_fix and result.fixed:
        code = max(code, 1)
    if diff and result.diffs:
        code = max(code, 1)
    raise typer.Exit(0 if exit_zero and code == 1 else code)
