"""Canonical URLs for identity and dedup keys: resolved, normalized (url-normalize), tracking parameters removed.

In: a link as a feed gave it, possibly relative, plus the feed URL to resolve it against.  Out: an absolute
``http(s)`` URL with lower-case scheme and host, no default port, no fragment, no tracking parameters (``utm_*``,
``fbclid``, ``gclid``, ``mc_cid``, ...), remaining query parameters sorted; or None when there is no usable URL.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from url_normalize import url_normalize

# Exact parameter names (compared lower-case) that only track the reader or the campaign.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
        "igshid", "mc_cid", "mc_eid", "mkt_tok", "_hsenc", "_hsmi", "hsctatracking", "oly_anon_id", "oly_enc_id",
        "vero_id", "vero_conv", "wickedid", "rb_clickid", "s_cid", "cmpid", "ncid", "ocid", "icid", "ito",
        "xtor", "xtref", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "sr_share", "smid", "smtyp",
        "ref_src", "spm", "scm", "_ga", "_gl", "ga_source",
        "ga_medium", "ga_campaign", "trk", "trkcampaign", "taid", "soc_src", "soc_trk", "cmp", "campaign_id",
        "guccounter", "guce_referrer", "guce_referrer_sig", "__twitter_impression", "dicbo",
    }
)  # fmt: skip
TRACKING_PREFIXES = (
    "utm_",
    "pk_",
    "piwik_",
    "mtm_",
    "matomo_",
    "hmb_",
    "at_",
    "ga_",
    "oly_",
    "vero_",
    "__hs",
)

_SCHEMES = ("http", "https")


def is_tracking_param(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _strip_query(query: str) -> str:
    return "&".join(p for p in query.split("&") if p and not is_tracking_param(p.split("=", 1)[0]))


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """A link (maybe relative to ``base``) -> canonical absolute http(s) URL, or None if there is none."""
    if not url:
        return None
    url = url.strip()
    if not url or len(url) > 8192:
        return None
    try:
        if base and not urlsplit(url).scheme:
            url = urljoin(base, url)
        parts = urlsplit(url)
        if parts.scheme.lower() not in _SCHEMES or not parts.netloc:
            return None
        # the fragment goes: "#xtor=RSS-1" tracking, in-page anchors and comment links all name the same article
        normalized = url_normalize(
            urlunsplit((parts.scheme, parts.netloc, parts.path, _strip_query(parts.query), ""))
        )
        if not normalized:
            return None
        parts = urlsplit(normalized)
        if not parts.hostname:
            return None
    except (ValueError, UnicodeError):
        return None
    # sorted after percent-encoding, so the order is the same however the parameters were escaped
    query = "&".join(sorted(p for p in parts.query.split("&") if p))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
