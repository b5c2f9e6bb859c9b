"""Pipeline throughput on a corpus made from ../shared/data, as ratios against baselines.

    python -m benchmarks.throughput [--articles N] [--jobs 1,2]

Corpus: SemEval-2022 Task 8 article texts plus every extractor's output of the extraction
benchmark, repeated (with a numbered id) up to ``--articles``. Baselines measured in the same run:
``ftfy.fix_text`` over every article (what normalisation alone costs) and datasketch MinHash(128)
over word 5-grams plus MinHashLSH (what plain near-duplicate detection costs). Each figure is the
best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def corpus(limit: int) -> list[tuple[str, str]]:
    texts: list[str] = []
    semeval = SHARED / "semeval2022-task8" / "training_set.csv"
    csv.field_size_limit(1 << 30)
    with semeval.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            texts += [row["text1"], row["text2"]]
    for path in sorted((SHARED / "article-extraction-benchmark" / "output").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data = data.get("output", data)
        texts += [v.get("articleBody") or "" for v in data.values()]
    texts = [t for t in texts if t.strip()]
    return [(f"a{i}", texts[i % len(texts)]) for i in range(limit)]


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} not found", file=sys.stderr)
        return 0

    import ftfy
    from datasketch import MinHash, MinHashLSH

    from cleaner import Config, Document, Pipeline

    docs = corpus(args.articles)
    token = re.compile(r"\w+")

    def baseline_ftfy() -> None:
        for _, text in docs:
            ftfy.fix_text(text)

    def baseline_minhash() -> None:
        lsh = MinHashLSH(threshold=0.5, num_perm=128)
        template = MinHash(128, seed=1)
        for doc_id, text in docs:
            words = token.findall(text.lower())
            m = MinHash(128, seed=1, permutations=template.permutations, scheme="affine32")
            m.update_batch([" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))])
            lsh.query(m)
            lsh.insert(doc_id + "x", m)

    def pipeline(verb: str, jobs: int):
        def go() -> None:
            config = Config(jobs=jobs)
            p = Pipeline(config)
            for _ in getattr(p, verb)(Document(id=doc_id, text=text) for doc_id, text in docs):
                pass
        return go

    t_ftfy = best(baseline_ftfy, args.repeat)
    t_mh = best(baseline_minhash, args.repeat)
    rows = [("baseline: ftfy.fix_text", t_ftfy, 1.0, None), ("baseline: MinHash(128) 5-grams + LSH", t_mh, None, 1.0)]
    for jobs in (int(j) for j in args.jobs.split(",")):
        t_clean = best(pipeline("clean", jobs), args.repeat)
        t_run = best(pipeline("run", jobs), args.repeat)
        rows.append((f"cleaner clean, jobs={jobs}", t_clean, t_clean / t_ftfy, None))
        rows.append((f"cleaner run (clean + duplicates + stories), jobs={jobs}", t_run, t_run / t_ftfy, t_run / t_mh))
    print(f"{len(docs)} articles, best of {args.repeat}\n")
    print("| what | seconds | articles/s | x ftfy baseline | x MinHash baseline |")
    print("| --- | --- | --- | --- | --- |")
    for name, seconds, vs_ftfy, vs_mh in rows:
        a = f"{vs_ftfy:.2f}" if vs_ftfy is not None else ""
        b = f"{vs_mh:.2f}" if vs_mh is not None else ""
        print(f"| {name} | {seconds:.2f} | {len(docs) / seconds:.0f} | {a} | {b} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
