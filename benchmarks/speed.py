"""``cleaner run`` against the pipeline a user writes by hand, side by side on one corpus file.

    python -m benchmarks.speed [--articles 20000] [--repeat 3] [--jobs 1,2] [--keep DIR]

The corpus is the engine benchmark's (benchmarks/engines.py: real article text from
``../shared/data``, edited and truncated copies, rewrites, 40 sites), written once as JSONL. Each
round runs, one after the other, ``python -m benchmarks.hand_pipeline`` (ftfy.fix_text, 15 regexes,
datasketch MinHash ``update_batch`` over word 5-grams, MinHashLSH) and ``cleaner run IN -o OUT
--jobs N`` for each N, all as child processes (start-up counts). Wall seconds and CPU seconds
(user + system of the child and its workers) are reported, best and median over the rounds, with
throughput ratios against the hand pipeline (> 1: cleaner is faster) and ``--jobs N`` against
``--jobs 1``. The machine is shared and noisy: read the CPU figures, and the ratios within a run.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.duplicates import DEFAULT_DATA

ROOT = Path(__file__).resolve().parents[1]


def write_corpus(path: Path, n: int) -> None:
    from benchmarks.engines import documents

    with path.open("w", encoding="utf-8") as handle:
        for doc in documents(n, DEFAULT_DATA):
            handle.write(json.dumps({"id": doc.id, "text": doc.text, **doc.fields}, ensure_ascii=False) + "\n")


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (children: user + system) of one command; exits on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: cleaner found duplicates or boilerplate, as designed
        sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--keep", type=Path, default=None, help="Write the corpus and outputs here and keep them.")
    args = parser.parse_args(argv)
    if not DEFAULT_DATA.is_dir():
        print(f"skipped: {DEFAULT_DATA} not found", file=sys.stderr)
        return 0
    work = args.keep or Path(tempfile.mkdtemp(prefix="cleaner-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus.jsonl"
    if not corpus.exists():
        write_corpus(corpus, args.articles)
    python = sys.executable
    runs = {"hand pipeline": [python, "-m", "benchmarks.hand_pipeline", str(corpus), str(work / "hand.jsonl")]}
    for jobs in (int(j) for j in args.jobs.split(",")):
        runs[f"cleaner run --jobs {jobs}"] = [python, "-m", "cleaner", "run", str(corpus), "-o", str(work / f"run{jobs}.jsonl"), "--jobs", str(jobs)]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, command in runs.items():
            times[name].append(timed(command))
    outputs = [work / f"run{j}.jsonl" for j in args.jobs.split(",")]
    same = len({p.read_bytes() for p in outputs}) == 1
    base_wall, base_cpu = (min(x[i] for x in times["hand pipeline"]) for i in (0, 1))
    one_wall = min(w for w, _ in times["cleaner run --jobs 1"]) if "cleaner run --jobs 1" in times else None
    print(f"{args.articles} articles ({corpus.stat().st_size / 1e6:.1f} MB), {args.repeat} interleaved rounds")
    print("| what | wall best | wall median | CPU best | x hand (wall) | x --jobs 1 (wall) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, values in times.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        versus_one = f"{one_wall / min(walls):.2f}" if one_wall and name.startswith("cleaner") else ""
        print(f"| {name} | {min(walls):.2f} s | {statistics.median(walls):.2f} s | {min(cpus):.2f} s | {base_wall / min(walls):.2f} | {versus_one} |")
    print(f"cleaner outputs identical for every --jobs: {same}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
