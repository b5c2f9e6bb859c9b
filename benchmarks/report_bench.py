"""The HTML report of a large result: build time, memory, file size and time to first paint in Chromium.

    python -m benchmarks.report_bench [--articles 100000] [--repeat 3] [--keep DIR]

The result is synthetic (no ../shared/data needed), shaped like `cleaner run` output: titles, sites,
urls, dates, languages, ~200-word texts, `removed` lines, stories of skewed sizes (many of one
article, a few of hundreds) and exact copies (`duplicate_of`). It is written to a temporary
folder, then

* `cleaner report` runs in a subprocess: wall time and peak memory (ru_maxrss of the child);
* the report's size, and its size gzipped (as a mail attachment or a web server would send it);
* headless Chromium opens it, `--repeat` times each: the wall time of `--screenshot` (which
  returns once the first page has been painted), the same for a report of 20 articles (Chromium's
  own start-up, to subtract), and the page's own `performance.now()` when its first 50 stories are
  in the DOM (`data-first-render-ms`, from navigation start: HTML parse, JSON.parse and drawing),
  plain and with a search in the URL (`#q=...`, which also builds the search index).

Chromium is Debian's `chromium`; the figures say "skipped" without it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RULES = [("NAV001", "Previous articleSomething Else Happened"), ("CRD001", "Photo Credit: Staff photographer"),
         ("BYL001", "Jane Doe writes news at the desk"), ("COM001", "Leave a Comment"),
         ("SHR001", "Share this article on social media"), ("REP001", "Sign up for our morning newsletter")]
START = date(2024, 1, 1)
_SYLLABLES = ["ka", "lor", "mi", "zan", "tur", "vel", "os", "dri", "pex", "qua", "bren", "hol", "sy", "nat", "gri", "ume"]


def pseudo_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


def synthetic_result(path: Path, articles: int, seed: int = 7) -> dict[str, int]:
    """Write a result of ``articles`` records to ``path``; return its shape (stories, copies)."""
    import wordfreq

    rng = random.Random(seed)
    common = wordfreq.top_n_list("en", 3000)
    sites = [f"{pseudo_word(rng)}-news.example" for _ in range(300)]
    written = stories = copies = 0
    with path.open("w", encoding="utf-8") as out:
        while written < articles:
            stories += 1
            size = min(articles - written, int(rng.paretovariate(1.1)), 400)  # half are stories of one
            event = [pseudo_word(rng) for _ in range(10)]
            day = rng.randint(0, 90)
            story_id = f"s-{stories:012x}"
            canonicals: list[dict] = []
            for _ in range(size):
                written += 1
                site = rng.choice(sites)
                if canonicals and rng.random() < 0.15:
                    original = rng.choice(canonicals)
                    record = dict(original, id=f"a{written}", site=site, url=f"https://{site}/{written}", duplicate_of=original["id"])
                    copies += 1
                else:
                    words = [rng.choice(event) if rng.random() < 0.08 else rng.choice(common) for _ in range(200)]
                    text = "\n".join(" ".join(words[i : i + 25]).capitalize() + "." for i in range(0, 200, 25))
                    title = " ".join([rng.choice(event).capitalize()] + [rng.choice(common) for _ in range(rng.randint(5, 10))])
                    removed = [{"line": rng.randint(1, 12), "rule": code, "text": line} for code, line in rng.sample(RULES, rng.randint(0, 3))]
                    record = {"id": f"a{written}", "title": title, "site": site, "url": f"https://{site}/{written}",
                              "date": (START + timedelta(days=day + rng.randint(0, 2))).isoformat(),
                              "lang": "en" if rng.random() < 0.8 else rng.choice(["de", "fr"]), "text": text,
                              "removed": removed, "duplicate_of": None}
                    canonicals.append(record)
                record["story"] = story_id
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {"articles": written, "stories": stories, "copies": copies}


def chromium(*args: str, timeout: float = 300) -> tuple[float, str]:
    """Run headless Chromium with a fresh profile; (wall seconds, standard output)."""
    profile = tempfile.mkdtemp(prefix="chromium-")
    try:
        start = time.perf_counter()
        proc = subprocess.run(["chromium", *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=timeout)
        return time.perf_counter() - start, proc.stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def first_render_ms(page: Path, hash_: str = "") -> float:
    _, dom = chromium("--dump-dom", page.as_uri() + hash_)
    found = re.search(r'data-first-render-ms="(\d+)"', dom)
    if not found:
        raise RuntimeError(f"no data-first-render-ms in the DOM of {page}{hash_}")
    return float(found.group(1))


def screenshot_seconds(page: Path, shot: Path) -> float:
    seconds, _ = chromium(f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    if not shot.exists():
        raise RuntimeError(f"no screenshot of {page}")
    return seconds


def make_report(result: Path, page: Path) -> tuple[float, float]:
    """Run `cleaner report` in a subprocess: (wall seconds, peak resident MB of the child)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cleaner", "report", str(result), "-o", str(page), "-q"], check=True, env=env)
    seconds = time.perf_counter() - start
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep the result and the report in this folder.")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        result, page = work / "result.jsonl", work / "report.html"
        small_result, small_page = work / "small.jsonl", work / "small.html"
        shape = synthetic_result(result, args.articles)
        synthetic_result(small_result, 20)
        seconds, peak_mb = make_report(result, page)
        make_report(small_result, small_page)
        size = page.stat().st_size
        packed = len(gzip.compress(page.read_bytes(), 6))
        print(f"result: {shape['articles']:,} articles, {shape['stories']:,} stories, {shape['copies']:,} copies, "
              f"{result.stat().st_size / 1e6:.0f} MB of JSONL")
        print(f"cleaner report: {seconds:.1f} s, peak memory {peak_mb:.0f} MB")
        print(f"report.html: {size / 1e6:.1f} MB ({packed / 1e6:.1f} MB gzipped)")
        if shutil.which("chromium") is None:
            print("chromium: skipped (not installed; apt-get install chromium)")
            return 0
        word = re.search(r'"title": "(\w+)', result.read_text(encoding="utf-8")[:2000]).group(1).lower()
        rows = [
            ("screenshot, 20-article report (Chromium start-up)", [screenshot_seconds(small_page, work / "small.png") * 1000 for _ in range(args.repeat)]),
            (f"screenshot, {shape['articles']:,}-article report", [screenshot_seconds(page, work / "big.png") * 1000 for _ in range(args.repeat)]),
            ("first 50 stories in the DOM (performance.now)", [first_render_ms(page) for _ in range(args.repeat)]),
            (f"same, searching #q={word}", [first_render_ms(page, f"#q={word}") for _ in range(args.repeat)]),
        ]
        print("| what | median ms | runs |\n| --- | --- | --- |")
        for name, values in rows:
            print(f"| {name} | {statistics.median(values):.0f} | {', '.join(f'{v:.0f}' for v in values)} |")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
