"""The command-line interface: a thin typer layer over :mod:`cleaner`'s library API.

Exit codes: 0 success; 1 findings (``check``) or inputs skipped (``clean``/``dedup``/``run``);
2 usage, configuration or rule errors, unreadable inputs under ``check``, or ``--strict``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Iterable, Iterator, List, Optional

import typer

from . import __version__
from .codes import BUILTIN, builtin as builtin_code
from .cli_index import INDEX, NO_INDEX, REPORT_STORIES, corpus_index, index_app
from .config import Config, load_config
from .documents import Document
from .errors import CleanerError, InputError
from .pipeline import Pipeline
from .readers import read_paths
from .rulebook import Rulebook

app = typer.Typer(
    help="Clean news-article corpora: normalise text, strip site boilerplate, flag duplicates and group stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(help="List, show, test and learn boilerplate rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(index_app, name="index")

# Option bundles shared by the commands (defined once, as sqlite-utils does).
PATHS = typer.Argument(..., help="Files (.txt .md .html .htm .jsonl .jsonl.gz), folders (walked recursively, sorted), or - for JSONL on stdin.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write JSONL to this file (atomically), or cleaned files under DIR/ when it ends with / or is a folder. Default: stdout.")
RULES = typer.Option(None, "--rules", help="Extra rule pack file or folder (repeatable).")
SELECT = typer.Option(None, "--select", help="Only these rule codes or code prefixes (comma-separated, repeatable).")
IGNORE = typer.Option(None, "--ignore", help="Leave out these rule codes or code prefixes (comma-separated, repeatable).")
CONFIG = typer.Option(None, "--config", help="Configuration file (default: nearest cleaner.toml or pyproject.toml with [tool.cleaner]).")
JOBS = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes for per-article work (default 1).")
ID_FIELD = typer.Option(None, "--id-field", help="JSONL field holding the article id (default id).")
TEXT_FIELD = typer.Option(None, "--text-field", help="JSONL field holding the article text (default text).")
LEARN = typer.Option(None, "--learn/--no-learn", help="Learn lines a site repeats and remove them as REP001 (default: automatic when a site has enough articles).")
STRICT = typer.Option(False, "--strict", help="Stop at the first unreadable input (exit 2, no output file written).")
QUIET = typer.Option(False, "--quiet", "-q", help="No summary or progress on stderr.")
EXPLAIN = typer.Option(False, "--explain", help="Print each article for auditing, removed lines marked with their rule, instead of JSONL.")
EXCLUDE = typer.Option(None, "--exclude", metavar="GLOB", help="Leave out files and folders matching GLOB inside the folders given (repeatable; gitignore-like, relative to each folder). Files named on the command line are always read.")


def _codes(values: Optional[List[str]]) -> tuple[str, ...]:
    return tuple(c.strip() for v in values or () for c in v.split(",") if c.strip())


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


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
) -> Config:
    """The configuration file's settings with the command-line options on top (``--exclude`` adds to ``exclude``)."""
    config, _ = load_config(config_path)
    strip: dict = {"rules": config.strip.rules + tuple(str(Path(r).resolve()) for r in rules or ())}
    if select:  # the command line's selection replaces the file's selection and its ignores
        strip["select"], strip["ignore"] = _codes(select), ()
    if ignore:
        strip["ignore"] = (() if select else config.strip.ignore) + _codes(ignore)
    if learn is not None:
        strip["learn"] = learn
    top = {k: v for k, v in (("jobs", jobs), ("id_field", id_field), ("text_field", text_field)) if v is not None}
    if exclude:
        top["exclude"] = (*config.exclude, *exclude)
    return config.replace(strip=strip, **top)


class Reporter:
    """Prints input errors, progress on a terminal, and the summary, all on stderr."""

    def __init__(self, quiet: bool, strict: bool):
        self.quiet, self.strict = quiet, strict
        self.errors = 0
        self.tty = sys.stderr.isatty() and not quiet
        self._last = 0.0

    def error(self, error: InputError) -> None:
        self.errors += 1
        self._clear()
        if self.strict:
            raise error
        typer.echo(f"error: {error}", err=True)

    def progress(self, docs: Iterable[Document]) -> Iterator[Document]:
        for n, doc in enumerate(docs, 1):
            if self.tty and time.monotonic() - self._last > 0.2:
                self._last = time.monotonic()
                sys.stderr.write(f"\r{n} articles…")
                sys.stderr.flush()
            yield doc
        self._clear()

    def _clear(self) -> None:
        if self.tty and self._last:
            sys.stderr.write("\r\033[K")
            self._last = 0.0

    def summary(self, text: str) -> None:
        if not self.quiet:
            typer.echo(text, err=True)


