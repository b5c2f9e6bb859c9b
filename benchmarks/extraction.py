"""Score cleaner on the ScrapingHub article-extraction benchmark.

For every extractor's output, each page becomes one Document whose text is that
extractor's articleBody; cleaner strips it, and raw and cleaned bodies are scored
against the ground truth with the benchmark's own metric (word 4-gram shingles).

    python -m benchmarks.extraction [--extractor NAME] [--split all|dev|heldout]
                                    [--show-removed N] [--write-doc]
    python -m benchmarks.extraction --html [--repeat N] [--write-doc]

``--html`` runs `cleaner clean` itself (read_paths + Pipeline) on the raw pages
(html/*.html.gz) and scores it against trafilatura alone in the same run.

The data lives beside the checkout in ../shared (see ../shared/README.md); the
script exits with a message when it is absent. Pages are split by sorted id:
every fifth page (index % 5 == 4) is the held-out half, never looked at while
writing rules.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "article-extraction-benchmark"
DOC = ROOT / "docs" / "extraction-benchmark.md"
EXTRACTORS = (
    "Diffbot", "boilerpipe", "goose3", "justext", "news_please",
    "newspaper", "readability", "readability_js", "rs_trafilatura", "trafilatura",
)
SPLITS = ("all", "dev", "heldout")
_WORD = re.compile(r"\w+")
_BULLET = re.compile(r"^(?:[-*•|]\s*)+")


# --- the benchmark's metric -------------------------------------------------

def shingles(text: str, n: int = 4) -> Counter:
    """Multiset of word n-grams of ``\\w+`` tokens (case kept, as upstream)."""
    tokens = _WORD.findall(text or "")
    return Counter(" ".join(tokens[i:i + n]) for i in range(max(0, len(tokens) - n + 1)))


def match(true: str, pred: str) -> tuple[float, float, float]:
    """TP, FP, FN of shingle counts, normalised to sum to 1 (0, 0, 1 when both are empty)."""
    t, p = shingles(true), shingles(pred)
    tp, fp, fn = sum((t & p).values()), sum((p - t).values()), sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 1.0)


def score(pairs: list[tuple[str, str]]) -> tuple[float, float, float]:
    """Mean precision (over pages with a non-empty prediction), mean recall, F1 of the means.

    Averaging precision only where something was predicted is what reproduces the
    published figures (goose3 0.940, justext 0.858 with 6 and 29 empty outputs).
    """
    counts = [match(true, pred) for true, pred in pairs]
    precisions = [tp / (tp + fp) for tp, fp, _ in counts if tp + fp > 0]
    recalls = [tp / (tp + fn) if tp + fn > 0 else 1.0 for tp, _, fn in counts]
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


# --- data -------------------------------------------------------------------

def load_json(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["output"] if "version" in data and "output" in data else data


def split_ids(ids: list[str], split: str) -> list[str]:
    ordered = sorted(ids)
    if split == "all":
        return ordered
    keep_heldout = split == "heldout"
    return [pid for i, pid in enumerate(ordered) if (i % 5 == 4) == keep_heldout]


def split_of(ids: list[str], pid: str) -> str:
    """The half (``dev`` or ``heldout``) page ``pid`` belongs to."""
    return "heldout" if sorted(ids).index(pid) % 5 == 4 else "dev"


def norm(text: str) -> str:
    return " ".join(text.split())


def is_true_body(line: str, body: str, body_lines: set[str]) -> bool:
    """A removed line belongs to the true body if it occurs in it (>= 4 words) or equals one of its lines.

    Leading list or table markers ("- ", "| ") are dropped first: extractors add them,
    the ground truth does not.
    """
    text = _BULLET.sub("", norm(line)).strip()
    if not text:
        return False
    if text in body_lines:
        return True
    return len(_WORD.findall(text)) >= 4 and text in body


# --- cleaning ---------------------------------------------------------------

@dataclass
class Cleaned:
    text: str
    removed: list = field(default_factory=list)  # (line, rule, text)


def no_learning():
    """cleaner's defaults with per-site line learning off: each page is cleaned on the rules alone."""
    from cleaner import Config

    return Config().replace(strip={"learn": False})


def clean_all(pages: list[tuple[str, str, str]]) -> list[Cleaned]:
    """Run cleaner's public API over (id, text, url), learning off."""
    from cleaner import Document, clean

    docs = [Document(id=pid, text=text, fields={"url": url}) for pid, text, url in pages]
    return [Cleaned(d.text, [(r.line, r.rule, r.text) for r in d.removed]) for d in clean(docs, no_learning())]


