"""text.py: entity and mojibake repair, Unicode and whitespace normalization, French spacing, plain-text paragraphs."""

from __future__ import annotations

import pytest

from pipeline.transforms.normalize.text import (
    clean_line,
    is_french,
    repair_entities,
    repair_mojibake,
    text_paragraphs,
)


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("Sony #39;s profit", "Sony's profit"),  # AG News lost the "&" (and put a space in its place)
        ("it#39;s", "it's"),
        ("costs #36;10", "costs $10"),
        ("quot;hello quot; he said", '"hello " he said'),
        ("&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>"),
        ("AT&amp;amp;T", "AT&T"),  # double-escaped
        ("R&D and AT&T", "R&D and AT&T"),
        ("this&nothing", "this&nothing"),  # no semicolon: not an entity
        ("&#8217; &#x2019; &rsquo;", "’ ’ ’"),
        ("&#146;", "’"),  # cp1252 number, as HTML5 reads it
    ],
)
def test_repair_entities(raw, fixed):
    assert repair_entities(raw) == fixed
    assert repair_entities(fixed) == fixed or "&" in raw


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("Le mÃªme jour", "Le même jour"),
        ("doesnâ€™t", "doesn’t"),
        ("BiÃ©lorussie", "Biélorussie"),
        ("Biélorussie", "Biélorussie"),  # clean text is never touched
        ("naïve café «oui»", "naïve café «oui»"),
    ],
)
def test_repair_mojibake(raw, fixed):
    assert repair_mojibake(raw) == fixed


@pytest.mark.parametrize(
    ("raw", "french", "clean"),
    [
        ("  a \t b\n c  ", False, "a b c"),
        ("Cafe\u0301", False, "Café"),  # NFC
        ("e\ufb03cient", False, "efficient"),  # ligature
        ("zero\u200bwidth soft\u00adhyphen\x07", False, "zerowidth softhyphen"),
        (
            "Bonjour ! Ça va ? « Oui » ; bien : merci",
            True,
            "Bonjour\u00a0! Ça va\u00a0? «\u00a0Oui\u00a0»\u00a0; bien\u00a0: merci",
        ),
        ("Bonjour\u202f! déjà", True, "Bonjour\u202f! déjà"),  # a narrow no-break space stays narrow
        (
            "Il est 10:30 sur http://example.com",
            True,
            "Il est 10:30 sur http://example.com",
        ),  # no space added
        ("Hello ! again", False, "Hello ! again"),  # other languages: spaces left as they are
        ("a\u00a0 \u00a0b", False, "a\u00a0b"),
    ],
)
def test_clean_line(raw, french, clean):
    assert clean_line(raw, french=french) == clean
    assert clean_line(clean, french=french) == clean


def test_plain_text_paragraphs_blank_lines_and_wire_indentation():
    seedlike = " date 2022-12 par A B et C D\n\nKYIV (Reuters) - Le président.\n\nLa Biélorussie.\n"
    assert text_paragraphs(seedlike) == [
        "date 2022-12 par A B et C D",
        "KYIV (Reuters) - Le président.",
        "La Biélorussie.",
    ]
    wire = (
        "    LOS ANGELES, Feb 26 - BankAmerica Corp is not under\n"
        "pressure to act quickly on its proposed equity offering and\n"
        "would do well to delay it.\n"
        "    Some analysts said they have recommended BankAmerica delay\n"
        "its offering.\n"
    )
    assert text_paragraphs(wire) == [
        "LOS ANGELES, Feb 26 - BankAmerica Corp is not under pressure to act quickly on its proposed equity "
        "offering and would do well to delay it.",
        "Some analysts said they have recommended BankAmerica delay its offering.",
    ]


def test_short_line_ends_a_paragraph_and_long_lines_stand_alone():
    text = (
        "by Janie Gabbett, Reuters\nLOS ANGELES (Reuters) - " + "word " * 40 + "\nNext paragraph " + "x " * 60
    )
    paras = text_paragraphs(text)
    assert paras[0] == "by Janie Gabbett, Reuters"
    assert len(paras) == 3


@pytest.mark.parametrize(
    ("tag", "french"), [("fr", True), ("fr-FR", True), ("FR_ca", True), ("en", False), (None, False)]
)
def test_is_french(tag, french):
    assert is_french(tag) is french
