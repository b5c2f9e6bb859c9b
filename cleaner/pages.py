"""Reading web pages: trafilatura finds the article; BeautifulSoup reads a page trafilatura cannot.

A page (``.html``, ``.htm``, gzipped or not) is decoded from its bytes with the charset it declares
(:func:`decode_page`), parsed once with lxml, and

* its article text is what trafilatura extracts (:data:`EXTRACTION`, options chosen on the
  extraction benchmark, docs/extraction-benchmark.md), with the further chunks of an article body
  split into sibling containers that trafilatura stopped before (:func:`cleaner.chunks.read_on`);
* its metadata come from the ``<head>`` of the same tree (:func:`head_metadata`: ``og:url`` or the
  canonical link, ``og:title`` or ``<title>``, authors, ``lang``), and its publication date from
  htmldate (the date finder trafilatura itself uses), the ``<head>``'s own date when htmldate finds none;
* when trafilatura finds no article, BeautifulSoup reads the visible text (:func:`html_to_text`),
  with chrome (scripts, navigation, header, footer, form controls) left out.

A page with no text either way is an input error naming the file. BeautifulSoup's parser
(``html.parser``) can take minutes on pathological markup, so its work on one page has a time
budget (:data:`HTML_SECONDS`); lxml and trafilatura work in linear time. Why the ``<head>`` is
read from lxml's tree rather than by BeautifulSoup: measured, docs/extraction-benchmark.md.
"""

from __future__ import annotations

import codecs
import functools
import json
import logging
import re
import time
import zlib
from datetime import datetime
from typing import Any

from .chunks import read_on
from .documents import (
    DEFAULT_NAMES,
    Document,
    FieldNames,
    host_of,
    parse_date,
    replace_surrogates,
)
from .errors import InputError
from .records import Item
from .sources import check_bytes, decode_utf8

#: Seconds BeautifulSoup may spend parsing one page (as the fallback reader) before the page is
#: reported and skipped.
HTML_SECONDS = 5.0
#: A gzipped page larger than this once decompressed is refused (a gzip bomb would fill memory).
MAX_PAGE_BYTES = 64 * 1024 * 1024
#: trafilatura's extraction options, chosen by the numbers of docs/extraction-benchmark.md:
#: comments left out and no fallback extractors (``fast``) each raise precision at no cost in
#: recall, and so does ``favor_recall`` on top of them; tables kept (recall); the precision mode,
#: links and formatting markers cost F1.
EXTRACTION: dict[str, Any] = {
    "fast": True,
    "include_comments": False,
    "include_tables": True,
    "include_links": False,
    "include_formatting": False,
    "favor_precision": False,
    "favor_recall": True,
}

