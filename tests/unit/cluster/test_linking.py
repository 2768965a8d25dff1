"""Pure linking: name keys, link rules, the per-record decision, merges, bundles and bounds of the index."""

from __future__ import annotations

import random
from array import array

import pytest

from pipeline.transforms.cluster.index import ClusterIndex
from pipeline.transforms.cluster.link import WINDOW_MS, Entry, score
from pipeline.transforms.cluster.names import word_key
from pipeline.transforms.cluster.signals import Signature, of_enriched, shared_counts, signature
from pipeline.transforms.cluster.tokens import code_of, tier_of, tokens
from tests.support import Clock
from tests.unit.cluster.records import BODY_A, BODY_AB, BODY_B, enriched, record


@pytest.mark.parametrize(
    "spellings",
    [
        ("Poutine", "Putin", "Putins", "Putina", "Путин"),
        ("Loukachenko", "Lukashenko", "Lukaschenko", "Łukaszenka", "Łukaszenki"),
        ("Zelensky", "Zelenskyy", "Selenskyj", "Zełenski", "Зеленський"),
        ("Volodymyr", "Volodimir", "Wolodymyr", "Wołodymyr"),
        ("Kyiv", "Kiev", "Kiew"),
    ],
)
def test_spellings_of_one_name_share_a_key(spellings: tuple[str, ...]) -> None:
    assert len({word_key(s.casefold()) for s in spellings}) == 1, [word_key(s.casefold()) for s in spellings]


@pytest.mark.parametrize(
    "a, b", [("Putin", "Paton"), ("Lukashenko", "Lukoil"), ("Kyiv", "Kaunas"), ("Minsk", "Moscow")]
)
def test_different_names_keep_different_keys(a: str, b: str) -> None:
    assert word_key(a.casefold()) != word_key(b.casefold())


def sig(item: str, body: str, lang: str = "en", published_ms: int | None = None, story: str | None = None):
    return signature(item, story or item, "", body, lang, published_ms)


def test_same_story_always_links_and_time_window_bounds_everything_else() -> None:
    assert score(sig("a", BODY_A), sig("b", BODY_B, story="a")) > 1.0
    assert score(sig("a", BODY_A, published_ms=0), sig("b", BODY_A, published_ms=1)) > 0
    assert score(sig("a", BODY_A, published_ms=0), sig("b", BODY_A, published_ms=WINDOW_MS + 1)) == 0.0
    assert score(sig("a", BODY_A), sig("b", BODY_B)) == 0.0


def test_revisions_join_their_story_cluster() -> None:
    index = ClusterIndex(clock=Clock())
    v1, _ = index.offer(record("v1", BODY_A, story="s1"))
    v2, _ = index.offer(record("v2", BODY_B, story="s1"))  # text rewritten entirely, same story
    assert v1.cluster_id == v2.cluster_id == "s1"


def test_a_record_linking_two_clusters_joins_the_best_and_reports_a_merge() -> None:
    index = ClusterIndex(clock=Clock())
    a, _ = index.offer(record("a", BODY_A))
    b, _ = index.offer(record("b", BODY_B))
    assert (a.cluster_id, b.cluster_id) == ("a", "b")
    c, notices = index.offer(record("c", BODY_AB))
    assert c.cluster_id in ("a", "b")
    (notice,) = notices
    assert notice.reason == "cluster_merge" and notice.cluster_id == c.cluster_id
    assert notice.story_id == ({"a", "b"} - {c.cluster_id}).pop() and notice.duplicate_of == "c"


def test_a_replayed_record_keeps_the_cluster_it_was_given() -> None:
    """After a crash a record can be read again although its output was written: the index restored from the output
    topic already holds it, and the replay must not decide again (later records could link it elsewhere)."""
    index = ClusterIndex(clock=Clock())
    index.offer(record("a", BODY_A))
    c = record("c", BODY_AB)  # links to "a" when decided afresh
    index.seed([Entry(of_enriched(c), "earlier", 0)])  # as the earlier run decided and wrote it
    again, notices = index.offer(c)
    assert again.cluster_id == "earlier" and notices == []


def test_a_bundle_is_all_or_nothing() -> None:
    index = ClusterIndex(clock=Clock())
    index.begin()
    index.offer(record("a", BODY_A))
    index.rollback()
    index.begin()
    again, _ = index.offer(record("a2", BODY_A))
    index.commit()
    assert again.cluster_id == "a2" and set(index.items) == {"a2"}


def test_the_index_forgets_after_the_horizon_and_stays_under_its_cap() -> None:
    clock = Clock()
    index = ClusterIndex(horizon_s=3600, clock=clock, max_items=10)
    index.offer(record("a", BODY_A))
    clock.t += 3601
    later, _ = index.offer(record("b", BODY_A))
    assert later.cluster_id == "b"
    for i in range(30):
        index.begin()
        index.offer(record(f"x{i}", f"{BODY_B} {i}"))
        clock.t += 1
        index.commit()
    assert len(index.items) <= 10 and index.evicted > 0


def test_the_seeds_english_original_joins_the_french_seed_and_the_kyiv_power_story_does_not() -> None:
    index = ClusterIndex(clock=Clock(1_671_408_000.0))
    fr, _ = index.offer(enriched("seed-fr"))
    en, _ = index.offer(enriched("seed-en"))
    power, _ = index.offer(enriched("kyiv-en"))
    assert en.cluster_id == fr.cluster_id == fr.dispatch.story_id
    assert power.cluster_id == power.dispatch.story_id != fr.cluster_id


