"""Corpus-index benchmark: build for 20,000 articles, update after 10 changed files, check 5 staged files.

    python -m benchmarks.index_bench [--docs 20000] [--data PATH] [--workdir DIR] [--jobs 2] [--repeat 5]

The corpus recombines the SemEval-2022 Task 8 articles (``../shared/data``; the benchmark exits
cleanly when they are absent): each article is a window of consecutive sentences of one SemEval text
plus a few sentences of two others, so articles are realistic and distinct. They are written as
``.txt`` files in 100 folders. Every step runs the real CLI as a child process
(``python -m cleaner ...``, so Python start-up counts); wall time and the child's peak RSS
(``ru_maxrss``) are reported. The 5 staged files are: a copy of an indexed article with an extra
line, an article with boilerplate, and three new recombined articles.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "semeval2022-task8" / "training_set.csv"
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ0-9\"“])")


def sentences(path: Path) -> list[list[str]]:
    """Each distinct SemEval article as a list of sentences (articles of fewer than 6 dropped)."""
    csv.field_size_limit(sys.maxsize)
    seen, out = set(), []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for text in (row["text1"], row["text2"]):
                key = text[:200]
                if key in seen:
                    continue
                seen.add(key)
                parts = [s.strip() for s in _SENTENCE.split(re.sub(r"\s+", " ", text)) if len(s.split()) >= 4]
                if len(parts) >= 6:
                    out.append(parts)
    return out


def article(rng: random.Random, texts: list[list[str]]) -> str:
    """A window of 6-14 sentences of one article plus 2 sentences of each of two others, in paragraphs."""
    base = rng.choice(texts)
    size = rng.randint(6, 14)
    start = rng.randint(0, max(0, len(base) - size))
    body = base[start : start + size]
    for other in rng.sample(texts, 2):
        at = rng.randint(0, len(other) - 2)
        body.insert(rng.randint(1, len(body)), " ".join(other[at : at + 2]))
    return "\n\n".join(" ".join(body[i : i + 3]) for i in range(0, len(body), 3)) + "\n"


def write_corpus(folder: Path, texts: list[list[str]], docs: int, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    files = []
    for n in range(docs):
        path = folder / "corpus" / f"{n % 100:02d}" / f"a{n:05d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(article(rng, texts), encoding="utf-8")
        files.append(path)
    return files


def cli(args: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``python -m cleaner ARGS`` in ``cwd``: (wall seconds, peak RSS MB of that child, result)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # A fresh wrapper process per call so RUSAGE_CHILDREN's max is this child's, not an earlier one's.
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter(); p = subprocess.run(sys.argv[1:])\n"
        "w = time.perf_counter() - t\n"
        "print(f'{w} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}', file=sys.stderr)\n"
        "sys.exit(p.returncode)\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "cleaner", *args], cwd=cwd, env=env, capture_output=True, text=True)
    wall, rss = done.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss) / 1024.0, done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--workdir", type=Path, default=None, help="Keep the corpus and index here (default: a temporary folder).")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"skipped: {args.data} not found")
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="cleaner-index-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        texts = sentences(args.data)
        t = time.perf_counter()
        files = write_corpus(work, texts, args.docs)
        print(f"corpus: {len(files)} articles from {len(texts)} SemEval texts, written in {time.perf_counter() - t:.1f}s")

        wall, rss, done = cli(["index", "build", "corpus", "--index", "index.sqlite", "--jobs", str(args.jobs)], work)
        print(f"build:  {wall:7.2f}s wall, {rss:6.1f} MB max RSS  ({done.stderr.strip().splitlines()[0]})")
        _, _, stats = cli(["index", "stats", "--index", "index.sqlite"], work)
        print("        " + stats.stdout.strip().replace("\n", "\n        "))

        rng = random.Random(11)
        for path in rng.sample(files, 10):
            with path.open("a", encoding="utf-8") as f:
                f.write("\n" + article(rng, texts))
        wall, rss, done = cli(["index", "update", "--index", "index.sqlite"], work)
        print(f"update: {wall:7.2f}s wall, {rss:6.1f} MB max RSS  after 10 changed files ({done.stderr.strip().splitlines()[0]})")
        wall, rss, done = cli(["index", "update", "--index", "index.sqlite"], work)
        print(f"update: {wall:7.2f}s wall, {rss:6.1f} MB max RSS  with nothing changed")

        staged = work / "staged"
        staged.mkdir(exist_ok=True)
        (staged / "f1.txt").write_text(files[123].read_text(encoding="utf-8") + "\nOne more line from the editor.\n", encoding="utf-8")
        (staged / "f2.txt").write_text(article(rng, texts) + "\nLeave a Comment\nShare this article\n", encoding="utf-8")
        for n in (3, 4, 5):
            (staged / f"f{n}.txt").write_text(article(rng, texts), encoding="utf-8")
        check = ["check", "--index", "index.sqlite", *(f"staged/f{n}.txt" for n in range(1, 6))]
        walls, rsss = [], []
        for _ in range(args.repeat):
            wall, rss, done = cli(check, work)
            walls.append(wall)
            rsss.append(rss)
        print(f"check 5 staged files: wall median {statistics.median(walls):.3f}s (min {min(walls):.3f}, max {max(walls):.3f}), "
              f"max RSS {max(rsss):.1f} MB, exit {done.returncode}")
        print("        " + done.stdout.strip().replace("\n", "\n        "))
        wall, rss, done = cli(["check", "--report-stories", *check[1:]], work)
        print(f"check --report-stories: {wall:.3f}s wall, {rss:.1f} MB max RSS")
        wall, rss, done = cli(["check", "--no-index", *check[3:]], work)
        print(f"check --no-index (5 files, no corpus): {wall:.3f}s wall, {rss:.1f} MB max RSS")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
