"""The README's sample record stays true: every value it shows matches what `inspect` makes of the same feed.

The README block comes from a real `make demo` run.  `inspect` runs the same stages on the same input without
Kafka or HTTP, so only the Kafka coordinates (`ingest`) and the feed's address (`source.feed_url`, served over
HTTP by the demo) cannot be compared; everything else must match.  `…` in the README abridges: a string with `…`
matches any text in its place, a list ending in `…` may go on, and an object shows a subset of its keys.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import DEMO_FEEDS, REPO
from tests.integration.test_cli_errors import cli

ELLIPSIS = "…"
NOT_COMPARABLE = {"ingest", "source.feed_url"}  # Kafka coordinates and the demo's HTTP address


def readme_record() -> dict[str, Any]:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## What comes out") :]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block, "README: no ```json block under 'What comes out'"
    return json.loads(block.group(1))


def mismatches(shown: Any, real: Any, path: str = "") -> list[str]:
    if path in NOT_COMPARABLE:
        return []
    if isinstance(shown, dict):
        if not isinstance(real, dict):
            return [f"{path}: README shows an object, record has {real!r}"]
        out = [f"{path}.{k}: not in the record" for k in shown if k not in real]
        for k, v in shown.items():
            if k in real:
                out += mismatches(v, real[k], f"{path}.{k}".lstrip("."))
        return out
    if isinstance(shown, list):
        if not isinstance(real, list):
            return [f"{path}: README shows a list, record has {real!r}"]
        open_ended = bool(shown) and shown[-1] == ELLIPSIS
        items = shown[:-1] if open_ended else shown
        if len(real) < len(items) or (not open_ended and len(real) != len(items)):
            return [f"{path}: README shows {len(items)} items, record has {len(real)}"]
        return [m for i, v in enumerate(items) for m in mismatches(v, real[i], f"{path}[{i}]")]
    if isinstance(shown, str) and ELLIPSIS in shown:
        pattern = ".*".join(re.escape(part) for part in shown.split(ELLIPSIS))
        ok = isinstance(real, str) and re.fullmatch(pattern, real, re.S)
        return [] if ok else [f"{path}: README {shown!r}, record {real!r}"]
    return [] if shown == real else [f"{path}: README {shown!r}, record {real!r}"]


def test_readme_sample_matches_a_real_record() -> None:
    shown = readme_record()
    run = cli("inspect", str(DEMO_FEEDS / "reuters-fr.xml"), timeout=300)
    assert run.code == 0, run.err
    [real] = [json.loads(line) for line in run.out.splitlines() if line.strip()]
    assert mismatches(shown, real) == []
    assert len(shown) >= 10  # the sample keeps showing the fields a reader looks for