# --- report ---------------------------------------------------------------

@dataclass
class Row:
    name: str
    raw: tuple
    cleaned: tuple
    removed: int
    true_removed: int


def evaluate(extractor: str, ids: list[str], truth: dict, show: int) -> Row:
    output = load_json(DATA / "output" / f"{extractor}.json")
    pages = [(pid, (output.get(pid) or {}).get("articleBody") or "", truth[pid].get("url", "")) for pid in ids]
    return evaluate_texts(extractor, pages, truth, show)


def evaluate_texts(name: str, pages: list[tuple[str, str, str]], truth: dict, show: int = 0) -> Row:
    """Score (id, text, url) as extracted and as cleaner cleans it (learning off)."""
    results = clean_all(pages)
    raw_pairs, clean_pairs = [], []
    removed = true_removed = 0
    shown = []
    for (pid, text, _), res in zip(pages, results):
        body = truth[pid]["articleBody"]
        raw_pairs.append((body, text))
        clean_pairs.append((body, res.text))
        nbody, body_lines = norm(body), {norm(x) for x in body.split("\n") if x.strip()}
        for line, rule, removed_text in res.removed:
            removed += 1
            hit = is_true_body(removed_text, nbody, body_lines)
            true_removed += hit
            shown.append((hit, rule, pid[:6], removed_text))
    if show:
        for hit, rule, pid, text in sorted(shown, key=lambda s: (not s[0], s[1]))[:show]:
            print(f"  {'BODY' if hit else '    '} {rule:7} {pid} {text[:110]}", file=sys.stderr)
    return Row(name, score(raw_pairs), score(clean_pairs), removed, true_removed)


def true_body_lines(truth: dict, ids: list[str]) -> int:
    return sum(1 for pid in ids for x in truth[pid]["articleBody"].split("\n") if x.strip())


