"""The hygiene check behind ``cleaner check``: findings per file and line, and their fixes.

Three kinds of finding, each with a code that ``select``/``ignore`` filter:

* a boilerplate line, under the code of the rule that would remove it;
* a line that normalisation would change, under an ``NRM`` code (see :mod:`cleaner.normalize`);
* an article that duplicates another one among those checked: ``DUP001``.

Text and Markdown files and JSONL records can be fixed (lines removed, text normalised);
HTML pages and duplicates are reported only.
"""

from __future__ import annotations

import difflib
import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .config import Config
from .documents import Document
from .duplicates import DuplicateIndex
from .errors import InputError
from .fingerprints import Fingerprinter
from .normalize import CODES as NORMALIZE_CODES, normalize_text
from .readers import kind_of, read_paths
from .rulebook import Rulebook
from .strip import render_file, strip_text
from .writers import atomic_write, dumps

DUPLICATE = "DUP001"
DUPLICATE_NAME = "duplicate-article"
#: Codes reported for information only: they do not make ``check`` fail (STY001: joins an indexed story).
INFORMATIONAL = frozenset({"STY001"})


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
    """An article's findings and its fixed text (None when nothing fixable changed)."""

    findings: list[tuple[int, str, str, str]]
    text: str | None
    cleaned: str


class Checker:
    """Checks articles one at a time (``examine``, ``remember``), then duplicates (``duplicates``)."""

    def __init__(self, config: Config, rulebook: Rulebook, corpus=None):
        self.config, self.rulebook = config, rulebook
        self.fingerprinter = Fingerprinter(config.duplicates)
        self.index = DuplicateIndex(config.duplicates)
        self.where: dict[str, tuple[str, int, str | None]] = {}
        self.corpus = corpus  # a cleaner.index.CorpusIndex: staged articles are also compared with it
        self.corpus_findings: list[Finding] = []

    def examine(self, text: str, site: str | None) -> _Fixed:
        """Findings (line, code, name, message) for one article's text, and the fixed text."""
        normalized = normalize_text(text, self.config.normalize)
        findings = []
        for fix in normalized.fixes:
            for code in fix.codes:
                if _selected(code, self.config):
                    name, message = NORMALIZE_CODES[code]
                    findings.append((fix.line, code, name, f"{message}: {_short(fix.before)!r}"))
        stripped = strip_text(normalized.text, self.rulebook, site=site, shapes=frozenset(self.config.strip.shapes))
        for removal in stripped.removed:
            rule = self.rulebook.get(removal.rule)
            name = rule.name if rule else removal.rule
            findings.append((removal.line, removal.rule, name, f"boilerplate ({name}): {_short(removal.text)!r}"))
        changed = any(_selected(c, self.config) for f in normalized.fixes for c in f.codes) or stripped.removed
        fixed = None
        if changed:
            fixed = "\n".join(render_file(normalized.text.split("\n"), stripped.removed_index))
        findings.sort(key=lambda f: (f[0], f[1]))
        return _Fixed(findings, fixed, stripped.text)

    def remember(self, doc: Document, cleaned: str, path: str, line: int) -> None:
        signature = self.fingerprinter.signature(cleaned)
        self.where[doc.id] = (path, line, doc.id if doc.source_line else None)
        found = self.corpus.check(doc, cleaned, signature, path) if self.corpus is not None else []
        record = doc.id if doc.source_line else None
        self.corpus_findings += [Finding(path, line, c, n, m, False, record) for c, n, m in found if _selected(c, self.config)]
        if not any(c == DUPLICATE for c, _, _ in found):  # a copy of an indexed article is nobody's canonical
            self.index.add(doc.id, signature, date=doc.date)

    def duplicates(self) -> list[Finding]:
        out = list(self.corpus_findings)
        for doc_id, match in self.index.assign().items():
            if match.canonical is None or not _selected(DUPLICATE, self.config):
                continue
            path, line, record = self.where[doc_id]
            other_path, other_line, other_record = self.where[match.canonical]
            other = f"{other_path}:{other_line}" + (f" (record {other_record!r})" if other_record else "")
            message = f"duplicates {other} (similarity {match.score:.2f}); remove one of the copies"
            out.append(Finding(path, line, DUPLICATE, DUPLICATE_NAME, message, False, record))
        return out


