"""Site-template benchmark: a synthetic corpus of many sites, each with its own template furniture, and the figures.

    python -m benchmarks.templates [--articles 3000] [--sites 40] [--seed 1] [--repeat 3] [--data PATH] [--held-out first|fresh]

**The generator** (:func:`build_corpus`, deterministic by ``--seed``) takes real article text from
``../shared/data`` (the sources of :func:`benchmarks.duplicates.load_sources`: SemEval-2022 Task 8 texts
and the extraction benchmark's bodies, English only: the furniture is English), each with the
paragraphs the shipped rules remove on their own taken out first (the sources are scraped pages and
carry real boilerplate of their own, which must not count as body). Each site draws its own
furniture: several template *families* (:data:`FAMILIES`), each in a wording variant of the site's own,
with the site's name, desks and addresses as constants and slots filled per article: reporter names,
e-mail addresses and handles, roles and desks, section paths, dates and times, years, counts, headlines
of other articles. Each family appears in an article with the site's own probability (70-100 %).
The truth is kept: every line is body (title and paragraphs) or furniture of a named family.

**Held-out families.** :data:`HELD_OUT` is a fixed list of families never looked at while the learner
was written or tuned. Half the sites use development families only, half held-out families only, and
figures are reported for each half separately. ``--held-out fresh`` uses a second held-out set
(:data:`FRESH`), written later, in place of the first (the development sites are the same).

**The benchmark** cleans with the library, ``cleaner.Pipeline(Config()).clean(docs)`` (normalise,
learn per site, strip), and the same with the template learner off (:class:`NoTemplates`), and reports
the share of furniture lines removed and of body lines kept: for the corpus of ``--articles`` articles
over ``--sites`` sites, and for a corpus of the same sites with 5 articles each (learning per site sees
only 5 articles).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .duplicates import DEFAULT_DATA, load_sources

FIRST = ("James", "Maria", "Ahmed", "Sofia", "Liam", "Chen", "Olivia", "Rahul", "Emma", "Kwame", "Hannah", "Diego",
         "Aisha", "Tom", "Yuki", "Fatima", "Lucas", "Ingrid", "Noah", "Priya", "Mateo", "Zoe", "Omar", "Clara")
LAST = ("Smith", "Okafor", "Nguyen", "Fischer", "Rossi", "Haddad", "Kowalski", "Jensen", "Moreau", "Tanaka",
        "Silva", "O'Brien", "Patel", "Lindqvist", "Mensah", "García", "Novak", "Campbell", "Ibrahim", "Larsen")
ROLES = ("Staff Writer", "Senior Reporter", "Political Correspondent", "Business Editor", "Health Reporter",
         "Chief Correspondent", "Sports Writer", "Science Editor", "Contributing Writer", "Data Reporter")
DESKS = ("Politics", "Business", "World", "Sport", "Health", "Science", "Technology", "Culture", "Climate", "Opinion")
SUBS = ("Europe", "Asia", "Americas", "Markets", "Football", "Elections", "Courts", "Energy", "Education", "Transport")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")
PLATFORMS = ("Facebook", "Twitter", "LinkedIn", "WhatsApp", "Telegram")
WORDS = ("Herald", "Courier", "Sentinel", "Gazette", "Chronicle", "Tribune", "Observer", "Post", "Times", "Journal",
         "Dispatch", "Ledger", "Monitor", "Express", "Record", "Star", "Beacon", "Mirror", "Bulletin", "Echo")
PLACES = ("Northbay", "Eastfield", "Riverton", "Lakeside", "Westport", "Highmoor", "Clearwater", "Stonebridge",
          "Ashford", "Millbrook", "Redcliff", "Fairhaven", "Kingsley", "Oakridge", "Brightwater", "Elmstead",
          "Greyhaven", "Silverton", "Marlow", "Thornbury", "Harrowgate", "Belmont")


@dataclass
class Site:
    name: str
    domain: str
    half: str
    rng: random.Random
    furniture: list = field(default_factory=list)  # (family, where, probability, make(article) -> lines)


@dataclass
class Article:
    id: str
    site: str
    half: str
    lines: list  # (text, family or None for body)

    @property
    def text(self) -> str:
        return "\n\n".join(t for t, _ in self.lines) + "\n"


def _person(rng):
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _email(person, domain, style):
    first, last = person.lower().replace("'", "").split(" ", 1)
    return {0: f"{first}.{last}@{domain}", 1: f"{first[0]}{last}@{domain}", 2: f"{first}@{domain}"}[style]


def _handle(person, style):
    first, last = person.replace("'", "").split(" ", 1)
    return {0: f"@{first}{last}", 1: f"@{first[0].lower()}{last.lower()}", 2: f"@{last}_{first}"}[style]


def _date(rng, variant):
    y, m, d = rng.choice((2019, 2020, 2021, 2022)), rng.randrange(12), rng.randint(1, 28)
    h, mi = rng.randint(1, 12), rng.randint(0, 59)
    return (f"{MONTHS[m]} {d}, {y} {h}:{mi:02d} {rng.choice(('AM', 'PM'))}" if variant == 0 else
            f"{d:02d}.{m + 1:02d}.{y}, {h + 6:02d}:{mi:02d}" if variant == 1 else f"{d} {MONTHS[m]} {y}")


# Each family: name -> (where, maker(site_rng, site) -> (article_rng, ctx) -> lines)
def _byline(srng, site):
    v = srng.randrange(3)
    return lambda r, c: [[f"By {c['person']}, {c['role']}", f"By {c['person'].upper()} | {c['desk']} Desk", f"Written by {c['person']} ({c['role']})"][v]]


def _breadcrumb(srng, site):
    sep, start = srng.choice((" > ", " / ", " » ", " › ")), srng.choice(("Home", "News", site.name))
    return lambda r, c: [sep.join([start, c["desk"]] + ([c["sub"]] if r.random() < 0.6 else []))]


def _dateline(srng, site):
    v, word = srng.randrange(3), srng.choice(("Published", "Posted", "Last updated", "First published"))
    return lambda r, c: [f"{word} {_date(r, v)}" if v != 1 else f"{word}: {_date(r, v)}"]


def _rights(srng, site):
    v = srng.randrange(3)
    owner = f"{site.name} Media Group" if srng.random() < 0.5 else site.name
    return lambda r, c: [[f"© {c['year']} {owner}. All rights reserved.", f"Copyright {c['year'] - r.randint(1, 9)}-{c['year']} {owner}", f"© {owner} {c['year']}"][v]]


def _bio(srng, site):
    v = srng.randrange(3)
    return lambda r, c: [[f"{c['person']} is a {c['role'].lower()} at {site.name}. Contact: {c['email']}",
                          f"{c['person']} covers {c['desk'].lower()} for {site.name}. Email {c['email']} or follow {c['handle']}.",
                          f"About the author: {c['person']} joined {site.name} in {c['year'] - r.randint(1, 15)}. Reach them at {c['email']}"][v]]


def _related(srng, site):
    marker = srng.choice(("Related stories", "More from {desk}", "Read next", "You may also like", "More on this topic"))
    return lambda r, c: [marker.format(desk=c["desk"])] + c["headlines"][: r.randint(2, 5)]


def _newsletter(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"Sign up for the {site.name} {c['desk']} newsletter", f"Get the {c['desk']} briefing from {site.name} in your inbox every morning"][v]]


def _share(srng, site):
    return lambda r, c: [f"Share this story on {r.choice(PLATFORMS)}"]


def _follow(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"Follow {c['person']} on Twitter: {c['handle']}", f"Follow {c['handle']} for more {c['desk']} news"][v]]


def _photo(srng, site):
    agency = srng.choice(("Reuters", "AFP", "AP", "Getty Images", "EPA"))
    v = srng.randrange(2)
    return lambda r, c: [[f"Photo: {_person(r)} / {agency}", f"Image credit: {agency} ({_person(r)})"][v],
                         f"{c['headlines'][-1]} ({agency})"]  # the caption under the picture


def _readtime(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"{r.randint(2, 14)} min read", f"Reading time: {r.randint(2, 14)} minutes"][v]]


def _tags(srng, site):
    word = srng.choice(("Tags", "Topics", "Filed under"))
    return lambda r, c: [f"{word}: " + ", ".join(r.sample(DESKS + SUBS, r.randint(2, 4)))]


def _comments(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"{r.randint(0, 300)} comments", f"Comments ({r.randint(0, 300)})"][v]]


def _phone(srng, site):
    return lambda r, c: [f"Have a tip? Call {c['person'].split()[0]} on +1 {r.randint(200, 999)} {r.randint(100, 999)} {r.randint(1000, 9999)} or write to {c['email']}"]


def _origin(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"This story was first published on {site.domain} on {_date(r, 2)}.", f"Originally published by {site.name} {c['desk']} on {_date(r, 2)}"][v]]


# A second set of held-out families, written after the learner (and the first held-out figures) and
# measured, never tuned on: what a reviewer's own templates might look like.
def _contributed(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"{_person(r)} contributed reporting from {r.choice(PLACES)}.", f"Additional reporting by {_person(r)} and {_person(r)}"][v]]


def _coverage(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"This article is part of {site.name}'s coverage of {c['desk'].lower()}, supported by readers like you.",
                          f"You are reading a {c['desk'].lower()} story from {site.name}, an independent newsroom serving {r.choice(PLACES)} since {c['year'] - r.randint(20, 90)}."][v]]


def _updated(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"Updated {r.randint(1, 12)}:{r.randint(0, 59):02d} {r.choice(('ET', 'GMT', 'CET'))}, {r.randint(1, 28)} {r.choice(MONTHS)}",
                          f"{r.choice(('Mon', 'Tue', 'Wed', 'Thu', 'Fri'))} {r.randint(1, 28)} {r.choice(MONTHS)} {c['year']} {r.randint(10, 23)}.{r.randint(0, 59):02d}"][v]]


def _desk_byline(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"{c['person']}, {c['desk']} desk", f"{c['person']} — {c['role']}, {site.name}"][v]]


def _rights_plain(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"All content {c['year']} {site.name}. Reproduction without permission is prohibited.",
                          f"{site.name} {c['year']}. This material may not be published, broadcast, rewritten or redistributed."][v]]


def _most_read(srng, site):
    marker = srng.choice(("Most read on {site}", "Trending in {desk}", "Elsewhere on {site}", "Don't miss"))
    return lambda r, c: [marker.format(site=site.name, desk=c["desk"])] + c["headlines"][: r.randint(2, 5)]


def _newsroom_phone(srng, site):
    return lambda r, c: [f"Contact the {site.name} newsroom on 0{r.randint(100, 999)} {r.randint(100000, 999999)} or at {c['email']}"]


def _gallery(srng, site):
    v = srng.randrange(2)
    return lambda r, c: [[f"Gallery: {r.randint(3, 40)} photos", f"View {r.randint(3, 40)} images in the {c['desk'].lower()} gallery"][v]]


FRESH_FAMILIES = {
    "contributed": ("tail", _contributed), "coverage-note": ("tail", _coverage), "updated": ("head", _updated),
    "desk-byline": ("head", _desk_byline), "rights-plain": ("tail", _rights_plain), "most-read": ("tail", _most_read),
    "newsroom-phone": ("tail", _newsroom_phone), "gallery": ("head", _gallery),
}

FAMILIES = {
    "byline": ("head", _byline), "breadcrumb": ("head", _breadcrumb), "dateline": ("head", _dateline),
    "photo-credit": ("head", _photo), "reading-time": ("head", _readtime), "comments-count": ("head", _comments),
    "rights": ("tail", _rights), "bio": ("tail", _bio), "related-list": ("tail", _related),
    "newsletter": ("tail", _newsletter), "share": ("tail", _share), "follow": ("tail", _follow),
    "tags": ("tail", _tags), "tip-line": ("tail", _phone), "first-published": ("tail", _origin),
}
#: Families held out: never looked at while the learner was written or tuned.
HELD_OUT = ("dateline", "bio", "tags", "comments-count", "first-published")
DEV = tuple(f for f in FAMILIES if f not in HELD_OUT)
#: The second held-out set (``--held-out fresh``): families never used in development.
FRESH = tuple(FRESH_FAMILIES)
FAMILIES.update(FRESH_FAMILIES)


def make_sites(n: int, seed: int, held_out: tuple = HELD_OUT) -> list[Site]:
    rng = random.Random(seed)
    sites = []
    names = [f"{p} {w}" for p in PLACES for w in WORDS]
    rng.shuffle(names)
    for k in range(n):
        half = "held-out" if k % 2 else "dev"
        name = names[k]
        site = Site(name, name.lower().replace(" ", "") + ".example", half, random.Random(rng.random()))
        pool = held_out if half == "held-out" else DEV
        chosen = site.rng.sample(pool, min(len(pool), site.rng.randint(4, 6)))
        for fam in chosen:
            where, maker = FAMILIES[fam]
            site.furniture.append((fam, where, site.rng.uniform(0.7, 1.0), maker(site.rng, site)))
        sites.append(site)
    return sites


def build_corpus(sources, sites: list[Site], per_site: list[int], seed: int) -> list[Article]:
    rng = random.Random(seed)
    english = [p for p in map(_rule_clean, (s for s in sources if s.lang == "en")) if len(p) >= 3]
    rng.shuffle(english)
    heads = [re.sub(r"[.!?,;:]+$", "", " ".join(p[0].split()[:9])) for p in english]
    heads = [h for h in heads if len(h.split()) >= 5]
    articles, next_source = [], 0
    for site, count in zip(sites, per_site):
        staff = [_person(site.rng) for _ in range(8)]
        styles = (site.rng.randrange(3), site.rng.randrange(3))
        for k in range(count):
            source = english[next_source % len(english)]
            next_source += 1
            r = random.Random(rng.random())
            person = r.choice(staff)
            ctx = {"person": person, "role": r.choice(ROLES), "desk": r.choice(DESKS), "sub": r.choice(SUBS),
                   "email": _email(person, site.domain, styles[0]), "handle": _handle(person, styles[1]),
                   "year": r.choice((2019, 2020, 2021, 2022)), "headlines": r.sample(heads, 5)}
            title = heads[(next_source * 7) % len(heads)]
            body = [(p, None) for p in source]
            head, tail = [], []
            for fam, where, p, make in site.furniture:
                if r.random() < p:
                    (head if where == "head" else tail).append([(line, fam) for line in make(r, ctx)])
            r.shuffle(head)
            lines = [(title, None)] + [x for block in head for x in block] + body + [x for block in tail for x in block]
            articles.append(Article(f"{site.domain}-{k}", site.domain, site.half, lines))
    rng.shuffle(articles)
    return articles


def _rule_clean(source) -> list[str]:
    """The source's paragraphs that the shipped rules keep on their own (the sources are scraped pages:
    the lines the rules remove are mostly their own real boilerplate, which is not body here)."""
    from cleaner import Config
    from cleaner.cleaning import Cleaner

    global _CLEANER
    if _CLEANER is None:
        _CLEANER = Cleaner(Config())
    paragraphs = [" ".join(p) for p in source.paragraphs]
    return _CLEANER.clean("\n".join(paragraphs)).text.split("\n")


_CLEANER = None


class NoTemplates:
    """The library's pipeline with the template learner off (exact repeated lines still learned)."""

    def __new__(cls, config):
        from cleaner.pipeline import Pipeline
        from cleaner.stages import LearnSiteLines, Normalize, Strip

        class _Pipeline(Pipeline):
            def clean_plan(self, cleaner, stats):
                learn = [] if self.config.strip.learn is False else [LearnSiteLines(cleaner, stats, templates=False)]
                return [Normalize(cleaner), *learn, Strip(cleaner, keep_normalized=self.explain)]

        return _Pipeline(config)


