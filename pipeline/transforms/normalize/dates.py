"""Date strings -> ``Timestamp`` (UTC epoch millis + precision), from feeds and from header lines of the text.

In: the raw string a feed gave (RFC 822, ISO 8601/W3C-DTF, localized month names, epoch seconds), or a header line
such as ``date 2022-12 par ...``.  Out: ``Timestamp(millis, precision, clamped)``; the zone written in the string is
honoured (feedparser's naive struct_time is never used), a string without a zone is read as UTC, and a date more than
``FUTURE_SKEW_MS`` after ``now_ms`` is clamped to ``now_ms`` and flagged.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from dateutil import parser as du_parser

from pipeline.model import Precision, Timestamp
from pipeline.transforms.normalize.months import _FULL, month_number

FUTURE_SKEW_MS = 10 * 60 * 1000
MIN_YEAR = 1800

# Zone abbreviations seen in feeds, in seconds east of UTC.  "IST" is read as India (far more common in feeds
# than Irish Summer Time); "BST" as British Summer Time.
TZ_OFFSETS: dict[str, int] = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 3600, "BST": 3600, "IST": 19800,
    "CET": 3600, "CEST": 7200, "MEZ": 3600, "MESZ": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800,
    "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000, "MST": -25200, "MDT": -21600,
    "PST": -28800, "PDT": -25200, "AKST": -32400, "AKDT": -28800, "HST": -36000, "AST": -14400, "ADT": -10800,
    "JST": 32400, "KST": 32400, "HKT": 28800, "SGT": 28800, "PHT": 28800, "WIB": 25200, "ICT": 25200,
    "AEST": 36000, "AEDT": 39600, "ACST": 34200, "AWST": 28800, "NZST": 43200, "NZDT": 46800,
    "BRT": -10800, "ART": -10800,
}  # fmt: skip

_ISO_RE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?\s*(?P<z>Z|[+-]\d{2}(?::?\d{2})?|[A-Z]{2,5})?)?)?)?"
)
_RFC822_RE = re.compile(
    r"(?:[^\W\d_]{2,12}\.?,?\s*)?(?P<d>\d{1,2})\.?\s+(?P<mon>[^\W\d_]{3,10}\.?)\s+(?P<y>\d{4}|\d{2})"
    r"(?:,?\s+(?:[^\W\d_]{1,3}\s+)?(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?)?"
    r"\s*(?P<z>[+-]\d{2}:?\d{2}|\(?[A-Za-z]{1,5}\)?)?(?:\s*\([^)]*\))?",
)
_EPOCH_RE = re.compile(r"\d{9,13}(?:\.\d+)?")
_ZONE_NUM_RE = re.compile(r"([+-])(\d{2}):?(\d{2})?")


class _Multilingual(du_parser.parserinfo):
    MONTHS = [tuple(dict.fromkeys(_FULL[n])) for n in range(1, 13)]  # type: ignore[assignment]


_DU_INFO = _Multilingual()
_DEFAULT_A = datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2001, 2, 2, 1, 1, 1)


def _zone(z: str | None) -> timezone | None:
    """ "+0200" / "-05:00" / "Z" / "CET" -> a fixed offset; an unknown name -> None (read as UTC)."""
    if not z:
        return UTC
    z = z.strip("()")
    m = _ZONE_NUM_RE.fullmatch(z)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        if minutes > 18 * 60:
            return None
        return timezone(timedelta(minutes=minutes if m.group(1) == "+" else -minutes))
    off = TZ_OFFSETS.get(z.upper())
    return timezone(timedelta(seconds=off)) if off is not None else None


def _build(y: int, mo: int, d: int, hh: int, mi: int, ss: int, tz: timezone | None) -> datetime | None:
    if y < MIN_YEAR:
        return None
    try:
        return datetime(y, mo, d, hh, mi, min(ss, 59), tzinfo=tz or UTC)
    except ValueError:
        return None


def _from_iso(m: re.Match[str]) -> tuple[datetime | None, Precision]:
    g = m.groupdict()
    prec: Precision = "second" if g["H"] else "day" if g["d"] else "month" if g["m"] else "year"
    tz = _zone(g["z"]) if g["H"] else UTC
    dt = _build(
        int(g["y"]),
        int(g["m"] or 1),
        int(g["d"] or 1),
        int(g["H"] or 0),
        int(g["M"] or 0),
        int(g["S"] or 0),
        tz,
    )
    return dt, prec


def _from_rfc822(m: re.Match[str]) -> tuple[datetime | None, Precision]:
    g = m.groupdict()
    mon = month_number(g["mon"])
    if mon is None:
        return None, "second"
    y = int(g["y"])
    if len(g["y"]) == 2:
        y += 2000 if y < 50 else 1900
    tz = _zone(g["z"]) if g["H"] else UTC
    dt = _build(y, mon, int(g["d"]), int(g["H"] or 0), int(g["M"] or 0), int(g["S"] or 0), tz)
    return dt, "second" if g["H"] else "day"


def _from_dateutil(s: str) -> tuple[datetime | None, Precision]:
    try:
        a = du_parser.parse(s, parserinfo=_DU_INFO, default=_DEFAULT_A, tzinfos=TZ_OFFSETS)
        b = du_parser.parse(s, parserinfo=_DU_INFO, default=_DEFAULT_B, tzinfos=TZ_OFFSETS)
    except (ValueError, OverflowError, TypeError):
        return None, "second"
    if a.year != b.year:
        return None, "second"  # no year: not a timestamp we can place
    prec: Precision = (
        "second"
        if a.hour == b.hour
        else "day"
        if a.day == b.day
        else "month"
        if a.month == b.month
        else "year"
    )
    if a.tzinfo is None:
        a = a.replace(tzinfo=UTC)
    return (a if a.year >= MIN_YEAR else None), prec


def _to_datetime(s: str) -> tuple[datetime | None, Precision]:
    m = _ISO_RE.fullmatch(s)
    if m:
        return _from_iso(m)
    m = _RFC822_RE.fullmatch(s)
    if m:
        return _from_rfc822(m)
    if _EPOCH_RE.fullmatch(s):
        v = float(s)
        v = v / 1000 if v > 1e11 else v
        return datetime.fromtimestamp(v, tz=UTC), "second"
    if len(s) > 80 or not any(c.isdigit() for c in s):
        return None, "second"
    return _from_dateutil(s)


def _stamp(dt: datetime | None, prec: Precision, now_ms: int, skew_ms: int) -> Timestamp | None:
    if dt is None:
        return None
    try:
        millis = int(dt.timestamp() * 1000)
    except (OverflowError, OSError, ValueError):
        return None
    if millis > now_ms + skew_ms:
        return Timestamp(millis=now_ms, precision=prec, clamped=True)
    return Timestamp(millis=millis, precision=prec)


def parse_date(raw: str | None, *, now_ms: int, skew_ms: int = FUTURE_SKEW_MS) -> Timestamp | None:
    """A feed or header date string -> ``Timestamp`` in UTC millis with its precision, or None if unreadable."""
    if not raw:
        return None
    s = " ".join(raw.split())
    if not s:
        return None
    try:
        dt, prec = _to_datetime(s)
    except (ValueError, OverflowError, OSError):
        return None
    return _stamp(dt, prec, now_ms, skew_ms)


# --- header dates inside the text ----------------------------------------------------------------------------

_LABEL = r"(?:date|dated|datum|fecha|data|publié le|publie le|published(?: on)?|publicado(?: el| em)?|pubblicato il|veröffentlicht(?: am)?)"
_WORD_DATE = r"\d{1,2}(?:er|º|°)?\.?\s+(?:de\s+)?[^\W\d_]{3,10}\.?\s+(?:de\s+)?\d{4}|[^\W\d_]{3,10}\.?\s+\d{1,2},?\s+\d{4}"
_TIME = r"(?:,?\s+(?:à|at|um|a las|alle|às|-)?\s*\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Z]{2,5}))?)?"
_HEADER_RE = re.compile(
    rf"^\s*(?P<label>{_LABEL}\s*:?\s+)?"
    rf"(?P<date>\d{{4}}-\d{{2}}(?:-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}})?(?:Z|[+-]\d{{2}}:?\d{{2}})?)?)?"
    rf"|\d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}|(?:{_WORD_DATE}){_TIME})"
    r"(?![\w-])\s*[,;|·–—-]?\s*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_BYLINE_START_RE = re.compile(r"(?:by|par|von|por|di|door)\s", re.IGNORECASE)
_NUMERIC_DMY_RE = re.compile(r"(\d{1,2})[./](\d{1,2})[./](\d{4})")
_AT_RE = re.compile(r",?\s+(?:à|at|um|a las|alle|às|-)\s+", re.IGNORECASE)


def split_header_date(text: str, *, now_ms: int) -> tuple[Timestamp | None, str]:
    """``"date 2022-12 par X"`` -> (Timestamp(2022-12-01, "month"), ``"par X"``); no header date -> (None, text).

    Without a label word ("date", "publié le", ...) a leading date counts only when nothing but a byline follows.
    """
    m = _HEADER_RE.match(text)
    if not m:
        return None, text
    rest = m.group("rest")
    if not m.group("label") and rest and not _BYLINE_START_RE.match(rest):
        return None, text
    raw = m.group("date")
    dmy = _NUMERIC_DMY_RE.fullmatch(raw)
    if dmy:  # European day-first numeric date
        d, mo, y = (int(x) for x in dmy.groups())
        ts = _stamp(_build(y, mo, d, 0, 0, 0, UTC), "day", now_ms, FUTURE_SKEW_MS)
    else:
        ts = parse_date(_AT_RE.sub(" ", raw), now_ms=now_ms)
    if ts is None:
        return None, text
    return ts, rest
