"""An article body split into sibling chunks: reading the chunks trafilatura stopped before.

Some publishers write one article as several containers of the same kind, one after another, with
advertisements between them (WIRED: ``div.article__chunks > div.grid > div.body__container``, one
container per few paragraphs). trafilatura picks the best container and reads the first chunks only:
on the two such pages of the extraction benchmark it read 0.45 and 0.35 of the article.

:func:`read_on` adds what follows. From trafilatura's text it finds the page's paragraphs it took,
and the container holding most of them (it must have a ``class``, and hold at least
:data:`MIN_TAKEN` of them). Containers of the same tag and class that follow it, within
:data:`LEVELS` levels above it, are the article's further chunks when

* no heading (``h1``-``h3``) with text stands between the chunks outside them: on a blog's index or
  a list of teasers, each post's title separates bodies of the same class, and those are other
  articles;
* the chunks stand at the container's depth, and there are at most :data:`MAX_CHUNKS` containers of
  the kind there (more is a listing of teasers);

and of each further chunk its own ``<p>`` children are taken, in document order, after the last
paragraph trafilatura took from the container, except a paragraph already in the text and a paragraph
whose text is mostly link text (a "don't miss" list of headlines has the class of the body too).

The numbers and the measurement (181 pages, both halves; the guard and the link test each keep
false additions out on their own): docs/extraction-benchmark.md.
"""

from __future__ import annotations

#: How many levels above trafilatura's container the further chunks are looked for (WIRED: 2).
#: On the 181 benchmark pages, 2 to 10 levels add the same paragraphs; the guards, not the bound,
#: keep other articles out.
LEVELS = 3
#: Paragraphs (of at least :data:`MIN_WORDS` words) trafilatura must have taken from one container
#: before its siblings are read: a container it took one line from is not the article's.
MIN_TAKEN = 2
MIN_WORDS = 8
#: More containers of the container's tag and class than this: a listing, not one article's chunks.
MAX_CHUNKS = 100
#: A paragraph whose link text is over this share of its text is a list of links, not the body.
MAX_LINK_SHARE = 0.5

_HEADINGS = ("h1", "h2", "h3")


def _text(element) -> str:
    return " ".join(element.text_content().split())


def read_on(tree, text: str) -> str:
    """``text`` (trafilatura's extraction from ``tree``) with the article's further chunks added.

    ``tree`` is the lxml tree trafilatura was given (it extracts from a copy, so the tree is whole).
    Returns ``text`` itself when the page has no further chunks.
    """
    lines = text.split("\n")
    normal = [" ".join(line.split()) for line in lines]
    present = set(normal)
    if len(present) < MIN_TAKEN:
        return text
    counts: dict = {}
    last_taken: dict = {}
    for paragraph in tree.iter("p"):
        words = _text(paragraph)
        if words in present and len(words.split()) >= MIN_WORDS:
            parent = paragraph.getparent()
            counts[parent] = counts.get(parent, 0) + 1
            last_taken[parent] = words
    if not counts:
        return text
    container = max(counts, key=counts.get)
    if counts[container] < MIN_TAKEN or not container.get("class"):
        return text
    chunks = _further_chunks(container)
    added = []
    for chunk in chunks:
        for child in chunk:
            if child.tag != "p":
                continue
            words = _text(child)
            if not words or words in present:
                continue
            links = sum(len(_text(link)) for link in child.iter("a"))
            if links > MAX_LINK_SHARE * len(words):
                continue
            added.append(words)
            present.add(words)
    if not added:
        return text
    at = max(i for i, line in enumerate(normal) if line == last_taken[container]) + 1
    return "\n".join(lines[:at] + added + lines[at:])


def _further_chunks(container) -> list:
    """Containers like ``container`` after it, within :data:`LEVELS` levels, no heading between them."""
    top = container
    for _ in range(LEVELS):
        if top.getparent() is None:
            break
        top = top.getparent()
    kind = container.get("class")
    same = [element for element in top.iter(container.tag) if element.get("class") == kind]
    if len(same) > MAX_CHUNKS:  # not one article's chunks; and a hostile page stays linear
        return []
    # Chunks stand at the container's depth: none is inside another, so each node is looked at once.
    depth = _depth(container)
    after = [element for element in same[same.index(container) + 1:] if _depth(element) == depth]
    if not after:
        return []
    inside = set(container.iter()).union(*(set(chunk.iter()) for chunk in after))
    order = {element: n for n, element in enumerate(top.iter())}
    first, last = order[container], order[after[-1]]
    for heading in top.iter(*_HEADINGS):
        if first < order[heading] < last and heading not in inside and _text(heading):
            return []
    return after


def _depth(element) -> int:
    return sum(1 for _ in element.iterancestors())
