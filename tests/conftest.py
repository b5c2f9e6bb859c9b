"""Shared helpers for the CLI tests: run the real ``cleaner``, seeds, fixtures.

Most CLI tests run in this process (:func:`invoke`, typer's runner, in a temporary working
directory, failing on any escaped exception); tests where the process itself matters (signals,
stdout as a file descriptor, other users, ``--jobs``, the entry point) run ``python -m cleaner``
in a subprocess (:func:`run_cli`) with ``PYTHONPATH`` pointing at this checkout. Either way no
configuration file of the developer's tree leaks in.

The suite runs on every core (pytest-xdist, ``-n auto --dist loadfile`` in pyproject.toml; ``-n 0``
runs it in one process). Each test file runs whole on one worker, so a module- or session-scoped
fixture (a corpus, an index, the pre-commit install, the browser) is set up once, as in a serial run;
files are handed out in collection order, the files with a session fixture of their own first
(:func:`pytest_collection_modifyitems`).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the checkout's package, also when pytest runs from elsewhere
    sys.path.insert(0, str(ROOT))
SEEDS_DIR = ROOT / "seeds"
DATA_DIR = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"

SEED_A = "000_8c84807cfaeaf71a.txt"  # Jewish Press style: credit + caption, prev/next, author line
SEED_B = "004_5218e9eb05f8e480.txt"  # machine translation: comment form and Akismet notice

# The boilerplate of each seed: (exact line text, expected rule code or code prefix).
# The Akismet line may be removed by COM002 or by COM001's ``action = "rest"``: both are comment rules.
SEED_BOILERPLATE: dict[str, list[tuple[str, str]]] = {
    SEED_A: [
        ("Photo Credit: Marine Corps Sgt. Branden Bourque", "CRD001"),
        ("Marines fly multiple MV-22 Ospreys during a simulated air raid in Kuwait, Sept. 24, 2019.", "CRD001"),
        ("Previous articleChallenges to Gaza Ceasefire Are Arising Quickly", "NAV001"),
        ("Next articleIsraeli Government Approves Appointment of Permanent State Prosecutor", "NAV001"),
        ("David writes news at", "BYL001"),
    ],
    SEED_B: [
        ("Leave a Comment", "COM001"),
        ("This site uses Akismet to reduce spam. Learn how your comment data is processed.", "COM"),
    ],
}

UNRELATED_TXT = DATA_DIR / "unrelated_rate_decision.txt"


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("PYTHONSTARTUP", None)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_cli(*args: str | os.PathLike, cwd: Path, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m cleaner *args`` in ``cwd``; stdout/stderr decoded as UTF-8."""
    proc = subprocess.run(
        [sys.executable, "-m", "cleaner", *map(str, args)],
        cwd=cwd,
        env=cli_env(),
        input=input,
        capture_output=True,
        timeout=timeout,
    )
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


def invoke(*args: str | os.PathLike, cwd: Path, input: bytes | str | None = None) -> subprocess.CompletedProcess:
    """Run the CLI in this process (typer's runner) in ``cwd``; same result shape as :func:`run_cli`.

    A Python exception that escaped the CLI (a traceback a user would see) fails the test here, so
    in-process tests keep the "never a traceback" promise that subprocess tests check on stderr.
    """
    from typer.testing import CliRunner

    from cleaner.cli import app

    old = Path.cwd()
    os.chdir(cwd)
    try:
        with _built_command_reused():
            result = CliRunner().invoke(app, [str(a) for a in args], input=input)
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"cleaner {' '.join(map(str, args))} raised:\n{trace}")
    return subprocess.CompletedProcess(["cleaner", *map(str, args)], result.exit_code, result.stdout, result.stderr)


@functools.cache
def _command(app):
    """The click command typer builds from ``app``, built once: click commands are meant to be
    invoked many times (building one walks every command's signature, about 20 ms a call)."""
    import typer.main

    return typer.main.get_command(app)


@contextlib.contextmanager
def _built_command_reused():
    """typer's runner, for the duration of one :func:`invoke`, takes the command :func:`_command` built."""
    import typer.testing

    build = typer.testing._get_command
    typer.testing._get_command = _command
    try:
        yield
    finally:
        typer.testing._get_command = build


_ENCODERS: dict[tuple, object] = {}


def story_index(config=None):
    """A ``StoryIndex`` for ``config`` whose encoder, when ``config`` names one, is loaded once per test
    process and then shared: loading USE takes about a second, and an encoder holds no state of an index
    (the index keeps the vectors). Tests of the loading itself build their own (tests/test_semantic.py)."""
    from cleaner.semantic import load_encoder
    from cleaner.stories import StoryConfig, StoryIndex

    config = config or StoryConfig()
    if config.encoder == "none":
        return StoryIndex(config)
    key = (config.encoder, config.encoder_path)
    if key not in _ENCODERS:
        _ENCODERS[key] = load_encoder(config)
    return StoryIndex(config, encoder=_ENCODERS[key])


def read_jsonl(path_or_text: Path | str) -> list[dict]:
    text = path_or_text.read_text(encoding="utf-8") if isinstance(path_or_text, Path) else path_or_text
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def by_id(records: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in records}


def norm(line: str) -> str:
    """Comparison form of a line: NFC, whitespace runs collapsed (what normalisation may change)."""
    return " ".join(unicodedata.normalize("NFC", line).split())


def paragraphs(text: str) -> list[str]:
    """The non-blank lines of a text, in comparison form."""
    return [norm(line) for line in text.split("\n") if line.strip()]


def seed_text(name: str) -> str:
    return (SEEDS_DIR / name).read_text(encoding="utf-8")


def seed_line_number(name: str, line: str) -> int:
    """1-based line number of ``line`` in the seed file."""
    for number, text in enumerate(seed_text(name).split("\n"), 1):
        if text.strip() == line:
            return number
    raise AssertionError(f"{line!r} not in seed {name}")


def kept_paragraphs(name: str) -> list[str]:
    """The seed's paragraphs minus its boilerplate lines: what a clean must keep, in order."""
    boiler = {norm(text) for text, _ in SEED_BOILERPLATE[name]}
    return [p for p in paragraphs(seed_text(name)) if p not in boiler]


def assert_clean_stderr(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


@pytest.fixture(scope="session")
def cli():
    """The in-process :func:`invoke` helper as a fixture (usable from module-scoped fixtures)."""
    return invoke


@pytest.fixture(scope="session")
def cli_inproc():
    """The in-process :func:`invoke` helper as a fixture."""
    return invoke


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of the project's seeds folder, at ``tmp_path / "seeds"``."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, target)
    return target


def pytest_collection_modifyitems(config, items):
    """The test files that define a session-scoped fixture of their own (an install, a browser: the
    longest set-ups) first, the rest in their order: the workers then start on the longest files and
    share out the short ones at the end, instead of one worker starting a long file as the last one."""

    def own_session_fixture(item) -> bool:
        module = item.nodeid.split("::", 1)[0]
        info = getattr(item, "_fixtureinfo", None)
        return info is not None and any(
            d.scope == "session" and d.baseid == module for defs in info.name2fixturedefs.values() for d in defs
        )

    first = {item.nodeid.split("::", 1)[0] for item in items if own_session_fixture(item)}
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in first)  # stable: the order within is kept