_DROP_TAGS = (
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "iframe", "svg",
    "button", "select", "textarea", "label",
)
_BLOCK_TAGS = (
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul", "title",
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_TRUNCATED_TAG = re.compile(r"<[A-Za-z/!][^<>]*\Z")
_SOURCE_BREAK = re.compile(r"\s*\n\s*")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
#: Labels that mean windows-1252 on the web (the WHATWG Encoding Standard maps them so).
_WINDOWS_1252 = frozenset({"ascii", "us-ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819"})
#: The web's first year: an earlier date in a page (``0001-01-01``) is a placeholder.
_FIRST_YEAR = 1991

for _name in ("trafilatura", "htmldate", "courlan"):  # their warnings are not the user's business
    logging.getLogger(_name).addHandler(logging.NullHandler())


class HTMLTooSlow(Exception):
    """Parsing a page took longer than its time budget."""


# ---------------------------------------------------------------- bytes to markup


def page_bytes(data: bytes, shown: str, gzipped: bool) -> bytes | InputError:
    """The page's bytes, decompressed for ``.html.gz`` (at most :data:`MAX_PAGE_BYTES`)."""
    if not gzipped:
        return data
    raw = _gunzip(data, MAX_PAGE_BYTES + 1)
    if isinstance(raw, str):
        return InputError(shown, None, f"cannot read compressed data: {raw}")
    if len(raw) > MAX_PAGE_BYTES:
        return InputError(shown, None, f"page larger than {MAX_PAGE_BYTES >> 20} MiB once decompressed, skipped")
    return check_bytes(raw, shown)


def _gunzip(data: bytes, limit: int) -> bytes | str:
    """The decompressed bytes of a gzip file (every member of it), at most ``limit`` of them; or why it cannot be read.

    One ``zlib`` call a member rather than :class:`gzip.GzipFile`'s reads in chunks: a third of the
    time, which is measured against trafilatura's own (docs/extraction-benchmark.md).
    """
    parts: list[bytes] = []
    size = 0
    rest = data
    try:
        while rest and size < limit:
            if rest[:2] != b"\x1f\x8b":
                if parts and not rest.strip(b"\x00"):
                    break  # padding after the last member, as gzip itself accepts
                return "Not a gzipped file (" + repr(rest[:2]) + ")"
            stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
            part = stream.decompress(rest, limit - size)
            parts.append(part)
            size += len(part)
            if not stream.eof:
                if size >= limit:
                    break
                return "Compressed file ended before the end-of-stream marker was reached"
            rest = stream.unused_data
    except zlib.error as exc:
        return str(exc)
    return b"".join(parts)


def decode_page(data: bytes, shown: str) -> str | InputError:
    """A page's text: UTF-8 (a BOM is honoured), else the charset its ``<meta>`` declares.

    Labels that browsers read as windows-1252 (``iso-8859-1``, ``ascii``) are read so too. A page
    that is not UTF-8 and declares no charset it can be read with is an invalid UTF-8 error.
    Lone surrogates (which UTF-7 can spell) become U+FFFD.
    """
    text = decode_utf8(data, shown)
    if not isinstance(text, InputError):
        return text
    declared = _CHARSET.search(data[:8192])
    if declared:
        label = declared.group(1).decode("ascii").lower()
        try:
            codec = "cp1252" if label in _WINDOWS_1252 else codecs.lookup(label).name
            return replace_surrogates(data.decode(codec))
        except (LookupError, ValueError):  # an unknown codec, bytes it cannot decode, or not a text codec
            pass
    return text


# ---------------------------------------------------------------- the page as a document


def read_page(data: bytes, ident: str, shown: str, *, gzipped: bool = False, names: FieldNames = DEFAULT_NAMES) -> Item:
    """One page's bytes as a document: article text and metadata fields, or the reason it has none."""
    data = page_bytes(data, shown, gzipped)
    if isinstance(data, InputError):
        return data
    markup = decode_page(data, shown)
    if isinstance(markup, InputError):
        return markup
    try:
        text, fields = page_text_and_fields(markup)
    except HTMLTooSlow:
        return InputError(shown, None, f"HTML page too complex: parsing took more than {HTML_SECONDS:g} s (deeply nested or unclosed markup), skipped")
    except Exception as exc:  # noqa: BLE001 - a parser's own failure on hostile markup
        return InputError(shown, None, f"cannot parse HTML: {type(exc).__name__}: {exc}")
    if not text.strip():
        return InputError(shown, None, "no article text found in the HTML page, skipped")
    named = {getattr(names, key, key): value for key, value in fields.items()}
    return Document(id=ident, text=text, fields=named, source=shown, names=names)


def page_text_and_fields(markup: str) -> tuple[str, dict[str, str]]:
    """The article text of a page and its metadata (``title``, ``url``, ``site``, ``date``, ``author``, ``lang``).

    Raises :class:`HTMLTooSlow` when the fallback reader runs out of time.
    """
    import trafilatura
    from htmldate import find_date

    tree = trafilatura.load_html(markup)
    meta = head_metadata(tree) if tree is not None else {}
    text = (trafilatura.extract(tree, **EXTRACTION) or "") if tree is not None else ""
    if text.strip():
        text = read_on(tree, text)
    else:
        text, title = html_to_text(markup)
        meta.setdefault("title", title)
    found = find_date(tree, extensive_search=False, original_date=True, url=meta.get("url")) if tree is not None else None
    fields = {"title": meta.get("title"), "url": meta.get("url"), "site": host_of(meta.get("url")), "date": found or meta.get("date"),
              "author": meta.get("author"), "lang": meta.get("lang")}
    return text, {key: value for key, value in fields.items() if value}


# ---------------------------------------------------------------- <head> metadata


def head_metadata(tree) -> dict[str, str]:
    """What the page's ``<head>`` says about it (read from the lxml tree trafilatura works on).

    ``url``: ``og:url``, else the canonical link (absolute http(s) only); ``title``: ``og:title``,
    else ``<title>``; ``author``: JSON-LD ``author`` names, else ``<meta name="author">`` or
    ``article:author`` (not a profile link); ``date``: JSON-LD ``datePublished``, else
    ``article:published_time`` and the like (a fallback for htmldate); ``lang``: ``<html lang>``,
    else the ``Content-Language`` or ``og:locale`` meta.
    """
    metas: dict[str, str] = {}
    linked = title_tag = None
    for head in tree.iter("head"):  # one pass over the <head>'s own children (lxml filters the tags)
        for tag in head.iterchildren("meta", "link", "title"):
            if tag.tag == "meta":
                attrs = tag.attrib
                key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or attrs.get("http-equiv") or "").strip().lower()
                if key and key not in metas:
                    content = _clean(attrs.get("content"))
                    if content:
                        metas[key] = content
            elif tag.tag == "link":
                if linked is None and tag.get("href") is not None and "canonical" in (tag.get("rel") or "").lower().split():
                    linked = _clean(tag.get("href"))
            elif title_tag is None:
                title_tag = tag
    ld = _json_ld(tree)
    found = {
        "url": next((u for u in (metas.get("og:url"), linked) if u and u.lower().startswith(("http://", "https://"))), None),
        "title": metas.get("og:title") or (_clean(title_tag.text_content()) if title_tag is not None else None),
        "author": _ld_authors(ld) or next((a for a in (metas.get("author"), metas.get("article:author")) if a and "://" not in a), None),
        "date": next((d for d in (*_ld_values(ld, "datePublished"), *(metas.get(k) for k in _DATE_METAS)) if _usable_date(d)), None),
        "lang": _clean(tree.get("lang")) or metas.get("content-language") or (metas.get("og:locale") or "").replace("_", "-") or None,
    }
    if found["date"] and not _iso(found["date"]):
        found["date"] = parse_date(found["date"]).isoformat()
    return {key: value for key, value in found.items() if value}


