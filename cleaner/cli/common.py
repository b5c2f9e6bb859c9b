"""What every command shares: option bundles (defined once), the configuration from file and
options, the reporter on standard error, and the one path from an error to an exit code.

Exit codes: 0 success; 1 findings (``check``) or inputs skipped (``clean``/``dedup``/``run``);
2 usage, configuration or rule errors, unreadable inputs under ``check``, ``--strict``, or a failure
of cleaner itself; 130 interrupted (^C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, List, NoReturn, Optional

import typer

from ..config import Config, load_config
from ..documents import Document, FieldNames
from ..errors import CleanerError, InputError, Terminated, raise_if_terminated

PATHS = typer.Argument(..., help="Files (.txt .md .html .htm .html.gz .jsonl .jsonl.gz .json .csv .parquet), folders (walked recursively, sorted), or - for JSONL on stdin.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write JSONL to this file (atomically; CSV for .csv, Parquet for .parquet), or cleaned files and records.jsonl under DIR/ when it ends with / or is a folder. Default: stdout.")
RULES = typer.Option(None, "--rules", help="Extra rule pack file or folder (repeatable).")
SELECT = typer.Option(None, "--select", help="Only these rule codes or code prefixes (comma-separated, repeatable).")
IGNORE = typer.Option(None, "--ignore", help="Leave out these rule codes or code prefixes (comma-separated, repeatable).")
CONFIG = typer.Option(None, "--config", help="Configuration file (default: nearest cleaner.toml or pyproject.toml with [tool.cleaner]).")
JOBS = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes for per-article work (default 1).")
ENGINE = typer.Option(None, "--engine", help="What runs the per-article work: local (default) or dask (needs cleaner[dask]; a local cluster of --jobs workers unless --scheduler).")
SCHEDULER = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Dask scheduler to run on (tcp://HOST:8786); implies --engine dask.")
ID_FIELD = typer.Option(None, "--id-field", help="Record field holding the article id (default: id_field of the configuration, id).")
TEXT_FIELD = typer.Option(None, "--text-field", help="Record field holding the article text (default: text_field of the configuration, text).")
URL_FIELD = typer.Option(None, "--url-field", help="Record field holding the page's address (default: url_field of the configuration, url; trafilatura's source is read too).")
SITE_FIELD = typer.Option(None, "--site-field", help="Record field holding the site (default: site_field of the configuration, site; trafilatura's hostname is read too).")
DATE_FIELD = typer.Option(None, "--date-field", help="Record field holding the publication date (default: date_field of the configuration, date).")
TITLE_FIELD = typer.Option(None, "--title-field", help="Record field holding the title (default: title_field of the configuration, title).")
LEARN = typer.Option(None, "--learn/--no-learn", help="Learn lines a site repeats and remove them as REP001 (default: automatic when a site has enough articles).")
STRICT = typer.Option(False, "--strict", help="Stop at the first unreadable input (exit 2, no output file written).")
QUIET = typer.Option(False, "--quiet", "-q", help="No summary or progress on stderr.")
EXPLAIN = typer.Option(False, "--explain", help="Print each article for auditing on stdout, removed lines marked with their rule; records are written only with -o FILE.")
EXCLUDE = typer.Option(None, "--exclude", metavar="GLOB", help="Leave out files and folders matching GLOB inside the folders given (repeatable; gitignore-like, relative to each folder). Files named on the command line are always read.")
INDEX = typer.Option(None, "--index", help="Corpus index file (default: .cleaner/index.sqlite at the repository root, used when it exists).")
NO_INDEX = typer.Option(False, "--no-index", help="Do not use a corpus index even if one exists.")
REPORT_STORIES = typer.Option(False, "--report-stories", help="With an index: report STY001 (informational) when an article joins an indexed article's story.")
STATS = typer.Option(None, "--stats", metavar="FILE.json", help="Write the run summary as JSON to this file (atomically; schema: docs/stats.schema.json).")
REPORT_HTML = typer.Option(None, "--report", metavar="FILE.html", help="Write the HTML report of this run's records to this file (as `cleaner report` makes it).")
DROP_DUPLICATES = typer.Option(False, "--drop-duplicates", help="Leave non-canonical copies out of the output.")


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def exits(*, strict: bool = False, stopped: str = "no output file written") -> Iterator[None]:
    """The one path from an error to a message and an exit code, for every command.

    An :class:`InputError` escapes only under ``--strict`` (the reporter raises it); any other
    :class:`CleanerError` is the user's setting or file; ^C and SIGTERM say what was left
    (``stopped``); anything else is cleaner's own failure: exit 2, never a traceback.
    """
    try:
        yield
        raise_if_terminated()  # SIGTERM arrived where its exception was ignored
    except typer.Exit:
        raise
    except InputError as exc:
        fail(f"{exc} (stopped: --strict)" if strict else str(exc))
    except CleanerError as exc:
        fail(str(exc))
    except Terminated:
        fail(f"terminated; {stopped}", 143)
    except BrokenPipeError:  # the reader of standard output went away (`cleaner run ... | head`): stop quietly
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit's flush cannot fail again
        except (OSError, ValueError):
            pass
        raise typer.Exit(141) from None
    except KeyboardInterrupt:
        fail(f"interrupted; {stopped}", 130)
    except Exception as exc:  # noqa: BLE001 - exit 1 would read as "findings"; a traceback helps no user
        fail(f"cleaner failed: {type(exc).__name__}: {exc} (please report this)")


def codes(values: Optional[List[str]]) -> tuple[str, ...]:
    """``--select A,B --select C`` -> ``("A", "B", "C")``."""
    return tuple(c.strip() for v in values or () for c in v.split(",") if c.strip())


def build_config(
    config_path: Optional[Path] = None,
    rules: Optional[List[str]] = None,
    select: Optional[List[str]] = None,
    ignore: Optional[List[str]] = None,
    jobs: Optional[int] = None,
    id_field: Optional[str] = None,
    text_field: Optional[str] = None,
    learn: Optional[bool] = None,
    exclude: Optional[List[str]] = None,
    engine: Optional[str] = None,
    scheduler: Optional[str] = None,
) -> Config:
    """The configuration file's settings with the command-line options on top (``--exclude`` adds to ``exclude``)."""
    config, _ = load_config(config_path)
    strip: dict = {"rules": config.strip.rules + tuple(str(Path(r).resolve()) for r in rules or ())}
    if select:  # the command line's selection replaces the file's selection and its ignores
        strip["select"], strip["ignore"] = codes(select), ()
    if ignore:
        strip["ignore"] = (() if select else config.strip.ignore) + codes(ignore)
    if learn is not None:
        strip["learn"] = learn
    if scheduler is not None and engine is None:
        engine = "dask"
    top = {k: v for k, v in (("jobs", jobs), ("id_field", id_field), ("text_field", text_field), ("engine", engine), ("scheduler", scheduler)) if v is not None}
    if exclude:
        top["exclude"] = (*config.exclude, *exclude)
    return config.replace(strip=strip, **top)


