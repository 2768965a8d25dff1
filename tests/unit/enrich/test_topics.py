"""Topics on held-out public data: the shipped model scored on samples of test splits it never saw.

Fixtures (``tests/fixtures/enrich/topics``, written by ``train/topics/fixtures.py``): 50 items per class of the AG
News test split with the IPTC codes that count as right, and SIB-200 test sentences in fr, de, es, it, pt.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from collections import Counter

import pytest

from pipeline.transforms.enrich.keywords import words
from pipeline.transforms.enrich.topic_cues import cue_hits
from pipeline.transforms.enrich.topic_features import bucket, feature_counts, hashed
from pipeline.transforms.enrich.topic_model import MODEL_FILE, load_model
from pipeline.transforms.enrich.topics import CATEGORY_BONUS, HALF, classify, topic_scores

from .conftest import FIXTURES, REPO_ROOT

TOPIC_FIXTURES = FIXTURES / "topics"


def _words(text: str) -> list[str]:
    return [w for clause in words(text) for w in clause]


def _rows(name: str) -> list[dict[str, str]]:
    with (TOPIC_FIXTURES / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_ag_news_held_out_top1_at_least_80_percent() -> None:
    """The issue's goal: the top topic is right for >= 80 % of short English wire summaries (50 per AG class)."""
    rows = _rows("ag_news_test_sample.csv")
    per_class: Counter[str] = Counter()
    for row in rows:
        topics = classify(_words(f"{row['headline']}\n\n{row['summary']}"), "en")
        per_class[row["ag_class"]] += topics[0].code in row["iptc_codes"].split()
    assert Counter(r["ag_class"] for r in rows) == {"World": 50, "Sports": 50, "Business": 50, "Sci/Tech": 50}
    right = sum(per_class.values())
    assert right / len(rows) >= 0.80, f"{right}/{len(rows)} right; per class {dict(per_class)}"
    assert min(per_class.values()) >= 30, f"a class is mostly wrong: {dict(per_class)}"


@pytest.mark.parametrize("lang", ["fr", "de", "es", "it", "pt"])
def test_held_out_sentences_per_language(lang: str) -> None:
    """SIB-200 test sentences (4 per topic): well above the 1-in-6 of guessing in every language."""
    rows = [r for r in _rows("sib200_test_sample.csv") if r["lang"] == lang]
    right = sum(classify(_words(r["text"]), lang)[0].code == r["iptc_code"] for r in rows)
    assert len(rows) == 24
    assert right / len(rows) >= 0.55, f"{lang}: {right}/{len(rows)}"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Rain delays the harvest"),
        ("fr", "Le maire a inauguré la nouvelle médiathèque"),
        ("de", "Ein Bus ist in der Nacht umgekippt"),
        ("es", "El equipo ganó el partido"),
        ("it", "La borsa di Milano chiude in rialzo"),
        ("pt", "O governo anunciou novas medidas"),
    ],
)
def test_every_item_gets_its_best_subject_with_a_score(lang: str, text: str) -> None:
    topics = classify(_words(text), lang)
    assert topics, "no subject"
    assert all(0.0 < t.score <= 1.0 for t in topics)
    scores, lead = topic_scores(_words(text), lang)
    assert topics[0].code == max(lead, key=lambda c: scores[c])
    assert [t.score for t in topics[1:]] == sorted((t.score for t in topics[1:]), reverse=True)


def test_scores_are_multi_label_probabilities() -> None:
    """One-vs-rest: each topic has its own probability; a story about both a war and a summit can score high on both."""
    scores, _ = topic_scores(
        _words(
            "Ministers meet for peace talks as artillery shelling goes on. The president said the government "
            "would keep negotiating while troops hold the front line after the missile attack."
        ),
        "en",
    )
    model = load_model()
    assert set(model.codes) <= set(scores)
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    assert scores["medtop:16000000"] >= 0.3 and scores["medtop:11000000"] >= 0.3
    assert sum(scores[c] for c in model.codes) != pytest.approx(1.0, abs=0.01)