_DATE_METAS = ("article:published_time", "datepublished", "date", "pubdate", "publishdate", "dc.date.issued", "parsely-pub-date", "sailthru.date")


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return _SPACES.sub(" ", value).strip() or None


def _json_ld(tree) -> list[dict]:
    """Every JSON-LD object of the page (``@graph`` members and lists included, at most 100); unreadable blocks are skipped."""
    out: list[dict] = []
    for tag in tree.iter("script"):
        if tag.get("type") != "application/ld+json":
            continue
        try:
            pending = [json.loads(tag.text or "")]
        except (ValueError, RecursionError):
            continue
        while pending and len(out) < 100:
            item = pending.pop(0)
            if isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, dict):
                out.append(item)
                if isinstance(item.get("@graph"), list):
                    pending.extend(item["@graph"])
    return out


def _ld_values(ld: list[dict], key: str) -> list[str]:
    return [v for item in ld if isinstance(v := item.get(key), str)]


def _ld_authors(ld: list[dict]) -> str | None:
    for item in ld:
        authors = item.get("author")
        authors = authors if isinstance(authors, list) else [authors]
        names = [a.get("name") if isinstance(a, dict) else a for a in authors]
        names = [n.strip() for n in names if isinstance(n, str) and n.strip() and "://" not in n]
        if names:
            return ", ".join(dict.fromkeys(names))
    return None


