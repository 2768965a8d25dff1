"""One feed entry -> one normalized ``Dispatch``: the pure core of the normalize stage.

In: a ``RawEntry`` (HTML or plain-text content, raw date strings, feed metadata) and the ingest clock ``now_ms``.
Out: a ``Dispatch`` with canonical URL, clean headline and revision hint, clean body starting after the
header/byline/dateline lines, sanitized HTML, authors with roles, dateline, agency, UTC timestamps and a content hash.
Deterministic: the same entry and ``now_ms`` always give the same dispatch.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from urllib.parse import urlsplit

from pipeline.model import Author, Dateline, Dispatch, IngestMeta, RawEntry, Timestamp
from pipeline.transforms.normalize.byline import Byline, merge_authors, parse_feed_author, read_byline
from pipeline.transforms.normalize.credits import strip_boilerplate
from pipeline.transforms.normalize.dateline import parse_dateline
from pipeline.transforms.normalize.dates import parse_date, split_header_date
from pipeline.transforms.normalize.headline import split_headline
from pipeline.transforms.normalize.html import looks_like_html, sanitize_html, text_blocks
from pipeline.transforms.normalize.text import clean_line, is_french, repair_mojibake
from pipeline.transforms.normalize.urls import canonical_url

# Provisional ids are uuid5(content_hash) in this namespace; the dedup stage replaces them.
DISPATCH_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:news-pipeline:dispatch")
MAX_HEADER_PARAGRAPHS = 3
MAX_HEADER_LINE = 250
MAX_DERIVED_HEADLINE = 300
# Size caps (docs/normalize.md): a feed entry can carry megabytes (a whole page, a data dump); a news item must stay
# well under the output topic's record limit.  Input beyond MAX_CONTENT_CHARS is not parsed, the clean body keeps
# its first paragraphs up to MAX_BODY_CHARS, and body_html is sanitized from at most MAX_HTML_CHARS of input.
MAX_CONTENT_CHARS = 400_000
MAX_BODY_CHARS = 100_000
MAX_HTML_CHARS = 150_000
_NOT_UPDATES = frozenset(
    {"EXCLUSIVE", "EXCLUSIF", "EXCLUSIVA", "EXCLUSIVO", "EXKLUSIV", "ESCLUSIVA", "RPT", "REPEAT"}
)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[\s\u00a0]+(?=[\"«“‘'(\[]?[^\W\d_])")
_HOST_PREFIX_RE = re.compile(r"^(?:www\d?|feeds?|rss|m|amp)\.")


def _content(raw: RawEntry) -> tuple[str, bool]:
    """The richest text of the entry and whether it is HTML."""
    if raw.content and raw.content.strip():
        ctype = (raw.content_type or "").lower()
        if "html" in ctype or "xml" in ctype:
            return raw.content, True
        if ctype.startswith("text/"):
            return raw.content, False
        return raw.content, looks_like_html(raw.content)
    if raw.summary and raw.summary.strip():
        return raw.summary, looks_like_html(raw.summary)
    return "", False


def _read_header(paras: list[str], headline: str, now_ms: int) -> tuple[Timestamp | None, Byline | None]:
    """Consume leading header lines in place: a repeated headline, a header date, a byline."""
    if paras and headline and paras[0].casefold() == headline.casefold():
        paras.pop(0)
    header_date: Timestamp | None = None
    byline: Byline | None = None
    for _ in range(MAX_HEADER_PARAGRAPHS):
        if not paras or len(paras[0]) > MAX_HEADER_LINE:
            break
        ts, rest = split_header_date(paras[0], now_ms=now_ms)
        if ts is not None and header_date is None:
            header_date = ts
        elif ts is not None:
            break
        found = read_byline(rest) if rest and byline is None else None
        if found is not None:
            byline = found
            paras.pop(0)
        elif ts is not None and not rest:
            paras.pop(0)
        elif ts is not None:
            paras[0] = rest  # "date 2022-12 KYIV (Reuters) - ...": the story starts here
            break
        else:
            break
    return header_date, byline


def _take_dateline(paras: list[str]) -> Dateline | None:
    if not paras:
        return None
    dateline, rest = parse_dateline(paras[0])
    if dateline is not None:
        if rest:
            paras[0] = rest
        else:
            paras.pop(0)
    return dateline


def _first_sentence(body: str) -> str:
    first = body.split("\n\n", 1)[0]
    sentence = _SENTENCE_END_RE.split(first, 1)[0]
    if len(sentence) > MAX_DERIVED_HEADLINE:
        sentence = sentence[:MAX_DERIVED_HEADLINE].rsplit(" ", 1)[0]
    return sentence


def _capped(body: str, limit: int) -> str:
    """The body up to ``limit`` characters, cut after the last whole paragraph (else the last word) that fits."""
    if len(body) <= limit:
        return body
    head = body[:limit]
    cut = head.rfind("\n\n")
    if cut <= 0:
        cut = head.rfind(" ")
    return head[: cut if cut > 0 else limit].rstrip()


def _title_is_from_text(title: str | None, content: str, is_html: bool) -> bool:
    """True when the title is just the start of the text (a plain-text file given a first-sentence title)."""
    if not title or is_html:
        return False
    t = " ".join(title.split())
    return bool(t) and " ".join(content[: len(title) * 2 + 64].split()).startswith(t)


def _outlet(raw: RawEntry) -> str | None:
    if raw.feed_title:
        name = clean_line(raw.feed_title)
        if name:
            return name
    try:
        host = urlsplit(raw.feed_url).hostname
    except ValueError:
        return None
    return _HOST_PREFIX_RE.sub("", host) if host else None


def _categories(raw: RawEntry) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for cat in raw.categories:
        name = clean_line(cat or "")[:200]
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return tuple(seen.values())


def _feed_authors(raw: RawEntry) -> tuple[tuple[Author, ...], tuple[str, ...]]:
    authors: list[Author] = []
    agencies: list[str] = []
    for value in raw.authors:
        if value:
            parsed = parse_feed_author(clean_line(value))
            authors.extend(parsed.authors)
            agencies.extend(parsed.agencies)
    return tuple(authors), tuple(agencies)


def content_hash(headline: str, body: str) -> str:
    """sha256 hex of the normalized headline and body: equal text gives an equal hash across feeds."""
    return hashlib.sha256(f"{headline}\n\n{body}".encode()).hexdigest()


def normalize_entry(
    raw: RawEntry, *, now_ms: int, pipeline_version: str = "", ingest: IngestMeta | None = None
) -> Dispatch:
    """A feed entry -> a normalized Dispatch (story_id/version/supersedes left for the dedup stage)."""
    french = is_french(raw.feed_language)
    content, is_html = _content(raw)
    content = content[:MAX_CONTENT_CHARS]
    head = split_headline(raw.title, french=french)

    paras = text_blocks(content, is_html=is_html, french=french) if content else []
    header_date, byline = _read_header(paras, head.headline, now_ms)
    dateline = _take_dateline(paras)
    paras, credit_authors, credit_agencies = strip_boilerplate(paras)
    body = _capped("\n\n".join(paras), MAX_BODY_CHARS)

    headline = head.headline
    if body and (not headline or _title_is_from_text(raw.title, content, is_html)):
        headline = _first_sentence(body)

    feed_authors, feed_agencies = _feed_authors(raw)
    authors = merge_authors(byline.authors if byline else (), feed_authors, credit_authors)
    agencies = [
        dateline.agency if dateline else None,
        *(byline.agencies if byline else ()),
        *credit_agencies,
        *feed_agencies,
        head.agency,
    ]
    agency = next((a for a in agencies if a), None)

    uri = canonical_url(raw.link, raw.feed_url)
    if uri is None and raw.guid and raw.guid.startswith(("http://", "https://")):
        uri = canonical_url(raw.guid)
    digest = content_hash(headline, body)
    hint = head.revision_hint
    is_update = raw.is_update or bool(hint and any(m not in _NOT_UPDATES for m in _markers(hint)))

    return Dispatch(
        id=str(uuid.uuid5(DISPATCH_NAMESPACE, digest)),
        uri=uri,
        guid=raw.guid,
        headline=headline,
        body=body,
        feed_url=raw.feed_url,
        outlet=_outlet(raw),
        body_html=(
            sanitize_html(repair_mojibake(content[:MAX_HTML_CHARS]), base=uri or raw.feed_url)
            if is_html
            else None
        ),
        revision_hint=hint,
        authors=authors,
        dateline=dateline,
        agency=agency,
        published=parse_date(raw.published_raw, now_ms=now_ms) or header_date,
        updated=parse_date(raw.updated_raw, now_ms=now_ms),
        categories=_categories(raw),
        language_hint=raw.feed_language,
        content_hash=digest,
        entry_key=raw.entry_key,
        is_update=is_update,
        ingest=ingest
        or IngestMeta(
            fetched_at_ms=raw.fetched_at_ms, ingested_at_ms=now_ms, pipeline_version=pipeline_version
        ),
    )


def _markers(hint: str) -> list[str]:
    """ "CORRECTED-UPDATE 1" -> ["CORRECTED", "UPDATE"]."""
    return [part.rstrip("0123456789 ") for part in hint.split("-")]
