"""Duplicates and stories through the CLI: copies flagged, the unrelated article left alone.

The corpus: seed A, an exact copy of it, a lightly edited copy (a few words changed, extra
share/follow boilerplate), seed B (same event, other outlet) and an unrelated article
(``tests/data/unrelated_rate_decision.txt``, a central-bank rate decision).
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from conftest import (
    SEED_A,
    SEED_B,
    SEEDS_DIR,
    SHARED,
    UNRELATED_TXT,
    assert_clean_stderr,
    by_id,
    invoke,
    read_jsonl,
    run_cli,
    seed_text,
)

EXACT = "001_exact_copy.txt"
EDITED = "002_edited_copy.txt"
UNRELATED = "005_unrelated.txt"

EDITS = [
    ("early Monday morning", "early on Monday"),
    ("fighter-bombers", "jets"),
    ("great jeopardy", "serious danger"),
    ("have been pressuring", "have pressed"),
    ("very definitely", "definitely"),
]
EXTRA_BOILERPLATE = ["Share this article", "Follow us on Twitter"]


def edited_copy() -> str:
    text = seed_text(SEED_A)
    for old, new in EDITS:
        assert old in text
        text = text.replace(old, new, 1)
    return text.rstrip("\n") + "\n\n" + "\n\n".join(EXTRA_BOILERPLATE) + "\n"


def make_corpus(folder):
    folder.mkdir()
    shutil.copy(SEEDS_DIR / SEED_A, folder / SEED_A)
    shutil.copy(SEEDS_DIR / SEED_A, folder / EXACT)
    (folder / EDITED).write_text(edited_copy(), encoding="utf-8")
    shutil.copy(SEEDS_DIR / SEED_B, folder / SEED_B)
    shutil.copy(UNRELATED_TXT, folder / UNRELATED)
    return folder


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("dups")
    make_corpus(work / "corpus")
    return work


def write_many(work):
    # A larger batch than one worker chunk (16), so both workers get documents.
    lines = []
    texts = [seed_text(SEED_A), seed_text(SEED_B), UNRELATED_TXT.read_text(encoding="utf-8")]
    for n in range(40):
        lines.append(json.dumps({"id": f"rec-{n:02d}", "text": texts[n % 3] + f"\n\nRecord number {n} of the batch.", "n": n}))
    (work / "many.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def runs(work):
    """Every CLI run of this module on the shared corpus: in this process, except ``--jobs 2``, which
    needs a real process to fork its workers from."""
    write_many(work)
    write_jsonl_inputs(work)
    jobs = {
        "jobs1": ("run", "corpus", "-o", "jobs1.jsonl", "--jobs", "1"),
        "dropped": ("run", "corpus", "--drop-duplicates", "-o", "dropped.jsonl"),
        "m1": ("run", "corpus", "many.jsonl", "--jobs", "1", "-o", "m1.jsonl"),
        "m2": ("run", "corpus", "many.jsonl", "--jobs", "2", "-o", "m2.jsonl"),
        "undated": ("run", "undated.jsonl", "-o", "undated.out.jsonl"),
        "dated": ("run", "dated.jsonl", "-o", "dated.out.jsonl"),
    }
    return {name: (run_cli if "--jobs" in args and args[args.index("--jobs") + 1] != "1" else invoke)(*args, cwd=work) for name, args in jobs.items()}


@pytest.fixture(scope="module")
def jobs1(work, runs):
    proc = runs["jobs1"]
    assert proc.returncode == 0, proc.stderr
    assert_clean_stderr(proc.stderr)
    return read_jsonl(work / "jobs1.jsonl")


def test_walk_order_and_ids(jobs1):
    assert [r["id"] for r in jobs1] == [SEED_A, EXACT, EDITED, SEED_B, UNRELATED]


def test_exact_and_edited_copies_point_at_the_seed(jobs1):
    records = by_id(jobs1)
    assert records[SEED_A]["duplicate_of"] is None
    assert records[EXACT]["duplicate_of"] == SEED_A
    assert records[EDITED]["duplicate_of"] == SEED_A


def test_copies_share_the_seed_story(jobs1):
    records = by_id(jobs1)
    story = records[SEED_A]["story"]
    assert story
    assert records[EXACT]["story"] == story
    assert records[EDITED]["story"] == story
    assert records[SEED_B]["story"] == story
    assert records[SEED_B]["duplicate_of"] is None


def test_unrelated_article_joins_neither_group(jobs1):
    records = by_id(jobs1)
    unrelated = records[UNRELATED]
    assert unrelated["duplicate_of"] is None
    assert unrelated["story"] != records[SEED_A]["story"]
    assert all(r["duplicate_of"] != UNRELATED for r in jobs1)
    assert unrelated["removed"] == []


def test_edited_copy_loses_its_extra_boilerplate(jobs1):
    removed = by_id(jobs1)[EDITED]["removed"]
    texts = [r["text"] for r in removed]
    for line in EXTRA_BOILERPLATE:
        assert line in texts
        assert [r["rule"] for r in removed if r["text"] == line][0].startswith("SHR")
    text = by_id(jobs1)[EDITED]["text"]
    assert "Share this article" not in text and "Follow us on Twitter" not in text
    assert "early on Monday" in text


def test_drop_duplicates_leaves_copies_out(work, runs, jobs1):
    proc = runs["dropped"]
    assert proc.returncode == 0, proc.stderr
    dropped = read_jsonl(work / "dropped.jsonl")
    assert [r["id"] for r in dropped] == [SEED_A, SEED_B, UNRELATED]
    kept = by_id(jobs1)
    for record in dropped:  # the canonical records themselves are unchanged
        assert record == kept[record["id"]]


def test_jobs_2_is_byte_identical_to_jobs_1(work, runs):
    p1, p2 = runs["m1"], runs["m2"]
    assert p1.returncode == 0 and p2.returncode == 0, (p1.stderr, p2.stderr)
    one, two = (work / "m1.jsonl").read_bytes(), (work / "m2.jsonl").read_bytes()
    assert one == two
    assert len(read_jsonl(work / "m1.jsonl")) == 45


def _jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def write_jsonl_inputs(work):
    a, edited, unrelated = seed_text(SEED_A), edited_copy(), UNRELATED_TXT.read_text(encoding="utf-8")
    undated = [
        {"id": "first", "text": a, "site": "one.example"},
        {"id": "second", "text": a, "site": "two.example"},
        {"id": "edited", "text": edited},
        {"id": "other", "text": unrelated},
    ]
    dated = [
        {"id": "late-copy", "text": a, "date": "2021-06-29"},
        {"id": "original", "text": a, "date": "2021-06-28"},
        {"id": "edited", "text": edited, "date": "2021-06-30"},
        {"id": "other", "text": unrelated, "date": "2021-06-27"},
    ]
    _jsonl(work / "undated.jsonl", undated)
    _jsonl(work / "dated.jsonl", dated)


@pytest.fixture(scope="module")
def jsonl_runs(work, runs):
    out = {}
    for name in ("undated", "dated"):
        proc = runs[name]
        assert proc.returncode == 0, proc.stderr
        out[name] = read_jsonl(work / f"{name}.out.jsonl")
    return out


def test_canonical_is_first_in_input_order_without_dates(jsonl_runs):
    records = by_id(jsonl_runs["undated"])
    assert records["first"]["duplicate_of"] is None
    assert records["second"]["duplicate_of"] == "first"
    assert records["edited"]["duplicate_of"] == "first"
    assert records["other"]["duplicate_of"] is None
    assert records["other"]["story"] != records["first"]["story"]


def test_canonical_is_earliest_date_when_records_carry_dates(jsonl_runs):
    records = jsonl_runs["dated"]
    assert [r["id"] for r in records] == ["late-copy", "original", "edited", "other"], "output keeps input order"
    records = by_id(records)
    assert records["original"]["duplicate_of"] is None
    assert records["late-copy"]["duplicate_of"] == "original"
    assert records["edited"]["duplicate_of"] == "original"
    # the earliest-dated article is unrelated: it must not become anyone's canonical
    assert records["other"]["duplicate_of"] is None
    assert all(r["duplicate_of"] != "other" for r in records.values())
    assert records["late-copy"]["date"] == "2021-06-29", "other fields carried through"


SEMEVAL = SHARED / "data" / "semeval2022-task8" / "training_set.csv"


def _semeval_unrelated() -> str | None:
    """A real English article from a pair scored 4 (unrelated) that does not mention the seeds' event."""
    csv.field_size_limit(1 << 30)
    with SEMEVAL.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["lang1"] == row["lang2"] == "en" and float(row["Overall"]) >= 4.0:
                text = row["text1"]
                if 150 <= len(text.split()) <= 1500 and not any(w in text for w in ("Iran", "Iraq", "Syria", "militia")):
                    return text
    return None