@pytest.mark.parametrize(
    "lang_a, text_a, lang_b, text_b",
    [
        ("de", "Die Regierung von Polen", "en", "The government of Poland"),
        ("de", "Die Wahl des Präsidenten Polens", "fr", "Les élections en Pologne"),
        ("de", "Proteste in Moskau", "en", "Protests in Moscow"),
    ],
)
def test_places_share_one_key_across_languages(lang_a: str, text_a: str, lang_b: str, text_b: str) -> None:
    a, b = signature("a", "a", "", text_a, lang_a, None), signature("b", "b", "", text_b, lang_b, None)
    assert set(a.terms) & set(b.terms)


def test_german_nouns_are_not_names_but_german_names_are() -> None:
    _, names, _, _, _ = tokens(
        "Nach der Umfrage lehnt die Regierung den Plan ab, sagte Donald Trump zu Carlos Ghosn.", "de"
    )
    assert {code_of(word_key(w)) for w in ("donald", "trump", "ghosn")} <= set(names)
    assert not {code_of(word_key(w)) for w in ("umfrage", "regierung")} & set(names)


def test_a_full_name_is_a_key_of_its_own_and_rare_words_weigh_more() -> None:
    terms, _, tiers, _, _ = tokens(
        "Der Schauspieler Dwayne Johnson wandte sich an Präsident Donald Trump.", "de"
    )
    full = code_of(f"{word_key('dwayne')}_{word_key('johnson')}")
    assert full in terms and tiers[full] == min(tier_of("dwayne", "de"), tier_of("johnson", "de"))
    assert tiers[code_of(word_key("dwayne"))] < tiers[code_of(word_key("trump"))]


def test_across_languages_common_names_alone_do_not_link_but_rare_shared_names_do() -> None:
    common_de = "Präsident Donald Trump sprach am Dienstag in Washington über die Wirtschaft und die Steuern."
    common_en = "President Donald Trump spoke in Washington about immigration and the border wall on Friday."
    assert score(sig("a", common_de, "de"), sig("b", common_en, "en")) == 0.0
    rare_de = "Die Raumsonde BepiColombo flog an der Erde vorbei, meldete die ESA; Kurs auf Merkur, sagte Elsa Montagnon."
    rare_en = (
        "The BepiColombo spacecraft flew past Earth, ESA said, on course to Mercury, said Elsa Montagnon."
    )
    assert score(sig("a", rare_de, "de"), sig("b", rare_en, "en")) > 0.0


def test_one_outlets_stories_need_more_shared_words_than_two_outlets() -> None:
    shared = "flooding evacuation sandbags"
    text_a = (
        f"{shared} orchestra violin concert rehearsal conductor symphony ballet opera tenor soprano choir"
    )
    text_b = f"{shared} tractor harvest wheat barley farmer orchard vineyard cattle dairy pasture fertilizer"

    def pair(outlet_b: str) -> float:
        return score(
            signature("a", "a", "", text_a, "en", None, outlet="x.de"),
            signature("b", "b", "", text_b, "en", None, outlet=outlet_b),
        )

    assert pair("y.de") > 0.0  # two outlets: 3 of 25 words shared is enough
    assert pair("x.de") == 0.0  # one outlet: not enough


def test_shared_counts_are_the_set_intersections() -> None:
    """link.best_links scores candidates with counts made all at once: each must be the intersection's size."""
    rng = random.Random(3)

    def terms(n: int) -> array:
        return array("H", sorted(rng.sample(range(1 << 16), n)))

    for _ in range(300):
        own = terms(rng.choice([0, 1, 5, 96]))
        others = [terms(rng.choice([0, 1, 2, 40, 96])) for _ in range(rng.randint(0, 30))]
        others += [array("H", sorted(set(own[: rng.randint(0, len(own))]) | set(o))) for o in others[:3]]
        want = [len(set(own) & set(o)) for o in others]
        assert shared_counts(own, others) == want


def test_two_shared_keys_count_twice_whatever_their_codes() -> None:
    """Codes 5 and 5 + 1,024 fell on one bit of the old 1,024-bit mask, whose "upper bound" of the overlap then
    counted 1 and rejected a pair whose Jaccard (2 shared of 22 keys: 0.091) clears SAME_LANG."""

    def sig(item: str, own: range) -> Signature:
        codes = sorted({5, 5 + 1024, *own})
        return Signature(
            item,
            item,
            "en",
            None,
            array("H", codes),
            bytes(len(codes)),
            frozenset(),
            frozenset(),
            None,
            None,
            None,
            (),
        )

    a, b = sig("a", range(2000, 2010)), sig("b", range(3000, 3010))
    assert score(a, b) == pytest.approx(2 / 22)


def test_equal_evidence_scores_equal_whatever_order_its_keys_are_summed_in() -> None:
    """Six shared keys of tiers 0, 1, 1, 2, 2, 3 across languages, given to the codes in every order: one score.  (Summed
    as floats in the set's order, 1.0 + 0.7 + ... gave 3.55 or 3.5500000000000003, and an exact tie between two
    clusters went to whichever the last bit favoured.)"""
    import itertools

    codes = array("H", range(10, 16))
    new = Signature(
        "a", "a", "en", None, codes, bytes(6), frozenset(), frozenset(), None, None, None, (), codes
    )
    scores = set()
    for tiers in set(itertools.permutations((0, 1, 1, 2, 2, 3))):
        other = Signature(
            "b", "b", "de", None, codes, bytes(tiers), frozenset(), frozenset(), None, None, None, (), codes
        )
        scores.add(score(new, other))
    assert len(scores) == 1 and scores.pop() > 0
