"""Learned site templates (TPL001): lines a site repeats with slots filled in, on corpora made here.

One site's articles (distinct text written to read like news) carry the site's furniture, whose slots
change per article: a byline with a role, a breadcrumb with a section path, a dateline, a bio line
with the reporter's e-mail, a rights line with the year, and a "More from" list of other headlines.
None of these lines repeats exactly often enough for REP001, and no shipped rule names most of them.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from cleaner import Config, Document, Pipeline
from cleaner.learned import SiteLearning, template_pattern
from cleaner.templates import CODE, MAX_KEYS, SiteTemplates, elements, skeleton_keys
from conftest import invoke as run_cli

LEADS = [
    "The harbour authority opened a second container terminal on Tuesday after three years of construction work.",
    "The city council voted to extend the night bus network to the northern suburbs from next spring onwards.",
    "The maritime museum reopened its west wing after repairs to a roof damaged in the winter storms last year.",
    "Engineers closed the old swing bridge for inspection after cracks were found in two of its supports.",
    "A new primary school in the eastern district admitted its first two hundred pupils this week amid celebrations.",
    "The Saturday fish market moved to the quayside while its hall is rebuilt over the coming twelve months.",
    "Volunteers planted four thousand trees along the river path in a weekend organised by local schools.",
    "The regional hospital began building a new maternity unit funded by a bequest from a retired surgeon.",
]
SECOND = [
    "Dock workers said the new cranes could handle twice as many containers an hour as the old ones did.",
    "Shift workers have long asked for later buses, and the operator expects the change to cost little extra.",
    "Curators used the closure to restore a collection of ship models that had not been shown for decades.",
    "Drivers face a detour of several miles, and ferry operators have added crossings during the morning rush.",
    "Parents queued at the gates before eight, and the head teacher greeted every family by name at the door.",
    "Stallholders reported brisk trade on the first morning, helped by a mild spell and calm seas overnight.",
    "Organisers hope to repeat the effort each autumn until the whole embankment is shaded by native species.",
    "Construction is expected to take two years, and the existing ward will stay open throughout the works.",
]
NAMES = ["Jane Okafor", "Tom Lindqvist", "Priya Haddad", "Marcus Bell", "Ana Moreau", "Liam Novak", "Chen Rossi", "Sara Mensah"]
ROLES = ["Staff Writer", "Transport Correspondent", "Senior Reporter", "Health Editor"]
SECTIONS = [("News", "Harbour"), ("Politics", "Council"), ("Culture", "Museums"), ("News", "Roads"), ("Education", "Schools"), ("Business", "Markets"), ("Environment", "Rivers"), ("Health", "Hospitals")]
HEADLINES = [
    "Ferry fares to rise in the new year", "Storm damage bill reaches record high", "Lifeboat crew honoured for winter rescue",
    "New cycle lane opens on the seafront", "Historic lighthouse to be repainted", "Fishing quota talks end without a deal",
    "Pier theatre announces summer season", "Council tax freeze for a third year", "Sea wall repairs finished early",
    "Yacht club celebrates its centenary", "Harbour seals return to the estuary", "Town hall clock stops again",
    "Coastal path reopens after landslip", "Brewery plans new visitor centre", "Rail link study published",
    "Oyster festival draws record crowds", "Ambulance station to move inland", "Library extends opening hours",
    "Mayor opens refurbished bandstand", "Beach huts sell out in an hour", "Sailing school wins national award",
    "Bypass consultation goes online", "Fire crews tackle moorland blaze", "Choir raises funds for the hospice",
]


def furniture(n: int) -> tuple[list[str], list[str]]:
    """The site's head and tail furniture in article ``n``: no line repeats exactly across articles."""
    name, role = NAMES[n], ROLES[n % len(ROLES)]
    first, last = name.lower().split()
    section, sub = SECTIONS[n]
    head = [f"Gazette / {section} / {sub}", f"Words: {name} ({role})", f"Filed {n + 3} March 202{n % 3}, {n + 1}:1{n}"]
    tail = [
        f"{name} joined the Gazette newsroom in {2010 + n}. Tips welcome at {first}.{last}@portgazette.example",
        f"Port Gazette Media {2018 + n % 4}",
        f"Also on the {section.lower()} desk",
        *HEADLINES[3 * n : 3 * n + 3],
    ]
    return head, tail


