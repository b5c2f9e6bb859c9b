"""`--stats FILE.json` (the run summary, validated against docs/stats.schema.json) and
`--explain -o FILE` (explanation on stdout, records in the file)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from cleaner.pipeline import Pipeline
from cleaner.progress import Progress
from cleaner.readers import read_paths
from cleaner.runstats import RunTally, run_summary
from conftest import ROOT, SEED_A, SEED_B, SEEDS_DIR, by_id, invoke, read_jsonl, seed_text

SCHEMA = json.loads((ROOT / "docs" / "stats.schema.json").read_text(encoding="utf-8"))
RUN_PHASES = ["reading and normalising", "learning", "stripping and fingerprints", "grouping duplicates", "grouping stories", "writing"]


def validate(summary: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(summary)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The seeds, a copy of seed A on another site, and two broken records."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in (SEED_A, SEED_B):
        (folder / name).write_text(seed_text(name), encoding="utf-8")
    lines = [json.dumps({"id": "copy", "site": "wire.example", "text": seed_text(SEED_A)}), "{not json", json.dumps({"id": "no-text"})]
    (folder / "more.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_run_stats_are_valid_against_the_schema_and_tell_what_the_run_did(corpus, tmp_path):
    proc = invoke("run", corpus, "-o", "out.jsonl", "--stats", "stats.json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # two inputs skipped
    summary = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    validate(summary)
    assert summary["command"] == "run"
    assert summary["articles"] == {"read": 3, "changed": 3, "written": 3}
    assert summary["skipped"]["count"] == 2
    listed = summary["skipped"]["listed"]
    assert [(s["path"].endswith("more.jsonl"), s["line"]) for s in listed] == [(True, 2), (True, 3)]
    assert listed[0]["reason"].startswith("malformed JSON")
    assert all(f"{s['path']}:{s['line']}: {s['reason']}" in proc.stderr for s in listed)
    # removals: the same figures as the records
    records = read_jsonl(tmp_path / "out.jsonl")
    per_rule: dict[str, int] = {}
    for r in records:
        for removal in r["removed"]:
            per_rule[removal["rule"]] = per_rule.get(removal["rule"], 0) + 1
    assert summary["removed"]["per_rule"] == per_rule and summary["removed"]["lines"] == sum(per_rule.values())
    sites = summary["removed"]["per_site"]
    assert set(sites) == {"", "wire.example"}
    assert sites["wire.example"]["articles"] == 1
    copy_rules: dict[str, int] = {}
    for removal in by_id(records)["copy"]["removed"]:
        copy_rules[removal["rule"]] = copy_rules.get(removal["rule"], 0) + 1
    assert copy_rules and sites["wire.example"] == {"articles": 1, "lines": sum(copy_rules.values()), "rules": copy_rules}
    assert sites[""]["articles"] == 2 and sites[""]["lines"] == summary["removed"]["lines"] - sum(copy_rules.values())
    assert summary["duplicates"] == 1 and summary["stories"] == 1
    assert [p["name"] for p in summary["phases"]] == RUN_PHASES
    assert summary["phases"][0]["articles"] == 3 and summary["phases"][-1]["articles"] == 3
    assert sum(p["seconds"] for p in summary["phases"]) <= summary["seconds"]


def test_clean_and_dedup_stats(corpus, tmp_path):
    assert invoke("clean", corpus, "-o", "c.jsonl", "--stats", "c.json", cwd=tmp_path).returncode == 1
    clean = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    validate(clean)
    assert clean["command"] == "clean" and clean["duplicates"] is None and clean["stories"] is None
    assert [p["name"] for p in clean["phases"]] == ["reading and normalising", "learning", "stripping and writing"]
    assert invoke("dedup", corpus, "-o", "d.jsonl", "--stats", "d.json", "--drop-duplicates", cwd=tmp_path).returncode == 1
    dedup = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    validate(dedup)
    assert dedup["removed"] == {"lines": 0, "per_rule": {}, "per_site": {}}
    assert dedup["articles"]["read"] == 3 and dedup["articles"]["written"] == 2 and dedup["duplicates"] == 1
    assert [p["name"] for p in dedup["phases"]] == ["reading and fingerprints", "grouping duplicates", "grouping stories", "writing"]


def test_the_summary_is_a_library_function(tmp_path):
    progress, tally = Progress(), RunTally()
    result = Pipeline(on_error=tally.error, progress=progress).run(read_paths([str(SEEDS_DIR)]))
    docs = list(tally.documents(result))
    summary = run_summary("run", result.stats, tally, progress, written=len(docs))
    validate(summary)
    assert summary["articles"]["read"] == 2 and summary["stories"] == 1
    assert [p["name"] for p in summary["phases"]] == RUN_PHASES


def test_stats_is_written_atomically_and_not_over_another_output(corpus, tmp_path):
    proc = invoke("run", corpus, "-o", "same.json", "--stats", "same.json", cwd=tmp_path)
    assert proc.returncode == 2 and "--stats and -o name the same file" in proc.stderr
    assert not (tmp_path / "same.json").exists()
    (tmp_path / "stats.json").write_text("old", encoding="utf-8")
    proc = invoke("run", corpus, "--strict", "-o", "out.jsonl", "--stats", "stats.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert (tmp_path / "stats.json").read_text(encoding="utf-8") == "old", "a stopped run leaves the old summary"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------------- --explain -o


def test_explain_with_output_prints_the_explanation_and_writes_the_records(tmp_path):
    proc = invoke("run", SEEDS_DIR, "--explain", "-o", "out.jsonl", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"== {SEED_A}" in proc.stdout and "- Leave a Comment    [COM001" in proc.stdout
    assert "== story " in proc.stdout and "shared terms:" in proc.stdout
    assert "{" not in proc.stdout.split("\n")[0]
    records = by_id(read_jsonl(tmp_path / "out.jsonl"))
    assert set(records) == {SEED_A, SEED_B}
    assert "Leave a Comment" in [r["text"] for r in records[SEED_B]["removed"]]
    assert records[SEED_A]["story"] == records[SEED_B]["story"]
    assert "normalized" not in records[SEED_A]


def test_explain_with_a_tree_output(tmp_path):
    proc = invoke("clean", SEEDS_DIR, "--explain", "-o", "tree/", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"== {SEED_B}" in proc.stdout
    assert "Leave a Comment" not in (tmp_path / "tree" / SEED_B).read_text(encoding="utf-8")


def test_explain_refuses_records_on_stdout(tmp_path):
    proc = invoke("run", SEEDS_DIR, "--explain", "-o", "-", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --explain prints to standard output: give -o FILE for the records, or leave -o out"
    assert proc.stdout == ""
