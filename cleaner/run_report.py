"""``run --report report.html``: the HTML report of a run, collected while its records are written.

Each record written goes, as it is written, into the :class:`~cleaner.report_model.ReportBuilder`
that ``cleaner report`` fills from a result file (the record read back through
:func:`~cleaner.records.record_document`, as the result file would be), so the page is the one
``cleaner report`` makes of the same output: the same stories, copies, terms and cleaning summary.
No article text is kept (:mod:`cleaner.report_model`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .documents import Document
from .errors import InputError
from .records import record_document
from .report_model import ReportBuilder


class RunReport:
    """Collects the records of a run (:meth:`add`), then writes the page (:meth:`write`)."""

    def __init__(self, on_error: Callable[[InputError], None] | None = None):
        self.builder = ReportBuilder()
        self.on_error = on_error

    def add(self, doc: Document, record: dict) -> None:
        """One record as written (with its text under the id and text names of ``doc``)."""
        item = record_document(record, doc.source or "<input>", doc.source_line or 0, names=doc.names)
        problem = item if isinstance(item, InputError) else self.builder.add(item)
        if problem is not None:
            if self.on_error is None:
                raise problem
            self.on_error(problem)

    def write(self, output: str | Path, source: str = "") -> dict[str, int]:
        """Write the page to ``output`` atomically; the run's figures (as ``cleaner report`` gives)."""
        from .html_report import render_html
        from .writers import write_output

        page, figures = render_html(self.builder, source)
        write_output(output, page)
        return figures