def article(n: int, *, shared: str | None = None) -> tuple[str, list[str], list[str]]:
    """(text, furniture lines, body lines) of article ``n`` of the site."""
    head, tail = furniture(n)
    body = [LEADS[n], SECOND[n]] + ([shared] if shared else [])
    title = f"Article {n}: " + LEADS[n].split(" after ")[0].split(" in ")[0].rstrip(".")
    return "\n\n".join([title, *head, *body, *tail]) + "\n", head + tail, [title, *body]


SHARED = "The harbour master told the Port Gazette that the tide tables for next year would be published in May."


def corpus_records(count: int) -> list[dict]:
    out = []
    for n in range(count):
        text, _, _ = article(n, shared=SHARED if n in (1, 4) else None)
        out.append({"id": f"a{n}", "url": f"https://www.portgazette.example/news/{n}", "text": text})
    return out


def clean(records: list[dict]) -> dict[str, Document]:
    docs = (Document(id=r["id"], text=r["text"], fields={"url": r["url"]}) for r in records)
    return {d.id: d for d in Pipeline(Config()).clean(docs)}


@pytest.mark.parametrize("count", [8, 5])
def test_slot_filled_furniture_is_removed_and_body_kept(count):
    out = clean(corpus_records(count))
    for n in range(count):
        _, lines, body = article(n, shared=SHARED if n in (1, 4) else None)
        doc = out[f"a{n}"]
        removed = {r.text: r.rule for r in doc.removed}
        kept = doc.text.split("\n")
        assert set(lines) <= set(removed), (n, set(lines) - set(removed))
        assert all(line in kept for line in body), (n, doc.text)
        # none repeats exactly and no shipped rule names them: templates removed them
        assert {removed[line] for line in lines} == {CODE}, removed
    # the body sentence two articles share is not a template (nor a repeated site line)
    assert SHARED in out["a1"].text.split("\n") and SHARED in out["a4"].text.split("\n")


def test_a_sentence_with_slots_in_two_articles_is_kept():
    """Two articles share a sentence that differs only in a name: two articles are not enough evidence."""
    records = corpus_records(6)
    for n, name in ((2, "Alice Brown"), (3, "Bob Green")):
        records[n]["text"] = records[n]["text"].replace(LEADS[n], LEADS[n] + f"\n\n{name} said the decision was taken by the harbour board last week.")
    out = clean(records)
    assert "Alice Brown said the decision was taken by the harbour board last week." in out["a2"].text.split("\n")
    assert "Bob Green said the decision was taken by the harbour board last week." in out["a3"].text.split("\n")


def test_no_templates_below_the_learning_minimum_and_other_sites_untouched():
    records = corpus_records(4)  # 4 articles: learning is off by default ("auto" needs 5)
    assert all(d.removed == [] or all(r.rule != CODE for r in d.removed) for d in clean(records).values())
    records = corpus_records(6)
    text, lines, _ = article(6)
    records.append({"id": "other", "url": "https://other.example/x", "text": text})
    out = clean(records)
    assert all(r.rule != CODE for r in out["other"].removed)
    assert lines[1] in out["other"].text.split("\n")


def test_headline_list_is_removed_only_after_the_body():
    records = corpus_records(8)
    # the marker and headlines inside the body (before the last paragraph) stay
    text, _, _ = article(7)
    text = text.replace(SECOND[7], "Also on the health desk\n\nFerry fares to rise in the new year\n\nStorm damage bill reaches record high\n\n" + SECOND[7])
    records[7]["text"] = text
    doc = clean(records)["a7"]
    kept = doc.text.split("\n")
    assert "Ferry fares to rise in the new year" in kept and "Storm damage bill reaches record high" in kept
    assert SECOND[7] in kept and not set(HEADLINES[21:24]) & set(kept)  # the tail list went


def test_site_learning_pickles_and_skeletons_are_bounded():
    state = SiteTemplates()
    for n in range(8):
        state.add(article(n)[0].split("\n"))
    learning = SiteLearning({1, 2}, state.learned())
    again = pickle.loads(pickle.dumps(learning))
    assert again == learning and set(again.templates) == set(learning.templates)
    bio = "Zoe Tanaka joined the Gazette newsroom in 2015. Tips welcome at zoe.tanaka@portgazette.example"
    assert again.match(bio) is not None and again.match(LEADS[0]) is None
    pattern = template_pattern(again.match(bio))
    assert "(?P<name1>" in pattern and "(?P<email1>" in pattern
    many = SiteTemplates()
    for n in range(300):
        many.add([f"Title {n}"] + [f"word{n}x{k} line{k} Q{n}{k} zz{n * k}y" for k in range(30)] + [LEADS[0]])
    assert len(many.skeletons) <= 2 * MAX_KEYS
    keys = skeleton_keys(elements("Home > News > World > Europe"))
    assert keys and all(k[0][0] in (0, 1, 2) for k in keys)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("templates")
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus_records(8)), encoding="utf-8")
    return folder


