"""Score cleaner on the ScrapingHub article-extraction benchmark.

For every extractor's output, each page becomes one Document whose text is that
extractor's articleBody; cleaner strips it, and raw and cleaned bodies are scored
against the ground truth with the benchmark's own metric (word 4-gram shingles).

    python -m benchmarks.extraction [--extractor NAME] [--split all|dev|heldout]
                                    [--show-removed N] [--write-doc]

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


def clean_all(pages: list[tuple[str, str, str]], engine: str = "cleaner") -> tuple[str, list[Cleaned]]:
    """Run cleaner's public API over (id, text, url), or the rules-only stand-in.

    ``engine="standin"`` applies rules/*.toml alone (no shape heuristics, no learning), which
    measures the rule packs by themselves; "cleaner" falls back to it if the package is missing.
    """
    if engine == "standin":
        return "rules-only stand-in", standin_clean_texts([text for _, text, _ in pages])
    try:
        from cleaner import Config, Document, clean
    except ImportError:
        return "stand-in", standin_clean_texts([text for _, text, _ in pages])
    cfg = _no_learning_config(Config)
    docs = [Document(id=pid, text=text, fields={"url": url}) for pid, text, url in pages]
    out = [Cleaned(d.text, [(r.line, r.rule, r.text) for r in d.removed]) for d in clean(docs, cfg)]
    return "cleaner", out


# --- local stand-in for cleaner's rule engine ---------------------------------
# Used only while `from cleaner import ...` fails; follows the rule-pack format in
# rules/*.toml so rules can be measured before the library lands.

_END = tuple('.!?…"”’\')»)。！？')


def _is_body_line(line: str) -> bool:
    text = line.strip()
    return len(_WORD.findall(text)) >= 12 and text.endswith(_END)


def load_rules(folder: Path) -> list[dict]:
    import tomllib
    rules = []
    for path in sorted(folder.glob("*.toml")):
        pack = tomllib.loads(path.read_text(encoding="utf-8"))
        for rule in pack.get("rules", []):
            flags = 0 if rule.get("case_sensitive", False) else re.IGNORECASE
            rules.append({**rule, "regex": re.compile(rule["pattern"], flags)})
    return rules


def rule_matches(rule: dict, text: str) -> bool:
    text = text.strip()
    if "max_words" in rule and len(_WORD.findall(text)) > rule["max_words"]:
        return False
    return rule["regex"].search(text) is not None


def check_examples(rules: list[dict]) -> list[str]:
    problems = []
    for rule in rules:
        problems += [f"{rule['code']}: must match {x!r}" for x in rule["must_match"] if not rule_matches(rule, x)]
        problems += [f"{rule['code']}: must not match {x!r}" for x in rule["must_not_match"] if rule_matches(rule, x)]
    return problems


def _standin_clean(text: str, rules: list[dict]) -> Cleaned:
    lines = text.split("\n")
    filled = [i for i, x in enumerate(lines) if x.strip()]
    body = [i for i in filled if _is_body_line(lines[i])]
    first, last = (body[0], body[-1]) if body else (len(lines), -1)
    drop: dict[int, str] = {}

    def neighbours(i: int, step: int, n: int) -> list[int]:
        found, j = [], i + step
        while n and 0 <= j < len(lines):
            if lines[j].strip():
                if len(_WORD.findall(lines[j])) > 40:
                    break
                found.append(j)
                n -= 1
            j += step
        return found

    for i in filled:
        if i in drop:
            continue
        where = "head" if i < first else "tail" if i > last else "body"
        if not body:
            where = "both"
        for rule in rules:
            w = rule.get("where", "anywhere")
            if w != "anywhere" and where not in (w, "both"):
                continue
            if not rule_matches(rule, lines[i]):
                continue
            targets = [i] + neighbours(i, 1, rule.get("with_next", 0)) + neighbours(i, -1, rule.get("with_previous", 0))
            if rule.get("action", "line") == "rest":
                targets += [j for j in filled if j > i]
            for j in targets:
                drop.setdefault(j, rule["code"])
            break
    kept = [x for j, x in enumerate(lines) if j not in drop]
    return Cleaned("\n".join(kept), [(j + 1, code, lines[j]) for j, code in sorted(drop.items())])


def standin_clean_texts(texts: list[str]) -> list[Cleaned]:
    rules = load_rules(ROOT / "rules")
    return [_standin_clean(t, rules) for t in texts]


def _no_learning_config(config_cls):
    """Config with per-site line learning off: each page is cleaned on its own rules only."""
    try:
        return config_cls(learn=False)
    except TypeError:
        pass
    try:
        from cleaner import StripConfig
        return config_cls(strip=StripConfig(learn=False))
    except (ImportError, TypeError):
        return config_cls()


# --- report -----------------------------------------------------------------

@dataclass
class Row:
    name: str
    raw: tuple
    cleaned: tuple
    removed: int
    true_removed: int


def evaluate(extractor: str, ids: list[str], truth: dict, show: int, engine: str) -> tuple[Row, str]:
    output = load_json(DATA / "output" / f"{extractor}.json")
    pages = [(pid, (output.get(pid) or {}).get("articleBody") or "", truth[pid].get("url", "")) for pid in ids]
    engine, results = clean_all(pages, engine)
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
    return Row(extractor, score(raw_pairs), score(clean_pairs), removed, true_removed), engine


def true_body_lines(truth: dict, ids: list[str]) -> int:
    return sum(1 for pid in ids for x in truth[pid]["articleBody"].split("\n") if x.strip())


def table(rows: list[Row], body_lines: int, n_pages: int) -> str:
    head = ("| extractor | raw P | raw R | raw F1 | clean P | clean R | clean F1 | lines removed | true-body lines removed |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    lines = [head]
    for r in rows:
        lines.append(f"| {r.name} | {r.raw[0]:.3f} | {r.raw[1]:.3f} | {r.raw[2]:.3f} | "
                     f"{r.cleaned[0]:.3f} | {r.cleaned[1]:.3f} | {r.cleaned[2]:.3f} | {r.removed} | {r.true_removed} |")
    removed = sum(r.removed for r in rows)
    true_removed = sum(r.true_removed for r in rows)
    total = body_lines * len(rows)
    lines.append(f"| total ({len(rows)} extractors x {n_pages} pages) | | | | | | | {removed} | "
                 f"{true_removed} of {total} true-body lines ({100 * true_removed / total:.2f} %) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.extraction", description=__doc__.split("\n\n")[0])
    parser.add_argument("--extractor", choices=EXTRACTORS, help="score one extractor only")
    parser.add_argument("--split", choices=SPLITS, default=None,
                        help="pages to score (default: all three, one table each)")
    parser.add_argument("--show-removed", type=int, default=0, metavar="N",
                        help="print N removed lines to stderr, true-body ones first")
    parser.add_argument("--engine", choices=("cleaner", "standin"), default="cleaner",
                        help="cleaner's public API (rules + heuristics), or the rules-only stand-in")
    parser.add_argument("--write-doc", action="store_true", help=f"write the tables into {DOC.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if not (DATA / "ground-truth.json").exists():
        print(f"error: benchmark data not found at {DATA}; it lives in ../shared beside the checkout.", file=sys.stderr)
        return 2
    truth = load_json(DATA / "ground-truth.json")
    extractors = [args.extractor] if args.extractor else list(EXTRACTORS)
    splits = [args.split] if args.split else list(SPLITS)
    sections, engine = [], "?"
    for split in splits:
        ids = split_ids(list(truth), split)
        rows = []
        for name in extractors:
            row, engine = evaluate(name, ids, truth, args.show_removed if split == splits[0] else 0, args.engine)
            rows.append(row)
        text = table(rows, true_body_lines(truth, ids), len(ids))
        sections.append((split, len(ids), text))
        print(f"\n## {split} ({len(ids)} pages, engine: {engine})\n\n{text}")
    if args.write_doc:
        write_doc(sections, argv if argv is not None else sys.argv[1:], engine)
    return 0


def write_doc(sections, argv, engine) -> None:
    command = " ".join(["python -m benchmarks.extraction", *[a for a in argv if a != "--write-doc"]])
    body = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    marker = "<!-- results -->"
    intro = body.split(marker)[0] if marker in body else body
    parts = [intro.rstrip() + "\n\n" + marker + "\n",
             f"Produced by `{command}` (engine: {engine}).\n"]
    for split, n, text in sections:
        parts.append(f"\n### {split} ({n} pages)\n\n{text}\n")
    DOC.write_text("".join(parts), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
