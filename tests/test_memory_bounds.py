"""What keeps memory bounded: caches that forget without changing a result, compact exact sets and
buckets, and grouping that only keeps state for what merges."""

from __future__ import annotations

import random
import tracemalloc

import numpy as np
import pytest

from cleaner import featurizer, normalize
from cleaner.clustering import average_linkage
from cleaner.config import NormalizeConfig, StoryConfig
from cleaner.lsh import FixedBuckets, KeySet, minhash_matrix
from cleaner.normalize import normalize_text
from cleaner.stories import StoryIndex

WORDS = "council budget minister strike harbour election flood vaccine court festival police bridge".split()


def _corpus(n: int, seed: int = 4) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        topic = rng.sample(WORDS, 3)
        words = [rng.choice(topic + [f"name{rng.randrange(40)}", f"Place{rng.randrange(30)}s"]) for _ in range(60)]
        out.append((f"a{i}", "Report. " + " ".join(words) + ". Zeitungsbericht über Straßenbahnen " + str(1900 + i % 50) + "."))
    return out


def _stories(docs, **config) -> tuple[dict, dict]:
    index = StoryIndex(StoryConfig(**config))
    for doc_id, text in docs:
        index.add(doc_id, text, lang="en")
    assigned = index.assign()
    first = sorted(set(assigned.values()))[0]
    return assigned, index.explain(first)


def test_forgetting_the_word_caches_changes_no_story_and_no_shown_word(monkeypatch):
    docs = _corpus(300)
    expected = _stories(docs)
    monkeypatch.setattr(featurizer, "CACHE_TERMS", 7)  # forgotten every few articles
    assert _stories(docs) == expected


def test_the_line_cache_is_bounded_in_characters_and_gives_the_same_text(monkeypatch):
    lines = [f"Straße {i} — {'ü' * (i % 50)} sÃ³ far" for i in range(400)]
    text = "\n".join(lines + lines)
    normalize.forget()
    expected = normalize_text(text)
    normalize.forget()
    monkeypatch.setattr(normalize, "CACHE_CHARS", 500)
    assert normalize_text(text) == expected
    remembered = normalize._prepared(NormalizeConfig())[1]
    assert remembered.chars <= 500 and sum(map(len, remembered)) == remembered.chars
    normalize.forget()


def test_key_set_is_a_set():
    rng = random.Random(2)
    ours, theirs = KeySet(recent=16), set()
    for _ in range(3000):
        key = rng.randrange(2**64) if rng.random() < 0.5 else rng.randrange(200)
        assert (key in ours) == (key in theirs)
        ours.add(key)
        theirs.add(key)
    assert len(ours) == len(theirs) and ours == theirs and sorted(ours) == sorted(theirs)
    assert KeySet(theirs) == ours


def test_fixed_buckets_keep_nothing_for_keys_no_two_articles_share():
    keys = np.arange(5000 * 8, dtype=np.uint32).reshape(5000, 8)  # all distinct
    buckets = FixedBuckets(keys)
    assert len(buckets.slots) == 0 and not buckets.any.any()
    keys[:, 3] = 7  # one band every article shares
    buckets = FixedBuckets(keys)
    assert len(buckets.slots) == 5000 and all(buckets.row(i) == [buckets.row(0)[0]] for i in range(5000))


def test_clustering_keeps_no_state_for_articles_that_never_merge():
    """Pairs below the threshold cost no neighbour set, no copied vector: the result is the same as
    the straightforward definition (every article its own cluster, then merges)."""
    n = 2000
    vectors = [{f"t{i}": 1.0} for i in range(n)]
    vectors[5] = {"t4": 0.8, "x": 0.6}
    pairs = [(i, i + 1) for i in range(n - 1)]
    groups = average_linkage(vectors, pairs, [None] * n, threshold=0.5, window_days=0)
    assert groups[4] == [4, 5] and len(groups) == n - 1
    assert average_linkage(vectors, np.asarray(pairs), [None] * n, threshold=0.5, window_days=0) == groups


@pytest.mark.parametrize("rows", [1, 3])
def test_fixed_buckets_find_every_earlier_article_with_a_shared_band(rows):
    rng = np.random.default_rng(rows)
    keys = rng.integers(0, 6, (300, 5, rows), dtype=np.uint32)
    buckets = FixedBuckets(keys if rows > 1 else keys[:, :, 0])
    for i in range(300):
        found = {j for g in buckets.row(i) for j in buckets.members(g)}
        expected = {j for j in range(i) if (keys[j] == keys[i]).all(axis=-1).any()}
        assert found == expected
        buckets.join(buckets.row(i), i)


