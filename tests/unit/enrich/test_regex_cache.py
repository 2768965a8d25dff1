"""regex_cache.py: spaCy's French language module imported with its ~1.45M-character TOKEN_MATCH pattern rebuilt
from the cache file gives the same matcher as compiling the pattern, and the second process really reads the file
(its recorder is made to fail there)."""

from __future__ import annotations

from pathlib import Path

from tests.support import json_child

FIRST = """
from pipeline.transforms.enrich import regex_cache
regex_cache.import_module("spacy.lang.fr")
from spacy.lang.fr import tokenizer_exceptions as te
print(len(te.TOKEN_MATCH.__self__.pattern))
"""

SECOND = """
import json, random, re
from re import _compiler
from pipeline.transforms.enrich import regex_cache
def refuse(module):
    raise AssertionError("recorded again: the cache file was not used")
regex_cache._recorded = refuse
regex_cache.import_module("spacy.lang.fr")
from spacy.lang.fr import _tokenizer_exceptions_list as known, tokenizer_exceptions as te
cached = te.TOKEN_MATCH.__self__
fresh = _compiler.compile(cached.pattern, re.IGNORECASE | re.UNICODE)  # what re.compile does without its cache
assert (cached.pattern, cached.flags, cached.groups) == (fresh.pattern, fresh.flags, fresh.groups)
rng = random.Random(7)
letters = "abcdéèêëàâîïôöùûüçœæ-'’ABCÉÈ"
words = list(known.FR_BASE_EXCEPTIONS) + ["aujourd'hui", "anti-européen", "Saint-Étienne", "Poutine", "Biélorussie",
    "Loukachenko", "peut-être", "c'est-à-dire", "l'armée", "KYIV"]
words += ["".join(rng.choice(letters) for _ in range(rng.randint(1, 14))) for _ in range(20_000)]
# hyphenated forms the pattern is for: a listed prefix (its regex, letters picked), a hyphen, a word
prefixes = [re.sub(r"\\[(.)[^]]*\\]", r"\\1", p).replace("?", "") for p in te._hyphen_prefix]
words += [f"{rng.choice(prefixes)}-{rng.choice(['européen', 'Poutine', 'ville', 'x'])}" for _ in range(5_000)]
spans = lambda p: [(m.span() if m else None) for m in map(p.match, words)]
same = spans(cached) == spans(fresh)
print(json.dumps([len(words), sum(m is not None for m in map(cached.match, words)), same]))
"""


def _run(code: str, cache_dir: Path):
    return json_child(code, env={"NEWS_PIPELINE_CACHE_DIR": str(cache_dir)})


def test_the_pattern_from_the_cache_file_matches_as_the_compiled_one(tmp_path: Path) -> None:
    assert int(_run(FIRST, tmp_path)) > 100_000
    assert [p.name.split("-")[0:2] for p in tmp_path.glob("*.marshal")] == [["re", "spacy.lang.fr"]]
    words, matched, same = _run(SECOND, tmp_path)
    assert int(words) > 40_000 and int(matched) > 2_000  # the comparison sees many matches
    assert same is True


def test_with_the_cache_off_the_module_is_imported_as_usual(tmp_path: Path) -> None:
    assert int(_run(FIRST, Path("off"))) > 100_000
