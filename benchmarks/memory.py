"""Peak memory and spool of ``cleaner run`` as the corpus grows: bytes per article at each size.

    python -m benchmarks.memory [--articles 50000,100000,200000] [--kind distinct] [--jobs 1]

Corpora, written once as JSONL and cut to each size (the first lines):

* ``distinct``: every article its own, made of real sentences (``../shared/data``: SemEval-2022
  and ScrapingHub bodies, the duplicate benchmark's sources): 6-30 sentences drawn from three
  sources of one language, in paragraphs of one to four, a title, a date in a two-year span, one
  of 400 sites. Two articles share at most a few sentences, so nearly all are canonicals and
  stories of their own: the case that costs the most memory per article (nothing folds away).
* ``engine``: the engine benchmark's corpus (benchmarks/engines.py: copies, rewrites, 40 sites;
  most articles are duplicates).

Each size runs ``cleaner run IN -o OUT --jobs N`` as a child process with a temporary directory of
its own; peak RSS is the child's own high-water mark (VmHWM, read as it exits) or its workers' if
higher, the spool the largest total size
of the files in that directory the processes hold open, polled every half second from ``/proc``. Reports wall and CPU seconds, peak RSS,
RSS per article (and per added article between sizes), spool peak and input size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.duplicates import DEFAULT_DATA

ROOT = Path(__file__).resolve().parents[1]


def distinct_articles(n: int, data: Path, seed: int = 3):
    """``n`` article records (dicts) of recombined real sentences; see the module docstring."""
    from benchmarks.duplicates import _joiner, load_sources

    sources, _ = load_sources(data, seed)
    by_lang: dict[str | None, list[list[str]]] = {}
    for s in sources:
        sentences = [x for p in s.paragraphs for x in p]
        if len(sentences) >= 3:
            by_lang.setdefault(s.lang, []).append(sentences)
    langs = sorted(by_lang, key=lambda lang: lang or "")
    weights = [len(by_lang[lang]) for lang in langs]
    rng = random.Random(seed)
    for i in range(n):
        lang = rng.choices(langs, weights)[0]
        pool = [x for src in rng.sample(by_lang[lang], min(3, len(by_lang[lang]))) for x in src]
        picked = rng.sample(pool, min(len(pool), rng.randint(6, 30)))
        paragraphs, at = [], 0
        while at < len(picked):
            step = rng.randint(1, 4)
            paragraphs.append(_joiner(lang).join(picked[at : at + step]))
            at += step
        day = 18262 + rng.randrange(730)  # 2020-01-01 plus up to two years
        date = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        record = {"id": f"d{i}", "title": picked[0][:120], "text": "\n".join(paragraphs), "date": date, "url": f"https://site{rng.randrange(400):03d}.example/{i}"}
        if lang:
            record["lang"] = lang
        yield record


def write_corpus(path: Path, n: int, kind: str, data: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        if kind == "distinct":
            for record in distinct_articles(n, data):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            from benchmarks.speed import write_corpus as engine_corpus

            handle.close()
            engine_corpus(path, n)


def _spool_size(pid: int, folder: Path) -> int:
    """Bytes of the files in ``folder`` that process ``pid`` and its children hold open (the spool
    files are unlinked temporary files: only ``/proc`` sees them)."""
    pids, total, seen = [pid], 0, set()
    while pids:
        p = pids.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as handle:
                    pids.extend(int(c) for c in handle.read().split())
            for fd in os.listdir(f"/proc/{p}/fd"):
                link = os.readlink(f"/proc/{p}/fd/{fd}")
                if link.startswith(str(folder)):
                    st = os.stat(f"/proc/{p}/fd/{fd}")
                    if (st.st_dev, st.st_ino) not in seen:
                        seen.add((st.st_dev, st.st_ino))
                        total += st.st_size
        except OSError:
            continue
    return total


def measure(corpus: Path, jobs: int, work: Path) -> dict:
    """One ``cleaner run`` of ``corpus`` in a child: wall, CPU, peak RSS, spool peak."""
    tmp = work / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp))
    probe = work / "peak.json"
    probe.unlink(missing_ok=True)
    env["CLEANER_BENCH_PEAK"] = str(probe)
    command = [sys.executable, "-c", _PEAK_PROBE, "run", str(corpus), "-o", str(work / "out.jsonl"), "--jobs", str(jobs), "-q"]
    peak = [0]
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.5):
            peak[0] = max(peak[0], _spool_size(proc.pid, tmp))

    watcher = threading.Thread(target=poll, daemon=True)
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace")
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}): {err[-2000:]}")
    peaks = json.loads(probe.read_text())
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": max(peaks["self"], peaks["children"]), "spool": peak[0]}


#: ``python -m cleaner`` with its peak written at exit: VmHWM of its own memory (the child's
#: ``ru_maxrss`` would not do: Linux starts an exec'd child's at the parent's high-water mark, so a
#: benchmark that built a 200,000-article corpus in memory reported that for every corpus after),
#: and the largest of its workers'.
_PEAK_PROBE = """
import atexit, json, os, resource, runpy, sys

def _peak():
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(os.environ["CLEANER_BENCH_PEAK"], "w") as out:
        json.dump({"self": hwm * 1024, "children": children * 1024}, out)

atexit.register(_peak)
sys.argv[0] = "cleaner"
runpy.run_module("cleaner", run_name="__main__", alter_sys=True)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", default="50000,100000,200000")
    parser.add_argument("--kind", choices=("distinct", "engine"), default="distinct")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--keep", type=Path, default=None, help="Write the corpora here and keep them (reused when present).")
    args = parser.parse_args(argv)
    if not (args.data / "semeval2022-task8" / "training_set.csv").is_file():
        print(f"skipped: {args.data} has no SemEval-2022 Task 8 data", file=sys.stderr)
        return 0
    sizes = sorted(int(x) for x in args.articles.split(","))
    work = args.keep or Path(tempfile.mkdtemp(prefix="cleaner-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        full = work / f"{args.kind}-{sizes[-1]}.jsonl"
        if not full.is_file():
            write_corpus(full, sizes[-1], args.kind, args.data)
        rows = []
        for n in sizes:
            corpus = work / f"{args.kind}-{n}.jsonl"
            if not corpus.is_file():
                with full.open(encoding="utf-8") as src, corpus.open("w", encoding="utf-8") as dst:
                    for _, line in zip(range(n), src):
                        dst.write(line)
            row = {"articles": n, "input": corpus.stat().st_size, **measure(corpus, args.jobs, work)}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
        print(f"| articles ({args.kind}, `--jobs {args.jobs}`) | wall | CPU | peak RSS | RSS per article | per added article | spool peak | input |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        previous = None
        for r in rows:
            added = f"{(r['rss'] - previous['rss']) / (r['articles'] - previous['articles']) / 1024:.1f} KB" if previous else "-"
            print(f"| {r['articles']:,} | {r['wall']:.1f} s | {r['cpu']:.1f} s | {r['rss'] / 2**20:,.0f} MB | {r['rss'] / r['articles'] / 1024:.1f} KB | {added} "
                  f"| {r['spool'] / 2**20:,.0f} MB | {r['input'] / 2**20:,.0f} MB |")
            previous = r
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