def measure(articles: list[Article], templates: bool = True) -> tuple[dict, float]:
    from cleaner import Config, Document, Pipeline

    pipeline = Pipeline(Config()) if templates else NoTemplates(Config())
    started = time.perf_counter()
    docs = (Document(id=a.id, text=a.text, fields={"site": a.site}) for a in articles)
    by_id = {a.id: a for a in articles}
    counts: dict = defaultdict(Counter)
    for doc in pipeline.clean(docs):
        article = by_id[doc.id]
        numbered = {2 * n + 1: (t, fam) for n, (t, fam) in enumerate(article.lines)}  # "\n\n" between lines
        gone = {r.line for r in doc.removed}
        for number, (text, fam) in numbered.items():
            kind = "furniture" if fam else "body"
            for key in (article.half, (article.half, fam or "body")):
                counts[key][kind] += 1
                counts[key][kind + "-removed"] += number in gone
        counts[article.half]["misaligned"] += sum(1 for r in doc.removed if r.line not in numbered or numbered[r.line][0] != r.text)
    return counts, time.perf_counter() - started


def timing(articles: list[Article], repeat: int) -> str:
    """``Pipeline.clean`` wall time over the corpus with the template learner on and off, interleaved."""
    from cleaner import Config, Document, Pipeline

    best = {"on": float("inf"), "off": float("inf")}
    for _ in range(repeat):
        for name in ("off", "on"):
            pipeline = Pipeline(Config()) if name == "on" else NoTemplates(Config())
            docs = [Document(id=a.id, text=a.text, fields={"site": a.site}) for a in articles]
            started = time.perf_counter()
            for _ in pipeline.clean(docs):
                pass
            best[name] = min(best[name], time.perf_counter() - started)
    return (f"clean, {len(articles)} articles, best of {repeat}: templates off {best['off']:.2f}s, on {best['on']:.2f}s; "
            f"throughput on / off = {best['off'] / best['on']:.2f}x")