def _newline_style(data: str) -> str:
    return "\r\n" if "\r\n" in data else "\n"


def check_paths(paths: Iterable[str], config: Config, rulebook: Rulebook, *, fix: bool = False, diff: bool = False, index=None) -> CheckResult:
    """Check every article under ``paths``; with ``fix`` rewrite fixable files in place.

    ``index`` (a :class:`cleaner.index.CorpusIndex`): also report duplicates of indexed articles.
    """
    rulebook = rulebook.select(config.strip.select, config.strip.ignore)
    checker = Checker(config, rulebook, index)
    result = CheckResult()
    jsonl_fixes: dict[str, dict[int, str]] = {}
    for item in read_paths(list(paths), id_field=config.id_field, text_field=config.text_field):
        if isinstance(item, InputError):
            result.errors.append(item)
            continue
        result.files += item.source_line is None
        path = item.source or item.id
        is_html = item.source_line is None and kind_of(Path(path)) == "html"
        examined = checker.examine(item.text, item.site)
        for line, code, name, message in examined.findings:
            if item.source_line:
                message = f"record {item.id!r} line {line}: {message}"
                line = item.source_line
            result.findings.append(Finding(path, line, code, name, message, not is_html, item.id if item.source_line else None))
        checker.remember(item, examined.cleaned, path, item.source_line or 1)
        if examined.text is None or is_html:
            continue
        if item.source_line:
            jsonl_fixes.setdefault(path, {})[item.source_line] = examined.text
        else:
            _fix_text_file(Path(path), item.original or item.text, examined.text, result, fix=fix, diff=diff)
    for path, records in jsonl_fixes.items():
        _fix_jsonl_file(Path(path), records, config.text_field, result, fix=fix, diff=diff)
    result.findings.extend(checker.duplicates())
    if fix:
        fixed_paths = set(result.fixed)
        result.findings = [f for f in result.findings if not (f.fixable and f.path in fixed_paths)]
    result.findings.sort(key=lambda f: (f.path, f.line, f.code))
    return result


def _diff(path: Path, before: str, after: str) -> str:
    """A unified diff that ``patch``/``git apply`` accept, also for a file without a final newline."""
    lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{path.as_posix()}", f"b/{path.as_posix()}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def _fix_text_file(path: Path, raw: str, fixed: str, result: CheckResult, *, fix: bool, diff: bool) -> None:
    """Write (``fix``) or show (``diff``) a text file's fix; ``raw`` is its text as read (BOM dropped)."""
    newline = _newline_style(raw)
    ending = newline if raw.endswith(("\n", "\r")) else ""
    new = fixed.replace("\n", newline) + (ending if fixed else "")
    if new == raw:
        return
    if diff:
        result.diffs.append(_diff(path, raw, new))
    if fix:
        with path.open("rb") as handle:
            bom = "\ufeff" if handle.read(3) == b"\xef\xbb\xbf" else ""
        with atomic_write(path, newline="", like=path) as handle:
            handle.write(bom + new)
    result.fixed[str(path)] = 1


def _fix_jsonl_file(path: Path, records: dict[int, str], text_field: str, result: CheckResult, *, fix: bool, diff: bool) -> None:
    import json

    gz = path.name.lower().endswith(".gz")
    data = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
    lines = data.decode("utf-8").splitlines(True)
    out = []
    for number, raw in enumerate(lines, 1):
        if number in records:
            record = json.loads(raw)
            record[text_field] = records[number]
            ending = "\r\n" if raw.endswith("\r\n") else "\n" if raw.endswith("\n") else ""
            raw = dumps(record) + ending
        out.append(raw)
    new = "".join(out)
    if diff:
        result.diffs.append(_diff(path, data.decode("utf-8"), new))
    if fix:
        with atomic_write(path, "wb", like=path) as handle:
            payload = new.encode("utf-8")
            handle.write(gzip.compress(payload) if gz else payload)
    result.fixed[str(path)] = len(records)
