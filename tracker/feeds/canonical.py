"""Canonical form of a story's address, so one story reached by different links is seen once.

Only what cannot change the page is normalised: scheme and host case, default ports, the
fragment, credentials, and tracking parameters. The path and the other parameters are kept
byte for byte and in order, because sites disagree on what their case and order mean.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# Parameters that only identify a campaign, click or share. Sources: the utm_* family
# (Google Analytics campaign tags), the click identifiers of the big ad platforms, and the
# share/mailing parameters Firefox and Brave strip from links (query-stripping lists).
TRACKING_PREFIXES: Final = ("utm_",)
TRACKING_PARAMETERS: Final = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "twclid",
        "ttclid", "li_fat_id", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
        "_hsenc", "_hsmi", "mkt_tok", "vero_id", "oly_anon_id", "oly_enc_id", "ref_src",
        "ref_url", "cmpid", "ocid", "s_cid", "__s",
    }
)  # fmt: skip
DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """The canonical http(s) form of ``url``, or None when it is not an http(s) URL with a host."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a malformed IPv6 host or a port out of range
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host:
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", _strip_tracking(parts.query), ""))


def _strip_tracking(query: str) -> str:
    kept = [
        pair
        for pair in query.split("&")
        if pair and not is_tracking_parameter(unquote_plus(pair.split("=", 1)[0]))
    ]
    return "&".join(kept)
