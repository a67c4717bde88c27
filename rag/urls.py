"""Which server addresses the app may be pointed at (the model endpoint, a Chroma server).

Both come from the operator's settings, not from users or articles, and a model server on
this machine or the LAN is the normal case: loopback and private addresses are allowed.
Refused are the addresses an SSRF aims at and no inference server lives on — link-local
(169.254.0.0/16 holds the cloud metadata service; fe80::/10), unspecified, multicast and
reserved ranges, in any spelling (IPv4-mapped IPv6, integer, hex, octal and shortened
IPv4 forms, which only ever serve to slip past checks like this one) — and metadata host
names. Nothing is resolved or sent: a host name is judged by its text. Redirects are not
followed by the model client (rag/answer/llm.py), so an endpoint cannot bounce a request elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from rag.errors import ConfigError

METADATA_HOSTS = {
    "metadata",
    "metadata.google.internal",
    "metadata.azure.internal",
    "instance-data",
}
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}$", re.IGNORECASE)


class UnsafeURL(ValueError):
    """The URL may not be used; the message says why."""


def check_server_url(url: str) -> str:
    """Return ``url`` unchanged if it may be used, else raise UnsafeURL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise UnsafeURL(f"not a valid URL ({err})") from None
    del port  # parsed only to reject a malformed port
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("must not carry a user or password (pass keys as settings)")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURL("names no host")
    if host in METADATA_HOSTS:
        raise UnsafeURL(f"{host} is a cloud metadata service")
    address = _literal_address(host)
    if address is None:
        return url
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    if address.is_loopback:  # ::1 also sits in a "reserved" range
        return url
    if address.is_link_local:
        raise UnsafeURL(f"{address} is link-local (where cloud metadata services answer)")
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        raise UnsafeURL(f"{address} is not an address a server can be reached at")
    return url


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a literal host names; UnsafeURL for non-dotted-decimal IPv4 spellings."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        # 2852039166, 0xA9FEA9FE, 0251.0376.0251.0376, 169.254.43518: C's inet_aton reads
        # them all as an IPv4 address; write it in dotted decimal if it is meant.
        raise UnsafeURL(f"{host} is an obscure IPv4 spelling; write the address as a.b.c.d")
    return None


def parse_chroma_url(url: str) -> tuple[str, int, bool]:
    """(host, port, ssl) from ``http(s)://host[:port]``; ConfigError on anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"RAG_CHROMA_URL must look like http://host:8000, not {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError("RAG_CHROMA_URL takes no user, password, query or fragment")
    if parts.path not in ("", "/"):
        raise ConfigError("RAG_CHROMA_URL takes no path: http://host:8000")
    ssl = parts.scheme == "https"
    return parts.hostname, parts.port or (443 if ssl else 8000), ssl
