"""Portuguese gold sentences made to look Spanish or Italian around their names: transfer data for languages without
openly licensed NER training data (train/ner/MODEL_CARD.md, es and it).

In: a sentence of UNER Portuguese-Bosque (UD words: "do" is written "de o") with IOB2 tags.  Out: the same sentence
with its function words and most frequent common words replaced by the target language's (``de o`` -> ``del``,
``em`` -> ``en``/``in``, ``não`` -> ``no``/``non``), contractions of a preposition and an article joined the way the
target writes them, and every token inside an entity left as it is.  A NER model's context features (the words
around a name: "el presidente", "en", "dijo") then match the target's text; names are mostly shared across these
languages.  On the CoNLL-2002 Spanish development split (testa), replacing ~50 such words in the Spanish text by their
Portuguese equivalents before the Portuguese model read it lifted its F1 from 0.516 to 0.565; these maps do the
reverse at training time.  The lists are hand-written (a bilingual dictionary library would bring no context
rules), 117 words per language taken from the most frequent non-name words of Bosque (27 of them, 11 for Italian,
written the same in the target and kept for completeness), and are the definition of the transfer data.
"""

from __future__ import annotations

from train.ner.data import Sentence

# Bosque words -> Spanish.  Articles: "o"/"a"/"os"/"as" (the Portuguese "a" is also the preposition, also Spanish "a")
ES: dict[str, str] = {
    "o": "el",
    "os": "los",
    "as": "las",
    "um": "un",
    "uma": "una",
    "uns": "unos",
    "umas": "unas",
    "em": "en",
    "e": "y",
    "com": "con",
    "não": "no",
    "mais": "más",
    "mas": "pero",
    "já": "ya",
    "até": "hasta",
    "sem": "sin",
    "quando": "cuando",
    "onde": "donde",
    "também": "también",
    "muito": "muy",
    "ainda": "todavía",
    "ontem": "ayer",
    "hoje": "hoy",
    "agora": "ahora",
    "ano": "año",
    "anos": "años",
    "dia": "día",
    "disse": "dijo",
    "diz": "dice",
    "foi": "fue",
    "foram": "fueron",
    "é": "es",
    "são": "son",
    "está": "está",
    "estão": "están",
    "tem": "tiene",
    "têm": "tienen",
    "há": "hay",
    "era": "era",
    "ser": "ser",
    "ter": "tener",
    "vai": "va",
    "pode": "puede",
    "será": "será",
    "seu": "su",
    "sua": "su",
    "seus": "sus",
    "suas": "sus",
    "ele": "él",
    "ela": "ella",
    "eles": "ellos",
    "isso": "eso",
    "isto": "esto",
    "este": "este",
    "esta": "esta",
    "esse": "ese",
    "essa": "esa",
    "mesmo": "mismo",
    "porque": "porque",
    "depois": "después",
    "antes": "antes",
    "só": "solo",
    "apenas": "solo",
    "todos": "todos",
    "pessoas": "personas",
    "país": "país",
    "governo": "gobierno",
    "presidente": "presidente",
    "ministro": "ministro",
    "segundo": "según",
    "contra": "contra",
    "sobre": "sobre",
    "entre": "entre",
    "como": "como",
    "que": "que",
    "ou": "o",
    "dois": "dos",
    "três": "tres",
    "milhões": "millones",
    "mil": "mil",
    "cento": "ciento",
    "vez": "vez",
    "tempo": "tiempo",
    "novo": "nuevo",
    "nova": "nueva",
    "grande": "grande",
    "maior": "mayor",
    "primeiro": "primero",
    "primeira": "primera",
    "lhe": "le",
    "cidade": "ciudad",
    "estado": "estado",
    "empresa": "empresa",
    "partido": "partido",
    "secretário": "secretario",
    "deputado": "diputado",
    "senhor": "señor",
    "semana": "semana",
    "mês": "mes",
    "hora": "hora",
    "horas": "horas",
    "O": "El",
    "Os": "Los",
    "As": "Las",
    "Um": "Un",
    "Uma": "Una",
    "Em": "En",
    "E": "Y",
    "Não": "No",
    "Mas": "Pero",
    "Segundo": "Según",
    "É": "Es",
    "Para": "Para",
    "Com": "Con",
    "Ele": "Él",
    "Ela": "Ella",
    "Isso": "Eso",
}
# Bosque words -> Italian.  "o" -> "il", "a" (article or preposition) stays "a" unless it follows a preposition
IT: dict[str, str] = {
    "o": "il", "os": "i", "as": "le", "um": "un", "uma": "una", "de": "di", "em": "in", "e": "e", "com": "con",
    "não": "non", "que": "che", "para": "per", "por": "per", "mais": "più", "mas": "ma", "já": "già", "até": "fino",
    "sem": "senza", "quando": "quando", "onde": "dove", "também": "anche", "muito": "molto", "ainda": "ancora",
    "ontem": "ieri", "hoje": "oggi", "agora": "ora", "ano": "anno", "anos": "anni", "dia": "giorno", "disse": "disse",
    "diz": "dice", "foi": "fu", "foram": "furono", "é": "è", "são": "sono", "está": "è", "estão": "sono",
    "tem": "ha", "têm": "hanno", "há": "ci", "era": "era", "ser": "essere", "ter": "avere", "vai": "va",
    "pode": "può", "será": "sarà", "seu": "suo", "sua": "sua", "seus": "suoi", "suas": "sue", "ele": "lui",
    "ela": "lei", "eles": "loro", "isso": "questo", "isto": "questo", "este": "questo", "esta": "questa",
    "esse": "quello", "essa": "quella", "mesmo": "stesso", "porque": "perché", "depois": "dopo", "antes": "prima",
    "só": "solo", "apenas": "solo", "todos": "tutti", "pessoas": "persone", "país": "paese", "governo": "governo",
    "presidente": "presidente", "ministro": "ministro", "segundo": "secondo", "contra": "contro", "sobre": "su",
    "entre": "tra", "como": "come", "ou": "o", "dois": "due", "três": "tre", "milhões": "milioni", "mil": "mila",
    "cento": "cento", "vez": "volta", "tempo": "tempo", "novo": "nuovo", "nova": "nuova", "grande": "grande",
    "maior": "maggiore", "primeiro": "primo", "primeira": "prima", "lhe": "gli", "cidade": "città",
    "estado": "stato", "empresa": "azienda", "partido": "partito", "secretário": "segretario",
    "deputado": "deputato", "senhor": "signor", "semana": "settimana", "mês": "mese", "hora": "ora", "horas": "ore",
    "O": "Il", "Os": "I", "As": "Le", "Um": "Un", "Uma": "Una", "Em": "In", "Não": "Non", "Mas": "Ma",
    "Segundo": "Secondo", "É": "È", "Para": "Per", "Com": "Con", "Ele": "Lui", "Ela": "Lei", "Isso": "Questo",
}  # fmt: skip
# (preposition, article) as the target writes them together, in the target's words
ES_JOIN = {("de", "el"): "del", ("a", "el"): "al"}
IT_JOIN = {
    (prep, article): joined
    for prep, forms in (("di", "del della dei delle"), ("in", "nel nella nei nelle"), ("a", "al alla ai alle"),
                        ("su", "sul sulla sui sulle"), ("da", "dal dalla dai dalle"))
    for article, joined in zip(("il", "la", "i", "le"), forms.split(), strict=True)
}  # fmt: skip
# after a preposition the Portuguese "a" is the feminine article, "la" in both targets
_PREPOSITIONS = {
    "de",
    "en",
    "a",
    "por",
    "para",
    "con",
    "sobre",
    "entre",
    "hasta",
    "di",
    "in",
    "per",
    "su",
    "da",
}
FEMININE = "la"
MAPS = {"es": (ES, ES_JOIN), "it": (IT, IT_JOIN)}


def transform(sentence: Sentence, target: str) -> Sentence:
    """The sentence in ``target``'s function words (entities untouched, tags kept per token)."""
    words_map, joins = MAPS[target]
    out: list[list] = []  # [word, space, tag] per output token
    for word, space, tag in zip(*sentence, strict=True):
        prev = out[-1][0] if out and out[-1][2] == "O" else None
        if tag != "O" or prev is None:
            new = word if tag != "O" else words_map.get(word, word)
            out.append([new, space, tag])
            continue
        new = FEMININE if word == "a" and prev.casefold() in _PREPOSITIONS else words_map.get(word, word)
        joined = joins.get((prev.casefold(), new))
        if joined is not None:  # "de" + "el" -> "del": the preposition's token becomes the contraction
            out[-1][:2] = [joined[0].upper() + joined[1:] if prev[:1].isupper() else joined, space]
            continue
        out.append([new, space, tag])
    return [t[0] for t in out], [t[1] for t in out], [t[2] for t in out]
