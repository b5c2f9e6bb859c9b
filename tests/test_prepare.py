"""Stages' preparation steps (:meth:`cleaner.engine.Stage.prepare`): the per-article part of a corpus
stage runs where the steps run (worker processes for ``jobs > 1``), and what the stage gathers is the
same whether it ran there, in this process, or not at all."""

from __future__ import annotations

import json
import os
import random

from cleaner.config import Config
from cleaner.documents import Document
from cleaner.engine import LocalEngine, Stage
from cleaner.featurizer import Featurizer
from cleaner.config import StoryConfig
from cleaner.learn import SiteLines
from cleaner.pipeline import Pipeline
from cleaner.stages import LayOut
from cleaner.templates import SiteTemplates, article_layout

NAMES = ["Anna Berg", "Jonas Keller", "Maria Ortiz", "Tom Reilly", "Lena Vogt", "Omar Haddad"]
EVENTS = [
    "The councils approved the harbour budgets after a long debate on Tuesday evening",
    "Flooding closed the railway bridges while engineers inspected the damaged embankments",
    "Striking nurses marched to the hospitals demanding higher wages and safer staffing",
    "The ministers announced new energy subsidies for households facing rising prices",
    "Farmers protested against the drought rules outside the regional parliament buildings",
    "The league suspended two coaches after the final ended in a brawl between players",
]
FOOTER = "This report was produced with the support of the regional press agency and its partners."