def _emit(pipeline: Pipeline, result, output: Optional[str], reporter: Reporter, *, removed: bool, groups: bool, explain: bool, drop_duplicates: bool = False) -> None:
    from .report import explain_article, explain_story
    from .writers import JsonlWriter, TreeWriter

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
    elif output and (output.endswith(("/", "\\")) or Path(output).is_dir()):
        with TreeWriter(output) as tree:  # staged: moved into place only when every article is written
            for doc in docs:
                try:
                    tree.write_one(doc.id, doc.text)
                except ValueError as exc:
                    reporter.error(InputError(doc.source or doc.id, doc.source_line, str(exc)))
    else:
        JsonlWriter(output).write(d.record(removed=removed, groups=groups) for d in docs)


def _run_command(verb: str, paths: List[str], output: Optional[str], options: dict, *, quiet: bool, strict: bool, explain: bool, drop_duplicates: bool = False, corpus: tuple = (None, True)) -> None:
    reporter = Reporter(quiet, strict)
    try:
        config = build_config(**options)
        pipeline = Pipeline(config, on_error=reporter.error, explain=explain, index=corpus_index(config, *corpus))
        items = read_paths(paths, id_field=config.id_field, text_field=config.text_field, exclude=config.exclude)
        result = getattr(pipeline, verb)(items)
        _emit(pipeline, result, output, reporter, removed=verb != "dedup", groups=verb != "clean", explain=explain, drop_duplicates=drop_duplicates)
    except InputError as exc:
        _fail(f"{exc} (stopped: --strict)")
    except CleanerError as exc:
        _fail(str(exc))
    except Terminated:
        _fail("terminated; no output file written", 143)
    except KeyboardInterrupt:
        _fail("interrupted; no output file written", 130)
    reporter.summary(result.stats.summary())
    if reporter.errors:
        raise typer.Exit(1)


@app.command()
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
    learn: Optional[bool] = LEARN,
    strict: bool = STRICT,
    quiet: bool = QUIET,
    explain: bool = EXPLAIN,
    exclude: Optional[List[str]] = EXCLUDE,
) -> None:
    """Normalise and strip boilerplate. Each record gets `removed`: {line, rule, text} per line taken out."""
    options = dict(config_path=config, rules=rules, select=select, ignore=ignore, jobs=jobs, id_field=id_field, text_field=text_field, learn=learn, exclude=exclude)
    _run_command("clean", paths, output, options, quiet=quiet, strict=strict, explain=explain)


@app.command()
def dedup(
    paths: List[str] = PATHS,
    output: Optional[str] = OUTPUT,
    config: Optional[Path] = CONFIG,
    jobs: Optional[int] = JOBS,
    id_field: Optional[str] = ID_FIELD,
    text_field: Optional[str] = TEXT_FIELD,
    drop_duplicates: bool = typer.Option(False, "--drop-duplicates", help="Leave non-canonical copies out of the output."),
    strict: bool = STRICT,
    quiet: bool = QUIET,
    index: Optional[Path] = INDEX,
    no_index: bool = NO_INDEX,
    exclude: Optional[List[str]] = EXCLUDE,
) -> None:
    """Group without cleaning. Each record gets `duplicate_of` (canonical id or null) and `story`."""
    options = dict(config_path=config, jobs=jobs, id_field=id_field, text_field=text_field, exclude=exclude)
    _run_command("dedup", paths, output, options, quiet=quiet, strict=strict, explain=False, drop_duplicates=drop_duplicates, corpus=(index, no_index))


@app.command()
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
    learn: Optional[bool] = LEARN,
    drop_duplicates: bool = typer.Option(False, "--drop-duplicates", help="Leave non-canonical copies out of the output."),
    strict: bool = STRICT,
    quiet: bool = QUIET,
    explain: bool = EXPLAIN,
    index: Optional[Path] = INDEX,
    no_index: bool = NO_INDEX,
    exclude: Optional[List[str]] = EXCLUDE,
) -> None:
    """Clean, then group on the cleaned text: the main job."""
    options = dict(config_path=config, rules=rules, select=select, ignore=ignore, jobs=jobs, id_field=id_field, text_field=text_field, learn=learn, exclude=exclude)
    _run_command("run", paths, output, options, quiet=quiet, strict=strict, explain=explain, drop_duplicates=drop_duplicates, corpus=(index, no_index))


@app.command()
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
    from .check import check_paths
    from .report import OUTPUT_FORMATS, check_summary, render_findings

    if output_format not in OUTPUT_FORMATS:
        _fail(f"--output-format must be one of {', '.join(OUTPUT_FORMATS)}")
    if "-" in paths:
        _fail("check reads files, not standard input")
    try:
        cfg = build_config(config, rules, select, ignore, exclude=exclude)
        rulebook = Rulebook.configured(cfg.strip)
        corpus = corpus_index(cfg, index, no_index, report_stories=report_stories)
        if corpus is None and not no_index and not quiet:  # a copy of a committed article would pass unnoticed
            from .index import default_index_path

            where = os.path.relpath(default_index_path())
            typer.echo(f"note: no corpus index at {where}: the checked files are compared only with each other; build one with `cleaner index build PATH...`", err=True)
        result = check_paths(paths, cfg, rulebook, fix=fix and not diff, diff=diff, index=corpus)
    except CleanerError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - check's own failure is exit 2: exit 1 would read as "findings"
        _fail(f"check failed: {type(exc).__name__}: {exc}")
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


