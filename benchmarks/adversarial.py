"""Odd corpora against a normal one of the same size: time and peak memory of ``Pipeline.run``.

Each corpus runs in a child process of its own (``--jobs 1``), so peak RSS is that corpus's:

* ``normal``: the duplicate benchmark's corpus (real article text, copies, rewrites), 40 sites;
* ``near-identical``: short texts that differ in one or two words (one huge duplicate group);
* ``one-word``: articles of one word each, from a small vocabulary;
* ``word-salad``: random words drawn from the real texts' vocabulary (no two alike);
* ``giant``: the normal corpus plus one article as long as 2,000 normal ones;
* ``one-site``: the normal corpus with every article from one site (learning sees one huge site).

Usage: ``python -m benchmarks.adversarial --articles 20000`` (``--only NAME,...`` to pick).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.duplicates import DEFAULT_DATA

KINDS = ("normal", "near-identical", "one-word", "word-salad", "giant", "one-site")


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
    if kind == "word-salad":
        return [
            Document(id=f"s{i}", text=" ".join(rng.choice(vocab) for _ in range(rng.randint(100, 600))), fields={"url": f"https://s{i % 40}.example/{i}"})
            for i in range(n)
        ]
    raise ValueError(kind)


def child(kind: str, n: int, data: Path) -> None:
    from cleaner import Config, Pipeline

    docs = corpus(kind, n, data)
    started, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in Pipeline(Config()).run(docs))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"kind": kind, "articles": count, "wall": wall, "cpu": cpu, "rss": rss}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--only", default=",".join(KINDS))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.articles, args.data)
        return 0
    if not (args.data / "semeval2022-task8" / "training_set.csv").is_file():
        print(f"skipped: {args.data} has no SemEval-2022 Task 8 data", file=sys.stderr)
        return 0
    rows = []
    for kind in args.only.split(","):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.adversarial", "--child", kind, "--articles", str(args.articles), "--data", str(args.data)],
                              capture_output=True, text=True)
        if proc.returncode:
            print(f"{kind}: failed: {proc.stderr.strip()[-500:]}", file=sys.stderr)
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{kind}: {row['wall']:.1f}s, {row['rss'] / 2**20:.0f} MB", file=sys.stderr)
    normal = next((r for r in rows if r["kind"] == "normal"), None)
    print(f"| corpus ({args.articles} articles, `Pipeline.run`, jobs 1) | wall | CPU | x normal | peak RSS |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        ratio = f"{r['wall'] / normal['wall']:.2f}x" if normal else "-"
        print(f"| {r['kind']} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {ratio} | {r['rss'] / 2**20:.0f} MB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
