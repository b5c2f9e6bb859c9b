"""``cleaner rules list | show | test | learn``: the rule catalogue and learning rules from a corpus."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..codes import BUILTIN
from ..codes import builtin as builtin_code
from ..pipeline import Pipeline
from ..readers import read_paths
from ..rulebook import Rulebook
from ..templates import CODE as TEMPLATE_CODE
from .common import (
    CONFIG,
    EXCLUDE,
    ID_FIELD,
    PATHS,
    RULES,
    TEXT_FIELD,
    Reporter,
    build_config,
    exits,
    fail,
)

rules_app = typer.Typer(help="List, show, test and learn boilerplate rules.", no_args_is_help=True)


def _rulebook(rules: Optional[List[str]], config: Optional[Path], builtin: bool = True) -> Rulebook:
    cfg = build_config(config, rules)
    return Rulebook.load(cfg.strip.rules, builtin=builtin and cfg.strip.builtin_rules)


@rules_app.command("list")
def rules_list(rules: Optional[List[str]] = RULES, config: Optional[Path] = CONFIG) -> None:
    """List every rule: code, name, pack, where it fires and what it removes."""
    from ..report import rule_table

    with exits():
        typer.echo(rule_table(_rulebook(rules, config), [(c.code, c.name, c.summary) for c in BUILTIN]), nl=False)


@rules_app.command("show")
def rules_show(code: str, rules: Optional[List[str]] = RULES, config: Optional[Path] = CONFIG) -> None:
    """Show one rule in full: description, pattern, position and examples."""
    from ..report import rule_details

    with exits():
        rule = _rulebook(rules, config).get(code.upper())
    if rule is None:
        if code.upper() in {c.code for c in BUILTIN}:
            c = builtin_code(code.upper())
            kind = "informational" if c.informational else "fixable with --fix" if c.fixable else "no automatic fix"
            typer.echo(f"{c.code} {c.name}  (built-in; {kind})\n\n{c.summary}")
            return
        fail(f"no rule {code!r}; `cleaner rules list` shows the codes")
    typer.echo(rule_details(rule), nl=False)


@rules_app.command("test")
def rules_test(rules: Optional[List[str]] = RULES, config: Optional[Path] = CONFIG, builtin: bool = typer.Option(True, "--builtin/--no-builtin", help="Include the shipped packs.")) -> None:
    """Run every rule's must-match and must-not-match examples (shipped and user packs)."""
    with exits():
        book = _rulebook(rules, config, builtin)
        failures = book.test()
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    examples = sum(len(r.must_match) + len(r.must_not_match) for r in book)
    typer.echo(f"{len(book)} rules, {examples} examples: {len(failures)} failed" if failures else f"{len(book)} rules, {examples} examples: all passed")
    raise typer.Exit(1 if failures else 0)


@rules_app.command("learn")
def rules_learn(
    paths: List[str] = PATHS,
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write the pack here (default: stdout)."),
    min_articles: Optional[int] = typer.Option(None, "--min-articles", min=2, help="A line must recur in at least this many articles of a site (default 5)."),
    min_share: Optional[float] = typer.Option(None, "--min-share", min=0.0, max=1.0, help="...and in at least this share of them (default 0.5)."),
    prefix: str = typer.Option("LRN", "--prefix", help="Code prefix of the learned rules."),
    config: Optional[Path] = CONFIG,
    id_field: Optional[str] = ID_FIELD,
    text_field: Optional[str] = TEXT_FIELD,
    exclude: Optional[List[str]] = EXCLUDE,
) -> None:
    """Learn the lines each site repeats, exactly or as templates with slots, and write them as a rule pack to review and keep."""
    from ..learn import pack_toml
    from ..writers import write_output

    reporter = Reporter(quiet=False, strict=False)
    with exits(stopped="no rule pack written"):
        cfg = build_config(config, id_field=id_field, text_field=text_field, exclude=exclude)
        limits = {k: v for k, v in (("learn_min_articles", min_articles), ("learn_min_share", min_share)) if v is not None}
        cfg = cfg.replace(strip=limits)
        items = read_paths(paths, names=cfg.field_names, exclude=cfg.exclude)
        learned, templates = _learn(Pipeline(cfg, Rulebook([]), on_error=reporter.error), items)
        text = pack_toml(learned, prefix=prefix.upper(), templates=templates)
        write_output(output, text)  # stdout when no -o
    sites = len(set(learned) | set(templates))
    message = f"learned {sum(map(len, learned.values()))} line(s) from {sites} site(s)"
    if templates:
        message += f", and {sum(map(len, templates.values()))} line template(s) ({TEMPLATE_CODE})"
    typer.echo(message, err=True)


def _learn(pipeline: Pipeline, items) -> tuple[dict, dict]:
    """The lines each site repeats (as :meth:`Pipeline.learn` finds them) and its line templates as
    rules: site -> [(skeleton, pattern, examples, non-matching line)]. A template none of whose example
    lines its own pattern matches is left out (it would fail `rules test`)."""
    from ..learn import line_key
    from ..learned import template_rule
    from ..stages import LearnSiteLines, Normalize, Stats

    cleaner = pipeline.cleaner()
    plan = [Normalize(cleaner), LearnSiteLines(cleaner, Stats(), force=True)]
    lines: dict = {}
    for doc in pipeline.engine.execute(plan, pipeline.documents(items, Stats())):
        keys = cleaner.learned.get(doc.site)
        for line in doc.text.split("\n") if keys else ():
            if line_key(line) in keys:
                lines.setdefault(doc.site, {}).setdefault(line_key(line), line.strip())
    templates: dict = {}
    for site, learning in cleaner.learned.items():
        for template in sorted(getattr(learning, "templates", {}).values(), key=lambda t: (-t.articles, t.shown())):
            rule = template_rule(template)
            if rule is not None:
                templates.setdefault(site, []).append((template.shown(), *rule))
    return {site: sorted(found.values()) for site, found in lines.items()}, templates