def _rulebook(rules: Optional[List[str]], config: Optional[Path], builtin: bool = True) -> Rulebook:
    cfg = build_config(config, rules)
    return Rulebook.load(cfg.strip.rules, builtin=builtin and cfg.strip.builtin_rules)


@rules_app.command("list")
def rules_list(rules: Optional[List[str]] = RULES, config: Optional[Path] = CONFIG) -> None:
    """List every rule: code, name, pack, where it fires and what it removes."""
    from .report import rule_table

    try:
        typer.echo(rule_table(_rulebook(rules, config), [(c.code, c.name, c.summary) for c in BUILTIN]), nl=False)
    except CleanerError as exc:
        _fail(str(exc))


@rules_app.command("show")
def rules_show(code: str, rules: Optional[List[str]] = RULES, config: Optional[Path] = CONFIG) -> None:
    """Show one rule in full: description, pattern, position and examples."""
    from .report import rule_details

    try:
        rule = _rulebook(rules, config).get(code.upper())
    except CleanerError as exc:
        _fail(str(exc))
    if rule is None:
        if code.upper() in {c.code for c in BUILTIN}:
            c = builtin_code(code.upper())
            kind = "informational" if c.informational else "fixable with --fix" if c.fixable else "no automatic fix"
            typer.echo(f"{c.code} {c.name}  (built-in; {kind})\n\n{c.summary}")
            return
        _fail(f"no rule {code!r}; `cleaner rules list` shows the codes")
    typer.echo(rule_details(rule), nl=False)


@rules_app.command("test")
def rules_test(rules: Optional[List[str]] = RULES, config: Optional[Path] = CONFIG, builtin: bool = typer.Option(True, "--builtin/--no-builtin", help="Include the shipped packs.")) -> None:
    """Run every rule's must-match and must-not-match examples (shipped and user packs)."""
    try:
        book = _rulebook(rules, config, builtin)
    except CleanerError as exc:
        _fail(str(exc))
    failures = book.test()
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    examples = sum(len(r.must_match) + len(r.must_not_match) for r in book)
    typer.echo(f"{len(book)} rules, {examples} examples: {len(failures)} failed" if failures else f"{len(book)} rules, {examples} examples: all passed")
    raise typer.Exit(1 if failures else 0)


@rules_app.command("learn")
def rules_learn(
    paths: List[str] = PATHS,
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the pack here (default: stdout)."),
    min_articles: Optional[int] = typer.Option(None, "--min-articles", min=2, help="A line must recur in at least this many articles of a site (default 5)."),
    min_share: Optional[float] = typer.Option(None, "--min-share", min=0.0, max=1.0, help="...and in at least this share of them (default 0.5)."),
    prefix: str = typer.Option("LRN", "--prefix", help="Code prefix of the learned rules."),
    config: Optional[Path] = CONFIG,
    id_field: Optional[str] = ID_FIELD,
    text_field: Optional[str] = TEXT_FIELD,
    exclude: Optional[List[str]] = EXCLUDE,
) -> None:
    """Learn the lines each site repeats and write them as a rule pack to review and keep."""
    from .learn import pack_toml
    from .writers import atomic_write

    reporter = Reporter(quiet=False, strict=False)
    try:
        cfg = build_config(config, id_field=id_field, text_field=text_field, exclude=exclude)
        limits = {k: v for k, v in (("learn_min_articles", min_articles), ("learn_min_share", min_share)) if v is not None}
        cfg = cfg.replace(strip=limits)
        learned = Pipeline(cfg, Rulebook([]), on_error=reporter.error).learn(read_paths(paths, id_field=cfg.id_field, text_field=cfg.text_field, exclude=cfg.exclude))
    except CleanerError as exc:
        _fail(str(exc))
    text = pack_toml(learned, prefix=prefix.upper())
    if output:
        with atomic_write(output) as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    typer.echo(f"learned {sum(map(len, learned.values()))} line(s) from {len(learned)} site(s)", err=True)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"cleaner {__version__}")
        raise typer.Exit()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like ^C so that every cleanup runs (atomic writers remove their temporary
    files, SQLite transactions roll back) and no command prints a traceback."""


def _raise_on_sigterm(ctx: typer.Context) -> None:
    """Turn SIGTERM into :class:`Terminated` for this command (the previous handler is restored after it).

    Forked worker processes inherit the handler; there it does what SIGTERM does by default
    (``multiprocessing`` stops its pool workers with SIGTERM).
    """
    import os
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    pid = os.getpid()

    def handler(signum, frame):
        if os.getpid() != pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous))


@app.callback()
def main(ctx: typer.Context, version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True, help="Show the version and exit.")) -> None:
    """cleaner: get news-article corpora ready for ingestion."""
    _raise_on_sigterm(ctx)


if __name__ == "__main__":
    app()
