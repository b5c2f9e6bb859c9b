"""An HTML report of a result: stories, duplicates and the cleaning summary in one self-contained file.

``cleaner report RESULT.jsonl -o report.html`` reads the records of a ``cleaner run`` (``dedup`` and
``clean`` output work too, with what they carry) and writes one HTML file that needs nothing else:
no network, no external scripts, styles or fonts. The page has

* the run's figures and the cleaning summary (lines removed per rule and per site, with examples),
  rendered here as static HTML, so they show as soon as the page opens;
* the stories, ranked by size then recency, each with its articles (title, site, date, link) and
  the terms its articles share, copies folded under their canonical article. They are embedded as
  compact JSON and drawn by the page's script 50 stories at a time, with a search box and filters
  (site, language, date range); the URL's hash holds the view (``report.html#q=strikes&site=x``).

What the page shows is collected by :mod:`cleaner.report_model` (a stream: no article text is kept).
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path
from typing import Callable

from .documents import DEFAULT_NAMES, FieldNames
from .errors import InputError
from .report_model import ReportBuilder, Tally, build_report, read_result

#: Sites listed in the per-site table (those with most lines removed).
SITES_LISTED = 100

_ASSETS = "report_assets"
_MARKER = re.compile(r"\{\{(\w+)\}\}")

# ---------------------------------------------------------------------- rendering


def render_html(builder: ReportBuilder, source: str = "") -> tuple[str, dict[str, int]]:
    """The report page (the template with its style, script, figures, cleaning summary and data
    inlined) and the run's figures. ``source`` names the result in the page's title."""
    stories = builder.stories()
    figures = builder.figures(stories)
    parts = {
        "title": html.escape(f"cleaner report: {source}" if source else "cleaner report"),
        "source": html.escape(source or "records"),
        "css": _asset("report.css"),
        "js": _asset("report.js"),
        "figures": _figures_html(figures),
        "cleaning": _cleaning_html(builder, _rule_names()),
        "data": script_json(builder.data(stories)),
    }
    return _MARKER.sub(lambda m: parts[m.group(1)], _asset("report.html")), figures


def script_json(value: object) -> str:
    """Compact JSON that is safe inside ``<script type="application/json">``: every ``<``, ``>`` and
    ``&`` escaped (``\\u003c``...), so no value can close the element or open a comment.

    >>> script_json({"t": "</script><!--"})
    '{"t":"\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_report(result: str, output: str, on_error: Callable[[InputError], None] | None = None, names: FieldNames = DEFAULT_NAMES) -> dict[str, int]:
    """Read ``result`` (a path or ``-``; its records' keys as ``names`` says), write the report to
    ``output`` (atomically; ``-`` for standard output) and return the run's figures. The output is
    not written when reading fails."""
    from .writers import write_output

    builder = build_report(read_result(result, names), on_error)
    page, figures = render_html(builder, Path(result).name if result != "-" else "stdin")
    write_output(output, page)
    return figures


def _asset(name: str) -> str:
    return resources.files("cleaner").joinpath(_ASSETS, name).read_text(encoding="utf-8")


def _rule_names() -> dict[str, str]:
    """Code -> name of the built-in rules and codes (a code of a user's pack is shown bare)."""
    from .codes import BUILTIN
    from .rulebook import Rulebook

    names = {c.code: c.name for c in BUILTIN}
    names.update((r.code, r.name) for r in Rulebook.load())
    return names


def _n(value: int) -> str:
    return f"{value:,}"


def _figures_html(figures: dict[str, int]) -> str:
    cells = [
        ("articles", figures["articles"], f"{_n(figures['sites'])} sites"),
        ("duplicates", figures["duplicates"], "copies folded under their canonical"),
        ("stories", figures["stories"], f"{_n(figures['multi_stories'])} with several articles"),
        ("lines removed", figures["lines_removed"], f"in {_n(figures['articles_changed'])} articles"),
    ]
    return "".join(
        f'<div class="figure" data-figure="{html.escape(name)}"><b>{_n(value)}</b><span>{html.escape(name)}</span><small>{html.escape(note)}</small></div>'
        for name, value, note in cells
    )


def _examples_html(tally: Tally, folded: bool) -> str:
    """A tally's example lines (with the id of an article they were removed from), in a fold or not."""
    if not tally.examples:
        return ""
    items = "".join(f"<li><q>{html.escape(text)}</q> <code>{html.escape(aid)}</code></li>" for text, aid in tally.examples)
    listing = f'<ul class="examples">{items}</ul>'
    return f"<details><summary>examples</summary>{listing}</details>" if folded else listing


def _cleaning_html(builder: ReportBuilder, names: dict[str, str]) -> str:
    """The cleaning summary: a table per rule and a table per site (those with most removals)."""
    if not builder.rules:
        return '<p class="empty">No lines were removed (or the result carries no <code>removed</code> field).</p>'
    rules = sorted(builder.rules.items(), key=lambda kv: (-kv[1].lines, kv[0]))
    rule_rows = "".join(
        f"<tr><td><code>{html.escape(code)}</code></td><td>{html.escape(names.get(code, ''))}</td>"
        f'<td class="num">{_n(t.lines)}</td><td class="num">{_n(t.articles)}</td><td>{_examples_html(t, folded=False)}</td></tr>'
        for code, t in rules
    )
    sites = sorted(builder.sites.items(), key=lambda kv: (-kv[1].lines, kv[0]))
    site_rows = "".join(
        f"<tr><td>{html.escape(site) if site else '<i>no site</i>'}</td>"
        f'<td class="num">{_n(builder.articles_per_site[site])}</td><td class="num">{_n(t.articles)}</td><td class="num">{_n(t.lines)}</td>'
        f"<td>{html.escape(', '.join(f'{c} ×{n}' for c, n in sorted(t.rules.items(), key=lambda kv: (-kv[1], kv[0]))[:4]))}</td>"
        f"<td>{_examples_html(t, folded=True)}</td></tr>"
        for site, t in sites[:SITES_LISTED]
    )
    more = len(sites) - SITES_LISTED
    note = f'<p class="note">{_n(more)} more sites with removals are not listed.</p>' if more > 0 else ""
    return (
        '<h3>Lines removed per rule</h3><table class="rules"><thead><tr><th>code</th><th>rule</th>'
        '<th class="num">lines</th><th class="num">articles</th><th>examples (article)</th></tr></thead>'
        f"<tbody>{rule_rows}</tbody></table>"
        '<h3>Lines removed per site</h3><table class="sites"><thead><tr><th>site</th><th class="num">articles</th>'
        '<th class="num">changed</th><th class="num">lines</th><th>top rules</th><th></th></tr></thead>'
        f"<tbody>{site_rows}</tbody></table>{note}"
    )