def _iso(value: str) -> bool:
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def _usable_date(value: str | None) -> bool:
    """A date :func:`parse_date` understands, not before the web's first year (``0001-01-01`` is a placeholder)."""
    if not value:
        return False
    try:
        return parse_date(value).year >= _FIRST_YEAR
    except ValueError:
        return False


# ---------------------------------------------------------------- the fallback reader


@functools.cache
def _bounded_soup() -> type:
    """BeautifulSoup (``html.parser``) that raises :class:`HTMLTooSlow` once a parse passes its deadline.

    ``html.parser`` rescans the rest of the page for each construct it cannot complete, so a
    page of many unclosed comments or tags costs minutes. Every step of a parse ends in one of
    these three methods (a construct the parser gives up on becomes data), so checking the clock
    there bounds the whole parse.
    """
    from bs4 import BeautifulSoup

    class BoundedSoup(BeautifulSoup):
        def __init__(self, markup: str, deadline: float):
            self._deadline = deadline
            super().__init__(markup, "html.parser")

        def _on_time(self) -> None:
            if time.monotonic() > self._deadline:
                raise HTMLTooSlow

        def handle_starttag(self, *args, **kwargs):
            self._on_time()
            return super().handle_starttag(*args, **kwargs)

        def handle_endtag(self, *args, **kwargs):
            self._on_time()
            return super().handle_endtag(*args, **kwargs)

        def handle_data(self, data):
            self._on_time()
            return super().handle_data(data)

    return BoundedSoup


def html_to_text(markup: str, *, seconds: float = HTML_SECONDS) -> tuple[str, str | None]:
    """Visible text of an HTML page, block elements as lines, and its ``<title>``: the fallback reader.

    Scripts, styles, navigation, header, footer, aside, form controls (buttons, selects, text
    areas, labels) and similar chrome are left out; a ``<form>``'s other content is kept (whole
    pages sit inside one on some sites). Raises :class:`HTMLTooSlow` when parsing takes more
    than ``seconds``; the rest is one pass over the tree, linear however deeply it is nested.
    """
    # A tag cut off at the end of a truncated file would otherwise be kept as text.
    soup = _bounded_soup()(_TRUNCATED_TAG.sub("", markup), time.monotonic() + seconds)
    title_tag = soup.find("title")
    title = _SPACES.sub(" ", title_tag.get_text()).strip() if title_tag else None
    root = soup.body
    if root is None or root.find_parent(_DROP_TAGS) is not None:
        root = soup
    lines = (_SPACES.sub(" ", line).strip() for line in _visible_text(root, title_tag).split("\n"))
    return "\n\n".join(line for line in lines if line), title or None


def _visible_text(root, skip) -> str:
    """What ``root.get_text()`` gives once chrome and ``skip`` are left out and each block element is on lines of its own.

    Line breaks of the HTML source are spaces (except in ``<pre>``); only block elements make
    lines. One pass with an explicit stack (``None`` marks the end of a block element), so a
    page of 100,000 nested elements costs no more than 100,000 paragraphs.
    """
    from bs4 import CData, NavigableString

    out: list[str] = []
    pending: list = [(root, root.find_parent("pre") is not None)]
    while pending:
        node, in_pre = pending.pop()
        if node is None:
            out.append("\n")
        elif isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):  # not comments, doctypes, ruby annotations...
                out.append(node if in_pre else _SOURCE_BREAK.sub(" ", node))
        elif node is not skip and node.name not in _DROP_TAGS:
            in_pre = in_pre or node.name == "pre"
            if node.name in _BLOCK_TAGS:
                out.append("\n")
                pending.append((None, False))
            pending.extend((child, in_pre) for child in reversed(node.contents))
    return "".join(out)
