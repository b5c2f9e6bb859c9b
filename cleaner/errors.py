"""Exceptions raised by cleaner's library API.

The CLI turns every :class:`CleanerError` into a one-line message and an exit code;
nothing here is meant to surface as a traceback.
"""

from __future__ import annotations


class CleanerError(Exception):
    """Base class for errors that cleaner reports to the user."""

    exit_code = 2


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
