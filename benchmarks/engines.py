"""The engines side by side: ``Pipeline.run`` on the local engine (``--jobs 1`` and ``2``) and on the
Dask engine (a local cluster of two worker processes), same corpus, outputs compared record for record.

The corpus is the duplicate benchmark's (benchmarks/duplicates.py: real article text from
``../shared/data`` with edited and truncated copies and rewrites), spread over 40 sites so that
learning has sites to learn. Runs are interleaved, ``--repeat`` rounds; the best wall time of each
engine is reported, with the ratio to ``--jobs 1``. Usage::

    python -m benchmarks.engines --articles 20000 --repeat 1

Needs the optional extra ``cleaner[dask]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

from benchmarks.duplicates import DEFAULT_DATA, build_corpus, load_sources


def documents(n: int, data: Path, seed: int = 1) -> list:
    from cleaner import Document

    sources, _ = load_sources(data, seed)
    docs = []
    for item in build_corpus(sources, n, seed):
        site = f"site{int(hashlib.blake2b(item.id.encode(), digest_size=2).hexdigest(), 16) % 40:02d}.example"
        fields = {"date": item.date, "url": f"https://{site}/{item.id}"}
        if item.lang:
            fields["lang"] = item.lang
        docs.append(Document(id=item.id, text=item.text, fields=fields))
    return docs


def digest(result) -> tuple[str, int]:
    h = hashlib.sha256()
    n = 0
    for doc in result:
        h.update(json.dumps(doc.record(removed=True, groups=True), sort_keys=True).encode("utf-8") + b"\n")
        n += 1
    return h.hexdigest(), n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--partition", type=int, default=500)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    if not (args.data / "semeval2022-task8" / "training_set.csv").is_file():
        print(f"skipped: {args.data} has no SemEval-2022 Task 8 data", file=sys.stderr)
        return 0
    try:
        from cleaner.dask_engine import DaskEngine
        import distributed  # noqa: F401
    except ImportError:
        print("skipped: the Dask engine needs the optional extra: pip install 'cleaner[dask]'", file=sys.stderr)
        return 0
    from cleaner import Config, Pipeline
    from cleaner.engine import LocalEngine

    docs = documents(args.articles, args.data)
    print(f"{len(docs)} articles", file=sys.stderr)
    config = Config()
    dask = DaskEngine(workers=2, partition=args.partition)
    started = time.perf_counter()
    dask.client  # start the cluster outside the timed runs, and say what it cost
    startup = time.perf_counter() - started
    engines = {"local, jobs 1": LocalEngine(1), "local, jobs 2": LocalEngine(2), "dask, 2 workers": dask}
    best: dict[str, float] = {}
    digests: dict[str, tuple[str, int]] = {}
    try:
        for _ in range(max(1, args.repeat)):
            for name, engine in engines.items():
                t = time.perf_counter()
                digests[name] = digest(Pipeline(config, engine=engine).run(docs))
                best[name] = min(best.get(name, float("inf")), time.perf_counter() - t)
                print(f"{name}: {best[name]:.1f}s", file=sys.stderr)
    finally:
        dask.close()
    base = best["local, jobs 1"]
    print(f"| engine ({len(docs)} articles, `Pipeline.run`) | wall, best of {max(1, args.repeat)} | ratio to jobs 1 | output |")
    print("| --- | --- | --- | --- |")
    for name in engines:
        same = "identical" if digests[name] == digests["local, jobs 1"] else "DIFFERENT"
        print(f"| {name} | {best[name]:.1f} s | {base / best[name]:.2f}x | {same} ({digests[name][1]} records, sha256 {digests[name][0][:12]}) |")
    print(f"\nlocal cluster start-up (not in the times above): {startup:.1f} s")
    return 0 if all(d == digests["local, jobs 1"] for d in digests.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
