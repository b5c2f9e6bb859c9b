"""Rendering results for people and machines: explained articles, check findings, rule lists."""

from __future__ import annotations

import json
from typing import Iterable

from .check import CheckResult, Finding
from .codes import INFORMATIONAL
from .documents import Document
from .errors import printable
from .rulebook import Rule, Rulebook

OUTPUT_FORMATS = ("text", "json", "github")


def explain_article(doc: Document, rulebook: Rulebook | None = None) -> str:
    """An article for auditing: header, every line with removed ones marked ``-`` and their reason."""
    head = [f"== {doc.id}"]
    if doc.story is not None:
        dup = f"duplicate of {doc.duplicate_of} ({doc.duplicate_score:.2f})" if doc.duplicate_of else "canonical"
        head.append(f"   story {doc.story}, {dup}")
    if doc.fixes:
        head.append("   normalised: " + ", ".join(doc.fixes))
    removed = {r.line: r for r in doc.removed}
    body = []
    source = doc.normalized.split("\n") if doc.normalized is not None else None
    if source is None:
        body = [f"  {line}" for line in doc.text.split("\n")]
        body += [f"- {r.text}    [{_reason(r.rule, rulebook, r.text)}]" for r in doc.removed]
    else:
        for number, line in enumerate(source, 1):
            if number in removed and removed[number].column is not None:  # only the end of the line
                cut = removed[number]
                body.append(f"  {line.strip()[: cut.column - 1].rstrip()}")
                body.append(f"- {cut.text}    [{_reason(cut.rule, rulebook, cut.text)}]")
            elif number in removed:
                body.append(f"- {line.strip()}    [{_reason(removed[number].rule, rulebook, line)}]")
            elif line.strip():
                body.append(f"  {line.strip()}")
    return "\n".join(head + body) + "\n"


def explain_story(info: dict) -> str:
    """Why a story's articles were grouped: members, scores and the shared terms that weigh most."""
    head = f"== story {info['story']}: {info['size']} articles, cohesion {info['cohesion']:.2f} (threshold {info['threshold']:.2f})"
    members = [f"   {m['id']}  (score against the story {m['centroid_score']:.2f})" for m in info["members"]]
    terms = ", ".join(f"{t['term']} {t['weight']:.2f}" for t in info.get("shared_terms", []))
    return "\n".join([head, *members, f"   shared terms: {terms}"]) + "\n"


def _reason(code: str, rulebook: Rulebook | None, line: str = "") -> str:
    if hasattr(code, "explain"):  # a learned template's code names the template (cleaner.learned.TemplateCode)
        return code.explain(line)
    rule = rulebook.get(code) if rulebook else None
    return f"{code} {rule.name}" if rule else code


def render_findings(result: CheckResult, fmt: str) -> str:
    """Findings as ``text`` (one per line), ``json`` (an array) or ``github`` (annotations)."""
    if fmt == "json":
        return json.dumps([f.to_dict() for f in result.findings], ensure_ascii=False, indent=2) + "\n"
    lines = [_github(f) if fmt == "github" else _text(f) for f in result.findings]
    return "".join(line + "\n" for line in lines)


def _text(f: Finding) -> str:
    hint = "fixable with --fix" if f.fixable else "no automatic fix"
    return f"{printable(f.path)}:{f.line}: {f.code} {printable(f.message)} [{hint}]"  # one line, whatever the name


def _github(f: Finding) -> str:
    def esc(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    level = "notice" if f.code in INFORMATIONAL else "error"
    props = f"file={esc(f.path)},line={f.line},title={f.code} {f.name}".replace("::", ":")
    return f"::{level} {props}::{esc(f.message)}"


def check_summary(result: CheckResult, *, fix: bool) -> str:
    fixable = sum(f.fixable for f in result.findings)
    parts = []
    if fix and result.fixed:
        parts.append(f"fixed {len(result.fixed)} file(s)")
    if result.findings:
        parts.append(f"{len(result.findings)} finding(s) in {len({f.path for f in result.findings})} file(s)")
        if fixable and not fix:
            parts.append(f"{fixable} fixable with --fix")
    else:
        parts.append("no findings")
    if result.errors:
        parts.append(f"{len(result.errors)} input error(s)")
    return f"checked {result.files} file(s): " + ", ".join(parts)


def rule_table(rules: Iterable[Rule], extra: Iterable[tuple[str, str, str]] = ()) -> str:
    rows = [(r.code, r.name, r.pack, r.where, r.action) for r in rules]
    rows += [(code, name, "built-in", "anywhere", "line") for code, name, _ in extra]
    width = max((len(r[1]) for r in rows), default=10)
    return "".join(f"{c:<8} {n:<{width}}  {p:<12} {w:<9} {a}\n" for c, n, p, w, a in rows)


def rule_details(rule: Rule) -> str:
    lines = [
        f"{rule.code} {rule.name}  ({rule.pack}, {rule.source})",
        "",
        rule.description,
        "",
        f"pattern:  {rule.pattern}" + ("  (case-sensitive)" if rule.case_sensitive else ""),
        f"where:    {rule.where}",
        f"action:   {rule.action}" + {"rest": " (this line and everything after it)", "cut": " (the match and the rest of its line)"}.get(rule.action, ""),
    ]
    if rule.max_words is not None:
        lines.append(f"max words: {rule.max_words}")
    if rule.with_next or rule.with_previous:
        lines.append(f"also removes: {rule.with_next} following / {rule.with_previous} preceding short lines")
    if rule.sites:
        lines.append("sites:    " + ", ".join(rule.sites))
    lines += ["", "must match:"] + [f"  {e}" for e in rule.must_match]
    lines += ["must not match:"] + [f"  {e}" for e in rule.must_not_match]
    return "\n".join(lines) + "\n"