@pytest.mark.skipif(not SEMEVAL.is_file(), reason="../shared SemEval data not present")
def test_real_semeval_article_joins_neither_group(tmp_path, cli):
    text = _semeval_unrelated()
    if text is None:
        pytest.skip("no suitable unrelated English article in the SemEval data")
    make_corpus(tmp_path / "corpus")
    (tmp_path / "corpus" / "006_semeval.txt").write_text(text, encoding="utf-8")
    proc = cli("run", "corpus", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    records = by_id(read_jsonl(tmp_path / "out.jsonl"))
    assert records["006_semeval.txt"]["duplicate_of"] is None
    assert records["006_semeval.txt"]["story"] != records[SEED_A]["story"]
    assert records[EXACT]["duplicate_of"] == SEED_A


def test_fingerprint_minhash_values_are_datasketch_update_batch_values():
    """The fingerprinter computes MinHash with numpy; datasketch's own update_batch must agree."""
    import numpy as np
    from datasketch import MinHash

    from cleaner.config import DuplicateConfig
    from cleaner.fingerprints import SCHEME, Fingerprinter

    rng = np.random.default_rng(3)
    for seed, perm in ((1, 128), (7, 64)):
        fp = Fingerprinter(DuplicateConfig(seed=seed, num_perm=perm))
        for n in (1, 2, 57, 1000):
            shingles = rng.integers(0, 2**32, n, dtype=np.uint64)
            reference = MinHash(num_perm=perm, seed=seed, hashfunc=int, scheme=SCHEME)
            reference.update_batch(shingles.tolist())
            assert np.array_equal(fp.minhash(shingles), reference.hashvalues.astype(np.uint32))


def test_buckets_find_what_datasketch_minhashlsh_finds():
    """The fixed buckets answer every query as datasketch's MinHashLSH with the same banding."""
    import numpy as np
    from datasketch import LeanMinHash, MinHashLSH

    from cleaner.duplicates import DuplicateIndex
    from cleaner.fingerprints import SCHEME
    from cleaner.lsh import FixedBuckets

    rng = np.random.default_rng(5)
    bands, rows = DuplicateIndex().banding()
    base = rng.integers(0, 2**32, (40, 128), dtype=np.uint64).astype(np.uint32)
    # near copies: each of 200 arrays keeps a random share of one base array's values
    arrays = []
    for _ in range(200):
        values = base[rng.integers(0, 40)].copy()
        changed = rng.random(128) < rng.uniform(0.3, 0.95)
        values[changed] = rng.integers(0, 2**32, changed.sum(), dtype=np.uint64).astype(np.uint32)
        arrays.append(values)
    ours = FixedBuckets(np.stack(arrays)[:, : bands * rows].reshape(len(arrays), bands, rows))
    theirs = MinHashLSH(threshold=0.25, num_perm=128, params=(bands, rows))
    found = 0
    for slot, values in enumerate(arrays):
        expected = set(theirs.query(LeanMinHash(seed=1, hashvalues=values, scheme=SCHEME)))
        groups = ours.row(slot)
        assert {j for g in groups for j in ours.members(g)} == expected
        found += len(expected)
        if slot % 3:  # not everything is inserted, as canonicals are
            ours.join(groups, slot)
            theirs.insert(slot, LeanMinHash(seed=1, hashvalues=values, scheme=SCHEME))
    assert found > 30
    # a key no other array has takes no slot
    assert sum(len(ours.row(i)) for i in range(len(arrays))) < bands * len(arrays)


def test_the_known_lsh_parameters_are_datasketchs_optimum():
    from datasketch import MinHashLSH

    from cleaner.duplicates import KNOWN_PARAMS

    for (threshold, num_perm), params in KNOWN_PARAMS.items():
        tuned = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert (tuned.b, tuned.r) == params
