"""Small curated word lists the entity post-processing uses as evidence (data, no logic).

In: nothing.  Out: casefolded sets.  Each list is short on purpose and documented in docs/enrich.md: they correct
known, repeatable model errors (news agencies tagged MISC, seats of power tagged LOC, ministries tagged LOC), they do not
replace the model.
"""

from __future__ import annotations

# News agencies and wire services: always organisations (the French model tags "Interfax" MISC).
NEWS_AGENCIES = frozenset(
    s.casefold()
    for s in (
        "Reuters",
        "AFP",
        "Agence France-Presse",
        "AP",
        "Associated Press",
        "Interfax",
        "Interfax-Ukraine",
        "TASS",
        "RIA Novosti",
        "RIA",
        "Xinhua",
        "Ukrinform",
        "Yonhap",
        "Kyodo",
        "ANSA",
        "EFE",
        "dpa",
        "Bloomberg",
        "Belta",
        "UNIAN",
        "Anadolu",
        "PAP",
        "ANP",
        "Agencia EFE",
        "Agência Lusa",
        "Lusa",
        "KCNA",
        "IRNA",
        "WAFA",
        "Europa Press",
    )
)

# Seats of power used as actors ("le Kremlin a décrit..."): organisations in news text, whatever the model says.
SEATS_OF_POWER = frozenset(
    s.casefold()
    for s in (
        "Kremlin",
        "Maison Blanche",
        "Maison-Blanche",
        "White House",
        "Pentagon",
        "Pentagone",
        "Élysée",
        "Elysée",
        "Matignon",
        "Quai d'Orsay",
        "Downing Street",
        "Whitehall",
        "Bundeskanzleramt",
        "Kanzleramt",
        "Casa Blanca",
        "Casa Bianca",
        "Casa Branca",
        "Moncloa",
        "Palazzo Chigi",
        "Quirinale",
        "Zhongnanhai",
        "Vatican",
        "Bankova",
    )
)

# Head words that make a span an organisation when the span starts with them ("ministère russe de la Défense").
ORG_HEADS = frozenset(
    s.casefold()
    for s in (
        # fr
        "ministère",
        "agence",
        "banque",
        "parti",
        "université",
        "armée",
        "commission",
        "conseil",
        "cour",
        "tribunal",
        "gouvernement",
        "parlement",
        "assemblée",
        "sénat",
        "comité",
        "fédération",
        "union",
        "société",
        "groupe",
        "organisation",
        "office",
        "institut",
        "état-major",
        "service",
        "police",
        "gendarmerie",
        "marine",
        # en
        "ministry",
        "department",
        "agency",
        "bank",
        "party",
        "university",
        "army",
        "commission",
        "council",
        "court",
        "government",
        "parliament",
        "senate",
        "committee",
        "federation",
        "union",
        "company",
        "group",
        "organization",
        "organisation",
        "institute",
        "office",
        "navy",
        "police",
        "corporation",
        "association",
        "board",
        # de / es / it / pt
        "ministerium",
        "bundesministerium",
        "agentur",
        "partei",
        "universität",
        "ministerio",
        "agencia",
        "banco",
        "partido",
        "universidad",
        "ejército",
        "ministero",
        "agenzia",
        "banca",
        "partito",
        "università",
        "esercito",
        "ministério",
        "agência",
        "universidade",
        "exército",
    )
)

# Words a context window must contain for the *next* capitalised span to be an organisation
# ("l'agence de presse russe Interfax", "the news agency Interfax").
ORG_CONTEXT_CUES = frozenset(
    s.casefold() for s in ("agence", "agency", "agentur", "agencia", "agenzia", "agência")
)

# Words right before a place name ("in Glasgow", "à Moscou"): with a gazetteer hit, evidence that a span the model
# typed PERSON is a place.  Deliberately short: "to"/"de" also precede people.
LOCATION_PREPOSITIONS = frozenset(
    (
        "in",
        "at",
        "from",
        "near",
        "outside",
        "across",
        "into",
        "à",
        "près",
        "depuis",
        "aus",
        "nach",
        "desde",
        "em",
    )
)

# Tokens that are never a whole entity on their own (sentence-initial capitals the small models pick up).
JUNK_SPANS = frozenset(
    s.casefold()
    for s in (
        "le",
        "la",
        "les",
        "l'",
        "un",
        "une",
        "des",
        "du",
        "de",
        "il",
        "elle",
        "ils",
        "selon",
        "mais",
        "the",
        "a",
        "an",
        "he",
        "she",
        "it",
        "they",
        "but",
        "according",
        "der",
        "die",
        "das",
        "el",
        "los",
        "las",
        "il",
        "lo",
        "o",
        "os",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    )
)
