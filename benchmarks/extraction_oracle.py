"""Upper bounds for line-level cleaning on the extraction benchmark: oracles that know the truth.

    python -m benchmarks.extraction_oracle [--extractor trafilatura]

An oracle keeps exactly the lines of an extractor's output that belong to ``articleBody``, by one of
two tests (>= 50 % of the line's word 4-grams are in the body; or the line is a whitespace-normalised
substring of it), optionally always keeping the first line (the title, which cleaner keeps) or every
line before the body. The scores bound what any line-removing cleaner can reach.
"""

from __future__ import annotations

import argparse
import sys

from .extraction import DATA, load_json, norm, score, shingles


def keeps(line: str, body: str, truth, test: str) -> bool:
    if not line.strip():
        return False
    if test == "substring":
        return norm(line) in body
    grams = shingles(line)
    total = sum(grams.values())
    if not total:
        return norm(line) in body
    return sum(min(c, truth[g]) for g, c in grams.items()) / total >= 0.5


def oracle(pages, test: str, keep: str) -> tuple[float, float, float]:
    pairs = []
    for true, predicted in pages:
        lines, body, truth = predicted.split("\n"), norm(true), shingles(true)
        ok = [keeps(line, body, truth, test) for line in lines]
        nonblank = [i for i, line in enumerate(lines) if line.strip()]
        first_true = next((i for i in nonblank if ok[i]), len(lines))
        for i in nonblank:
            if keep == "title" and i == nonblank[0] or keep == "head" and i < first_true:
                ok[i] = True
        pairs.append((true, "\n".join(line for line, k in zip(lines, ok) if k)))
    return score(pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extractor", default="trafilatura")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"skipped: {DATA} not found", file=sys.stderr)
        return 0
    truth = load_json(DATA / "ground-truth.json")
    output = load_json(DATA / "output" / f"{args.extractor}.json")
    pages = [(truth[p]["articleBody"], (output.get(p) or {}).get("articleBody") or "") for p in sorted(truth)]
    print(f"| oracle ({args.extractor}) | P | R | F1 |\n| --- | --- | --- | --- |")
    for test in ("shingles", "substring"):
        for keep in ("none", "title", "head"):
            p, r, f = oracle(pages, test, keep)
            print(f"| {test} test, keep {keep} | {p:.3f} | {r:.3f} | {f:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