def test_run_removes_template_lines_and_reports_them(corpus):
    proc = run_cli("run", "corpus.jsonl", "-o", "out.jsonl", cwd=corpus)
    assert proc.returncode == 0, proc.stderr
    out = {r["id"]: r for r in map(json.loads, (corpus / "out.jsonl").read_text(encoding="utf-8").splitlines())}
    _, lines, body = article(0)
    assert {r["text"] for r in out["a0"]["removed"]} >= set(lines)
    assert all(line in out["a0"]["text"].split("\n") for line in body)
    assert f"site line templates ({CODE})" in proc.stderr


def test_explain_marks_template_removals(corpus):
    proc = run_cli("clean", "corpus.jsonl", "--explain", "-q", cwd=corpus)
    assert proc.returncode == 0, proc.stderr
    block = proc.stdout.split("== a0\n")[1].split("\n== ")[0]
    assert f"- {furniture(0)[1][0]}    [{CODE}" in block
    assert f"  {LEADS[0]}" in block
    # the template that fitted is named, and the line is shown with its slots marked
    bio = next(line for line in block.split("\n") if line.startswith(f"- {furniture(0)[1][0]}"))
    assert "template '<name> joined the Gazette newsroom in <number> . Tips welcome at <email>'" in bio, bio
    assert "[name: Jane Okafor] joined the Gazette newsroom in [number: 2010]. Tips welcome at [email: jane.okafor@portgazette.example]" in bio
    assert any(line.startswith(f"- {HEADLINES[0]}    [{CODE} headline listed after the learned marker") for line in block.split("\n")), block


def test_rules_learn_writes_templates_as_reviewable_rules(corpus, tmp_path):
    proc = run_cli("rules", "learn", str(corpus / "corpus.jsonl"), "-o", "learned.toml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    pack = (tmp_path / "learned.toml").read_text(encoding="utf-8")
    assert "line template(s) (TPL001)" in proc.stderr
    assert 'name = "learned-template-' in pack and "# template: " in pack
    assert "(?P<name1>" in pack and "(?P<email1>" in pack
    assert 'sites = ["portgazette.example"]' in pack
    assert furniture(0)[1][0] in pack or furniture(1)[1][0] in pack  # example lines are shown
    tested = run_cli("rules", "test", "--no-builtin", "--rules", "learned.toml", cwd=tmp_path)
    assert tested.returncode == 0 and "all passed" in tested.stdout, tested.stdout
    # kept as a pack, the templates remove the site's furniture with learning off
    cleaned = run_cli("clean", str(corpus / "corpus.jsonl"), "--no-learn", "--rules", "learned.toml", "-q", cwd=tmp_path)
    out = {r["id"]: r for r in map(json.loads, cleaned.stdout.splitlines())}
    _, lines, body = article(0)
    removed = {r["text"] for r in out["a0"]["removed"]}
    assert lines[0] in removed and lines[1] in removed and lines[3] in removed
    assert all(line in out["a0"]["text"].split("\n") for line in body)


def test_sentence_like_furniture_above_more_furniture_is_removed_and_title_words_keep_body():
    """A fixed sentence with a date in it (a "first published" line) standing above the rest of the tail
    furniture goes once the furniture under it is gone; a body sentence that differs per article only in
    a word of the article's own title stays (it reads like the article, not like the site)."""
    records = corpus_records(8)
    origin = "This story was first published on portgazette.example on {} March 2021 and is updated as news comes in."
    for n, record in enumerate(records):
        word = max(record["text"].split("\n")[0].split(), key=len).lower()  # a word of the article's own title
        own = f"Readers asked the harbour board about the {word} plans at a public meeting held on the quay."
        record["text"] = record["text"].replace(SECOND[n], SECOND[n] + "\n\n" + own + "\n\n" + origin.format(n + 3))
    out = clean(records)
    for n in range(8):
        doc = out[f"a{n}"]
        removed = {r.text: r.rule for r in doc.removed}
        assert removed.get(origin.format(n + 3)) == CODE, (n, doc.text)
        own = next(line for line in records[n]["text"].split("\n") if line.startswith("Readers asked"))
        assert own in doc.text.split("\n") and SECOND[n] in doc.text.split("\n")
        assert "TPL001" in json.dumps([r.to_dict() for r in doc.removed])  # the code is written as the plain string