def corpus(n: int = 90, seed: int = 11) -> list[Document]:
    """Three sites with exact and slotted furniture, stories told twice, copies, a shared footer."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        site = ("north.example", "south.example", "east.example")[i % 3]
        event = EVENTS[(i // 2) % len(EVENTS)]
        sentences = [event + "."] + [
            f"{rng.choice(NAMES)} said the {rng.choice(['plans', 'plan', 'planned', 'planning'])} would be reviewed in {rng.choice(['March', 'April', 'May'])}."
            for _ in range(rng.randint(3, 6))
        ]
        if i % 4 == 0:
            sentences.append(FOOTER)
        body = "\n\n".join(sentences)
        head = f"By {rng.choice(NAMES)} | {site.split('.')[0].title()} Desk | {1 + i % 28} March 2024"
        text = "\n".join([event.split(" after ")[0], head, body, "Share this article", f"Copyright {2000 + i % 20}-2024 {site}"])
        docs.append(Document(id=f"a{i:03d}", text=text, fields={"url": f"https://{site}/n/{i}", "date": f"2024-03-{1 + i % 28:02d}"}))
        if i % 9 == 0:
            docs.append(Document(id=f"c{i:03d}", text=text.replace("Tuesday", "Wednesday"), fields={"url": f"https://{site}/c/{i}"}))
    return docs


def records(result) -> list[str]:
    return [json.dumps(doc.record(removed=True, groups=True), sort_keys=True) for doc in result]


def explained(result) -> list[dict]:
    index = result.stories.index if hasattr(result.stories, "index") else result.stories
    ids = sorted({doc.story for doc in result})
    return [index.explain(sid) for sid in ids]


def test_two_workers_learn_group_and_explain_as_one_process():
    docs = corpus()
    one = Pipeline(Config(), engine=LocalEngine(1)).run(docs)
    one_records, one_explained, one_stats = records(one), explained(one), one.stats
    two = Pipeline(Config(), engine=LocalEngine(2)).run(corpus())
    assert records(two) == one_records
    assert explained(two) == one_explained  # the terms shown (first word seen of each form) too
    assert (two.stats.learned, two.stats.templates, two.stats.duplicates, two.stats.stories) == (one_stats.learned, one_stats.templates, one_stats.duplicates, one_stats.stories)
    assert one_stats.learned and one_stats.templates and one_stats.duplicates  # the corpus exercises each stage
    removed = {r["id"]: r["removed"] for r in map(json.loads, one_records)}
    assert any(x["rule"] == "TPL001" for x in removed["a004"]) or any(x["rule"] == "REP001" for x in removed["a004"])


def test_a_featurizer_completes_what_another_prepared_as_its_own_features():
    config = StoryConfig()
    texts = [(d.text, d.date) for d in corpus(40)]
    alone, here, elsewhere = Featurizer(config), Featurizer(config), Featurizer(config)
    for text, date in texts:
        expected = alone.features(text, None, date)
        assert here.complete(elsewhere.prepare(text, None, date), text) == expected
    assert here.sentences == alone.sentences and here.shown == alone.shown
    repeated = [t for t, _ in texts if FOOTER in t]
    assert len(repeated) > 1  # the footer's terms count for its first article only


def test_site_lines_and_templates_count_the_same_from_a_summary():
    docs = corpus(60)
    by_hand, prepared = SiteLines(Config().strip), SiteLines(Config().strip)
    t_hand, t_prepared = SiteTemplates(), SiteTemplates()
    for doc in docs:
        lines = doc.text.split("\n")
        if by_hand.add(doc.site, doc.text) and doc.site == "north.example":
            t_hand.add(lines)
        if prepared.add(doc.site, doc.text, SiteLines.summary(doc.site, doc.text)) and doc.site == "north.example":
            t_prepared.add(lines, article_layout(lines))
    assert by_hand.learned() == prepared.learned() and by_hand.learned()
    assert t_hand.learned() == t_prepared.learned() and t_hand.learned()


class _Pids(Stage):
    name = "pids"

    def __init__(self):
        self.seen = []

    def prepare(self):
        return _pid

    def observe(self, doc):
        self.seen.append((doc.prepared or {}).pop(self.name, None))
        doc.prepared = None
        return doc


def _pid(doc):
    doc.prepared = {"pids": os.getpid()}
    return doc


def test_the_engine_runs_a_preparation_in_its_workers_before_each_stage():
    docs = [Document(id=str(i), text=f"text {i}") for i in range(200)]
    first, second = _Pids(), _Pids()
    out = list(LocalEngine(2).execute([lambda d: d, first, second], docs))
    assert [d.id for d in out] == [str(i) for i in range(200)] and all(d.prepared is None for d in out)
    for stage in (first, second):  # the head of the group and the stage after it, read back from the spool
        assert len(stage.seen) == 200 and os.getpid() not in stage.seen and None not in stage.seen
    one = _Pids()  # one process: nothing to gain by preparing ahead, observe computes what it needs
    list(LocalEngine(1).execute([one], docs))
    assert one.seen == [None] * 200


def test_layout_preparation_is_picklable_and_pure():
    import pickle

    step = pickle.loads(pickle.dumps(LayOut("learn-site-lines", True)))
    doc = step(Document(id="x", text="Title\nBy Anna Berg | North Desk\nBody text of the article, long enough to read.", fields={"url": "https://north.example/1"}))
    summary, layout = doc.prepared["learn-site-lines"]
    assert summary == SiteLines.summary("north.example", doc.text) and layout == article_layout(doc.text.split("\n"))


def test_documents_left_out_of_a_preparation_come_out_in_order_even_the_first():
    docs = [Document(id=str(i), text=f"text {i}", duplicate_of=None if i % 3 == 1 else "x") for i in range(100)]
    for engine in (LocalEngine(1), LocalEngine(2, batch=8)):
        out = list(engine._map_wanted([_pid], iter(docs), lambda d: d.duplicate_of is None))
        assert [d.id for d in out] == [str(i) for i in range(100)]
        assert [d.prepared is not None for d in out] == [i % 3 == 1 for i in range(100)]


def test_workers_never_run_far_ahead_of_a_slow_reader():
    """The pool is fed at most IN_FLIGHT batches per worker ahead of what was read back: a slow
    stage does not make the results of the whole corpus pile up in memory."""
    import time

    pulled = []

    def source():
        for i in range(3000):
            pulled.append(i)
            yield Document(id=str(i), text="x")

    engine = LocalEngine(2, batch=8)
    ahead = 0
    for n, doc in enumerate(engine.map([_pid], source()), 1):
        ahead = max(ahead, len(pulled) - n)
        if n % 50 == 0:
            time.sleep(0.01)
    assert n == 3000
    assert ahead <= (engine.IN_FLIGHT * 2 + 2) * 8 + 1, ahead


def test_a_process_exits_while_a_mapped_stream_is_left_suspended(tmp_path):
    """An exception's traceback in a reference cycle can keep ``LocalEngine.map``'s generator alive
    until after the interpreter's exit hooks, where the pool's own finaliser terminates it. Its
    task thread was then waiting for room in the window, forever: the process never exited (seen
    as a SIGTERM'd ``run --jobs 2`` that printed its message and hung). It must exit at once."""
    import subprocess
    import sys

    script = tmp_path / "suspended.py"
    script.write_text(
        "import sys, time\n"
        "from cleaner.documents import Document\n"
        "from cleaner.engine import LocalEngine\n"
        "def ident(doc):\n"
        "    return doc\n"
        "docs = (Document(id=str(i), text='hello world ' * 50) for i in range(100000))\n"
        "stream = LocalEngine(2, batch=16).map([ident], docs)\n"
        "print(next(stream).id, flush=True)\n"
        "time.sleep(1.0)  # the feeder fills the window and waits\n"
        "sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (3, "0\n"), proc.stderr
