"""The feed list as people edit it: a YAML file, OPML import/export, URL checks.

In: ``feeds.yaml`` text, OPML documents, URLs typed on the command line.  Out: ``FeedSpec`` values (and YAML/OPML
text back).  The state database (state.py) is where the poller reads its list; these are the doors into it.
"""

from __future__ import annotations

import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.I)
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class FeedListError(ValueError):
    pass


@dataclass(frozen=True)
class FeedSpec:
    url: str
    title: str | None = None
    interval_s: float | None = None  # None: the poller's default / adaptive interval
    category: str | None = None


def check_url(url: str) -> str:
    """A feed URL must be absolute http(s) with a host; returns it stripped."""
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedListError(f"not an http(s) feed URL: {url!r}")
    return url


def parse_duration(value: object) -> float | None:
    """``900``, ``"15m"``, ``"1h"``, ``"30s"``, ``"1d"`` -> seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise FeedListError(f"not a duration: {value!r} (use seconds or 30s, 15m, 2h, 1d)")
    return float(m.group(1)) * _UNIT_S[m.group(2).lower()]


def _spec(item: object) -> FeedSpec:
    if isinstance(item, str):
        return FeedSpec(check_url(item))
    if not isinstance(item, dict) or "url" not in item:
        raise FeedListError(f"a feed entry needs a url: {item!r}")
    unknown = set(item) - {"url", "title", "interval", "category"}
    if unknown:
        raise FeedListError(f"unknown keys {sorted(unknown)} in feed entry {item['url']!r}")
    return FeedSpec(
        check_url(str(item["url"])),
        item.get("title"),
        parse_duration(item.get("interval")),
        item.get("category"),
    )


def load_yaml(text: str) -> list[FeedSpec]:
    """``feeds:`` as a list of URLs or mappings with url/title/interval/category."""
    doc = yaml.safe_load(text) or {}
    items = doc.get("feeds", []) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise FeedListError("feeds.yaml: expected a list under `feeds:`")
    return dedupe(_spec(i) for i in items)


def read_yaml(path: Path) -> list[FeedSpec]:
    return load_yaml(path.read_text(encoding="utf-8")) if path.exists() else []


def dump_yaml(specs: Iterable[FeedSpec]) -> str:
    items = []
    for s in specs:
        item: dict[str, object] = {"url": s.url}
        if s.title:
            item["title"] = s.title
        if s.interval_s is not None:
            item["interval"] = int(s.interval_s) if float(s.interval_s).is_integer() else s.interval_s
        if s.category:
            item["category"] = s.category
        items.append(item)
    return yaml.safe_dump({"feeds": items}, allow_unicode=True, sort_keys=False)


def write_yaml(path: Path, specs: Iterable[FeedSpec]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dump_yaml(specs), encoding="utf-8")
    tmp.replace(path)


def dedupe(specs: Iterable[FeedSpec]) -> list[FeedSpec]:
    seen: dict[str, FeedSpec] = {}
    for s in specs:
        seen.setdefault(s.url, s)
    return list(seen.values())


def import_opml(data: bytes) -> list[FeedSpec]:
    """Every ``outline`` with an ``xmlUrl``; nested outlines give the category (the parent's text)."""
    from pipeline.poller.parse import entity_danger

    danger = entity_danger(data)
    if danger:
        raise FeedListError(f"OPML refused: {danger}")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedListError(f"not OPML: {exc}") from exc
    specs: list[FeedSpec] = []

    def walk(node: ET.Element, category: str | None) -> None:
        for child in node:
            if child.tag != "outline":
                continue
            url = child.get("xmlUrl") or child.get("xmlurl")
            if url:
                name = child.get("title") or child.get("text")
                try:
                    specs.append(FeedSpec(check_url(url), name if name != url else None, None, category))
                except FeedListError:
                    continue
            walk(child, child.get("text") or child.get("title") or category if not url else category)

    body = root.find("body")
    walk(body if body is not None else root, None)
    return dedupe(specs)


def export_opml(specs: Iterable[FeedSpec], title: str = "news-pipeline feeds") -> bytes:
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(opml, "body")
    groups: dict[str | None, ET.Element] = {}
    for s in specs:
        parent = body
        if s.category:
            parent = groups.get(s.category) or ET.SubElement(
                body, "outline", text=s.category, title=s.category
            )
            groups[s.category] = parent
        ET.SubElement(
            parent, "outline", type="rss", text=s.title or s.url, title=s.title or s.url, xmlUrl=s.url
        )
    ET.indent(opml)
    return ET.tostring(opml, encoding="utf-8", xml_declaration=True) + b"\n"
