"""Exceptions raised by cleaner's library API.

The CLI turns every :class:`CleanerError` into a one-line message and an exit code;
nothing here is meant to surface as a traceback.
"""

from __future__ import annotations

import re

#: What would break a one-line message or play tricks on a terminal: C0 and C1 control
#: characters (line feed, carriage return, escape...) and the Unicode line and paragraph separators.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    r"""``text`` for a one-line message: control characters and line separators as Python escapes.

    File names may hold any of them (a line feed, an escape sequence that recolours the terminal).

    >>> print(printable("in/two\nlines.txt"), printable("\x1b[31mred.txt"), printable("caf\u00e9 \u2028"))
    in/two\nlines.txt \x1b[31mred.txt café \u2028
    """
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class CleanerError(Exception):
    """Base class for errors that cleaner reports to the user.

    The message is always one line: a file name, id or value in it that holds a line break or
    another control character is shown with :func:`printable` escapes.
    """

    exit_code = 2

    def __str__(self) -> str:
        return printable(super().__str__())


class ConfigError(CleanerError):
    """A configuration file or command-line option is invalid."""


class RuleError(CleanerError):
    """A rule file is invalid: names the file, the rule code and the problem."""

    def __init__(self, path: str, code: str | None, problem: str):
        self.path, self.code, self.problem = path, code, problem
        where = f"{path}: rule {code}" if code else path
        super().__init__(f"{where}: {problem}")


class InputError(CleanerError):
    """One input (a file, or a line of a JSONL file) could not be read.

    ``path`` and ``line`` say where; ``line`` is 1-based or ``None`` for the whole file.
    """

    def __init__(self, path: str, line: int | None, problem: str):
        self.path, self.line, self.problem = path, line, problem
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {problem}")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like ^C so that every cleanup runs (atomic writers remove their temporary
    files, SQLite transactions roll back) and no command prints a traceback."""


_termination_requested = False


def terminate() -> None:
    """Note that the process was asked to stop, and raise :class:`Terminated`.

    A signal handler calls this. Python ignores an exception raised where it cannot propagate
    (a fork hook, a finaliser, ``__del__``), so the request is also remembered:
    :func:`raise_if_terminated`, which every atomic commit calls, raises it again, and a
    terminated run never renames its output into place.
    """
    global _termination_requested
    _termination_requested = True
    raise Terminated()


def termination_requested() -> bool:
    """Whether :func:`terminate` was called in this process (and not cleared since)."""
    return _termination_requested


def raise_if_terminated() -> None:
    """Raise :class:`Terminated` when :func:`terminate` was called in this process."""
    if _termination_requested:
        raise Terminated()


def clear_termination() -> None:
    """Forget a termination request (a new command in the same process starts afresh)."""
    global _termination_requested
    _termination_requested = False