def field_names(config: Config, **names: Optional[str]) -> FieldNames:
    """The configuration's field names (:attr:`Config.field_names`) with the ``--url-field``... options
    given (``url="link"``; None keeps the configuration's) on top; a clash is a configuration error."""
    given = {f"{key}_field": value for key, value in names.items() if value is not None}
    return config.replace(**given).field_names if given else config.field_names


def corpus_index(config: Config, index: Optional[Path], no_index: bool, *, report_stories: bool = False):
    """The index to use for a command: ``--index PATH``, else the default one when it exists, else None."""
    from ..index import (
        open_index,  # sqlite and numpy only for commands that use an index
    )

    if no_index:
        return None
    corpus = open_index(config, index, required=index is not None)
    if corpus is not None:
        corpus.report_stories = report_stories
    return corpus


class Reporter:
    """Prints input errors, progress on a terminal (:mod:`cleaner.cli.progress`), and the summary,
    all on stderr. :meth:`run_progress` is what a command gives its pipeline: a display on a
    terminal, else a :class:`~cleaner.progress.Progress` that prints nothing (it still times the phases)."""

    def __init__(self, quiet: bool, strict: bool):
        self.quiet, self.strict = quiet, strict
        self.errors = 0
        self.tty = sys.stderr.isatty() and not quiet
        self.display = None
        self.on_error: Optional[Callable[[InputError], None]] = None  # also told of each error (the --stats tally)

    def run_progress(self):
        from ..progress import Progress

        if self.tty:
            from .progress import TerminalProgress

            self.display = TerminalProgress()
            return self.display
        return Progress()

    def error(self, error: InputError) -> None:
        self.errors += 1
        if self.on_error is not None:
            self.on_error(error)
        if self.strict:
            raise error
        if self.display is not None:
            self.display.print(f"error: {error}")
        else:
            typer.echo(f"error: {error}", err=True)

    def progress(self, docs: Iterable[Document]) -> Iterator[Document]:
        """``docs`` as they are; the display (if any) is taken down after the last one, or on an error."""
        try:
            yield from docs
        finally:
            self.stop()

    def stop(self) -> None:
        if self.display is not None:
            self.display.stop()

    def summary(self, text: str) -> None:
        if not self.quiet:
            typer.echo(text, err=True)
