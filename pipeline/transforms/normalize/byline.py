"""Bylines and credit lines -> ordered ``Author(name, role)`` lists, with agency names set apart (never authors).

In: one line such as "par X et Y", "Par X, avec Y à Bruxelles", "By X, Reuters", "von X und Y", "Por X y Y",
"Reporting by X in Kyiv; Additional reporting by Y; Editing by Z", "(Reportage X; version française Y)", or a
feed-level author field ("jane@example.com (Jane Doe)").  Out: ``Byline(authors, agencies)``, or None when the line
is not a byline ("Par ailleurs, ...", "By contrast, ...").
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from pipeline.model import Author
from pipeline.transforms.normalize.agency import canonical_agency, find_agency
from pipeline.transforms.normalize.months import month_number

# role keyword (regex, case-insensitive) -> role; longer phrases first so "additional reporting by" wins
_ROLE_KEYWORDS: tuple[tuple[str, str], ...] = (
    (
        r"(?:with )?additional reporting(?: by)?|avec la contribution d[eu']|contribution d[eu']",
        "additional_reporting",
    ),
    (
        r"mitarbeit(?: von)?|reporte adicional de|información adicional de|reportagem adicional de",
        "additional_reporting",
    ),
    (r"(?:hanno|ha) collaborato", "additional_reporting"),
    (
        r"reporting(?: by)?|reportages?(?: de| par)?|bericht(?:erstattung)?(?: von)?|reportes?(?: de)?",
        "reporting",
    ),
    (r"reportaje de|información de|informacion de|reportagem(?: de)?|reportage di|servizio di", "reporting"),
    (r"(?:writing|written|compiled)(?: by)?|rédigé par|redigé par|geschrieben von|verfasst von", "writing"),
    (r"(?:escrito|redactado) por|redacción de|(?:scritto|redatto) da|redação de|texto de", "writing"),
    (
        r"(?:editing|edited)(?: by)?|(?:édité|edité|éditée|editée) par|redigiert(?: von)?|bearbeitet von",
        "editing",
    ),
    (r"editado(?: en español)?(?: por)?|edición de|editing(?: di)?|edição de|editado por", "editing"),
    (
        r"(?:translated|translation|graphics|photos?|video)(?: by)?|version française|traduit par|traduction",
        "contributor",
    ),
    (
        r"übersetzt von|übersetzung|traducido por|traducción de|tradotto da|traduzione di|tradução de",
        "contributor",
    ),
    (
        r"(?:with|avec|mit|con|com)(?: (?:información|informacion|informações|reportes|material) (?:de|da|do|von))?",
        "additional_reporting",
    ),
    (r"by|par|von|por|di|door", "author"),
)
_KW_RE = re.compile(
    r"(?:^|(?<=[;,(])|(?<=\.\s))\s*(?P<kw>"
    + "|".join(f"(?:{p})" for p, _ in _ROLE_KEYWORDS)
    + r")(?:\s*:\s*|\s+)",
    re.IGNORECASE,
)
_ROLE_RES = tuple((re.compile(p, re.IGNORECASE), role) for p, role in _ROLE_KEYWORDS)
_LIST_SEP_RE = re.compile(r"\s*(?:,|;|&|\s(?:and|et|und|y|e|i|en|og|och)\s)\s*", re.IGNORECASE)
_PLACE_TAIL_RE = re.compile(r"\s+(?:in|à|a|en|em|aus|from|at)\s+[A-ZÀ-Ý][^,;]*$")
_EMAIL_NAME_RE = re.compile(
    r"^\s*\S+@\S+\s*\((?P<name>[^()]+)\)\s*$|^\s*(?P<name2>[^<>]+?)\s*<[^<>]*@[^<>]*>\s*$"
)
_EMAIL_RE = re.compile(r"\S+@\S+")
_WORD_RE = re.compile(r"[^\W\d_]+")
_PAREN_RE = re.compile(r"\(([^()]*)\)")
_NAME_WORD_RE = re.compile(r"[^\W\d_](?:[\w’'.-]*[^\W\d_])?\.?")
_PARTICLES = frozenset(
    (
        "de", "da", "di", "do", "du", "des", "del", "della", "dos", "das", "van", "von", "der", "den", "ter",
        "ten", "le", "la", "bin", "ibn", "al", "el", "zu", "af"
    )
)  # fmt: skip
_NOT_NAME_WORDS = frozenset(
    (
        "the", "a", "an", "this", "that", "these", "those", "our", "their", "its", "his", "her", "my", "your",
        "and", "or", "le", "la", "les", "un", "une", "der", "die", "das", "ein", "eine", "el", "los", "las",
        "il", "lo", "gli", "os", "as", "staff", "news", "desk", "team", "newsroom", "editors", "editor",
        "editorial", "rédaction", "redaktion", "redacción", "redazione", "redação", "online", "media", "press",
        "agency", "bureau", "service", "wire", "reporters", "reporter", "correspondent", "writer",
        "correspondant", "correspondante", "envoyé", "envoyée", "spécial", "spéciale", "special",
        "korrespondent", "korrespondentin", "corresponsal", "enviado", "enviada", "columnist", "chief",
        "senior", "associate", "contributing", "contributor", "analyst", "monday", "tuesday", "wednesday",
        "thursday", "friday", "saturday", "sunday", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
        "dimanche", "january", "february", "march", "april", "june", "july", "august", "september", "october",
        "november", "december"
    )
)  # fmt: skip
_TITLE_WORDS = frozenset(
    (
        "writer", "correspondent", "reporter", "editor", "staff", "columnist", "correspondant",
        "correspondante", "envoyé", "envoyée", "journaliste", "korrespondent", "korrespondentin", "redakteur",
        "redakteurin", "corresponsal", "enviado", "enviada", "periodista", "giornalista", "inviato", "inviata",
        "repórter", "jornalista", "desk", "team", "bureau"
    )
)  # fmt: skip


class Byline(NamedTuple):
    authors: tuple[Author, ...]
    agencies: tuple[str, ...]


def _role(keyword: str) -> str:
    for rx, role in _ROLE_RES:
        if rx.fullmatch(keyword):
            return role
    return "author"


def _titlecase_word(word: str) -> str:
    word = re.sub(r"(^|[-’'])(\w)", lambda m: m.group(1) + m.group(2).upper(), word.lower())
    if word.startswith("Mc") and len(word) > 3:
        word = "Mc" + word[2].upper() + word[3:]
    return word


def clean_name(text: str) -> str | None:
    """A candidate person name -> the cleaned name, or None if it is not one (single word, lowercase, a title)."""
    text = text.strip(" \t\"'“”«»‘’()[]{},;:|-–—")
    if text.endswith(".") and not re.search(r"(?:^|\s)[^\W\d_]\.$", text):  # keep the dot of a final initial
        text = text.rstrip(".")
    words = text.split()
    if not 2 <= len(words) <= 5 or len(text) > 60:
        return None
    for i, w in enumerate(words):
        if not _NAME_WORD_RE.fullmatch(w):
            return None
        if i and w.islower() and w in _PARTICLES:
            continue  # "Ursula von der Leyen": "der" is a particle here, not an article
        if w.strip(".").casefold() in _NOT_NAME_WORDS or not w[0].isupper():
            return None
    if not words[-1][0].isupper() or all(w.casefold() in _PARTICLES for w in words):
        return None
    all_caps = text.upper() == text
    out = []
    for i, w in enumerate(words):
        letters = sum(c.isalpha() for c in w)
        if w.upper() == w and (all_caps or letters >= 3) and letters >= 2:
            w = w.lower() if i and all_caps and w.casefold() in _PARTICLES else _titlecase_word(w)
        out.append(w)
    return " ".join(out)


def _pieces(text: str) -> tuple[list[str], list[str], bool]:
    """A name list -> (names, agencies, ok).  ok is False when a piece is neither a name, an agency nor a place."""
    names: list[str] = []
    agencies: list[str] = []
    for paren in _PAREN_RE.findall(text):  # "Par Jean Dupont (AFP)", "By Jane Doe (@janedoe)"
        agency = canonical_agency(paren)
        if agency:
            agencies.append(agency)
    text = _PAREN_RE.sub(" ", text)
    for part in text.split("|"):
        part = part.strip(" .;:,()")
        if not part:
            continue
        if any(c.isdigit() for c in part) and (
            not any(c.isalpha() for c in part.split()[0])
            or any(month_number(w) for w in _WORD_RE.findall(part))
        ):
            continue  # "| 5 December 2022": a date, not a name
        for piece in _LIST_SEP_RE.split(part):
            piece = _PLACE_TAIL_RE.sub("", piece.strip(" .()")).strip()
            if not piece or piece.startswith("@") or _EMAIL_RE.fullmatch(piece):
                continue
            agency = canonical_agency(piece)
            if agency:
                agencies.append(agency)
                continue
            words = piece.split()
            if any(w.casefold().strip(".") in _TITLE_WORDS for w in words):  # "AP Diplomatic Writer"
                found = find_agency(piece) or canonical_agency(words[0])
                if found:
                    agencies.append(found)
                continue
            found = find_agency(piece)
            if found and re.search(r"\b(?:avec|with|mit|con|com|and|et)\b", piece, re.IGNORECASE):
                agencies.append(found)  # "Le Monde avec AFP"
                continue
            name = clean_name(piece)
            if name:
                names.append(name)
            elif len(words) == 1 and piece[:1].isupper() and piece.isalpha():
                continue  # a lone capitalized word after a name: a place ("By X, Washington")
            else:
                return names, agencies, False
    return names, agencies, True


def read_byline(line: str) -> Byline | None:
    """A byline or credit line -> Byline(authors with roles, agencies), or None if the line is not one."""
    s = " ".join(line.split()).strip()
    if not s or len(s) > 400:
        return None
    if s.startswith("(") and s.endswith(")"):
        s = s[1:-1].strip()
    s = s.rstrip(".")
    matches = list(_KW_RE.finditer(s))
    if not matches or s[: matches[0].start()].strip(" (-–—"):
        return None
    authors: list[Author] = []
    agencies: list[str] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(s)
        segment = s[m.end() : end]
        names, found, ok = _pieces(segment)
        if not ok:
            return None
        role = _role(m.group("kw"))
        authors.extend(Author(name=n, role=role) for n in names)
        agencies.extend(found)
    if not authors and not agencies:
        return None
    return Byline(tuple(authors), tuple(dict.fromkeys(agencies)))


def parse_byline(line: str) -> list[Author]:
    """A byline or credit line -> ordered authors with roles; [] when the line is not a byline."""
    byline = read_byline(line)
    return list(byline.authors) if byline else []


_SURNAME_FIRST_RE = re.compile(
    r"(?P<last>[^\W\d_][\w’'-]+),\s*(?P<first>(?:[A-Z]\.\s*){1,3}|[A-Z][^\W\d_]+(?:\s+[A-Z]\.)?)"
)
_HANDLE_RE = re.compile(r"[^\W_][\w.-]{1,39}")
_NOT_HANDLES = frozenset(
    (
        "admin", "administrator", "webmaster", "root", "unknown", "anonymous", "guest", "editor", "editors",
        "staff", "user"
    )
)  # fmt: skip


def parse_feed_author(value: str) -> Byline:
    """A feed-level author field (dc:creator, author) -> names and agencies.  Never fails: unknown input gives ().

    Also reads "Smith, K. T." (surname first) and keeps a lone handle or pseudonym ("Eolas", "jvoisin"): in an
    author field a single word names the author, not a place.
    """
    value = " ".join(value.split())
    m = _EMAIL_NAME_RE.match(value)
    if m:
        value = m.group("name") or m.group("name2") or ""
    value = _EMAIL_RE.sub("", value).strip(" ,;()")
    byline = read_byline(value)
    if byline:
        return byline
    m = _SURNAME_FIRST_RE.fullmatch(value)
    if m:
        value = f"{' '.join(m.group('first').split())} {m.group('last')}"
    agency = canonical_agency(value)
    if agency:
        return Byline((), (agency,))
    if (
        _HANDLE_RE.fullmatch(value)
        and value.casefold() not in _NOT_HANDLES
        and value.casefold() not in _NOT_NAME_WORDS
    ):
        return Byline((Author(value),), ())
    names, agencies, _ok = _pieces(value)
    return Byline(tuple(Author(n) for n in names), tuple(dict.fromkeys(agencies)))


def author_key(name: str) -> str:
    """Identity for merging: case, accents and spacing ignored ("Valentyn ORIGIENKO" == "valentyn origienko")."""
    folded = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).replace(".", " ").split())


def merge_authors(*groups: tuple[Author, ...] | list[Author]) -> tuple[Author, ...]:
    """Concatenate author lists in order, keeping the first occurrence (and role) of each person."""
    seen: set[str] = set()
    out: list[Author] = []
    for group in groups:
        for author in group:
            key = author_key(author.name)
            if key and key not in seen:
                seen.add(key)
                out.append(author)
    return tuple(out)
