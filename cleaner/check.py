"""The hygiene check behind ``cleaner check``: findings per file and line, and their fixes.

Four kinds of finding, each with a code that ``select``/``ignore`` filter:

* a boilerplate line, under the code of the rule that would remove it;
* a line that normalisation would change, under an ``NRM`` code (see :mod:`cleaner.normalize`);
* an article that duplicates another one among those checked: ``DUP001``;
* an article made only of boilerplate: ``CHK001`` (not fixable: a fix would leave nothing).

Text and Markdown files and JSONL records can be fixed (lines removed, text normalised);
HTML pages and duplicates are reported only.

``--fix`` repeats an article's fix until nothing changes (a second ``--fix`` changes nothing); how
files are written is :mod:`cleaner.fixing`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .cleaning import Cleaner
from .codes import INFORMATIONAL, builtin
from .config import Config
from .documents import Document
from .duplicates import DuplicateIndex
from .errors import InputError
from .fingerprints import Fingerprinter
from .fixing import fix_jsonl_file, fix_text_file, read_file, restyle
from .learned import Learner, merge, same
from .readers import iter_files, kind_of, read_paths
from .rulebook import Rulebook

DUPLICATE, DUPLICATE_NAME = "DUP001", builtin("DUP001").name
ALL_BOILERPLATE, ALL_BOILERPLATE_NAME = "CHK001", builtin("CHK001").name
#: A fix is applied again until the text is stable; this bounds the passes (ruff bounds its loop too).
MAX_FIX_PASSES = 10


@dataclass(frozen=True)
class Finding:
    """One problem at ``path:line``; ``fixable`` says whether ``--fix`` repairs it."""

    path: str
    line: int
    code: str
    name: str
    message: str
    fixable: bool
    record: str | None = None

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "fixable": self.fixable,
            "record": self.record,
        }


@dataclass
class CheckResult:
    """Findings, input errors, what was (or would be) fixed, and the diffs when asked."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    fixed: dict[str, int] = field(default_factory=dict)
    diffs: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if any(f.code not in INFORMATIONAL for f in self.findings) else 0


def _selected(code: str, config: Config) -> bool:
    select, ignore = config.strip.select, config.strip.ignore
    return (not select or any(code.startswith(p) for p in select)) and not any(code.startswith(p) for p in ignore)