def test_minhashes_of_many_lists_are_computed_a_bounded_slice_at_a_time():
    # 1,500 lists of 200 terms at 128 permutations: all hashes permuted at once would be
    # 1,500 x 200 x 128 x 4 bytes = 154 MB (what the story level once did at 40,000 articles).
    rng = random.Random(7)
    lists = [[f"t{rng.randrange(100_000)}" for _ in range(200)] for _ in range(1_500)] + [[]]
    tracemalloc.start()
    try:
        matrix, full = minhash_matrix(lists, 128, 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000, f"{peak / 1e6:.0f} MB traced"
    assert full.tolist() == list(range(1_500))
    for i in (0, 1, 777, 1_499):  # each list's values are what the list alone gives
        alone, _ = minhash_matrix([lists[i]], 128, 1)
        assert (matrix[i] == alone[0]).all()
    assert not matrix[1_500].any()


def _reference_linkage(vectors, pairs, days, threshold, window_days):
    """Average linkage by its definition: of the clusters joined by a candidate pair that reaches
    the threshold, merge the two with the best mean score over all their cross pairs (earliest
    roots on ties), while that best reaches the threshold and their dates fit in the window."""

    def cos(u, v):
        return sum(w * v.get(t, 0.0) for t, w in u.items())

    linked = {(i, j) for i, j in pairs if cos(vectors[i], vectors[j]) >= threshold}
    clusters = {i: [i] for i in range(len(vectors))}
    while True:
        root = {m: r for r, ms in clusters.items() for m in ms}
        best = None
        for x, y in sorted({tuple(sorted((root[i], root[j]))) for i, j in linked if root[i] != root[j]}):
            dated = [days[m] for m in clusters[x] + clusters[y] if days[m] is not None]
            if window_days and dated and max(dated) - min(dated) > window_days:
                continue
            s = sum(cos(vectors[i], vectors[j]) for i in clusters[x] for j in clusters[y]) / (len(clusters[x]) * len(clusters[y]))
            if s >= threshold and (best is None or s > best[0] + 1e-12):
                best = (s, x, y)
        if best is None:
            return [sorted(clusters[r]) for r in sorted(clusters)]
        _, x, y = best
        clusters[x] = clusters[x] + clusters.pop(y)


def _unit(counts: dict) -> dict:
    norm = sum(c * c for c in counts.values()) ** 0.5
    return {t: c / norm for t, c in sorted(counts.items(), key=lambda x: (-x[1], x[0]))}


@pytest.mark.parametrize("seed", range(6))
def test_clustering_is_average_linkage_by_its_definition(seed):
    """Against the definition written plainly (all cluster pairs rescored after every merge), with
    dates and a window, with and without the cap on rescored neighbours."""
    rng = random.Random(seed)
    n = 70
    vocab = [f"t{k}" for k in range(18)]
    vectors = [_unit({t: rng.random() + 0.1 for t in rng.sample(vocab, rng.randint(2, 6))}) for _ in range(n)]
    days = [None if rng.random() < 0.2 else float(rng.randrange(12)) for _ in range(n)]
    pairs = sorted({tuple(sorted(rng.sample(range(n), 2))) for _ in range(600)})
    expected = _reference_linkage(vectors, pairs, days, 0.3, 3.0)
    assert any(len(g) > 2 for g in expected)  # merges of merged clusters happen
    shuffled = list(pairs)
    rng.shuffle(shuffled)  # merge order does not depend on the order pairs come in
    for given, cap in ((pairs, None), (pairs, 256), (shuffled, 256)):
        assert average_linkage(vectors, given, days, threshold=0.3, window_days=3.0, max_rescored=cap) == expected


def _dense(n: int) -> tuple[list, list]:
    """8 words drawn from 15 an article: nearly every pair reaches a 0.3 cosine; every article is
    paired with the 64 earliest, as the story level's LSH gives them once its buckets are full."""
    rng = random.Random(1)
    vocab = [f"w{k}" for k in range(15)]
    vectors = []
    for _ in range(n):
        counts: dict = {}
        for _ in range(8):
            t = rng.choice(vocab)
            counts[t] = counts.get(t, 0) + 1
        vectors.append(_unit(counts))
    return vectors, [(j, i) for i in range(1, n) for j in range(min(i, 64))]


def test_clustering_a_dense_corpus_costs_the_same_per_article_at_any_size():
    """A cluster that meets every article is neither rescanned nor rescored whole at each merge:
    the work per article (pairs scored, neighbour entries read, heap entries held) stays flat from
    1,000 to 2,000 articles, where the uncapped definition's grows with the corpus, and the capped
    result is still the definition's (one story)."""
    per_article = []
    for n in (1000, 2000):
        vectors, pairs = _dense(n)
        work: dict = {}
        groups = average_linkage(vectors, pairs, [None] * n, threshold=0.3, window_days=0, max_rescored=16, work=work)
        per_article.append({k: v / n for k, v in work.items()})
        if n == 1000:
            full: dict = {}
            assert average_linkage(vectors, pairs, [None] * n, threshold=0.3, window_days=0, work=full) == groups == [list(range(n))]
            assert full["visited"] > 3 * work["visited"] and full["heap"] > 10 * work["heap"]
    small, large = per_article
    for key in ("scored", "visited", "heap"):
        assert large[key] <= 1.1 * small[key], (key, small, large)


def test_a_runs_story_index_releases_its_counts_and_gives_the_same_stories():
    """``keep_counts=False`` (the run's index): counts, frequencies and caches go once the vectors are
    made; stories, scores and explanations are those of an index that keeps them, and adding to it
    or saving it afterwards is a clear error, not a wrong result."""
    from cleaner.errors import ConfigError

    docs = _corpus(300)
    kept, released = StoryIndex(StoryConfig()), StoryIndex(StoryConfig(), keep_counts=False)
    for index in (kept, released):
        for doc_id, text in docs:
            index.add(doc_id, text, lang="en", date="2021-03-01")
    assert released.assign() == kept.assign()
    assert released._counts is None and not released.df.df and not released.featurizer._forms
    story = sorted(set(kept.assign().values()))[0]
    assert released.explain(story) == kept.explain(story)
    assert released.score("a1", "a2") == kept.score("a1", "a2")
    with pytest.raises(ConfigError, match="released its term counts"):
        released.add("late", "Report. council budget.", lang="en")
    with pytest.raises(ConfigError, match="released its term counts"):
        released.to_state()
    kept.to_state()  # the other keeps all it had


def test_candidates_outside_the_date_window_are_never_gathered():
    """Dated articles further apart than ``window_days`` never become a pair (they were once gathered
    and dropped after: 40 bytes a pair at once, 600 MB at 200,000 articles two years apart)."""
    text = "Report. " + " ".join(WORDS * 5) + "."
    index = StoryIndex(StoryConfig())
    for k, date in enumerate(["2021-03-01", "2021-03-02", "2021-03-20", None]):
        index.add(f"d{k}", text, lang="en", date=date)
    pairs = index._candidate_pairs()
    assert pairs.dtype == np.int32
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (0, 3), (1, 3), (2, 3)]
    assert index.assign()["d0"] == index.assign()["d1"] != index.assign()["d2"]


