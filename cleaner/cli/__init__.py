"""The command-line interface: a thin typer layer over :mod:`cleaner`'s library API.

One module per command group (:mod:`.batch`: clean, dedup, run; :mod:`.check`; :mod:`.rules`;
:mod:`.index`; :mod:`.report`), the options and the error-to-exit-code path they share in
:mod:`.common`. Commands are registered here, so no command module imports this one.
Exit codes: see :mod:`cleaner.cli.common`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

import typer

from .. import __version__
from .batch import clean, dedup, run
from .check import check
from ..errors import clear_termination, terminate, termination_requested
from .index import index_app
from .report import report
from .rules import rules_app

app = typer.Typer(
    help="Clean news-article corpora: normalise text, strip site boilerplate, flag duplicates and group stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for command in (clean, dedup, run, check, report):
    app.command()(command)
app.add_typer(rules_app, name="rules")
app.add_typer(index_app, name="index")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cleaner {__version__}")
        raise typer.Exit()


def _raise_on_sigterm(ctx: typer.Context) -> None:
    """Turn SIGTERM into :class:`~cleaner.errors.Terminated` for this command (the previous
    handler is restored after it).

    Forked worker processes inherit the handler; there it does what SIGTERM does by default
    (``multiprocessing`` stops its pool workers with SIGTERM).
    """
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    pid = os.getpid()

    def handler(signum, frame):
        if os.getpid() != pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        terminate()

    clear_termination()
    previous = signal.signal(signal.SIGTERM, handler)
    ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous))


@app.callback()
def main(ctx: typer.Context, version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit.")) -> None:
    """cleaner: get news-article corpora ready for ingestion."""
    _raise_on_sigterm(ctx)


def entry() -> None:
    """The ``cleaner`` console script: :data:`app`, with a SIGTERM that lands outside a command's
    error path (as it starts, or once it has finished) reported as such, exit 143, instead of
    typer's silent 130 for ^C."""
    try:
        app(prog_name="cleaner")
    except SystemExit as exc:
        if exc.code == 130 and termination_requested():
            sys.stderr.write("error: terminated\n")
            raise SystemExit(143) from None
        raise


__all__ = ["app", "entry"]