def _short(text: str, limit: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Fixed:
    """An article's findings (line, code, name, message), its fixed text (None when nothing
    fixable changed; newline style and final line end kept) and its cleaned text."""

    findings: list[tuple[int, str, str, str]]
    text: str | None
    cleaned: str


class Checker:
    """Checks articles one at a time (``examine``, ``remember``), then duplicates (``duplicates``).

    Articles are cleaned by the same :class:`~cleaner.cleaning.Cleaner` as ``run`` cleans them, with
    the site lines ``learned`` from the corpus (see :func:`learned_site_lines`).
    """

    def __init__(self, config: Config, rulebook: Rulebook, corpus=None, learned=None):
        self.config, self.rulebook = config, rulebook
        self.cleaner = Cleaner(config, rulebook, learned)
        self.fingerprinter = Fingerprinter(config.duplicates)
        self.index = DuplicateIndex(config.duplicates)
        self.where: list[tuple[str, int, str | None]] = []  # (path, line, record) of each remembered article
        self.corpus = corpus  # a cleaner.index.CorpusIndex: staged articles are also compared with it
        self.corpus_findings: list[Finding] = []
        #: (source, line) -> the article's text once fixed, when fixing shifts what is learned (see learned_site_lines)
        self.planned: dict[tuple[str | None, int | None], str] | None = None

    def examine(self, text: str, site: str | None) -> _Fixed:
        """Findings (line, code, name, message) for one article's text, and the text one fix pass makes."""
        cleaned = self.cleaner.clean(text, site)
        findings = []
        for fix in cleaned.fixes:
            for code in fix.codes:
                if _selected(code, self.config):
                    findings.append((fix.line, code, builtin(code).name, f"{builtin(code).summary}: {_short(fix.before)!r}"))
        for removal in cleaned.removed:
            rule = self.rulebook.get(removal.rule)
            name = rule.name if rule else builtin(removal.rule).name
            findings.append((removal.line, removal.rule, name, f"boilerplate ({name}): {_short(removal.text)!r}"))
        changed = any(_selected(c, self.config) for c in cleaned.steps) or cleaned.removed
        fixed = restyle("\n".join(cleaned.fixed_lines()), text) if changed else None
        findings.sort(key=lambda f: (f[0], f[1]))
        return _Fixed(findings, fixed, cleaned.text)

    def settle(self, examined: _Fixed, site: str | None) -> str | None:
        """The fixed text once fixing it again changes nothing (None when there is nothing to fix).

        Removing a line can make another one a head or tail line for the rules, and a fixed
        line break can leave trailing whitespace to remove: one pass is not always enough.
        """
        fixed = examined.text
        for _ in range(MAX_FIX_PASSES):
            again = self.examine(fixed, site).text if fixed is not None else None
            if again is None or again == fixed:
                break
            fixed = again
        return fixed

    def remember(self, doc: Document, cleaned: str, path: str, line: int) -> None:
        """Keep an article's signature for :meth:`duplicates` (and compare it with the corpus index)."""
        signature = self.fingerprinter.signature(cleaned)
        record = doc.id if doc.source_line else None
        key = str(len(self.where))  # articles are told apart by where they are, not by id (a/x.txt, b/x.txt)
        self.where.append((path, line, record))
        found = self.corpus.check(doc, cleaned, signature, path) if self.corpus is not None else []
        self.corpus_findings += [Finding(path, line, c, n, m, False, record) for c, n, m in found if _selected(c, self.config)]
        if not any(c == DUPLICATE for c, _, _ in found):  # a copy of an indexed article is nobody's canonical
            self.index.add(key, signature, date=doc.date)

    def duplicates(self) -> list[Finding]:
        out = list(self.corpus_findings)
        for key, match in self.index.assign().items():
            if match.canonical is None or not _selected(DUPLICATE, self.config):
                continue
            path, line, record = self.where[int(key)]
            other_path, other_line, other_record = self.where[int(match.canonical)]
            other = f"{other_path}:{other_line}" + (f" (record {other_record!r})" if other_record else "")
            message = f"duplicates {other} (similarity {match.score:.2f}); remove one of the copies"
            out.append(Finding(path, line, DUPLICATE, DUPLICATE_NAME, message, False, record))
        return out


def check_paths(paths: Iterable[str], config: Config, rulebook: Rulebook, *, fix: bool = False, diff: bool = False, index=None) -> CheckResult:
    """Check every article under ``paths``; with ``fix`` rewrite fixable files in place.

    ``index`` (a :class:`cleaner.index.CorpusIndex`): also report duplicates of indexed articles.
    A JSONL id used twice is reported as ``run`` reports it (an input error naming the first use)
    and that record is skipped.
    """
    rulebook = rulebook.select(config.strip.select, config.strip.ignore)
    learned, planned = learned_site_lines(paths, config, Cleaner(config, rulebook), index)
    checker = Checker(config, rulebook, index, learned)
    checker.planned = planned
    result = CheckResult()
    seen_ids: dict[str, str] = {}
    files: set[str] = set()
    problems: list[InputError] = []  # from walking the folders: reported in walk order
    for path, ident, shown in iter_files(list(paths), exclude=config.exclude, on_error=problems.append):
        result.errors += problems
        problems.clear()
        source, items = read_file(path, ident, shown, config)
        record_fixes: dict[int, str] = {}
        for item in items:
            if isinstance(item, Document) and item.source_line:  # a JSONL record
                if item.id in seen_ids:
                    item = InputError(item.source, item.source_line, f"id {item.id!r} already used at {seen_ids[item.id]}, skipped")
                else:
                    seen_ids[item.id] = f"{item.source}:{item.source_line}"
            if isinstance(item, InputError):
                result.errors.append(item)
                continue
            files.add(shown)
            fixed = _check_article(checker, item, shown, result)
            if fixed is None or source is None:
                continue
            if item.source_line:
                record_fixes[item.source_line] = fixed
            else:
                fix_text_file(source, item.original, fixed, result, fix=fix, diff=diff)
        if record_fixes:
            fix_jsonl_file(source, record_fixes, config.text_field, result, fix=fix, diff=diff)
    result.errors += problems
    result.files = len(files)
    result.findings.extend(checker.duplicates())
    if fix:
        fixed_paths = set(result.fixed)
        result.findings = [f for f in result.findings if not (f.fixable and f.path in fixed_paths)]
    result.findings.sort(key=lambda f: (f.path, f.line, f.code))
    return result


def learned_site_lines(paths: Iterable[str], config: Config, cleaner: Cleaner, index=None) -> tuple[dict, dict | None]:
    """The lines each site repeats, exactly or as templates with slots (site ->
    :class:`cleaner.learned.SiteLearning`), learned as ``run`` learns them: from the checked articles
    (normalised; one extra read of the files), together with those the corpus ``index`` learned from
    the whole corpus when it was built and keeps. Nothing when learning is off.

    Also, when fixing shifts what is learned, each article's text once fixed, by (source, line);
    else None. A fix removes a learned line from every article it changes, but not from those it
    leaves as they are (a fix would empty them); the next check may then find the line in too
    few articles to learn it, and fix those articles in another way. So the fix is applied again
    to the fixed articles, relearning each time, until what is learned stays the same
    (:data:`MAX_FIX_PASSES` passes at most): the texts of that pass are what ``--fix`` writes.
    """
    if config.strip.learn is False:
        return {}, None
    base = dict(index.learned_lines()) if index is not None else {}

    def documents() -> Iterator[Document]:  # unreadable inputs are reported by the check itself
        items = read_paths(list(paths), names=config.field_names, exclude=config.exclude)
        return (item for item in items if isinstance(item, Document))

    first = learned = _learn(base, config, cleaner, ((doc.site, doc.text) for doc in documents()))
    if same(learned, base):  # nothing learned from these articles: fixing them cannot change what is learned
        return learned, None
    kept = list(documents())  # read again, now kept in memory
    articles = [(doc.source, doc.source_line, doc.site) for doc in kept]
    texts = {(doc.source, doc.source_line): doc.text for doc in kept}
    shifted = False
    for _ in range(MAX_FIX_PASSES):
        fixer = Checker(config, cleaner.rulebook, learned=learned)
        for source, line, site in articles:
            if line is not None or kind_of(Path(source)) != "html":  # HTML pages are not fixed
                texts[source, line] = _settled(fixer, texts[source, line], site)
        again = _learn(base, config, cleaner, ((site, texts[source, line]) for source, line, site in articles))
        if same(again, learned):
            break
        learned, shifted = again, True
    return first, texts if shifted else None


def _learn(base: dict, config: Config, cleaner: Cleaner, articles: Iterable[tuple[str | None, str]]) -> dict:
    """``base`` and what each site repeats in ``articles`` (site, text): exact lines and line templates
    (:class:`cleaner.learned.Learner`, as ``run`` learns them)."""
    learner = Learner(config.strip)
    for site, text in articles:
        learner.add(site, cleaner.normalize(text).text)
    return merge(base, learner.learned())


def _settled(checker: Checker, text: str, site: str | None) -> str:
    """``text`` once fixed, or as it is when there is nothing to fix or a fix would leave nothing."""
    fixed = checker.settle(checker.examine(text, site), site)
    return text if fixed is None or not fixed.strip() else fixed


def _check_article(checker: Checker, doc: Document, path: str, result: CheckResult) -> str | None:
    """Add one article's findings to ``result``; its fixed text, or None when it is not to be fixed.

    An article that a fix would leave without any text is not fixed (the fix would destroy the
    file, and every later check would refuse the empty file); when it had text, every line of
    it was boilerplate, and it gets a ``CHK001`` finding.
    """
    is_html = doc.source_line is None and kind_of(Path(path)) == "html"
    record = doc.id if doc.source_line else None
    line = doc.source_line or 1
    examined = checker.examine(doc.text, doc.site)
    fixed = checker.settle(examined, doc.site)
    emptied = fixed is not None and not fixed.strip()
    if checker.planned is not None and (doc.source, doc.source_line) in checker.planned:
        final = checker.planned[doc.source, doc.source_line]  # fixing shifted what is learned
        fixed, emptied = (None, emptied) if final == doc.text else (final, False)
    for at, code, name, message in examined.findings:
        if record is not None:
            message, at = f"record {record!r} line {at}: {message}", line
        result.findings.append(Finding(path, at, code, name, message, not (is_html or emptied), record))
    if emptied and doc.text.strip() and _selected(ALL_BOILERPLATE, checker.config):
        what = "record" if record is not None else "file"
        codes = ", ".join(sorted({code for _, code, _, _ in examined.findings}))
        message = (("record " + repr(record) + ": ") if record is not None else "") + (
            f"every line of the article is boilerplate ({codes}); --fix would leave nothing, so it leaves"
            f" the {what} as it is: delete the {what} if it holds no article"
        )
        result.findings.append(Finding(path, line, ALL_BOILERPLATE, ALL_BOILERPLATE_NAME, message, False, record))
    checker.remember(doc, examined.cleaned, path, line)
    return None if is_html or emptied else fixed


