"""The Dask engine on a real ``distributed.LocalCluster`` of two worker processes: the output equals
the local engine's, record for record (cleaning with learned site lines, duplicates, stories).
Skipped when the optional extra ``cleaner[dask]`` is not installed."""

from __future__ import annotations

import json
import random

import pytest

distributed = pytest.importorskip("distributed", reason="the Dask engine needs the optional extra: pip install 'cleaner[dask]'")

from cleaner.config import Config  # noqa: E402
from cleaner.dask_engine import DaskEngine  # noqa: E402
from cleaner.documents import Document  # noqa: E402
from cleaner.engine import LocalEngine  # noqa: E402
from cleaner.errors import CleanerError  # noqa: E402
from cleaner.pipeline import Pipeline  # noqa: E402

WORDS = (
    "harbour council budget minister storm river election court police school hospital bridge railway "
    "festival museum strike union factory market farmers drought vote mayor report inquiry contract "
    "airport energy prices wages housing tenants protest league final coach season injury record"
).split()
FURNITURE = {
    "north.example": ["Follow North Gazette on social media", "Subscribe to our morning newsletter"],
    "south.example": ["All rights reserved South Herald", "Sign up for breaking news alerts"],
}


def corpus(n: int = 120, seed: int = 3) -> list[Document]:
    """Articles of two sites with repeated furniture, near copies of some, and an empty one."""
    rng = random.Random(seed)
    docs, originals = [], []
    for i in range(n):
        site = "north.example" if i % 2 else "south.example"
        if originals and i % 7 == 0:  # a lightly edited copy of an earlier article
            words = rng.choice(originals).split(" ")
            for _ in range(max(1, len(words) // 25)):
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            body = " ".join(words)
        else:
            body = "\n\n".join(
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 30))).capitalize() + "."
                for _ in range(rng.randint(3, 6))
            )
            originals.append(body)
        text = "\n\n".join([FURNITURE[site][0], body, FURNITURE[site][1]])
        docs.append(Document(id=f"a{i:03d}", text=text, fields={"url": f"https://{site}/news/{i}", "date": f"2024-03-{1 + i % 28:02d}"}))
    docs.append(Document(id="empty", text="", fields={"url": "https://north.example/news/empty"}))
    return docs


def records(result) -> list[str]:
    return [json.dumps(doc.record(removed=True, groups=True), sort_keys=True) for doc in result]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster


def test_run_on_a_local_cluster_equals_the_local_engine_record_for_record(cluster):
    config = Config()
    docs = corpus()
    local = records(Pipeline(config, engine=LocalEngine(1)).run(docs))
    with DaskEngine(cluster.scheduler_address, partition=7) as engine:
        on_dask = records(Pipeline(config, engine=engine).run(docs))
        # the work went to both workers
        assert len(engine.client.scheduler_info()["workers"]) == 2
    assert on_dask == local
    out = [json.loads(r) for r in on_dask]
    # what the comparison covers: learned furniture removed, copies grouped, order kept
    assert [r["id"] for r in out] == [d.id for d in docs]
    assert not any("Subscribe to our morning newsletter" in r["text"] for r in out)
    assert sum(1 for r in out if r.get("duplicate_of")) >= 10


def test_clean_and_dedup_on_the_cluster_equal_the_local_engine(cluster):
    config = Config()
    docs = corpus(60, seed=5)
    with DaskEngine(cluster.scheduler_address, partition=4, window=1) as engine:
        assert records(Pipeline(config, engine=engine).clean(docs)) == records(Pipeline(config, engine=LocalEngine(2)).clean(docs))
        assert records(Pipeline(config, engine=engine).dedup(docs)) == records(Pipeline(config, engine=LocalEngine(1)).dedup(docs))


def test_an_engine_started_local_cluster_is_stopped_on_close():
    docs = corpus(20, seed=9)
    engine = DaskEngine(workers=2, partition=5)
    try:
        out = records(Pipeline(Config(), engine=engine).run(docs))
        client = engine.client
        assert len(client.scheduler_info()["workers"]) == 2
    finally:
        engine.close()
    assert client.status == "closed" and engine._cluster is None
    assert out == records(Pipeline(Config(), engine=LocalEngine(1)).run(docs))


def test_an_unreachable_scheduler_is_a_clear_error():
    engine = DaskEngine("tcp://127.0.0.1:9", partition=5, timeout=2)
    with pytest.raises(CleanerError, match=r"Dask engine: cannot start or reach tcp://127\.0\.0\.1:9"):
        list(Pipeline(Config(), engine=engine).clean(corpus(3)))


def test_the_cli_runs_on_a_scheduler_and_on_its_own_local_cluster(cluster, tmp_path):
    from conftest import SEEDS_DIR as SEEDS, invoke

    local = invoke("run", str(SEEDS), "-q", "-o", "local.jsonl", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    on_scheduler = invoke("run", str(SEEDS), "-q", "-o", "scheduler.jsonl", "--scheduler", cluster.scheduler_address, cwd=tmp_path)
    assert on_scheduler.returncode == 0, on_scheduler.stderr
    (tmp_path / "cleaner.toml").write_text('engine = "dask"\njobs = 2\n', encoding="utf-8")
    own = invoke("run", str(SEEDS), "-q", "-o", "own.jsonl", cwd=tmp_path)
    assert own.returncode == 0, own.stderr
    expected = (tmp_path / "local.jsonl").read_bytes()
    assert b'"duplicate_of"' in expected
    assert (tmp_path / "scheduler.jsonl").read_bytes() == expected == (tmp_path / "own.jsonl").read_bytes()


def test_bad_engine_settings_are_one_line_errors(tmp_path):
    from conftest import SEEDS_DIR as SEEDS, invoke

    bad = invoke("run", str(SEEDS), "-q", "--engine", "spark", cwd=tmp_path)
    assert (bad.returncode, bad.stderr) == (2, 'error: engine = "spark": must be "local" or "dask"\n')
    (tmp_path / "cleaner.toml").write_text('scheduler = "tcp://127.0.0.1:9"\nengine = "local"\n', encoding="utf-8")
    mixed = invoke("run", str(SEEDS), "-q", cwd=tmp_path)
    assert (mixed.returncode, mixed.stderr) == (2, 'error: scheduler = "tcp://127.0.0.1:9" needs engine = "dask"\n')
