"""The normalize stage: raw feed entries -> normalized Dispatches (clean text, dateline, byline, agency, dates, URLs).

Pure functions, one module per concern; ``stage.NormalizeDispatches`` is the thin Beam wrapper.
"""

from pipeline.transforms.normalize.agency import canonical_agency
from pipeline.transforms.normalize.byline import parse_byline
from pipeline.transforms.normalize.core import normalize_entry
from pipeline.transforms.normalize.dateline import parse_dateline
from pipeline.transforms.normalize.dates import parse_date
from pipeline.transforms.normalize.headline import clean_headline
from pipeline.transforms.normalize.html import html_to_text, sanitize_html
from pipeline.transforms.normalize.stage import NormalizeDispatches
from pipeline.transforms.normalize.urls import canonical_url

__all__ = [
    "NormalizeDispatches",
    "canonical_agency",
    "canonical_url",
    "clean_headline",
    "html_to_text",
    "normalize_entry",
    "parse_byline",
    "parse_date",
    "parse_dateline",
    "sanitize_html",
]