def table(rows: list[Row], body_lines: int, n_pages: int, first: str = "extractor") -> str:
    head = (f"| {first} | raw P | raw R | raw F1 | clean P | clean R | clean F1 | lines removed | true-body lines removed |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    lines = [head]
    for r in rows:
        lines.append(f"| {r.name} | {r.raw[0]:.3f} | {r.raw[1]:.3f} | {r.raw[2]:.3f} | "
                     f"{r.cleaned[0]:.3f} | {r.cleaned[1]:.3f} | {r.cleaned[2]:.3f} | {r.removed} | {r.true_removed} |")
    removed = sum(r.removed for r in rows)
    true_removed = sum(r.true_removed for r in rows)
    total = body_lines * len(rows)
    lines.append(f"| total ({len(rows)} x {n_pages} pages) | | | | | | | {removed} | "
                 f"{true_removed} of {total} true-body lines ({100 * true_removed / total:.2f} %) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.extraction", description=__doc__.split("\n\n")[0])
    parser.add_argument("--extractor", choices=EXTRACTORS, help="score one extractor only")
    parser.add_argument("--split", choices=SPLITS, default=None,
                        help="pages to score (default: all three, one table each)")
    parser.add_argument("--show-removed", type=int, default=0, metavar="N",
                        help="print N removed lines to stderr, true-body ones first")
    parser.add_argument("--html", action="store_true",
                        help="raw pages: `cleaner clean` on html/*.html.gz against trafilatura alone, with trafilatura's options measured")
    parser.add_argument("--repeat", type=int, default=3, help="--html: timing runs, best kept (default 3)")
    parser.add_argument("--write-doc", action="store_true", help=f"write the tables into {DOC.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if not (DATA / "ground-truth.json").exists():
        print(f"error: benchmark data not found at {DATA}; it lives in ../shared beside the checkout.", file=sys.stderr)
        return 2
    truth = load_json(DATA / "ground-truth.json")
    command = " ".join(["python -m benchmarks.extraction", *[a for a in (argv if argv is not None else sys.argv[1:]) if a != "--write-doc"]])
    if args.html:
        text = run_html(truth, args.repeat)
        print(text)
        if args.write_doc:
            write_doc(HTML_MARKER, f"Produced by `{command}`.\n\n{text}\n")
        return 0
    extractors = [args.extractor] if args.extractor else list(EXTRACTORS)
    splits = [args.split] if args.split else list(SPLITS)
    parts = [f"Produced by `{command}` (cleaner's public API, learning off).\n"]
    for split in splits:
        ids = split_ids(list(truth), split)
        rows = [evaluate(name, ids, truth, args.show_removed if split == splits[0] else 0) for name in extractors]
        text = table(rows, true_body_lines(truth, ids), len(ids))
        parts.append(f"\n### {split} ({len(ids)} pages)\n\n{text}\n")
        print(f"\n## {split} ({len(ids)} pages)\n\n{text}")
    if args.write_doc:
        write_doc(RESULTS_MARKER, "".join(parts))
    return 0


# --- raw pages (--html) ------------------------------------------------------

#: One change at a time from cleaner's options (cleaner.pages.EXTRACTION), and trafilatura's own defaults.
VARIANTS = {
    "cleaner's options": {},
    "trafilatura's defaults": None,
    "comments kept": {"include_comments": True},
    "fallback extractors (fast off)": {"fast": False},
    "neither mode (favor_recall off)": {"favor_recall": False},
    "favor_precision instead of favor_recall": {"favor_recall": False, "favor_precision": True},
    "tables off": {"include_tables": False},
    "links kept": {"include_links": True},
    "include_formatting": {"include_formatting": True},
}
META_FIELDS = ("title", "url", "site", "date", "author", "lang")


def run_html(truth: dict, repeat: int) -> str:
    """`cleaner clean` on the raw pages (read_paths + Pipeline, as the CLI runs it) against trafilatura alone.

    Scores both halves; times cleaner and trafilatura's own extraction in the same run (best of
    ``repeat``, interleaved); measures trafilatura's options (raw and cleaned); compares the page
    metadata cleaner reads with trafilatura's own metadata extraction.
    """
    import time

    import trafilatura

    from cleaner import Config, Pipeline, read_paths
    from cleaner.normalize import forget
    from cleaner.pages import EXTRACTION

    ids = sorted(truth)
    folder = DATA / "html"
    files = [folder / f"{pid}.html.gz" for pid in ids]
    errors: list = []

    def through_cleaner() -> dict:
        forget()  # every round as cold as a fresh process: no lines remembered from the last round
        docs = Pipeline(Config(), on_error=errors.append).clean(read_paths([str(folder)]))
        return {d.id.removesuffix(".html.gz"): d for d in docs}

    def alone(options: dict) -> dict:
        return {f.name.removesuffix(".html.gz"): trafilatura.extract(f.read_bytes(), **options) or "" for f in files}

    same, defaults = "trafilatura, cleaner's options", "trafilatura, its defaults"
    runs = {
        same: lambda: alone(EXTRACTION),
        f"{same} + with_metadata": lambda: alone({**EXTRACTION, "with_metadata": True}),
        defaults: lambda: alone({}),
        "cleaner's page reader alone (read_paths)": lambda: list(read_paths([str(folder)])),
        "cleaner clean": through_cleaner,
    }
    timings: dict[str, list[float]] = {name: [] for name in runs}
    results: dict = {}
    for _ in range(max(1, repeat)):
        for name, run in runs.items():
            errors.clear()
            started = time.process_time()  # CPU time: the machine is shared, wall time measures the neighbours
            results[name] = run()
            timings[name].append((time.process_time() - started) / len(ids) * 1000)
    cleaned = results["cleaner clean"]
    out = [_html_scores(truth, cleaned, {"trafilatura alone, its defaults": results[defaults], "trafilatura alone, cleaner's options": results[same]}, errors)]
    best = {name: min(values) for name, values in timings.items()}
    out.append(f"\n#### CPU time per page (best of {max(1, repeat)} runs each, interleaved, same run)\n\n"
               "| what | ms per page | cleaner clean / this |\n| --- | --- | --- |")
    for name, ms in best.items():
        out.append(f"| {name} | {ms:.1f} | {best['cleaner clean'] / ms:.2f} |")
    out.append(_reader_per_page(files, repeat))
    options_text, texts = _options_tables(truth, files)
    out.append(options_text)
    reader = {d.id.removesuffix(".html.gz"): d.text for d in results["cleaner's page reader alone (read_paths)"] if hasattr(d, "text")}
    out.append(_recall_oracle(truth, texts, reader, files))
    out.append(_metadata_table(truth, cleaned, files))
    return "\n".join(out)


def _reader_per_page(files: list[Path], repeat: int) -> str:
    """The reader against trafilatura page by page: each page read by both in turn, ``repeat`` rounds,
    the least CPU time of each page kept. On a shared machine this is steadier than the best whole
    run above (a neighbour's burst spoils one page's round, not a whole run)."""
    import time

    import trafilatura

    from cleaner.pages import EXTRACTION
    from cleaner.readers import read_file

    clock = time.process_time
    alone, reader = [float("inf")] * len(files), [float("inf")] * len(files)
    for _ in range(max(1, repeat)):
        for i, f in enumerate(files):
            started = clock()
            trafilatura.extract(f.read_bytes(), **EXTRACTION)
            alone[i] = min(alone[i], clock() - started)
            started = clock()
            list(read_file(f, f.name, f.name))
            reader[i] = min(reader[i], clock() - started)
    a, r = sum(alone) / len(files) * 1000, sum(reader) / len(files) * 1000
    return (f"\nPage by page (each page read by both in turn, least CPU time of {max(1, repeat)} rounds): "
            f"trafilatura with cleaner's options {a:.2f} ms, cleaner's page reader {r:.2f} ms a page: **{r / a:.2f}x**.")


def _html_scores(truth: dict, cleaned: dict, alone: dict[str, dict], errors: list) -> str:
    names = list(alone)
    lines = ["#### Scores (the benchmark's metric), P / R / F1\n", "| split | pages | " + " | ".join(names) + " | cleaner clean | pages without text |",
             "| --- | --- | " + "--- | " * len(names) + "--- | --- |"]
    for split in SPLITS:
        ids = split_ids(list(truth), split)
        cells = []
        for name in names:
            t = score([(truth[p]["articleBody"], alone[name][p]) for p in ids])
            cells.append(f"{t[0]:.3f} / {t[1]:.3f} / {t[2]:.3f}")
        c = score([(truth[p]["articleBody"], cleaned[p].text if p in cleaned else "") for p in ids])
        empty = sum(1 for p in ids if p not in cleaned or not cleaned[p].text.strip())
        lines.append(f"| {split} | {len(ids)} | " + " | ".join(cells) + f" | **{c[0]:.3f} / {c[1]:.3f} / {c[2]:.3f}** | {empty} |")
    lines += [f"\nInput errors: {len(errors)}" + "".join(f"\n- `{e}`" for e in errors)]
    return "\n".join(lines)


def _options_tables(truth: dict, files: list[Path]) -> tuple[str, dict[str, dict[str, str]]]:
    """trafilatura's options one change at a time: its output as extracted and as cleaner cleans it
    (the tables), and each variant's text per page."""
    import trafilatura

    from cleaner.pages import EXTRACTION

    ids = sorted(truth)
    texts = {}
    for name, change in VARIANTS.items():
        options = {} if change is None else {**EXTRACTION, **change}
        texts[name] = {f.name.removesuffix(".html.gz"): trafilatura.extract(f.read_bytes(), **options) or "" for f in files}
    out = ["\n#### trafilatura's options (one change at a time from cleaner's; cleaned: learning off)"]
    for split in SPLITS:
        split_set = split_ids(ids, split)
        rows = [evaluate_texts(name, [(p, texts[name][p], truth[p].get("url", "")) for p in split_set], truth) for name in VARIANTS]
        out.append(f"\n{split} ({len(split_set)} pages)\n\n" + table(rows, true_body_lines(truth, split_set), len(split_set), "trafilatura options"))
    return "\n".join(out), texts


#: Pages listed per half in the recall table: those trafilatura reads least of.
LOW_RECALL_PAGES = 4


def _recall_oracle(truth: dict, texts: dict[str, dict[str, str]], reader: dict[str, str], files: list[Path]) -> str:
    """What recall the reader could reach: per half, the pages trafilatura reads least of, with the
    recall of cleaner's options, the highest of any option variant and the BeautifulSoup reader's
    (visible text) on them; and the oracles, the option variant reading most of each page, and the
    better of trafilatura and BeautifulSoup for each page (by the page's F1: an upper bound of any
    rule that picks one of the two readers per page). ``reader``: cleaner's page reader's text of
    each page (trafilatura, read on into split bodies, the fallback reader)."""
    from cleaner.pages import decode_page, html_to_text, page_bytes

    ids = sorted(truth)
    visible = {}
    for f in files:
        markup = decode_page(page_bytes(f.read_bytes(), f.name, True), f.name)
        visible[f.name.removesuffix(".html.gz")] = html_to_text(markup)[0] if isinstance(markup, str) else ""
    ours = texts["cleaner's options"]

    def page(pid: str, text: str) -> tuple[float, float, float]:
        tp, fp, fn = match(truth[pid]["articleBody"], text)
        p, r = (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 1.0)
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)

    def best(pid: str, candidates: list[str]) -> str:
        return max(candidates, key=lambda text: page(pid, text)[2])

    out = ["\n#### Recall: the pages trafilatura reads least of, and the oracles (raw text, before cleaning)\n",
           "| split | page (site) | words in the truth | trafilatura R, cleaner's options | highest R of any option | BeautifulSoup P / R | cleaner's reader (reads on into split bodies) P / R |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for split in ("dev", "heldout"):
        for pid in sorted(split_ids(ids, split), key=lambda p: page(p, ours[p])[1])[:LOW_RECALL_PAGES]:
            url = truth[pid].get("url", "")
            site = url.split("/")[2] if url.count("/") >= 2 else ""
            bs, rd = page(pid, visible[pid]), page(pid, reader[pid])
            out.append(f"| {split} | {pid[:10]} ({site}) | {len(truth[pid]['articleBody'].split())} | {page(pid, ours[pid])[1]:.3f} | "
                       f"{max(page(pid, texts[name][pid])[1] for name in texts):.3f} | {bs[0]:.3f} / {bs[1]:.3f} | {rd[0]:.3f} / {rd[1]:.3f} |")
    changed = [pid for pid in ids if reader[pid] != ours[pid]]
    out.append(f"\nPages whose text the reader reads on into further chunks of a split body: {len(changed)} of {len(ids)}"
               + "".join(f"; {pid[:10]} ({split_of(ids, pid)}) P {page(pid, ours[pid])[0]:.3f} -> {page(pid, reader[pid])[0]:.3f}, "
                         f"R {page(pid, ours[pid])[1]:.3f} -> {page(pid, reader[pid])[1]:.3f}" for pid in changed) + ".")
    out += ["", "| split | trafilatura, cleaner's options | cleaner's reader (reads on into split bodies) | the option that reads most of each page (highest R) | better of trafilatura and BeautifulSoup per page (F1) |",
            "| --- | --- | --- | --- | --- |"]
    for split in SPLITS:
        split_set = split_ids(ids, split)
        cells = [score([(truth[p]["articleBody"], pick(p)) for p in split_set]) for pick in (
            lambda p: ours[p], lambda p: reader[p], lambda p: max((texts[n][p] for n in texts), key=lambda text: page(p, text)[1]),
            lambda p: best(p, [ours[p], visible[p]]))]
        out.append(f"| {split} | " + " | ".join(f"{c[0]:.3f} / {c[1]:.3f} / {c[2]:.3f}" for c in cells) + " |")
    return "\n".join(out)


def _metadata_table(truth: dict, cleaned: dict, files: list[Path]) -> str:
    """How many pages get each field from cleaner (the head via BeautifulSoup, the date via htmldate)
    and from trafilatura's own metadata extraction, and how often the url's site is the page's own."""
    import time

    import trafilatura

    from cleaner.documents import host_of

    theirs, started = {}, time.process_time()
    for f in files:
        meta = trafilatura.extract_metadata(trafilatura.load_html(f.read_bytes()))
        theirs[f.name.removesuffix(".html.gz")] = {"title": meta.title, "url": meta.url, "site": host_of(meta.url), "date": meta.date, "author": meta.author, "lang": meta.language}
    ms = (time.process_time() - started) / len(files) * 1000
    ids = sorted(truth)
    lines = [f"\n#### Page metadata ({len(ids)} pages; trafilatura's metadata extraction alone: {ms:.1f} ms per page)\n",
             "| field | cleaner | trafilatura | same value |", "| --- | --- | --- | --- |"]
    ours = {p: (cleaned[p].fields if p in cleaned else {}) for p in ids}
    for key in META_FIELDS:
        have = sum(1 for p in ids if ours[p].get(key))
        their = sum(1 for p in ids if theirs[p].get(key))
        same = sum(1 for p in ids if ours[p].get(key) and str(ours[p].get(key))[:10] == str(theirs[p].get(key))[:10])
        lines.append(f"| {key} | {have} | {their} | {same} |")
    right = {name: sum(1 for p in ids if host_of(m[p].get("url")) == host_of(truth[p]["url"])) for name, m in (("cleaner", ours), ("trafilatura", theirs))}
    lines.append(f"\nsite of the url = site of the page's address in the ground truth: cleaner {right['cleaner']}, trafilatura {right['trafilatura']} of {len(ids)}.")
    return "\n".join(lines)


RESULTS_MARKER = "results"
HTML_MARKER = "html-results"


def write_doc(marker: str, content: str) -> None:
    """Replace what stands between ``<!-- marker -->`` and ``<!-- /marker -->`` in the doc with ``content``."""
    body = DOC.read_text(encoding="utf-8")
    start, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    if start not in body or end not in body:
        raise SystemExit(f"error: {DOC} has no {start} ... {end} section to fill")
    before, rest = body.split(start, 1)
    after = rest.split(end, 1)[1]
    DOC.write_text(f"{before}{start}\n{content.strip()}\n{end}{after}", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
