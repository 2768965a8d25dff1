"""The flex template's metadata.json, generated from the option table (``pipeline.option_table``) so it cannot drift.

python -m pipeline.deploy.metadata            # rewrite deploy/dataflow/metadata.json
python -m pipeline.deploy.metadata --check    # exit 1 if the committed file differs from the generated one
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.option_table import template_parameters

METADATA = Path(__file__).resolve().parents[2] / "deploy" / "dataflow" / "metadata.json"
NAME = "news-pipeline"
DESCRIPTION = (
    "Streaming news ingestion: Kafka raw topic -> normalize, deduplicate, enrich -> Avro to Kafka and files "
    "(Runner v2, custom worker image)."
)


def metadata() -> dict[str, Any]:
    return {"name": NAME, "description": DESCRIPTION, "streaming": True, "parameters": template_parameters()}


def render() -> str:
    return json.dumps(metadata(), indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    text = render()
    if "--check" in argv:
        if METADATA.read_text() != text:
            print(f"{METADATA} is stale: run python -m pipeline.deploy.metadata", file=sys.stderr)
            return 1
        return 0
    METADATA.write_text(text)
    print(f"wrote {METADATA}: {len(metadata()['parameters'])} parameters", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