def _rss_kb() -> int:
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))


def test_freed_heap_memory_is_given_back_to_the_system():
    """What a stage frees in the C heap stays resident unless returned (cleaner.heap.trim): blocks
    freed between blocks still in use cannot be given back by the allocator on its own."""
    from cleaner import heap

    if not heap.trim():
        pytest.skip("not glibc: nothing to trim with")
    freed, kept = [], []
    for k in range(3_000):  # 12 KB blocks (malloc, not Python's arenas), each followed by one that stays
        freed.append(bytes(12_000) + k.to_bytes(4, "little"))
        kept.append(bytes(600) + k.to_bytes(4, "little"))
    heap.trim()
    before = _rss_kb()
    del freed
    after_free = _rss_kb()
    heap.trim()
    after_trim = _rss_kb()
    assert before - after_free < 10_000  # freed, but still resident: holes between the kept blocks
    assert after_free - after_trim > 20_000  # of some 36 MB, the whole pages inside the holes
    assert len(kept) == 3_000


def test_packed_vectors_made_with_room_read_as_a_matrix_more_than_once():
    """Vectors allocated at their final size give back the unused room once; a second matrix while
    the first still views the arrays must not try to resize them (an array that exports its buffer
    cannot be resized at all)."""
    from cleaner.vectors import PackedVectors

    vectors = PackedVectors(["a", "b", "c"], room=10)
    vectors.append({"a": 0.6, "b": 0.8}, {"a": 0, "b": 1, "c": 2})
    vectors.append({"c": 1.0}, {"a": 0, "b": 1, "c": 2})
    first = vectors.csr()
    second = vectors.csr()
    assert len(vectors.ids) == 3 and (first != second).nnz == 0
    assert first.toarray().tolist() == [[0.6, 0.8, 0.0], [0.0, 0.0, 1.0]]
    assert [vectors[0], vectors[1]] == [{"a": 0.6, "b": 0.8}, {"c": 1.0}]


def test_key_set_is_exact_for_keys_below_2_63_once_merged():
    """Keys close together below 2^63, once merged into the sorted array: a lookup with a Python int
    was searched as int64 against uint64, so in float64, and missed keys that were there (and added
    them again)."""
    base = 2**60
    keys = KeySet(recent=2)
    keys.update([base + 1, base + 2, base + 3, base + 5, 2**64 - 1])
    assert [base + k in keys for k in range(1, 7)] == [True, True, True, False, True, False]
    keys.update([base + 2, base + 3])
    assert len(keys) == 5 and 2**64 - 1 in keys and 2**64 - 2 not in keys