def test_feed_category_adds_the_bonus() -> None:
    text = _words("The club confirmed the signing on Tuesday")
    plain, _ = topic_scores(text, "en")
    with_cat, _ = topic_scores(text, "en", ["Sport"])
    assert with_cat["medtop:15000000"] == pytest.approx(min(1.0, plain["medtop:15000000"] + CATEGORY_BONUS))


def test_languages_without_the_model_keep_the_lexicon_and_categories() -> None:
    assert "ru" not in load_model().languages
    assert classify(_words("Путин прибыл в Минск"), "ru") == ()
    assert [t.code for t in classify(_words("Путин прибыл в Минск"), "ru", ["Politics"])] == [
        "medtop:11000000"
    ]


def test_empty_text_gets_no_topic_from_the_model() -> None:
    assert classify([], "en") == ()


def test_hashing_is_the_same_in_another_process() -> None:
    """Features are hashed with CRC-32, not Python's salted ``hash()``: a worker started elsewhere scores the same."""
    text = _words("Les marchés européens reculent après la hausse des taux")
    here = hashed(text, "fr", True)
    code = (
        "import json, sys; from pipeline.transforms.enrich.topic_features import hashed; "
        f"i, v = hashed({text!r}, 'fr', True); "
        "print(json.dumps([i.tolist(), v.tolist()])); print('sklearn' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
        env={"PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )
    ids, vals = json.loads(out.stdout.splitlines()[0])
    assert ids == here[0].tolist() and vals == pytest.approx(here[1].tolist())
    assert out.stdout.splitlines()[1] == "False"  # scoring needs numpy only


def test_hashed_vector_is_the_readable_features_bucketed() -> None:
    """The fast path (cached per-word buckets) builds exactly the vector the readable feature list describes."""
    text = _words(
        "Le Bayern Munich s'impose 3-1 face au PSG; Jean-Pierre Dupont marque deux buts en Ligue des champions"
    )
    idx, val = hashed(text, "fr", True)
    per_bucket: Counter[int] = Counter()
    for feature, n in feature_counts(text, "fr", True).items():
        per_bucket[bucket(feature)] += n
    assert "b jean pierre" in feature_counts(text, "fr", True)
    raw = [1.0 + math.log(per_bucket[b]) for b in sorted(per_bucket)]
    norm = math.sqrt(sum(v * v for v in raw))
    assert idx.tolist() == sorted(per_bucket)
    assert val.tolist() == pytest.approx([v / norm for v in raw], rel=1e-5)


def test_shipped_model_is_small() -> None:
    path = REPO_ROOT / "pipeline" / "data" / "topics" / MODEL_FILE
    assert path.stat().st_size < 25 * 2**20
    assert load_model().languages == {"en", "fr", "de", "es", "it", "pt"}


def test_lexicon_topics_the_model_lacks_are_added_but_never_lead() -> None:
    text = _words(
        "Teachers, pupils and students marched as schools and universities stayed shut; the education minister "
        "promised the school year would be saved."
    )
    model = load_model()
    assert "medtop:05000000" not in model.codes
    topics = classify(text, "en")
    assert topics[0].code in model.codes
    assert "medtop:05000000" in [t.code for t in topics[1:]]
    assert classify(text, "en", ["Education"])[0].code == "medtop:05000000"  # a feed category may lead


def test_lexicon_backs_up_topics_without_in_language_training_data() -> None:
    """SIB-200 has no business sentences: outside English the business cue stems count as much as the model."""
    model = load_model()
    assert "medtop:04000000" not in model.local_codes["fr"] and "medtop:04000000" in model.local_codes["en"]
    text = _words("La Bourse de Paris recule, les investisseurs craignent l'inflation et la hausse des taux.")
    scores, _ = topic_scores(text, "fr")
    probs = model.probabilities(text, "fr")
    hits = cue_hits(text, "fr")["medtop:04000000"]
    assert hits >= 3
    assert scores["medtop:04000000"] == max(probs["medtop:04000000"], hits / (hits + HALF))
    assert classify(text, "fr")[0].code == "medtop:04000000"
