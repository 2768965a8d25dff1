"""credits.py: boilerplate removed from the body, credit lines kept as contributors and agencies."""

from __future__ import annotations

import pytest

from pipeline.model import Author
from pipeline.transforms.normalize.credits import strip_boilerplate

STORY = ["KYIV paragraph one.", "Paragraph two."]


@pytest.mark.parametrize(
    ("tail", "authors", "agencies"),
    [
        (["(Avec Reuters)"], (), ("Reuters",)),
        (["Reuter"], (), ("Reuters",)),
        (["(ANSA)."], (), ("ANSA",)),
        (["jdo/roc"], (), ()),
        (["JS // ROC"], (), ()),
        (["© 2022 Reuters. All rights reserved."], (), ("Reuters",)),
        (["Our Standards: The Thomson Reuters Trust Principles."], (), ("Reuters",)),
        (
            [
                "Reporting by Pavel Polityuk; Editing by Kate Entringer",
                "Our Standards: The Thomson Reuters Trust Principles.",
            ],
            (Author("Pavel Polityuk", "reporting"), Author("Kate Entringer", "editing")),
            ("Reuters",),
        ),
        (
            ["(Reportage Tom Balmforth; version française Camille Raynaud)", "(Avec AFP)"],
            (Author("Tom Balmforth", "reporting"), Author("Camille Raynaud", "contributor")),
            ("AFP",),
        ),
        (["(Con información de Reuters)"], (), ("Reuters",)),
    ],
)
def test_trailing_credits(tail, authors, agencies):
    paras, got_authors, got_agencies = strip_boilerplate([*STORY, *tail])
    assert paras == STORY
    assert got_authors == authors
    assert got_agencies == agencies


def test_credit_parenthetical_at_the_end_of_the_last_paragraph():
    paras, authors, _ = strip_boilerplate(
        ["Said the minister. (Writing by John Stonestreet; Editing by Alison Williams)"]
    )
    assert paras == ["Said the minister."]
    assert authors == (Author("John Stonestreet", "writing"), Author("Alison Williams", "editing"))


def test_markers_removed_anywhere_but_story_text_kept():
    paras, _, _ = strip_boilerplate(
        [
            "One.",
            "Advertisement",
            "Lire aussi : Ce que contient l'accord",
            "Publicité",
            "Two (with a parenthesis).",
        ]
    )
    assert paras == ["One.", "Two (with a parenthesis)."]


def test_an_ordinary_last_paragraph_is_kept():
    story = [
        "One.",
        "Par ailleurs, le gouvernement a dit non.",
        "With inflation at a record, the bank acted.",
    ]
    assert strip_boilerplate(story) == (story, (), ())
