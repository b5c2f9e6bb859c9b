"""Odd corpora against a normal one of the same size: time and peak memory of ``cleaner run``.

Each corpus is written as JSONL, then ``cleaner run IN -o OUT --jobs 1`` runs in a child process of
its own (:func:`benchmarks.memory.measure`: wall and CPU seconds, peak RSS of that child, spool on
disk), so the input is streamed as a user's would be and peak RSS is that corpus's:

* ``normal``: the duplicate benchmark's corpus (real article text, copies, rewrites), 40 sites;
* ``near-identical``: short texts that differ in one or two words (one huge duplicate group);
* ``one-word``: articles of one word each, from a small vocabulary;
* ``small-vocabulary``: one-line articles of 8 words drawn from 15 (no two near-duplicates, yet
  nearly every pair of articles shares most of its terms: the story level's densest case);
* ``word-salad``: random words drawn from the real texts' vocabulary (no two alike; the vocabulary
  holds the duplicate benchmark's mojibake edits, so nearly every article has some);
* ``common-words``: random words from the 5,000 most common English words (wordfreq), 100-600 an
  article (issue 14's "random common words");
* ``giant``: the normal corpus plus one article as long as 2,000 normal ones;
* ``one-site``: the normal corpus with every article from one site (learning sees one huge site).

Usage: ``python -m benchmarks.adversarial --articles 20000`` (``--only NAME,...`` to pick).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

from benchmarks.duplicates import DEFAULT_DATA

KINDS = ("normal", "near-identical", "one-word", "small-vocabulary", "word-salad", "common-words", "giant", "one-site")


def _normal(n: int, data: Path) -> list:
    from benchmarks.engines import documents

    return documents(n, data)


def corpus(kind: str, n: int, data: Path) -> list:
    from cleaner import Document

    rng = random.Random(7)
    if kind in ("normal", "giant", "one-site"):
        docs = _normal(n, data)
        if kind == "one-site":
            for d in docs:
                d.fields["url"] = "https://one.example/" + d.id
        if kind == "giant":
            words = " ".join(d.text for d in docs[:2000])
            docs[-1] = Document(id="giant", text=words, fields={"url": "https://giant.example/x"})
        return docs
    vocab = sorted({w for d in _normal(min(n, 3000), data) for w in d.text.split()})
    if kind == "near-identical":
        base = "The council met on Tuesday to discuss the budget for the coming year and approved it".split()
        out = []
        for i in range(n):
            words = list(base)
            for _ in range(rng.randint(1, 2)):
                words[rng.randrange(len(words))] = rng.choice(vocab)
            out.append(Document(id=f"n{i}", text=" ".join(words), fields={"url": f"https://s{i % 40}.example/{i}"}))
        return out
    if kind == "one-word":
        small = vocab[:50]
        return [Document(id=f"w{i}", text=rng.choice(small), fields={"url": f"https://s{i % 40}.example/{i}"}) for i in range(n)]
    if kind == "small-vocabulary":
        small = "the council said on monday that new plan would cost more than city could afford".split()
        return [Document(id=f"v{i}", text=" ".join(rng.choice(small) for _ in range(8)), fields={"url": f"https://s{i % 40}.example/{i}"}) for i in range(n)]
    if kind == "common-words":
        import wordfreq

        common = wordfreq.top_n_list("en", 5000)
        return [
            Document(id=f"c{i}", text=" ".join(rng.choice(common) for _ in range(rng.randint(100, 600))), fields={"url": f"https://s{i % 40}.example/{i}"})
            for i in range(n)
        ]
    if kind == "word-salad":
        return [
            Document(id=f"s{i}", text=" ".join(rng.choice(vocab) for _ in range(rng.randint(100, 600))), fields={"url": f"https://s{i % 40}.example/{i}"})
            for i in range(n)
        ]
    raise ValueError(kind)


def write(kind: str, n: int, data: Path, path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for doc in corpus(kind, n, data):
            handle.write(json.dumps({"id": doc.id, "text": doc.text, **doc.fields}, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--only", default=",".join(KINDS))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    if not (args.data / "semeval2022-task8" / "training_set.csv").is_file():
        print(f"skipped: {args.data} has no SemEval-2022 Task 8 data", file=sys.stderr)
        return 0
    from benchmarks.memory import measure

    rows = []
    with tempfile.TemporaryDirectory(prefix="cleaner-adversarial-") as tmp:
        work = Path(tmp)
        for kind in args.only.split(","):
            path = work / f"{kind}.jsonl"
            write(kind, args.articles, args.data, path)
            row = {"kind": kind, "input": path.stat().st_size, **measure(path, 1, work)}
            path.unlink()
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    normal = next((r for r in rows if r["kind"] == "normal"), None)
    print(f"| corpus ({args.articles:,} articles, `cleaner run --jobs 1`) | wall | CPU | x normal (wall) | peak RSS | spool peak | input |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        ratio = f"{r['wall'] / normal['wall']:.2f}x" if normal else "-"
        print(f"| {r['kind']} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {ratio} | {r['rss'] / 2**20:,.0f} MB | {r['spool'] / 2**20:,.0f} MB | {r['input'] / 2**20:,.0f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