def _pct(c: Counter, kind: str, removed: bool) -> str:
    if not c[kind]:
        return "-"
    n = c[kind + "-removed"] if removed else c[kind] - c[kind + "-removed"]
    return f"{100 * n / c[kind]:.1f} %"


def report(title: str, results: dict) -> str:
    out = [f"### {title}", "", "| families | learner | furniture lines | removed | body lines | kept |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for half in ("dev", "held-out"):
        for name, (counts, _) in results.items():
            c = counts[half]
            out.append(f"| {half} | {name} | {c['furniture']} | {_pct(c, 'furniture', True)} | {c['body']} | {_pct(c, 'body', False)} |")
    out += ["", "Per family, furniture lines removed (templates on / off):", ""]
    on, off = results["templates on"][0], results["templates off"][0]
    for half in ("dev", "held-out"):
        fams = sorted(k[1] for k in on if isinstance(k, tuple) and k[0] == half and k[1] != "body")
        out.append(f"- {half}: " + ", ".join(f"{f} {_pct(on[half, f], 'furniture', True)} / {_pct(off[half, f], 'furniture', True)}" for f in fams))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--sites", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3, help="timing runs of clean, templates on and off interleaved (best kept; 0: none)")
    parser.add_argument("--held-out", choices=("first", "fresh"), default="first",
                        help="the held-out families: the first set (HELD_OUT) or the second, fresh one (FRESH)")
    args = parser.parse_args(argv)
    if not (args.data / "semeval2022-task8" / "training_set.csv").is_file():
        print(f"skipped: {args.data} has no SemEval-2022 Task 8 data", file=sys.stderr)
        return 0
    sources, _ = load_sources(args.data, args.seed)
    held = HELD_OUT if args.held_out == "first" else FRESH
    sites = make_sites(args.sites, args.seed, held)
    rng = random.Random(args.seed)
    weights = [rng.uniform(0.3, 1.7) for _ in sites]
    per_site = [max(5, round(args.articles * w / sum(weights))) for w in weights]
    corpora = {f"{sum(per_site)} articles over {len(sites)} sites": build_corpus(sources, sites, per_site, args.seed),
               f"{len(sites)} sites of 5 articles each": build_corpus(sources, make_sites(args.sites, args.seed, held), [5] * len(sites), args.seed + 1)}
    if args.repeat:
        print(timing(next(iter(corpora.values())), args.repeat) + "\n")
    for title, articles in corpora.items():
        results = {"templates on": measure(articles, True), "templates off": measure(articles, False)}
        print(report(title, results))
        print(f"\n(times: on {results['templates on'][1]:.1f}s, off {results['templates off'][1]:.1f}s; "
              f"misaligned removals {results['templates on'][0]['dev']['misaligned'] + results['templates on'][0]['held-out']['misaligned']})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
